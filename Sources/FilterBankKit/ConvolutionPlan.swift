/// A bank validated against one input shape: the output shape and the padding
/// of each axis, resolved before anything runs (as libvips plans before it
/// computes).
///
/// The plan answers the one question the engine, the threads and any streaming
/// of bands need: to compute output rows `a..<b`, which input rows must be
/// present (`inputRows(forOutputRows:)`).
public struct ConvolutionPlan: Sendable {
    public let input: TensorShape
    public let bank: FilterBank
    /// Geometry along the height axis (rows).
    public let rows: AxisGeometry
    /// Geometry along the width axis (columns).
    public let columns: AxisGeometry

    /// Checks that the bank fits the input and resolves the padding.
    ///
    /// Throws when the input is empty, when the depthwise filter's `C` differs
    /// from the input's channels, or when a VALID / explicit kernel does not fit.
    public init(input: TensorShape, bank: FilterBank) throws(FilterBankError) {
        guard input.batch > 0, input.height > 0, input.width > 0, input.channels > 0 else {
            throw .emptyInput(input)
        }
        guard bank.depthwise.inputChannels == input.channels else {
            throw .channelMismatch(input: input, filterShape: bank.depthwise.shape)
        }
        self.input = input
        self.bank = bank
        rows = try AxisGeometry.resolve(axis: .height, inputSize: input.height,
                                        kernelSize: bank.depthwise.kernelHeight, stride: bank.strides.height,
                                        dilation: bank.dilations.height, padding: bank.padding)
        columns = try AxisGeometry.resolve(axis: .width, inputSize: input.width,
                                           kernelSize: bank.depthwise.kernelWidth, stride: bank.strides.width,
                                           dilation: bank.dilations.width, padding: bank.padding)
    }

    /// `[N, H_out, W_out, K]`, K = `C * M` (depthwise) or `O` (separable).
    public var output: TensorShape {
        TensorShape(batch: input.batch, height: rows.outputSize, width: columns.outputSize,
                    channels: bank.outputChannels)
    }

    /// The input rows (clipped to the image) that output rows `outputRows` read.
    public func inputRows(forOutputRows outputRows: Range<Int>) -> Range<Int> {
        rows.inputRange(forOutputs: outputRows)
    }

    /// Multiply-accumulates for one image: depthwise `H_out*W_out*C*M*kh*kw`
    /// plus pointwise `H_out*W_out*C*M*O`.
    public var multiplyAccumulatesPerImage: Int {
        let pixels = rows.outputSize * columns.outputSize
        let d = bank.depthwise
        let depthwise = pixels * d.outputChannels * d.kernelHeight * d.kernelWidth
        let pointwise = bank.pointwise.map { pixels * $0.inputDepth * $0.outputChannels } ?? 0
        return depthwise + pointwise
    }
}
