/// The fast convolution engine: computes any range of output rows of one image
/// from the input rows they need.
///
/// How it works (for one output row `y`, or a pair `y, y + 1`):
/// 1. Padded rows. When the multiplier is 1 or a multiple of 8 the input
///    rows are read *in place* (`P = C` floats a pixel): only the few padding
///    columns at the left and right edges are built, per row, in a small ring
///    keyed by image row. Otherwise each row is *expanded* once into the ring
///    as a whole padded row of `paddedWidth * C * M` floats, every input
///    channel repeated M times (`P = C * M`, output-channel order
///    `c * M + m`). Padding columns hold the border mode's values; rows above
///    or below the image are zero rows (skipped) or, under another border
///    mode, the image rows it maps them to.
/// 2. One of three paths computes the depthwise result (see `Path`):
///    - `direct`: `acc[t] = sum_{i, j} E_i[t + j * dw * P] * w_ij[t mod P]`, a
///      contiguous, modulo-free sweep over the row with the tap weights
///      pre-tiled along the period and held in SIMD8 registers
///      (`EngineKernels.sweep`, `sweep24`); with vertical stride and dilation
///      1, four output rows at a time (two on the portable build) share every
///      input load (`blockSweep24`, `sweepPair24`);
///    - `broadcast` (M a multiple of 8): each input sample broadcast against
///      the vector of its M kernels' weights, eight pixels at a time (four on
///      the portable build);
///    - `rank1`: every kernel is a column times a row (Gaussian, box, Sobel,
///      any user kernel whose factorisation error is at most `rank1Tolerance`)
///      and large enough (`prefersRank1`, measured per build): a vertical `kh x 1`
///      pass (four rows at a time) into padded scratch rows, then a horizontal `1 x kw`
///      pass, `kh + kw` instead of `kh * kw` multiply-adds.
/// 3. A separable bank runs the depthwise step over tiles of pixels whose
///    `C * M` values stay in L1, each followed at once by the pointwise step
///    as a blocked matrix product (`EngineKernels.pointwise`): the depthwise
///    intermediate never exists in memory beyond one tile.
///
/// `apply` splits output rows into bands (of every image of the batch) that
/// `DispatchQueue.concurrentPerform` hands to one worker per core, each with
/// one `Workspace` allocated once. Nothing is allocated per row or pixel.
///
/// The result agrees with `ReferenceConvolution` to float32 rounding (tests
/// check every path on random shapes, strides, dilations, paddings, border
/// modes and bands). A band's rows are bit-identical to the same rows
/// computed as part of the whole image (rows computed alone or in blocks add in the
/// same order).
public struct ConvolutionEngine: Sendable {
    /// How the depthwise step is computed.
    public enum Path: String, Sendable {
        case direct, broadcast, rank1
    }

    public let plan: ConvolutionPlan
    public let path: Path
    /// `C * M`: channels of the depthwise result.
    let depthChannels: Int
    /// `P`: floats per pixel of a padded row (`C` or `C * M`).
    let period: Int
    /// Columns of a padded row: `(W_out - 1) * sw + effective kernel width`.
    let paddedWidth: Int
    /// Padded rows kept per workspace (at least `kh`, so all rows of one
    /// output row fit; `effective kernel height` when that is small enough,
    /// so dilated kernels reuse rows too).
    let ringSlots: Int
    /// A multiple of both `P` and 32; weight tiles repeat with this period.
    let tileLength: Int
    /// Floats between consecutive tiles: `tileLength + 32`.
    let tileStride: Int
    /// `direct`: `kh * kw` tiles (tap `i * kw + j`); `rank1`: `kh` column
    /// tiles then `kw` row tiles; `broadcast`: the filter's own values.
    let tiles: AlignedFloats
    /// The pointwise matrix `[C * M, O]`, aligned like `tiles` (nil: none).
    let pointwiseMatrix: AlignedFloats?
    /// Pixels per depthwise tile of a separable bank (a multiple of 32, or the whole row).
    let tilePixels: Int
    /// Rows are read in place (`P == C`): only the padding columns at the
    /// left and right edges are built in the ring; output pixels `interior`
    /// read the input rows themselves (no copy of the image).
    let inPlace: Bool
    /// Output pixels whose taps all fall inside the image (`inPlace` only).
    let interior: Range<Int>
    /// Padded columns `0..<leftColumns` (read by pixels before `interior`) and
    /// `rightStart..<paddedWidth` (read by pixels after it), built per row.
    let leftColumns: Int
    let rightStart: Int
    /// Floats of one ring slot: both edge strips (`inPlace`) or a whole padded row.
    let slotFloats: Int
    /// Output rows are computed in blocks (`EngineKernels.directBlockRows` at
    /// a time on the direct path, `EngineKernels.blockRows` for the vertical
    /// pass of `rank1`): depthwise only, strides and vertical dilation 1, and
    /// a period dividing 24.
    let blocks: Bool

