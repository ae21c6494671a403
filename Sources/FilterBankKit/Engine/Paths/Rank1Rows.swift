/// The rank-1 path, for banks whose every kernel is a column times a row
/// (Gaussian, box, Sobel, any kernel within `ConvolutionEngine.rank1Tolerance`):
/// a vertical `kh x 1` pass into a scratch row of padded columns, then a
/// horizontal `1 x kw` pass over it, `kh + kw` multiply-adds a value instead
/// of `kh * kw`.
///
/// Rows in place (`P = C`) are read over the image's columns only; the
/// scratch row's padding columns then take the values of the columns the
/// border mode maps them to (the vertical pass works column by column, so
/// that is the same as padding first). Expanded rows are read whole.
///
/// In blocks (vertical stride and dilation 1, a period dividing 24), the
/// vertical pass computes `EngineKernels.blockRows` output rows at once
/// (`EngineKernels.columnPass`), in chunks of columns, each followed by the
/// horizontal pass of the pixels it completes, so that both passes of a
/// chunk meet in L1.
struct Rank1Rows: DepthwiseRowPath {
    /// Columns per chunk of a block: four scratch rows of about 1536 floats
    /// (24 KiB) stay in a 32 KiB L1 data cache between the two passes.
    static let chunkFloats = 1536

    /// Tiles `0..<kh`: the columns' taps; tiles `kh..<kh + kw`: the rows' taps.
    let tiles: WeightTiles
    let layout: RowLayout
    /// Pads the scratch rows, as it pads input rows.
    let gatherer: RowGatherer
    let kernelHeight: Int
    let kernelWidth: Int
    let tapStride: Int
    let pixelStride: Int
    let blockRows: Int
    let level: InstructionSet
    /// The scratch columns the vertical pass computes: the image's (in place)
    /// or all of them (expanded).
    let computed: Range<Int>
    /// The scratch columns copied from the columns the border maps them to (in place).
    let leftPads: Range<Int>
    let rightPads: Range<Int>
    /// Floats of one scratch row, room for the padded row and for every image column.
    let scratchRowFloats: Int
    var scratchFloats: Int { blockRows * scratchRowFloats }
    /// The horizontal pass reads the scratch row, padded everywhere: one run.
    var pixelRuns: [Range<Int>] { [0..<layout.outputWidth] }

    init(factors: [KernelFactorization], layout: RowLayout, gatherer: RowGatherer, blocks: Bool,
         level: InstructionSet) {
        self.level = level
        let plan = gatherer.plan
        let kh = plan.bank.depthwise.kernelHeight
        tiles = WeightTiles(period: layout.period, count: kh + plan.bank.depthwise.kernelWidth) { tile, k in
            tile < kh ? factors[k].column[tile] : factors[k].row[tile - kh]
        }
        self.layout = layout
        self.gatherer = gatherer
        kernelHeight = kh
        kernelWidth = plan.bank.depthwise.kernelWidth
        tapStride = plan.columns.dilation * layout.period
        pixelStride = plan.columns.stride * layout.period
        blockRows = blocks ? EngineKernels.blockRows : 1
        let padLeft = plan.columns.padBefore, width = plan.input.width
        if layout.storage == .expanded {
            computed = 0..<layout.paddedWidth
            leftPads = 0..<0
            rightPads = 0..<0
        } else {
            computed = padLeft..<(padLeft + width)
            leftPads = 0..<min(padLeft, layout.paddedWidth)
            rightPads = min(padLeft + width, layout.paddedWidth)..<layout.paddedWidth
        }
        scratchRowFloats = max(layout.paddedWidth, padLeft + width) * layout.period
    }

    private var period: Int { layout.period }
    private var columnTiles: UnsafePointer<Float> { tiles.base }
    private var rowTiles: UnsafePointer<Float> { tiles.base + kernelHeight &* tiles.tileStride }

    /// The scratch row's padding columns, from its own image columns.
    private func pad(_ row: UnsafeMutablePointer<Float>, columns: Range<Int>) {
        gatherer.fillPadding(columns: columns, of: row, from: row + gatherer.plan.columns.padBefore &* period)
    }

    // MARK: Row by row

