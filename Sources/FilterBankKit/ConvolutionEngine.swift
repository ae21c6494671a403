import Dispatch

/// The fast convolution engine: computes any range of output rows of one image
/// from the input rows they need.
///
/// How it works (for one output row `y`):
/// 1. Each input row that a kernel row reads is *expanded* once into a padded
///    row of `W_pad * C * M` floats: every input channel repeated M times, in
///    output-channel order `c * M + m`, with zero columns where the padding is.
///    Expanded rows live in a small ring keyed by input row, so that
///    neighbouring output rows reuse them.
/// 2. For stride 1 along the width, output row `acc[x * CM + k]` is
///    `sum_{i, j} E_i[(x + j * dw) * CM + k] * w[i, j, k]`: a contiguous,
///    modulo-free sweep per tap, `acc[t] += e[t] * wt[t]`, with the tap's
///    weights broadcast along a tile of the row ahead of time. The compiler
///    vectorises it. Wider strides use a per-pixel loop over `CM`.
/// 3. A separable bank multiplies the depthwise row (kept in scratch, never
///    stored in full) by the `[CM, O]` pointwise matrix.
///
/// Rows outside the image are zero padding and are skipped. The result agrees
/// with `ReferenceConvolution` to float32 rounding (tests check it on random
/// shapes, strides, dilations, paddings and bands).
public struct ConvolutionEngine: Sendable {
    public let plan: ConvolutionPlan
    /// `C * M`: channels of the depthwise result.
    let depthChannels: Int
    /// Output pixels per tile of the stride-1 sweep.
    let tilePixels: Int
    /// For tap `t = i * kw + j`: its `CM` weights repeated `tilePixels` times.
    let tiledWeights: [Float]
    /// Columns of an expanded row: `(W_out - 1) * sw + effective kernel width`.
    let paddedWidth: Int
    /// Expanded rows kept per workspace.
    let ringSlots: Int

    public init(plan: ConvolutionPlan) {
        self.plan = plan
        let f = plan.bank.depthwise
        depthChannels = f.outputChannels
        tilePixels = max(1, min(plan.columns.outputSize, 1024 / max(1, depthChannels)))
        let span = tilePixels * depthChannels
        var tiled = [Float](repeating: 0, count: f.kernelHeight * f.kernelWidth * span)
        for tap in 0..<(f.kernelHeight * f.kernelWidth) {
            for p in 0..<tilePixels {
                for k in 0..<depthChannels {
                    tiled[tap * span + p * depthChannels + k] = f.values[tap * depthChannels + k]
                }
            }
        }
        tiledWeights = tiled
        paddedWidth = (plan.columns.outputSize - 1) * plan.columns.stride + plan.columns.effectiveKernel
        // Keep every row one output row can read (full reuse along the height)
        // unless that is large; with fewer slots results are the same, only
        // rows are expanded again.
        let rowFloats = paddedWidth * depthChannels
        let effective = plan.rows.effectiveKernel
        ringSlots = effective * rowFloats <= 8 << 20 ? effective : f.kernelHeight
    }

    public init(input: TensorShape, bank: FilterBank) throws(FilterBankError) {
        self.init(plan: try ConvolutionPlan(input: input, bank: bank))
    }

