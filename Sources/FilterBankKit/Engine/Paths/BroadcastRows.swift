/// The broadcast path, for a multiplier that is a multiple of 8: rows read
/// in place (`P = C`, no expansion), each input sample broadcast against the
/// vector of its M kernels' weights (`EngineKernels.broadcastSweep`), so an
/// M-fold expanded row never exists.
struct BroadcastRows: DepthwiseRowPath {
    /// The filter's own values, `[kh, kw, C, M]`.
    let weights: FrozenFloats
    let layout: RowLayout
    let kernelWidth: Int
    let channels: Int
    let multiplier: Int
    let tapStride: Int
    let pixelStride: Int
    let level: InstructionSet
    var blockRows: Int { 1 }
    var scratchFloats: Int { 0 }
    var pixelRuns: [Range<Int>] { layout.segments.map(\.pixels) }

    init(filter f: DepthwiseFilter, layout: RowLayout, columns: AxisGeometry, level: InstructionSet) {
        precondition(f.multiplier % 8 == 0 && layout.period == f.inputChannels)
        weights = FrozenFloats(f.values)
        self.layout = layout
        kernelWidth = f.kernelWidth
        channels = f.inputChannels
        multiplier = f.multiplier
        tapStride = columns.dilation * layout.period
        pixelStride = columns.stride * layout.period
        self.level = level
    }

    func compute(_ rows: GatheredRows, count: Int, into out: UnsafeMutablePointer<Float>,
                 workspace: ConvolutionEngine.Workspace) {
        computeRow(rows, pixels: layout.outputWidth, into: out, workspace: workspace)
    }

    func beginRow(_ rows: GatheredRows, workspace: ConvolutionEngine.Workspace) {
        // Kernel row i's weights: [kw, C, M] from tap (i, 0).
        workspace.pack(rows, weights: weights.base, weightStride: kernelWidth &* channels &* multiplier)
    }

    func depthwise(_ pixels: Range<Int>, workspace: ConvolutionEngine.Workspace, into out: UnsafeMutablePointer<Float>) {
        let cm = channels &* multiplier
        for segment in layout.segments {
            let part = segment.pixels.clamped(to: pixels)
            guard !part.isEmpty else { continue }
            EngineKernels.broadcastSweep(sources: workspace.packed(segment.view), weights: workspace.packedWeights,
                                         rows: workspace.packedCount, taps: kernelWidth, tapStride: tapStride,
                                         channels: channels, multiplier: multiplier, pixelStride: pixelStride,
                                         pixels: part, into: out + (part.lowerBound &- pixels.lowerBound) &* cm,
                                         level: level)
        }
    }
}
