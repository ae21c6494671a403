/// The direct path: every tap of the kernel, over rows of `P` floats a pixel
/// (`P = C` in place when M is 1, `P = C * M` expanded otherwise):
///
///     out[t] = sum_{i, j} row_i[t + j * dw * P] * tile(i, j)[t mod P]
///
/// a contiguous sweep along each padded row for width stride 1
/// (`EngineKernels.sweepRow`), pixel by pixel otherwise (`stridedSweep`).
/// With vertical stride and dilation 1 and a period dividing 24, several
/// output rows are computed at once so that each input load feeds all of
/// them (`EngineKernels.directBlock`).
struct DirectRows: DepthwiseRowPath {
    let tiles: WeightTiles
    let layout: RowLayout
    let kernelHeight: Int
    let kernelWidth: Int
    /// Floats between a row's taps: `dw * P`.
    let tapStride: Int
    /// Floats between output pixels on the padded row: `sw * P`.
    let pixelStride: Int
    /// 1 (`stridedSweep` or `sweepRow`), else the block kernel's rows.
    let blockRows: Int
    /// Whether the blocks may write with non-temporal stores when the
    /// workspace asks (`ConvolutionEngine.streamingThreshold`): kernels of at
    /// most 9 taps, whose few multiply-adds a value leave the memory traffic
    /// to set the time: there the stores took 0.90-0.93 of the time on a
    /// 12 MP photo with two cores. With more taps the arithmetic sets it, and
    /// in the same runs 5x5 and 7x7 kernels gained nothing beyond the runs'
    /// spread (about 10 %), so they keep ordinary stores.
    let streams: Bool
    let level: InstructionSet
    var scratchFloats: Int { 0 }
    var pixelRuns: [Range<Int>] { layout.segments.map(\.pixels) }
    private var period: Int { layout.period }

    /// Tap `(i, j)`'s tile is tile `i * kw + j`; `blocks` when the step may be a block of rows.
    init(filter f: DepthwiseFilter, layout: RowLayout, columns: AxisGeometry, blocks: Bool, level: InstructionSet) {
        let cm = f.outputChannels
        tiles = WeightTiles(period: layout.period, count: f.kernelHeight * f.kernelWidth) { tap, k in f.values[tap * cm + k] }
        self.layout = layout
        kernelHeight = f.kernelHeight
        kernelWidth = f.kernelWidth
        tapStride = columns.dilation * layout.period
        pixelStride = columns.stride * layout.period
        blockRows = blocks ? EngineKernels.directBlockRows(level) : 1
        streams = f.kernelHeight * f.kernelWidth <= 9
        self.level = level
    }

    func compute(_ rows: GatheredRows, count: Int, into out: UnsafeMutablePointer<Float>,
                 workspace: ConvolutionEngine.Workspace) {
        guard blockRows > 1 else {
            return computeRow(rows, pixels: layout.outputWidth, into: out, workspace: workspace)
        }
        let rowFloats = layout.outputWidth &* period
        for segment in layout.segments {
            EngineKernels.directBlock(sources: rows.view(segment.view), kernelRows: kernelHeight,
                                      outputs: count, weights: tiles.base, rowStride: kernelWidth &* tiles.tileStride,
                                      taps: kernelWidth, tapStride: tapStride, tileLength: tiles.tileLength,
                                      tileStride: tiles.tileStride, period: period,
                                      from: segment.pixels.lowerBound &* period, count: segment.pixels.count &* period,
                                      into: out + segment.pixels.lowerBound &* period, outStride: rowFloats,
                                      level: level, stream: streams && workspace.streamsOutput)
        }
    }

    func beginRow(_ rows: GatheredRows, workspace: ConvolutionEngine.Workspace) {
        workspace.pack(rows, weights: tiles.base, weightStride: kernelWidth &* tiles.tileStride)
    }

    func depthwise(_ pixels: Range<Int>, workspace: ConvolutionEngine.Workspace, into out: UnsafeMutablePointer<Float>) {
        for segment in layout.segments {
            let part = segment.pixels.clamped(to: pixels)
            guard !part.isEmpty else { continue }
            let sources = workspace.packed(segment.view)
            let target = out + (part.lowerBound &- pixels.lowerBound) &* period
            if pixelStride == period {
                EngineKernels.sweepRow(sources: sources, weights: workspace.packedWeights, rows: workspace.packedCount,
                                       taps: kernelWidth, tapStride: tapStride, period: period,
                                       tileLength: tiles.tileLength, tileStride: tiles.tileStride,
                                       from: part.lowerBound &* period, count: part.count &* period, into: target,
                                       level: level)
            } else {
                EngineKernels.stridedSweep(sources: sources, weights: workspace.packedWeights, rows: workspace.packedCount,
                                           taps: kernelWidth, tapStride: tapStride, tileStride: tiles.tileStride,
                                           period: period, pixelStride: pixelStride, pixels: part, into: target)
            }
        }
    }
}
