/// Where a job's filter bank comes from. Some sources (built-in banks, kernel
/// lists, `.mat` kernels, PyTorch-layout weights) only become a concrete bank
/// once the input's channel count is known; `resolve` is the one entry point.
public enum BankSource: Sendable, Equatable {
    /// A bank with a fixed input channel count, as a file states it (JSON,
    /// `.npz`, TensorFlow-layout `.npy` filters).
    case file(BankSpec)
    /// Kernels applied to every input channel (M = `kernels.count`, kernel `m`
    /// in multiplier slot `m`), zero-padded to a common size with aligned
    /// anchors (see `Kernel`): kernel specs, built-in banks, `.mat` files.
    /// `name` says where they came from, for display.
    case kernels([Kernel], name: String?)
    /// PyTorch-layout weights: `C*M` is split for each input (see `TorchWeights`).
    case torch(TorchWeights)
    /// Weights whose file does not say their layout and whose shapes read in
    /// both: as TensorFlow's (`tf`) and as PyTorch's (`torch`). For each
    /// input, the reading that fits its channel count is used; when both fit,
    /// `spec(channels:)` refuses with `FilterBankError.ambiguousLayout`; when
    /// neither does, the TensorFlow reading's error is the one reported.
    case eitherLayout(tf: BankSpec, torch: TorchWeights)
    /// Another source with each depthwise kernel scaled to sum 1 where its sum
    /// is not zero (`normalize`) and / or `bias` added to every output channel
    /// (replacing any bias the source has).
    indirect case adjusted(BankSource, normalize: Bool, bias: Float?)

    /// A built-in bank (`edges`, `gabor:8`, ...) as a kernel list.
    public static func named(_ bank: NamedBank) -> BankSource { .kernels(bank.kernels, name: bank.name) }

    /// The default bank, `edges`: Sobel x and Sobel y on every input channel
    /// (see `NamedBank.edges`).
    public static var edges: BankSource { .named(.edges) }

    /// This source with `normalize` / `bias` applied; itself when neither is asked for.
    public func adjusted(normalize: Bool, bias: Float?) -> BankSource {
        normalize || bias != nil ? .adjusted(self, normalize: normalize, bias: bias) : self
    }

    /// The filters for an input with `channels` channels, and the geometry the
    /// source states (a file's strides, padding, dilations).
    public func spec(channels: Int) throws(FilterBankError) -> BankSpec {
        switch self {
        case let .file(spec):
            return spec
        case let .kernels(kernels, name):
            return BankSpec(depthwise: try DepthwiseFilter(kernels: kernels, channels: channels), name: name,
                            kernelNames: kernels.map(\.name))
        case let .torch(weights):
            return try weights.spec(channels: channels)
        case let .eitherLayout(tf, torch):
            guard tf.depthwise.inputChannels == channels else { return tf }
            guard let other = try? torch.spec(channels: channels) else { return tf }
            throw .ambiguousLayout(shape: torch.torchShape, channels: channels,
                                   tf: Self.reading(tf), torch: Self.reading(other))
        case let .adjusted(inner, normalize, bias):
            var spec = try inner.spec(channels: channels)
            if normalize { spec.depthwise = try spec.depthwise.normalizingEachKernel() }
            if let bias { spec.bias = [Float](repeating: bias, count: spec.outputChannels) }
            return spec
        }
    }

    /// The concrete bank for an input with `channels` channels. Geometry given
    /// here wins over the source's; defaults are stride 1, dilation 1, SAME.
    public func resolve(channels: Int, strides: HeightWidth?, dilations: HeightWidth?,
                        padding: Padding?, border: BorderMode = .zero) throws(FilterBankError) -> FilterBank {
        try spec(channels: channels).resolve(strides: strides, dilations: dilations, padding: padding, border: border)
    }

    /// The input channel count the bank requires, or `nil` when it adapts to
    /// every input (built-in banks, kernel lists, `.mat`, PyTorch layout).
    public var fixedChannels: Int? {
        switch self {
        case let .file(spec): return spec.depthwise.inputChannels
        case let .adjusted(inner, _, _): return inner.fixedChannels
        case let .eitherLayout(tf, _): return tf.depthwise.inputChannels
        case .kernels, .torch: return nil
        }
    }

    /// Whether this is weights of unstated layout (`eitherLayout`) whose
    /// PyTorch reading fits an input of `channels` channels: the hint when
    /// the TensorFlow reading does not.
    public func torchReadingFits(channels: Int) -> Bool {
        switch self {
        case let .eitherLayout(_, torch): return (try? torch.spec(channels: channels)) != nil
        case let .adjusted(inner, _, _): return inner.torchReadingFits(channels: channels)
        default: return false
        }
    }

    /// `6x1 kernels, C = 3, M = 3: 9 outputs`, for the ambiguity message.
    static func reading(_ spec: BankSpec) -> String {
        let d = spec.depthwise
        return "\(d.kernelHeight)x\(d.kernelWidth) kernels, C = \(d.inputChannels), M = \(d.multiplier): "
            + "\(spec.outputChannels) output\(spec.outputChannels == 1 ? "" : "s")"
    }
}
