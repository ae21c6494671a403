/// Why a filter bank cannot be built or applied to an input.
///
/// Every case carries the shapes and numbers that explain it, and its
/// `description` is one line a user can act on.
public enum FilterBankError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A filter's declared shape has the wrong rank or a non-positive dimension.
    case invalidFilterShape(filter: String, shape: [Int], expected: String)
    /// The number of values does not match the product of the declared shape.
    case valueCountMismatch(filter: String, shape: [Int], count: Int)
    /// A filter holds NaN or an infinity (first offending flat index).
    case nonFiniteValue(filter: String, index: Int)
    /// The depthwise filter's channel count differs from the input's.
    case channelMismatch(input: TensorShape, filterShape: [Int])
    /// The pointwise filter's input depth is not `C * M` of the depthwise filter.
    case pointwiseDepthMismatch(depthwiseShape: [Int], pointwiseShape: [Int])
    /// The bias does not hold one value per output channel.
    case biasCountMismatch(expected: Int, got: Int)
    /// A stride or dilation is zero or negative.
    case invalidStep(name: String, value: HeightWidth)
    /// An explicit pad is negative.
    case negativePadding(Padding)
    /// The effective kernel `(k - 1) * d + 1` does not fit in the padded input along an axis.
    case kernelLargerThanInput(axis: Axis, paddedInput: Int, effectiveKernel: Int,
                               kernel: Int, dilation: Int, padding: Padding)
    /// A kernel size, stride, dilation, pad or effective kernel over `limit`.
    case geometryTooLarge(axis: Axis, name: String, value: Int, limit: Int)
    /// The input tensor is empty along some dimension.
    case emptyInput(TensorShape)
    /// Weights of unstated layout (`shape` as stored) that read both as
    /// TensorFlow's `[kh, kw, C, M]` and as PyTorch's `[C*M, 1, kh, kw]` for an
    /// input of `channels` channels; `tf` and `torch` describe the two banks.
    case ambiguousLayout(shape: [Int], channels: Int, tf: String, torch: String)

    public var description: String {
        switch self {
        case let .invalidFilterShape(filter, shape, expected):
            return "\(filter) filter shape \(shape) is invalid: expected \(expected)"
        case let .valueCountMismatch(filter, shape, count):
            var need = 1, overflow = false
            for d in shape where !overflow { (need, overflow) = need.multipliedReportingOverflow(by: d) }
            let needed = overflow ? "more than \(Int.max)" : "\(need)"
            return "\(filter) filter shape \(shape) needs \(needed) values, got \(count)"
        case let .nonFiniteValue(filter, index):
            return "\(filter) filter value at flat index \(index) is not finite (NaN or infinity)"
        case let .channelMismatch(input, filterShape):
            return "depthwise filter \(filterShape) expects \(filterShape.count == 4 ? filterShape[2] : -1) input channels, but the input \(input) has \(input.channels)"
        case let .pointwiseDepthMismatch(dw, pw):
            let cm = dw.count == 4 ? dw[2] * dw[3] : -1
            return "pointwise filter \(pw) must have input depth C*M = \(cm) to follow depthwise filter \(dw), but has \(pw.count == 4 ? pw[2] : -1)"
        case let .biasCountMismatch(expected, got):
            return "bias has \(got) values, but the bank has \(expected) output channels"
        case let .invalidStep(name, value):
            return "\(name) must be positive, got \(value.height),\(value.width)"
        case let .negativePadding(padding):
            return "explicit padding must not be negative, got \(padding)"
        case let .kernelLargerThanInput(axis, padded, eff, k, d, padding):
            return "\(padding) padding: the effective kernel \(axis.rawValue) \(eff) (kernel \(k), dilation \(d): (k-1)*d+1) is larger than the padded input \(axis.rawValue) \(padded)"
        case let .geometryTooLarge(axis, name, value, limit):
            return "\(axis.rawValue) \(name) \(value) is too large (at most \(limit))"
        case let .emptyInput(shape):
            return "input tensor \(shape) is empty"
        case let .ambiguousLayout(shape, channels, tf, torch):
            return "the weights \(shape) read two ways for an input of \(channels) channel\(channels == 1 ? "" : "s"): "
                + "as TensorFlow's [kh, kw, C, M], \(tf); as PyTorch's [C*M, 1, kh, kw], \(torch); state the layout: tf or torch"
        }
    }
}

/// A spatial axis, for messages.
public enum Axis: String, Sendable {
    case height, width
}
