/// The resolved geometry of a convolution along one spatial axis.
public struct AxisGeometry: Hashable, Sendable {
    public let inputSize: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    /// Zero rows/columns added before the first input sample.
    public let padBefore: Int
    /// Zero rows/columns added after the last input sample (only as many as the
    /// last output actually reaches).
    public let padAfter: Int
    public let outputSize: Int

    /// The largest kernel size, stride, dilation, pad or effective kernel
    /// accepted: 2^20 (a million pixels).
    public static let limit = 1 << 20

    /// `(kernelSize - 1) * dilation + 1`: the span one output sample reads.
    public var effectiveKernel: Int { (kernelSize - 1) * dilation + 1 }

    /// Resolves the geometry of one axis, or throws if the kernel cannot fit.
    public static func resolve(axis: Axis, inputSize: Int, kernelSize: Int, stride: Int,
                               dilation: Int, padding: Padding) throws(FilterBankError) -> AxisGeometry {
        // Bound every quantity first, so that no arithmetic below can overflow (a bank file or the
        // command line can hold any 64-bit number): then an absurd geometry is an error, not a trap.
        var quantities = [("kernel size", kernelSize), ("stride", stride), ("dilation", dilation)]
        if case let .explicit(top, bottom, left, right) = padding {
            quantities += axis == .height ? [("top pad", top), ("bottom pad", bottom)] : [("left pad", left), ("right pad", right)]
        }
        for (name, value) in quantities where value > AxisGeometry.limit {
            throw .geometryTooLarge(axis: axis, name: name, value: value, limit: AxisGeometry.limit)
        }
        let effective = (kernelSize - 1) * dilation + 1
        guard effective <= AxisGeometry.limit else {
            throw .geometryTooLarge(axis: axis, name: "effective kernel (k-1)*d+1", value: effective, limit: AxisGeometry.limit)
        }
        let before: Int, after: Int, output: Int
        switch padding {
        case .same:
            output = (inputSize + stride - 1) / stride
            let total = max((output - 1) * stride + effective - inputSize, 0)
            before = total / 2
            after = total - before
        case .valid:
            guard inputSize >= effective else {
                throw .kernelLargerThanInput(axis: axis, paddedInput: inputSize, effectiveKernel: effective,
                                             kernel: kernelSize, dilation: dilation, padding: padding)
            }
            output = (inputSize - effective) / stride + 1
            before = 0
            after = 0
        case let .explicit(top, bottom, left, right):
            let (b, a) = axis == .height ? (top, bottom) : (left, right)
            let padded = inputSize + b + a
            guard padded >= effective else {
                throw .kernelLargerThanInput(axis: axis, paddedInput: padded, effectiveKernel: effective,
                                             kernel: kernelSize, dilation: dilation, padding: padding)
            }
            output = (padded - effective) / stride + 1
            before = b
            after = a
        }
        return AxisGeometry(inputSize: inputSize, kernelSize: kernelSize, stride: stride, dilation: dilation,
                            padBefore: before, padAfter: after, outputSize: output)
    }

    /// Input index read by output `o` at kernel tap `t` (may fall in the padding:
    /// negative or `>= inputSize`).
    @inlinable
    public func inputIndex(output o: Int, tap t: Int) -> Int {
        o * stride + t * dilation - padBefore
    }

    /// Input indices (clipped to the image) that outputs `outputs` read.
    public func inputRange(forOutputs outputs: Range<Int>) -> Range<Int> {
        guard !outputs.isEmpty else { return 0..<0 }
        let first = max(inputIndex(output: outputs.lowerBound, tap: 0), 0)
        let last = min(inputIndex(output: outputs.upperBound - 1, tap: kernelSize - 1), inputSize - 1)
        return first <= last ? first..<(last + 1) : first..<first
    }
}
