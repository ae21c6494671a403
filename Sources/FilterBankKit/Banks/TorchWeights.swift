/// PyTorch-layout depthwise weights, already in TensorFlow's tap order,
/// waiting for the input's channel count to split `C*M` into `C` and `M`.
///
/// PyTorch's depthwise layer `Conv2d(C, C*M, k, groups=C)` stores its weight
/// as `[C*M, 1, kh, kw]` and sends input channel `c` to outputs
/// `c*M ..< (c+1)*M`, so its output `j` is TensorFlow's `c*M + m`. The weight
/// does not say how `C*M` splits into `C` and `M` (that is the layer's
/// `groups`), so the split is made for each input: `M = (C*M) / C`.
public struct TorchWeights: Sendable, Equatable {
    public let kernelHeight: Int
    public let kernelWidth: Int
    /// `C * M`.
    public let depth: Int
    /// `kh * kw * C*M` values, index `(i * kw + j) * (C*M) + k`: TensorFlow's order.
    public let values: [Float]
    public let pointwise: PointwiseFilter?
    public let bias: [Float]?
    /// `values` in TensorFlow's tap order (already transposed from PyTorch's).
    public init(kernelHeight: Int, kernelWidth: Int, depth: Int, values: [Float], pointwise: PointwiseFilter?, bias: [Float]?) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.depth = depth
        self.values = values
        self.pointwise = pointwise
        self.bias = bias
    }

    /// The original depthwise shape, `[C*M, 1, kh, kw]`, for messages.
    public var torchShape: [Int] { [depth, 1, kernelHeight, kernelWidth] }

    /// The bank for an input with `channels` channels; throws when `C*M` is not
    /// a multiple of `channels`.
    public func spec(channels: Int) throws(FilterBankError) -> BankSpec {
        guard channels > 0, depth % channels == 0 else {
            throw .invalidFilterShape(filter: "PyTorch depthwise", shape: torchShape,
                                      expected: "[C*M, 1, kh, kw] with C*M a multiple of the input's \(channels) channels")
        }
        let depthwise = try DepthwiseFilter(shape: [kernelHeight, kernelWidth, channels, depth / channels], values: values)
        return BankSpec(depthwise: depthwise, pointwise: pointwise, bias: bias)
    }
}