    /// Convolves a whole tensor. Output rows are split into bands computed on
    /// all cores (`parallel`), or in order on the calling thread.
    public func apply(to input: Tensor, parallel: Bool = true) -> Tensor {
        precondition(input.shape == plan.input, "engine planned for \(plan.input), given \(input.shape)")
        let out = plan.output
        let bandsPerImage = parallel ? min(out.height, 16) : 1
        let bandRows = (out.height + bandsPerImage - 1) / bandsPerImage
        let values = [Float](unsafeUninitializedCapacity: out.count) { buffer, initialized in
            let outBase = SendablePointer(buffer.baseAddress!)
            input.values.withUnsafeBufferPointer { inBuffer in
                let inBase = SendablePointer(UnsafeMutablePointer(mutating: inBuffer.baseAddress!))
                let work = { @Sendable (task: Int) in
                    let n = task / bandsPerImage
                    let first = (task % bandsPerImage) * bandRows
                    guard first < out.height else { return }  // bands are rounded up: the last may be empty
                    let rows = first..<min(first + bandRows, out.height)
                    let image = InputBand(rows: UnsafePointer(inBase.pointer + n * plan.input.imageCount),
                                          firstRow: 0, rowCount: plan.input.height)
                    let workspace = Workspace(engine: self)
                    computeRows(rows, from: image,
                                into: outBase.pointer + n * out.imageCount + first * out.rowCount,
                                workspace: workspace)
                }
                let tasks = out.batch * bandsPerImage
                if parallel && tasks > 1 {
                    DispatchQueue.concurrentPerform(iterations: tasks, execute: work)
                } else {
                    for task in 0..<tasks { work(task) }
                }
            }
            initialized = out.count
        }
        return Tensor(shape: out, values: values)
    }

    /// Computes output rows `outputRows` of one image into `output` (which
    /// points at the first of those rows; rows are `W_out * K` floats).
    ///
    /// `input` must hold at least `plan.inputRows(forOutputRows: outputRows)`.
    public func computeRows(_ outputRows: Range<Int>, from input: InputBand,
                            into output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let needed = plan.inputRows(forOutputRows: outputRows)
        precondition(needed.isEmpty || (input.firstRow <= needed.lowerBound
                                         && needed.upperBound <= input.firstRow + input.rowCount),
                     "band rows \(input.firstRow)..<\(input.firstRow + input.rowCount) miss input rows \(needed)")
        let f = plan.bank.depthwise
        let cm = depthChannels
        let outWidth = plan.columns.outputSize
        let rowSpan = outWidth &* cm
        let outRowFloats = outWidth &* plan.bank.outputChannels
        let sw = plan.columns.stride, dw = plan.columns.dilation
        let kw = f.kernelWidth
        tiledWeights.withUnsafeBufferPointer { tiledBuffer in
            let tiled = tiledBuffer.baseAddress!
            let span = tilePixels &* cm
            for y in outputRows {
                let acc = plan.bank.pointwise == nil
                    ? output + (y - outputRows.lowerBound) &* outRowFloats
                    : workspace.depthRow
                acc.initialize(repeating: 0, count: rowSpan)
                for i in 0..<f.kernelHeight {
                    let iy = plan.rows.inputIndex(output: y, tap: i)
                    guard iy >= 0, iy < plan.input.height else { continue }  // zero padding
                    let expanded = workspace.expandedRow(iy, from: input, engine: self)
                    if sw == 1 {
                        var start = 0
                        while start < rowSpan {
                            let count = min(span, rowSpan &- start)
                            for j in 0..<kw {
                                let e = expanded + (j &* dw &* cm &+ start)
                                let w = tiled + (i &* kw &+ j) &* span
                                let a = acc + start
                                for t in 0..<count { a[t] += e[t] * w[t] }
                            }
                            start &+= span
                        }
                    } else {
                        for j in 0..<kw {
                            let w = tiled + (i &* kw &+ j) &* span
                            for x in 0..<outWidth {
                                let e = expanded + (x &* sw &+ j &* dw) &* cm
                                let a = acc + x &* cm
                                for k in 0..<cm { a[k] += e[k] * w[k] }
                            }
                        }
                    }
                }
                let row = output + (y - outputRows.lowerBound) &* outRowFloats
                if let pointwise = plan.bank.pointwise {
                    Self.pointwiseRow(acc, pixels: outWidth, depth: cm, matrix: pointwise, into: row)
                }
                if let bias = plan.bank.bias { Self.addBias(bias, to: row, pixels: outWidth) }
            }
        }
    }