    /// Relative Frobenius error up to which a kernel runs as rank 1. At 1e-6
    /// the two-pass result differs from the direct sum by at most
    /// `1e-6 * ||K||_F * ||window||_2` plus float32 rounding (well inside the
    /// tests' 1e-5 relative tolerance against the Double reference).
    public static let rank1Tolerance = 1e-6

    /// Whether rank-1 kernels of this size and multiplier run as two passes,
    /// decided by measurement (`Benchmarks --all`, 4008x2988x3, stride 1,
    /// 2 threads, median of 7 interleaved rounds, README "Performance"),
    /// AVX2+FMA build / portable build:
    /// - Sobel 3x3, M=1: direct 14.1 / 25.1 ms, rank 1 16.2 / 20.0 ms;
    /// - Sobel x and y, M=2 (the default bank): direct 62.1-62.2 / 84-88 ms,
    ///   rank 1 62.8-64.2 / 73-75 ms (alternating runs);
    /// - Gaussian 5x5: direct 26.3 / 52.8 ms, rank 1 16.6 / 24.8 ms;
    /// - Gaussian 7x7: direct 43.8 / 104 ms, rank 1 17.5 / 30.0 ms.
    /// With FMA the direct 3x3 kernel is memory-bound and rank 1 gains
    /// nothing, so two passes from 10 taps on; on the portable build the
    /// direct kernel is compute-bound and rank 1 wins from 3x3 (9 taps) on.
    /// Sizes between 3x3 and 5x5 (2x5, 3x4...) were not measured. With M a
    /// multiple of 8 the broadcast path (no row expansion) is kept: rank 1
    /// would expand rows to `C * M` channels, which at 3x3 M=8 cost 1.7x with
    /// FMA (expanded direct 146 ms vs broadcast 87 ms), and Sobel M=8 as rank
    /// 1 ran 2.1x slower than broadcast in a quick check (345 vs 161 ms, on a
    /// loaded machine). 1xN and Nx1 kernels gain nothing from two passes.
    public static func prefersRank1(kernelHeight kh: Int, kernelWidth kw: Int, multiplier m: Int) -> Bool {
        #if FILTERBANK_FMA
        let fewestTaps = 10
        #else
        let fewestTaps = 9
        #endif
        return kh > 1 && kw > 1 && kh * kw >= fewestTaps && m % 8 != 0
    }

