/// A filter bank as a source states it: the filters, plus whatever geometry
/// the source states (`nil` where it is silent, so that the caller can fill in).
public struct BankSpec: Sendable, Equatable {
    public var depthwise: DepthwiseFilter
    /// `nil` for a depthwise bank.
    public var pointwise: PointwiseFilter?
    /// `nil` = not given in the file.
    public var strides: HeightWidth?
    public var dilations: HeightWidth?
    public var padding: Padding?
    /// The file's optional `"name"`, e.g. for messages.
    public var name: String?
    /// The file's optional `"description"`: free text for people, never interpreted.
    public var summary: String?
    /// One value per output channel (`C * M` for a depthwise bank, `O` for a
    /// separable one), added after the convolution; `nil` for none.
    public var bias: [Float]?
    /// What each multiplier slot's kernel is (`sobel-x`, `gaussian:sigma=2,size=13`),
    /// when the bank was built from named kernels; `nil` for weights from a file.
    public var kernelNames: [String]?

    public init(depthwise: DepthwiseFilter, pointwise: PointwiseFilter? = nil, strides: HeightWidth? = nil,
                dilations: HeightWidth? = nil, padding: Padding? = nil, name: String? = nil, summary: String? = nil,
                bias: [Float]? = nil, kernelNames: [String]? = nil) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.name = name
        self.summary = summary
        self.bias = bias
        self.kernelNames = kernelNames
    }

    /// Output channels: `C * M` for a depthwise bank, `O` for a separable one.
    public var outputChannels: Int { pointwise?.outputChannels ?? depthwise.outputChannels }

    /// Values given here win over the spec's own; defaults stride 1, dilation 1, SAME.
    /// Throws what `FilterBank.init` throws (pointwise depth, non-positive steps,
    /// negative pads, a bias count other than the output channels).
    public func resolve(strides: HeightWidth?, dilations: HeightWidth?, padding: Padding?,
                        border: BorderMode = .zero) throws(FilterBankError) -> FilterBank {
        try FilterBank(depthwise: depthwise, pointwise: pointwise,
                       strides: strides ?? self.strides ?? .one,
                       dilations: dilations ?? self.dilations ?? .one,
                       padding: padding ?? self.padding ?? .same,
                       bias: bias, border: border)
    }
}