    func beginRow(_ rows: GatheredRows, workspace: ConvolutionEngine.Workspace) {
        let scratch = workspace.scratch
        workspace.pack(rows, weights: columnTiles, weightStride: tiles.tileStride)
        EngineKernels.sweepRow(sources: workspace.packed(.image), weights: workspace.packedWeights,
                               rows: workspace.packedCount, taps: 1, tapStride: 0, period: period,
                               tileLength: tiles.tileLength, tileStride: tiles.tileStride,
                               from: computed.lowerBound &* period, count: computed.count &* period,
                               into: scratch + computed.lowerBound &* period, level: level)
        pad(scratch, columns: leftPads)
        pad(scratch, columns: rightPads)
        workspace.pack(row: scratch, weights: rowTiles)
    }

    func depthwise(_ pixels: Range<Int>, workspace: ConvolutionEngine.Workspace, into out: UnsafeMutablePointer<Float>) {
        if pixelStride == period {
            EngineKernels.sweepRow(sources: workspace.packed(.image), weights: workspace.packedWeights, rows: 1,
                                   taps: kernelWidth, tapStride: tapStride, period: period,
                                   tileLength: tiles.tileLength, tileStride: tiles.tileStride,
                                   from: pixels.lowerBound &* period, count: pixels.count &* period, into: out,
                                   level: level)
        } else {
            EngineKernels.stridedSweep(sources: workspace.packed(.image), weights: workspace.packedWeights, rows: 1,
                                       taps: kernelWidth, tapStride: tapStride, tileStride: tiles.tileStride,
                                       period: period, pixelStride: pixelStride, pixels: pixels, into: out)
        }
    }

    // MARK: Blocks

    func compute(_ rows: GatheredRows, count n: Int, into out: UnsafeMutablePointer<Float>,
                 workspace: ConvolutionEngine.Workspace) {
        guard blockRows > 1 else { return computeRow(rows, pixels: layout.outputWidth, into: out, workspace: workspace) }
        let scratch = workspace.scratch
        let outWidth = layout.outputWidth
        let outRowFloats = outWidth &* period
        let chunkColumns = max(WeightTiles.sweepBlock, Self.chunkFloats / period)
        // Output pixel x reads scratch columns x ... x + reach (width stride 1 in blocks).
        let reach = (kernelWidth &- 1) &* (tapStride / period)
        var done = computed.lowerBound  // scratch columns computed: computed.lowerBound ..< done
        var finished = 0                // output pixels written: 0 ..< finished
        func vertical(to end: Int) {
            guard end > done else { return }
            EngineKernels.columnPass(sources: rows.view(.image), kernelRows: kernelHeight, outputs: n,
                                     weights: columnTiles, tileStride: tiles.tileStride, period: period,
                                     from: done &* period, count: (end &- done) &* period,
                                     into: scratch + done &* period, outStride: scratchRowFloats, level: level)
            done = end
        }
        func horizontal(to end: Int) {
            guard end > finished else { return }
            for r in 0..<n {
                workspace.pack(row: scratch + r &* scratchRowFloats, weights: rowTiles)
                EngineKernels.sweepRow(sources: workspace.packed(.image), weights: workspace.packedWeights, rows: 1,
                                       taps: kernelWidth, tapStride: tapStride, period: period,
                                       tileLength: tiles.tileLength, tileStride: tiles.tileStride,
                                       from: finished &* period, count: (end &- finished) &* period,
                                       into: out + r &* outRowFloats + finished &* period, level: level)
            }
            finished = end
        }
        // The left padding columns copy columns that must be computed first.
        var needed = computed.lowerBound
        let padLeft = gatherer.plan.columns.padBefore, width = gatherer.plan.input.width
        for px in leftPads {
            if let ix = gatherer.plan.border.sourceIndex(px &- padLeft, size: width) { needed = max(needed, ix &+ padLeft &+ 1) }
        }
        vertical(to: min(computed.upperBound, max(needed, computed.lowerBound &+ chunkColumns)))
        for r in 0..<n { pad(scratch + r &* scratchRowFloats, columns: leftPads) }
        while done < computed.upperBound {
            vertical(to: min(computed.upperBound, done &+ chunkColumns))
            // Whole blocks of 32 pixels, so that `sweep`'s 32-float blocks line up.
            horizontal(to: min(outWidth, max(0, done &- reach) / 32 &* 32))
        }
        for r in 0..<n { pad(scratch + r &* scratchRowFloats, columns: rightPads) }
        horizontal(to: outWidth)
    }
}