    /// Plans the engine. `path` asks for one path (benchmarks and tests use
    /// it); a path that cannot compute this bank exactly (`rank1` for a kernel
    /// that is not rank 1 within `rank1Tolerance`, `broadcast` for a
    /// multiplier that is not a multiple of 8) falls back to the automatic
    /// choice, so the result is always the same convolution. `path` tells
    /// which one runs.
    public init(plan: ConvolutionPlan, path requested: Path? = nil) {
        self.plan = plan
        let f = plan.bank.depthwise
        let cm = f.outputChannels
        depthChannels = cm
        paddedWidth = (plan.columns.outputSize - 1) * plan.columns.stride + plan.columns.effectiveKernel

        // Factorise every kernel when rank 1 could be chosen.
        var factors: [KernelFactorization] = []
        let wantsRank1 = requested.map { $0 == .rank1 }
            ?? Self.prefersRank1(kernelHeight: f.kernelHeight, kernelWidth: f.kernelWidth, multiplier: f.multiplier)
        if wantsRank1 {
            for k in 0..<cm {
                let kernel = (0..<(f.kernelHeight * f.kernelWidth)).map { f.values[$0 * cm + k] }
                let factor = KernelFactorization(kernel: kernel, height: f.kernelHeight, width: f.kernelWidth)
                guard factor.relativeError <= Self.rank1Tolerance else { factors = []; break }
                factors.append(factor)
            }
        }
        let chosen: Path
        if !factors.isEmpty {
            chosen = .rank1
        } else if f.multiplier % 8 == 0 && requested != .direct {
            chosen = .broadcast
        } else {
            chosen = .direct
        }
        path = chosen
        let p = (chosen == .broadcast || f.multiplier == 1) ? f.inputChannels : cm
        period = p
        tileLength = Self.leastCommonMultiple(p, 32)
        tileStride = tileLength + 32
        let tileCount: Int
        switch chosen {
        case .direct: tileCount = f.kernelHeight * f.kernelWidth
        case .rank1: tileCount = f.kernelHeight + f.kernelWidth
        case .broadcast: tileCount = 0
        }
        var tiled = [Float](repeating: 0, count: max(1, tileCount * tileStride))
        for tile in 0..<tileCount {
            for t in 0..<tileStride {
                let k = t % p  // p == cm on these paths
                let value: Float
                switch chosen {
                case .direct: value = f.values[tile * cm + k]
                case .rank1: value = tile < f.kernelHeight ? factors[k].column[tile] : factors[k].row[tile - f.kernelHeight]
                case .broadcast: value = 0
                }
                tiled[tile * tileStride + t] = value
            }
        }
        tiles = AlignedFloats(chosen == .broadcast ? f.values : tiled)
        pointwiseMatrix = plan.bank.pointwise.map { AlignedFloats($0.values) }
        let outWidth = plan.columns.outputSize
        let sw = plan.columns.stride, left = plan.columns.padBefore
        inPlace = p == f.inputChannels
        if inPlace {
            let first = min(outWidth, (left + sw - 1) / sw)  // first x with x * sw - left >= 0
            let fit = plan.input.width - plan.columns.effectiveKernel + left  // x * sw <= fit stays inside
            let end = max(first, min(outWidth, fit >= 0 ? fit / sw + 1 : 0))
            interior = first..<end
            leftColumns = first > 0 ? (first - 1) * sw + plan.columns.effectiveKernel : 0
            rightStart = end < outWidth ? end * sw : paddedWidth
        } else {
            interior = 0..<0
            leftColumns = 0
            rightStart = paddedWidth
        }
        slotFloats = inPlace ? (leftColumns + paddedWidth - rightStart) * p : paddedWidth * p
        blocks = chosen != .broadcast && plan.bank.pointwise == nil && sw == 1 && plan.rows.stride == 1
            && plan.rows.dilation == 1 && 24 % p == 0
        let effective = plan.rows.effectiveKernel
        // Rows read by one block of output rows beyond the kernel's own.
        let extra = blocks ? EngineKernels.blockRows - 1 : 0
        let least = f.kernelHeight + extra
        ringSlots = effective * slotFloats <= 8 << 20 ? max(effective + extra, least) : least
        if plan.bank.pointwise != nil {
            let pixels = max(32, (4096 / cm) / 32 * 32)
            tilePixels = min(pixels, plan.columns.outputSize)
        } else {
            tilePixels = plan.columns.outputSize
        }
    }

    public init(input: TensorShape, bank: FilterBank) throws(FilterBankError) {
        self.init(plan: try ConvolutionPlan(input: input, bank: bank))
    }

