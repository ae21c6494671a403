/// The fast convolution engine: computes any range of output rows of one image
/// from the input rows they need.
///
/// Planning (`init`) chooses how, once:
/// 1. The *path* (`Path`, implemented by a `RowPath`): `direct` sweeps every
///    tap (`DirectRows`); `broadcast`, for a multiplier that is a multiple of
///    8, broadcasts each input sample against its M kernels (`BroadcastRows`);
///    `rank1`, when every kernel is a column times a row, makes a vertical
///    then a horizontal pass (`Rank1Rows`). A separable bank runs its
///    depthwise path span by span with the pointwise step fused behind it
///    (`FusedPointwise`).
/// 2. The *row layout* (`RowLayout`): input rows are read in place (`P = C`
///    floats a pixel) with only their padding columns built, or expanded
///    into padded rows of `C * M` floats a pixel.
///
/// `computeRows` then walks the output rows in steps: one row, or a block of
/// rows that share their input loads. For each step the `RowGatherer` finds
/// the padded input rows it reads (building padding in the workspace's ring,
/// at most once per row), the path computes the step, and the bias is added.
/// Nothing is allocated per row or pixel.
///
/// `apply` splits the output rows of every image of a batch into bands for
/// the cores (`Parallel.forEach`), each worker with one `Workspace`.
///
/// The result agrees with `ReferenceConvolution` to float32 rounding (tests
/// check every path on random shapes, strides, dilations, paddings, border
/// modes and bands). A band's rows are bit-identical to the same rows
/// computed as part of the whole image: rows computed alone or in blocks add
/// their terms in the same order.
public struct ConvolutionEngine: Sendable {
    /// How the depthwise step is computed.
    public enum Path: String, Sendable {
        /// Every tap of every kernel, along contiguous padded rows.
        case direct
        /// Each input sample against the weight vector of its M kernels (M a multiple of 8).
        case broadcast
        /// A vertical pass, then a horizontal one (every kernel a column times a row).
        case rank1
    }

    public let plan: ConvolutionPlan
    /// The depthwise path chosen.
    public let path: Path
    /// The instruction-set level whose kernels run (`InstructionSet.current` unless asked).
    public let instructionSet: InstructionSet
    /// What computes each step of output rows.
    let rowPath: any RowPath
    /// Finds the padded input rows of each step.
    let gatherer: RowGatherer
    /// The bank's bias, one value per output channel.
    let bias: FrozenFloats?

    /// Plans the engine. `path` asks for one path (benchmarks and tests use
    /// it); a path that cannot compute this bank exactly (`rank1` for a kernel
    /// that is not rank 1 within `rank1Tolerance`, `broadcast` for a
    /// multiplier that is not a multiple of 8) falls back to the automatic
    /// choice, so the result is always the same convolution. `path` tells
    /// which one runs. `instructionSet` picks the kernels' level (tests run
    /// every level the CPU has); a level this CPU lacks runs the best it has.
    public init(plan: ConvolutionPlan, path requested: Path? = nil, instructionSet: InstructionSet = .current) {
        self.plan = plan
        let level = InstructionSet.available.contains(instructionSet) ? instructionSet : InstructionSet.current
        self.instructionSet = level
        let f = plan.bank.depthwise
        let (path, factors) = Self.choosePath(for: plan, requested: requested, level: level)
        self.path = path
        // Blocks of rows: a depthwise bank (a separable one fuses its pointwise
        // step row by row), strides and vertical dilation 1, a period dividing
        // 24 (the block kernels' weights repeat over three vectors of 8 floats).
        let period = (path == .broadcast || f.multiplier == 1) ? f.inputChannels : f.outputChannels
        let blocks = path != .broadcast && plan.bank.pointwise == nil && plan.columns.stride == 1
            && plan.rows.stride == 1 && plan.rows.dilation == 1 && 24 % period == 0
        let blockRows = !blocks ? 1 : path == .rank1 ? EngineKernels.blockRows : EngineKernels.directBlockRows(level)
        let layout = RowLayout(plan: plan, period: period, edgeStrips: path != .rank1, blockRows: blockRows)
        gatherer = RowGatherer(layout: layout, plan: plan)
        let depthwise: any DepthwiseRowPath
        switch path {
        case .direct: depthwise = DirectRows(filter: f, layout: layout, columns: plan.columns, blocks: blocks, level: level)
        case .broadcast: depthwise = BroadcastRows(filter: f, layout: layout, columns: plan.columns, level: level)
        case .rank1:
            depthwise = Rank1Rows(factors: factors, layout: layout, gatherer: gatherer, blocks: blocks, level: level)
        }
        if let pointwise = plan.bank.pointwise {
            rowPath = FusedPointwise(depthwise: depthwise, pointwise: pointwise, depth: f.outputChannels,
                                     outputWidth: plan.columns.outputSize, level: level)
        } else {
            rowPath = depthwise
        }
        bias = plan.bank.bias.map(FrozenFloats.init)
    }

    public init(input: TensorShape, bank: FilterBank) throws(FilterBankError) {
        self.init(plan: try ConvolutionPlan(input: input, bank: bank))
    }

    /// Computes output rows `outputRows` of one image into `output` (which
    /// points at the first of those rows; rows are `W_out * K` floats).
    ///
    /// `input` must hold at least `plan.inputRows(forOutputRows: outputRows)`
    /// (which, under a non-zero border mode, includes the rows the padding
    /// maps to); a row outside it stops the program, naming the row.
    public func computeRows(_ outputRows: Range<Int>, from input: InputBand,
                            into output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        precondition(workspace.sizes == Workspace.Sizes(engine: self), "workspace made for another engine")
        let outRowFloats = plan.output.rowCount
        // Padded rows are reused only within this call: the caller may refill
        // the same band memory with other rows (or another image) between calls.
        workspace.ring.forget()
        var y = outputRows.lowerBound
        while y < outputRows.upperBound {
            let n = stepRows(remaining: outputRows.upperBound &- y)
            let out = output + (y &- outputRows.lowerBound) &* outRowFloats
            let rows = gatherer.gather(outputRow: y, count: n, from: input, workspace: workspace)
            rowPath.compute(rows, count: n, into: out, workspace: workspace)
            if let bias {
                EngineKernels.addBias(bias.base, channels: plan.bank.outputChannels, pixels: n &* plan.output.width, to: out)
            }
            y &+= n
        }
    }

    /// Output rows in the next step: a whole block while enough rows remain,
    /// then two, then one (the block kernels take any count, fastest at theirs).
    func stepRows(remaining: Int) -> Int {
        let most = rowPath.blockRows
        return remaining >= most ? most : min(remaining, 2)
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
