import FilterBankKit

/// Where a job's filter bank comes from. Some sources (the built-in banks)
/// only become a concrete bank once the input's channel count is known.
public enum BankSource: Sendable, Equatable {
    /// The built-in `edges` bank (Sobel x and y), built for each input's channel count.
    case edges
    /// A bank read from a file (JSON, or `.npy` depthwise/pointwise filters).
    case file(BankSpec)

    /// The concrete bank for an input with `channels` channels. Geometry given
    /// here (the command line's) wins over the source's; defaults are stride 1,
    /// dilation 1, SAME.
    public func resolve(channels: Int, strides: HeightWidth?, dilations: HeightWidth?,
                        padding: Padding?) throws(FilterBankError) -> FilterBank {
        let spec: BankSpec
        switch self {
        case .edges:
            spec = BankSpec(depthwise: try BuiltinBanks.edges(channels: channels).depthwise)
        case let .file(fileSpec):
            spec = fileSpec
        }
        return try spec.resolve(strides: strides, dilations: dilations, padding: padding)
    }
}
