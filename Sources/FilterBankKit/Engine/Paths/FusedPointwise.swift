/// A separable bank: the depthwise step of another path, over spans of
/// pixels whose `C * M` values stay in L1, each followed at once by the
/// pointwise step as a blocked matrix product (`EngineKernels.pointwise`),
/// so that the depthwise result never exists beyond one span. Each span's
/// result goes to scratch and is copied out whole, which measured faster
/// than writing it in place (docs/performance.md).
struct FusedPointwise: RowPath {
    /// Depthwise floats per span: 16 KiB, so that a span's depthwise values,
    /// its outputs and the weights share a 32 KiB L1 data cache.
    static let spanFloats = 4096

    let depthwise: any DepthwiseRowPath
    /// The depthwise path's runs of pixels, each cut into spans.
    let runs: [Range<Int>]
    /// `[C * M, O]`, row-major.
    let matrix: FrozenFloats
    let depth: Int
    let outputs: Int
    let outputWidth: Int
    /// Pixels per span: a multiple of 32, so that spans end where `sweep`'s
    /// 32-float blocks end, whatever `C * M` (see `DepthwiseRowPath.pixelRuns`).
    let spanPixels: Int
    /// Where the span's depthwise values and its outputs are, in the
    /// workspace's scratch (after the depthwise path's own, 64-byte aligned).
    let depthOffset: Int
    let outputOffset: Int
    let level: InstructionSet
    var blockRows: Int { 1 }
    var scratchFloats: Int { outputOffset + spanPixels * outputs }

    init(depthwise: any DepthwiseRowPath, pointwise: PointwiseFilter, depth: Int, outputWidth: Int,
         level: InstructionSet) {
        self.level = level
        self.depthwise = depthwise
        runs = depthwise.pixelRuns
        matrix = FrozenFloats(pointwise.values)
        self.depth = depth
        outputs = pointwise.outputChannels
        self.outputWidth = outputWidth
        spanPixels = min(max(32, Self.spanFloats / depth / 32 * 32), outputWidth)
        func aligned(_ floats: Int) -> Int { (floats + 15) / 16 * 16 }
        depthOffset = aligned(depthwise.scratchFloats)
        outputOffset = aligned(depthOffset + spanPixels * depth)
    }

    func compute(_ rows: GatheredRows, count: Int, into out: UnsafeMutablePointer<Float>,
                 workspace: ConvolutionEngine.Workspace) {
        let depthSpan = workspace.scratch + depthOffset, outputSpan = workspace.scratch + outputOffset
        depthwise.beginRow(rows, workspace: workspace)
        for run in runs {
            var x0 = run.lowerBound
            while x0 < run.upperBound {
                let x1 = min(x0 &+ spanPixels, run.upperBound)
                depthwise.depthwise(x0..<x1, workspace: workspace, into: depthSpan)
                EngineKernels.pointwise(depthSpan, pixels: x1 &- x0, depth: depth, matrix: matrix.base,
                                        outputs: outputs, into: outputSpan, level: level)
                (out + x0 &* outputs).update(from: outputSpan, count: (x1 &- x0) &* outputs)
                x0 = x1
            }
        }
    }
}
