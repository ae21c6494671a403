/// One way of computing output rows from the padded input rows they read,
/// chosen once when the engine is planned (see `ConvolutionEngine.init`):
/// `DirectRows`, `BroadcastRows` or `Rank1Rows` for a depthwise bank, and
/// `FusedPointwise` around one of them for a separable bank. Each has a
/// plain reference beside it, `ReferenceConvolution`, and property tests
/// between the two.
///
/// The engine gathers the input rows of each step (`RowGatherer`), calls
/// `compute`, then adds the bank's bias. Paths never allocate: what they
/// need beyond the gathered rows is the workspace's scratch, which they size.
protocol RowPath: Sendable {
    /// The most output rows one `compute` takes: rows computed together share
    /// their input loads (1 for a path that works row by row).
    var blockRows: Int { get }
    /// Floats of workspace scratch the path uses.
    var scratchFloats: Int { get }
    /// Output rows `0..<count` of a step, from the input rows they read,
    /// into `out` (rows `W_out * K` floats apart).
    func compute(_ rows: GatheredRows, count: Int, into out: UnsafeMutablePointer<Float>,
                 workspace: ConvolutionEngine.Workspace)
}

/// A depthwise path that can also compute one output row span by span, which
/// `FusedPointwise` needs: `beginRow` once for the row, then `depthwise` for
/// each span of pixels.
protocol DepthwiseRowPath: RowPath {
    /// The output pixels of a row as runs that each read one view of the
    /// rows (see `RowLayout.segments`). Spans are cut within a run, from its
    /// start, so that a span's sweep starts where the run's does and its
    /// length is a whole number of `sweep`'s 32-float blocks (`sweep12`'s
    /// 36-float blocks divide it only for some periods; it sweeps the rest
    /// with `sweep`).
    var pixelRuns: [Range<Int>] { get }
    func beginRow(_ rows: GatheredRows, workspace: ConvolutionEngine.Workspace)
    /// The `C * M` depthwise values of output pixels `pixels` of the row
    /// begun, into `out` (the first pixel's values at `out`).
    func depthwise(_ pixels: Range<Int>, workspace: ConvolutionEngine.Workspace, into out: UnsafeMutablePointer<Float>)
}

extension DepthwiseRowPath {
    /// Row by row: the whole row as one span.
    func computeRow(_ rows: GatheredRows, pixels: Int, into out: UnsafeMutablePointer<Float>,
                    workspace: ConvolutionEngine.Workspace) {
        beginRow(rows, workspace: workspace)
        depthwise(0..<pixels, workspace: workspace, into: out)
    }
}

/// Weights laid out for the sweeps (`EngineKernels.sweep`): one *tile* per
/// kernel tap, each tap's `P` per-channel weights repeated along the tile,
/// so that the weights of any run of the row are a run of the tile, with no
/// index arithmetic (no `t mod P`) in the inner loop.
struct WeightTiles: Sendable {
    /// The block the portable `sweep` steps by: tiles repeat over a multiple of it.
    static let sweepBlock = 32
    /// Floats a sweep reads at once past its phase: its widest block (the
    /// AVX-512 `sweep`'s four 16-lane vectors).
    static let widestRead = 64
    /// A multiple of both the period and `sweepBlock`: the tile repeats with
    /// this length, so a block that starts at phase `t mod tileLength` reads
    /// the right weights.
    let tileLength: Int
    /// Floats from one tile to the next: `tileLength + widestRead`, so that a
    /// block starting at any phase below `tileLength` stays in its tile.
    let tileStride: Int
    /// `count` tiles, tile `i` at `base + i * tileStride`.
    let storage: FrozenFloats
    var base: UnsafePointer<Float> { storage.base }

    /// `count` tiles of period `p`; value `k` of tile `i` is `weight(i, k)`.
    init(period p: Int, count: Int, weight: (_ tile: Int, _ k: Int) -> Float) {
        var (a, b) = (p, Self.sweepBlock)
        while b != 0 { (a, b) = (b, a % b) }
        tileLength = p / a * Self.sweepBlock
        tileStride = tileLength + Self.widestRead
        var values = [Float](repeating: 0, count: max(1, count * tileStride))
        for tile in 0..<count {
            for t in 0..<tileStride { values[tile * tileStride + t] = weight(tile, t % p) }
        }
        storage = FrozenFloats(values)
    }
}
