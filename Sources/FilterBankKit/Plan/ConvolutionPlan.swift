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

    /// The values read in the padded area (the bank's border mode).
    public var border: BorderMode { bank.border }

    /// The image row that padded row `iy` reads under the border mode, or
    /// `nil` for a zero row.
    @inlinable
    public func sourceRow(_ iy: Int) -> Int? { bank.border.sourceIndex(iy, size: input.height) }

    /// The smallest range of input rows holding every row that output rows
    /// `outputRows` read, the rows the border mode maps padded rows to
    /// included (so `replicate` / `reflect` / `symmetric` add rows near the
    /// edge, and `wrap` makes the first output rows need the last input rows).
    ///
    /// `computeRows` needs an `InputBand` covering this range. See
    /// `streamable` for what it means when reading an image top to bottom.
    ///
    /// A band that reads only zero padding needs no rows: its range is empty
    /// (and lies within `0...H`).
    public func inputRows(forOutputRows outputRows: Range<Int>) -> Range<Int> {
        var natural = rows.inputRange(forOutputs: outputRows)
        if natural.isEmpty {
            let at = min(natural.lowerBound, input.height)
            natural = at..<at
        }
        guard bank.border != .zero, !outputRows.isEmpty else { return natural }
        var low = natural.isEmpty ? Int.max : natural.lowerBound
        var high = natural.isEmpty ? Int.min : natural.upperBound - 1
        func include(_ y: Int) {
            for i in 0..<rows.kernelSize {
                let iy = rows.inputIndex(output: y, tap: i)
                guard iy < 0 || iy >= input.height, let r = sourceRow(iy) else { continue }
                low = min(low, r)
                high = max(high, r)
            }
        }
        // Only output rows whose window crosses an edge read mapped rows.
        var y = outputRows.lowerBound
        while y < outputRows.upperBound && rows.inputIndex(output: y, tap: 0) < 0 { include(y); y += 1 }
        var z = outputRows.upperBound - 1
        while z >= y && rows.inputIndex(output: z, tap: rows.kernelSize - 1) >= input.height { include(z); z -= 1 }
        return low <= high ? low..<(high + 1) : natural
    }

    /// Whether the image can be streamed top to bottom with a bounded window:
    /// the rows any band of output rows needs lie within its own window of
    /// input rows (`y * stride - padTop ... + effectiveKernel - 1`) widened by
    /// twice the largest vertical pad on each side. True for every mode whose
    /// vertical pads are smaller than the image, except `wrap` with vertical
    /// padding: there the first output rows read the last input rows (and
    /// the last read the first), so a streaming reader must keep the first
    /// `padBottom` rows until the end, or hold the whole image. Also false
    /// when a non-zero mode has a vertical pad as large as the image (the
    /// reflection repeats across the whole image). Zero padding is always
    /// streamable.
    public var streamable: Bool {
        switch bank.border {
        case .zero: return true
        case .wrap: return rows.padBefore == 0 && rows.padAfter == 0
        case .replicate, .reflect, .symmetric:
            return rows.padBefore < input.height && rows.padAfter < input.height
        }
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