    static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return a / x * b
    }

    /// Computes output rows `outputRows` of one image into `output` (which
    /// points at the first of those rows; rows are `W_out * K` floats).
    ///
    /// `input` must hold at least `plan.inputRows(forOutputRows: outputRows)`
    /// (which, under a non-zero border mode, includes the rows the padding
    /// maps to).
    public func computeRows(_ outputRows: Range<Int>, from input: InputBand,
                            into output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let needed = plan.inputRows(forOutputRows: outputRows)
        precondition(needed.isEmpty || (input.firstRow <= needed.lowerBound
                                         && needed.upperBound <= input.firstRow + input.rowCount),
                     "band rows \(input.firstRow)..<\(input.firstRow + input.rowCount) miss input rows \(needed)")
        precondition(workspace.rowFloats == max(1, slotFloats) && workspace.ringSlots == ringSlots,
                     "workspace made for another engine")
        let f = plan.bank.depthwise
        let kh = f.kernelHeight, kw = f.kernelWidth
        let cm = depthChannels
        let p = period
        let outWidth = plan.columns.outputSize
        let outChannels = plan.bank.outputChannels
        let outRowFloats = outWidth &* outChannels
        let sw = plan.columns.stride, dw = plan.columns.dilation
        let left = plan.columns.padBefore
        let width = plan.input.width
        let pointwise = plan.bank.pointwise
        let bias = plan.bank.bias
        // sources[0..<kh]: the rows for pixels before `interior` (or for the
        // whole row); [kh..<2kh]: in place, for `interior`; [2kh..<3kh]: after it.
        let sources = workspace.sources
        let weights = workspace.weights
        let twoPass = path == .rank1
        // The pixel ranges of a row and where their rows are in `sources`.
        var segments: [(pixels: Range<Int>, sources: Int)] = []
        if inPlace && !twoPass {
            segments = [(0..<interior.lowerBound, 0), (interior, kh), (interior.upperBound..<outWidth, 2 * kh)]
            segments.removeAll { $0.pixels.isEmpty }
        } else {
            segments = [(0..<outWidth, 0)]
        }
        // The same for blocks of rows, whose `n + kh - 1` rows a segment are
        // in `blockSources`, `blockSlots` apart.
        let blockSlots = kh &+ EngineKernels.blockRows &- 1
        let blockSegments = segments.map { (pixels: $0.pixels, sources: $0.sources / max(1, kh) * blockSlots) }
        // Padded rows are reused only within this call: the caller may refill
        // the same band memory with other rows (or another image) between calls.
        workspace.forgetRows()
        withExtendedLifetime(tiles) {
            let tileBase = UnsafePointer(tiles.base)
            var y = outputRows.lowerBound
            while y < outputRows.upperBound {
                if blocks {
                    let left = outputRows.upperBound &- y
                    let most = path == .rank1 ? EngineKernels.blockRows : EngineKernels.directBlockRows
                    let n = left >= most ? most : min(left, 2)
                    let rows = output + (y &- outputRows.lowerBound) &* outRowFloats
                    if path == .rank1 {
                        computeRank1Rows(y, count: n, from: input, into: rows, workspace: workspace, tiles: tileBase)
                    } else {
                        computeBlock(y, count: n, from: input, into: rows, segments: blockSegments,
                                     workspace: workspace, tiles: tileBase)
                    }
                    y &+= n
                    continue
                }
                defer { y &+= 1 }
                let outRow = output + (y &- outputRows.lowerBound) &* outRowFloats
                // Gather the rows this output row reads (zero rows are skipped).
                var rows = 0
                workspace.beginRow()
                for i in 0..<kh {
                    guard let r = plan.sourceRow(plan.rows.inputIndex(output: y, tap: i)) else { continue }
                    precondition(r >= input.firstRow && r < input.firstRow + input.rowCount,
                                 "input row \(r) is not in the band \(input.firstRow)..<\(input.firstRow + input.rowCount)")
                    let image = input.rows + (r &- input.firstRow) &* plan.input.rowCount
                    if inPlace && twoPass {
                        sources[rows] = image
                    } else if inPlace {
                        let strips = UnsafePointer(workspace.paddedRow(r, from: input, engine: self))
                        sources[rows] = strips
                        sources[kh &+ rows] = image - left &* p
                        sources[2 &* kh &+ rows] = strips + (leftColumns &- rightStart) &* p
                    } else {
                        sources[rows] = UnsafePointer(workspace.paddedRow(r, from: input, engine: self))
                    }
                    switch path {
                    case .direct: weights[rows] = tileBase + i &* kw &* tileStride
                    case .rank1: weights[rows] = tileBase + i &* tileStride
                    case .broadcast: weights[rows] = tileBase + i &* kw &* cm
                    }
                    rows &+= 1
                }
                if twoPass {
                    let scratch = workspace.scratchRow
                    if inPlace {
                        // Vertical pass over the image's columns, placed at their
                        // padded positions; the padding columns then copy the
                        // column the border maps them to (the pass is per column).
                        sweep(sources: sources, weights: weights, rows: rows, taps: 1, tapStride: 0,
                              tileLength: tileLength, tileStride: tileStride,
                              from: 0, count: width &* p, into: scratch + left &* p)
                        padColumns(of: scratch, columns: 0..<min(left, paddedWidth))
                        padColumns(of: scratch, columns: min(left &+ width, paddedWidth)..<paddedWidth)
                    } else {
                        // Vertical pass over the whole padded rows.
                        sweep(sources: sources, weights: weights, rows: rows, taps: 1, tapStride: 0,
                              tileLength: tileLength, tileStride: tileStride,
                              from: 0, count: paddedWidth &* p, into: scratch)
                    }
                    sources[0] = UnsafePointer(scratch)
                    weights[0] = tileBase + kh &* tileStride
                    rows = 1
                }
                for segment in segments {
                    var x0 = segment.pixels.lowerBound
                    while x0 < segment.pixels.upperBound {
                        let x1 = min(x0 &+ tilePixels, segment.pixels.upperBound)
                        let depth = pointwise == nil ? outRow + x0 &* cm : workspace.depthTile
                        depthwise(pixels: x0..<x1, rows: rows, taps: kw, into: depth,
                                  sources: sources + segment.sources, weights: weights, p: p, cm: cm, sw: sw, dw: dw,
                                  channels: f.inputChannels, multiplier: f.multiplier)
                        if let matrix = pointwiseMatrix {
                            EngineKernels.pointwise(workspace.depthTile, pixels: x1 &- x0, depth: cm,
                                                    matrix: matrix.base, outputs: outChannels,
                                                    into: workspace.pointTile)
                            (outRow + x0 &* outChannels).update(from: workspace.pointTile, count: (x1 &- x0) &* outChannels)
                        }
                        if let bias {
                            bias.withUnsafeBufferPointer { b in
                                EngineKernels.addBias(b.baseAddress!, channels: outChannels, pixels: x1 &- x0,
                                                      to: outRow + x0 &* outChannels)
                            }
                        }
                        x0 = x1
                    }
                }
            }
        }
    }

    /// Puts the `n + kh - 1` input rows that output rows `y ..< y + n` read
    /// (vertical stride and dilation 1) in `workspace.blockSources`, `nil` for
    /// a zero row. Rows in place: the image row itself, and with
    /// `edgeStrips` also its ring strips, as three segments `kh +
    /// blockRows - 1` slots apart (the left strips, the image row shifted to
    /// padded positions, the right strips). Otherwise the padded row from
    /// the ring, which holds a whole block's rows (`ringSlots`).
    private func gatherBlockRows(_ y: Int, count n: Int, from input: InputBand, workspace: Workspace, edgeStrips: Bool) {
        let kh = plan.bank.depthwise.kernelHeight
        let p = period
        let slots = kh &+ EngineKernels.blockRows &- 1
        let left = plan.columns.padBefore
        let sources = workspace.blockSources
        workspace.beginRow()
        let top = plan.rows.inputIndex(output: y, tap: 0)
        for u in 0..<(n &+ kh &- 1) {
            guard let r = plan.sourceRow(top &+ u) else {
                sources[u] = nil
                sources[slots &+ u] = nil
                sources[2 &* slots &+ u] = nil
                continue
            }
            precondition(r >= input.firstRow && r < input.firstRow + input.rowCount,
                         "input row \(r) is not in the band \(input.firstRow)..<\(input.firstRow + input.rowCount)")
            let image = input.rows + (r &- input.firstRow) &* plan.input.rowCount
            if inPlace && edgeStrips {
                let strips = UnsafePointer(workspace.paddedRow(r, from: input, engine: self))
                sources[u] = strips
                sources[slots &+ u] = image - left &* p
                sources[2 &* slots &+ u] = strips + (leftColumns &- rightStart) &* p
            } else if inPlace {
                sources[u] = image
            } else {
                sources[u] = UnsafePointer(workspace.paddedRow(r, from: input, engine: self))
            }
        }
    }

    /// Output rows `y ..< y + n` of the direct path (at `outRow` and the
    /// rows after it) with `EngineKernels.directBlock`, from the
    /// `n + kh - 1` padded rows they read.
    @inline(never)
    private func computeBlock(_ y: Int, count n: Int, from input: InputBand, into outRow: UnsafeMutablePointer<Float>,
                              segments: [(pixels: Range<Int>, sources: Int)],
                              workspace: Workspace, tiles tileBase: UnsafePointer<Float>) {
        let f = plan.bank.depthwise
        let kh = f.kernelHeight, kw = f.kernelWidth
        let p = period
        let outRowFloats = plan.columns.outputSize &* depthChannels
        gatherBlockRows(y, count: n, from: input, workspace: workspace, edgeStrips: true)
        let sources = workspace.blockSources
        for segment in segments {
            EngineKernels.directBlock(sources: sources + segment.sources, kernelRows: kh, outputs: n,
                                      weights: tileBase, rowStride: kw &* tileStride, taps: kw,
                                      tapStride: plan.columns.dilation &* p, tileLength: tileLength,
                                      tileStride: tileStride, period: p,
                                      from: segment.pixels.lowerBound &* p, count: segment.pixels.count &* p,
                                      into: outRow + segment.pixels.lowerBound &* p, outStride: outRowFloats)
        }
        if let bias = plan.bank.bias {
            bias.withUnsafeBufferPointer { b in
                EngineKernels.addBias(b.baseAddress!, channels: depthChannels, pixels: n &* plan.columns.outputSize, to: outRow)
            }
        }
    }

    /// Output rows `y ..< y + n` of a rank-1 bank (at `outRow` and the rows
    /// after it; vertical stride and dilation 1, a period dividing 24): the
    /// vertical pass of all `n` rows at once from the `n + kh - 1` rows they
    /// read (`EngineKernels.columnPass`) into the workspace's scratch rows,
    /// then each row's horizontal pass.
    @inline(never)
    private func computeRank1Rows(_ y: Int, count n: Int, from input: InputBand, into outRow: UnsafeMutablePointer<Float>,
                                  workspace: Workspace, tiles tileBase: UnsafePointer<Float>) {
        let f = plan.bank.depthwise
        let kh = f.kernelHeight, kw = f.kernelWidth
        let p = period
        let left = plan.columns.padBefore
        let width = plan.input.width
        let outWidth = plan.columns.outputSize
        let outRowFloats = outWidth &* depthChannels
        gatherBlockRows(y, count: n, from: input, workspace: workspace, edgeStrips: false)
        let sources = workspace.blockSources
        // The vertical pass fills scratch columns `first ..< last` (padded
        // positions): in place the image's columns, whose padding columns
        // then copy the column the border maps them to (the pass is per
        // column); otherwise the whole padded rows. It runs in chunks of
        // columns, each followed by the horizontal pass of the output pixels
        // it completes, so that both passes of a chunk meet in L1 (measured:
        // 32.8-33.7 ms against 33.4-33.9 for whole rows, one thread; the same
        // within noise on two).
        let scratch = workspace.scratchRow
        let scratchFloats = workspace.scratchFloats
        let first = inPlace ? left : 0
        let last = inPlace ? left &+ width : paddedWidth
        let reach = (kw &- 1) &* plan.columns.dilation  // output pixel x reads scratch columns x ... x + reach
        var done = first  // scratch columns computed: first ..< done
        var finished = 0  // output pixels written: 0 ..< finished
        func vertical(to end: Int) {
            guard end > done else { return }
            EngineKernels.columnPass(sources: sources, kernelRows: kh, outputs: n, weights: tileBase,
                                     tileStride: tileStride, period: p,
                                     from: (done &- first) &* p, count: (end &- done) &* p,
                                     into: scratch + done &* p, outStride: scratchFloats)
            done = end
        }
        func horizontal(to end: Int) {
            guard end > finished else { return }
            for r in 0..<n {
                workspace.sources[0] = UnsafePointer(scratch + r &* scratchFloats)
                workspace.weights[0] = tileBase + kh &* tileStride
                sweep(sources: workspace.sources, weights: workspace.weights, rows: 1, taps: kw,
                      tapStride: plan.columns.dilation &* p, tileLength: tileLength, tileStride: tileStride,
                      from: finished &* p, count: (end &- finished) &* p,
                      into: outRow + r &* outRowFloats + finished &* p)
            }
            finished = end
        }
        let leftPads = inPlace ? 0..<min(left, paddedWidth) : 0..<0
        let rightPads = inPlace ? min(left &+ width, paddedWidth)..<paddedWidth : 0..<0
        // The left padding columns need the columns they copy before any output.
        var needed = first
        for px in leftPads {
            if let ix = plan.border.sourceIndex(px &- left, size: width) { needed = max(needed, ix &+ left &+ 1) }
        }
        vertical(to: min(last, max(needed, first &+ rank1ChunkColumns)))
        for r in 0..<n { padColumns(of: scratch + r &* scratchFloats, columns: leftPads) }
        while done < last {
            vertical(to: min(last, done &+ rank1ChunkColumns))
            // Whole blocks of 32 pixels, so the sweep's wide blocks line up.
            horizontal(to: min(outWidth, max(0, done &- reach) / 32 &* 32))
        }
        for r in 0..<n { padColumns(of: scratch + r &* scratchFloats, columns: rightPads) }
        horizontal(to: outWidth)
        if let bias = plan.bank.bias {
            bias.withUnsafeBufferPointer { b in
                EngineKernels.addBias(b.baseAddress!, channels: depthChannels, pixels: n &* outWidth, to: outRow)
            }
        }
    }

    /// Columns per chunk of `computeRank1Rows`: four scratch rows of about
    /// 1536 floats (24 KiB) stay in L1 between the two passes.
    var rank1ChunkColumns: Int { max(32, 1536 / period) }

    /// Fills padded columns `columns` of a row whose image columns are in
    /// place (image column `ix` at padded column `ix + padLeft`) with the
    /// column the border mode maps each to, or zeros.
    private func padColumns(of row: UnsafeMutablePointer<Float>, columns: Range<Int>) {
        let p = period, left = plan.columns.padBefore
        for px in columns {
            if let ix = plan.border.sourceIndex(px - left, size: plan.input.width) {
                (row + px &* p).update(from: row + (ix &+ left) &* p, count: p)
            } else {
                (row + px &* p).update(repeating: 0, count: p)
            }
        }
    }

    /// The depthwise values of output pixels `pixels` of the current row into
    /// `out` (`C * M` floats a pixel), from the gathered `sources`/`weights`.
    @inline(__always)
    private func depthwise(pixels: Range<Int>, rows: Int, taps: Int, into out: UnsafeMutablePointer<Float>,
                           sources: UnsafePointer<UnsafePointer<Float>>,
                           weights: UnsafePointer<UnsafePointer<Float>>,
                           p: Int, cm: Int, sw: Int, dw: Int, channels: Int, multiplier: Int) {
        switch path {
        case .broadcast:
            EngineKernels.broadcastSweep(sources: sources, weights: weights, rows: rows, taps: taps,
                                         tapStride: dw &* p, channels: channels, multiplier: multiplier,
                                         pixelStride: sw &* p, pixels: pixels, into: out)
        case .direct, .rank1:
            if sw == 1 {
                sweep(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: dw &* p,
                                    tileLength: tileLength, tileStride: tileStride,
                                    from: pixels.lowerBound &* p, count: pixels.count &* p, into: out)
            } else {
                EngineKernels.stridedSweep(sources: sources, weights: weights, rows: rows, taps: taps,
                                           tapStride: dw &* p, tileStride: tileStride, period: p,
                                           pixelStride: sw &* p, pixels: pixels, into: out)
            }
        }
    }

    /// `EngineKernels.sweep`, or its faster form when the period divides 24
    /// (AVX2+FMA build only: on the portable build `sweep24`'s six and twelve
    /// eight-lane accumulators spill from SSE2's sixteen four-lane registers,
    /// and plain `sweep` measured faster: rank-1 7x7 29.4-30.8 ms against
    /// 31.4-32.2, separable 87-90 against 92-93, alternating runs).
    @inline(__always)
    private func sweep(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                       rows: Int, taps: Int, tapStride: Int, tileLength: Int, tileStride: Int,
                       from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        #if FILTERBANK_FMA
        if 24 % period == 0 {
            EngineKernels.sweep24(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
                                  tileLength: tileLength, tileStride: tileStride, from: t0, count: count, into: out)
            return
        }
        #endif
        EngineKernels.sweep(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
                            tileLength: tileLength, tileStride: tileStride, from: t0, count: count, into: out)
    }

    /// Per-worker scratch: the ring of padded rows, the rank-1 scratch row,
    /// the depthwise tile of a separable bank, and the row/weight pointer
    /// lists. Allocated once per worker (or band), never per row or pixel;
    /// not shared between threads.
    public final class Workspace {
        let rowFloats: Int
        let ringSlots: Int
        let ring: UnsafeMutablePointer<Float>
        /// Image row held by each slot (-1: none), and when it was last used.
        let tags: UnsafeMutablePointer<Int>
        let stamps: UnsafeMutablePointer<Int>
        var clock = 0
        /// The rank-1 scratch rows (`EngineKernels.blockRows`, one per row of a block), `scratchFloats` each.
        let scratchRow: UnsafeMutablePointer<Float>
        let scratchFloats: Int
        let depthTile: UnsafeMutablePointer<Float>
        let pointTile: UnsafeMutablePointer<Float>
        let sources: UnsafeMutablePointer<UnsafePointer<Float>>
        let weights: UnsafeMutablePointer<UnsafePointer<Float>>
        /// The `n + kh - 1` rows of a block of `n` output rows, per segment
        /// (`kh + blockRows - 1` slots each; nil: a zero row).
        let blockSources: UnsafeMutablePointer<UnsafePointer<Float>?>

        public init(engine: ConvolutionEngine) {
            rowFloats = max(1, engine.slotFloats)
            ringSlots = engine.ringSlots
            ring = .allocate(capacity: ringSlots * rowFloats)
            tags = .allocate(capacity: ringSlots)
            tags.initialize(repeating: -1, count: ringSlots)
            stamps = .allocate(capacity: ringSlots)
            stamps.initialize(repeating: 0, count: ringSlots)
            let plan = engine.plan
            scratchFloats = engine.path != .rank1 ? 1
                : max(engine.paddedWidth, plan.columns.padBefore + plan.input.width) * engine.period
            scratchRow = .allocate(capacity: EngineKernels.blockRows * scratchFloats)
            depthTile = .allocate(capacity: plan.bank.pointwise == nil ? 1 : engine.tilePixels * engine.depthChannels)
            pointTile = .allocate(capacity: plan.bank.pointwise == nil ? 1 : engine.tilePixels * plan.bank.outputChannels)
            let kh = plan.bank.depthwise.kernelHeight
            sources = .allocate(capacity: 3 * kh)
            weights = .allocate(capacity: kh)
            blockSources = .allocate(capacity: 3 * (kh + EngineKernels.blockRows - 1))
        }

        deinit {
            ring.deallocate()
            tags.deallocate()
            stamps.deallocate()
            scratchRow.deallocate()
            depthTile.deallocate()
            pointTile.deallocate()
            sources.deallocate()
            weights.deallocate()
            blockSources.deallocate()
        }

        /// Empties the ring.
        func forgetRows() { tags.update(repeating: -1, count: ringSlots) }

        /// Starts gathering the rows of a new output row: rows taken from now
        /// on stay in the ring until the next call.
        func beginRow() { clock &+= 1 }

        /// Image row `r` padded (border values in the padding columns): found
        /// in the ring, or expanded into the least recently used slot that the
        /// current output row does not use. With `ringSlots >= kh` such a slot
        /// always exists.
        func paddedRow(_ r: Int, from input: InputBand, engine: ConvolutionEngine) -> UnsafeMutablePointer<Float> {
            var victim = -1
            for s in 0..<ringSlots {
                if tags[s] == r {
                    stamps[s] = clock
                    return ring + s &* rowFloats
                }
                if stamps[s] != clock && (victim < 0 || stamps[s] < stamps[victim]) { victim = s }
            }
            precondition(victim >= 0, "ring too small")
            tags[victim] = r
            stamps[victim] = clock
            let row = ring + victim &* rowFloats
            engine.expand(row: r, from: input, into: row)
            return row
        }
    }

    /// Builds ring slot `row` for image row `r`. In place (`P == C`): the
    /// left strip (padded columns `0..<leftColumns`) then the right strip
    /// (`rightStart..<paddedWidth`). Otherwise the whole padded row of
    /// `paddedWidth * P` floats, each channel repeated M times. Padded column
    /// `px` holds input column `px - padLeft` mapped by the border mode
    /// (zeros where it maps to nothing).
    func expand(row r: Int, from input: InputBand, into row: UnsafeMutablePointer<Float>) {
        precondition(r >= input.firstRow && r < input.firstRow + input.rowCount,
                     "input row \(r) is not in the band \(input.firstRow)..<\(input.firstRow + input.rowCount)")
        let channels = plan.input.channels
        let width = plan.input.width
        let m = plan.bank.depthwise.multiplier
        let p = period
        let left = plan.columns.padBefore
        let src = input.rows + (r - input.firstRow) &* plan.input.rowCount
        let border = plan.border
        func copyPixel(_ ix: Int, to d: UnsafeMutablePointer<Float>) {
            if p == channels {
                d.update(from: src + ix &* channels, count: channels)
            } else {
                for c in 0..<channels {
                    let v = src[ix &* channels &+ c]
                    for k in 0..<m { d[c &* m &+ k] = v }
                }
            }
        }
        /// Padded columns `columns`, written from `base` (which stands for padded column 0).
        func padColumns(_ columns: Range<Int>, base: UnsafeMutablePointer<Float>) {
            for px in columns {
                let d = base + px &* p
                if let ix = border.sourceIndex(px - left, size: width) {
                    copyPixel(ix, to: d)
                } else {
                    d.update(repeating: 0, count: p)
                }
            }
        }
        if inPlace {
            padColumns(0..<leftColumns, base: row)
            padColumns(rightStart..<paddedWidth, base: row + (leftColumns &- rightStart) &* p)
            return
        }
        // Columns [interiorStart, interiorEnd) read the image directly.
        let interiorStart = min(max(left, 0), paddedWidth)
        let interiorEnd = max(interiorStart, min(left + width, paddedWidth))
        padColumns(0..<interiorStart, base: row)
        padColumns(interiorEnd..<paddedWidth, base: row)
        for px in interiorStart..<interiorEnd { copyPixel(px - left, to: row + px &* p) }
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

public enum Convolution {
    /// Applies `bank` to `input` with the fast engine (validating shapes first).
    public static func apply(_ bank: FilterBank, to input: Tensor, parallel: Bool = true) throws(FilterBankError) -> Tensor {
        try ConvolutionEngine(input: input.shape, bank: bank).apply(to: input, parallel: parallel)
    }
}

/// Weights in memory aligned to 64 bytes, written once at init and only
/// read after. A `[Float]`'s elements start 32 bytes into a 16-byte-aligned
/// allocation, so half the time every third eight-float weight load split a
/// cache line: the 7x7 benchmark row measured 47 ms or 55 ms depending on
/// where the heap put the array.
final class AlignedFloats: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(1, count))
        base.initialize(repeating: 0, count: max(1, count))
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: count) }
    }

    deinit {
        base.deallocate()
    }
}