    /// `out[x, o] = sum_k depth[x, k] * p[k, o]` for one row.
    static func pointwiseRow(_ depth: UnsafeMutablePointer<Float>, pixels: Int, depth cm: Int,
                             matrix: PointwiseFilter, into out: UnsafeMutablePointer<Float>) {
        let outs = matrix.outputChannels
        matrix.values.withUnsafeBufferPointer { pBuffer in
            let p = pBuffer.baseAddress!
            for x in 0..<pixels {
                let o = out + x &* outs
                o.initialize(repeating: 0, count: outs)
                let d = depth + x &* cm
                for k in 0..<cm {
                    let a = d[k]
                    let pk = p + k &* outs
                    for j in 0..<outs { o[j] += a * pk[j] }
                }
            }
        }
    }

    /// `row[x, k] += bias[k]` for one output row.
    static func addBias(_ bias: [Float], to row: UnsafeMutablePointer<Float>, pixels: Int) {
        bias.withUnsafeBufferPointer { b in
            let k = b.count
            for x in 0..<pixels {
                let r = row + x &* k
                for j in 0..<k { r[j] += b[j] }
            }
        }
    }

    /// Per-worker scratch: the ring of expanded rows and a depthwise row.
    /// Allocated once per band or thread, never per pixel; not shared.
    public final class Workspace {
        let rowFloats: Int
        let ring: UnsafeMutablePointer<Float>
        var tags: [Int]
        let depthRow: UnsafeMutablePointer<Float>

        public init(engine: ConvolutionEngine) {
            rowFloats = engine.paddedWidth * engine.depthChannels
            ring = .allocate(capacity: engine.ringSlots * rowFloats)
            tags = [Int](repeating: -1, count: engine.ringSlots)
            depthRow = .allocate(capacity: engine.plan.columns.outputSize * engine.depthChannels)
        }

        deinit {
            ring.deallocate()
            depthRow.deallocate()
        }

        /// Input row `iy` expanded to `C * M` channels with its zero padding columns.
        func expandedRow(_ iy: Int, from input: InputBand, engine: ConvolutionEngine) -> UnsafeMutablePointer<Float> {
            let slot = iy % tags.count
            let row = ring + slot &* rowFloats
            if tags[slot] == iy { return row }
            tags[slot] = iy
            let plan = engine.plan
            let channels = plan.input.channels
            let m = plan.bank.depthwise.multiplier
            let cm = engine.depthChannels
            let padded = engine.paddedWidth
            let left = min(plan.columns.padBefore, padded)
            let copied = max(0, min(plan.input.width, padded - left))
            let src = input.rows + (iy - input.firstRow) &* plan.input.rowCount
            row.initialize(repeating: 0, count: left &* cm)
            let body = row + left &* cm
            if m == 1 {
                body.update(from: src, count: copied &* channels)
            } else {
                for x in 0..<copied {
                    for c in 0..<channels {
                        let v = src[x &* channels &+ c]
                        let d = body + (x &* cm &+ c &* m)
                        for k in 0..<m { d[k] = v }
                    }
                }
            }
            let tail = (left &+ copied) &* cm
            (row + tail).initialize(repeating: 0, count: rowFloats &- tail)
            return row
        }
    }
}

/// Consecutive full rows of one input image (NHWC, `W * C` floats a row),
/// starting at image row `firstRow`: a whole image, or one band of it.
public struct InputBand {
    public let rows: UnsafePointer<Float>
    public let firstRow: Int
    public let rowCount: Int

    public init(rows: UnsafePointer<Float>, firstRow: Int, rowCount: Int) {
        self.rows = rows
        self.firstRow = firstRow
        self.rowCount = rowCount
    }
}

/// A raw pointer carried into `DispatchQueue.concurrentPerform`'s `@Sendable`
/// closure. Safe here because every task writes a disjoint range of rows and
/// the input is only read; this is the one place the engine opts out of
/// Sendable checking.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}

public enum Convolution {
    /// Applies `bank` to `input` with the fast engine (validating shapes first).
    public static func apply(_ bank: FilterBank, to input: Tensor, parallel: Bool = true) throws(FilterBankError) -> Tensor {
        try ConvolutionEngine(input: input.shape, bank: bank).apply(to: input, parallel: parallel)
    }
}
