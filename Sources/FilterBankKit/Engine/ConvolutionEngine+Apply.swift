extension ConvolutionEngine {
    /// Bands of output rows per worker, about: enough that a slow core, or a
    /// band of costly border rows, leaves the other workers little to wait for.
    static let bandsPerWorker = 8

    /// Convolves a whole tensor into a new one. Output rows are split into
    /// bands computed on all cores (`parallel`), or in order on the calling
    /// thread. The output's memory is first touched by the workers, in
    /// parallel.
    public func apply(to input: Tensor, parallel: Bool = true) -> Tensor {
        precondition(input.shape == plan.input, "engine planned for \(plan.input), given \(input.shape)")
        let count = plan.output.count
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            input.values.withUnsafeBufferPointer { apply(to: $0, into: buffer, parallel: parallel) }
            initialized = count
        }
        return Tensor(shape: plan.output, values: values)
    }

    /// Convolves a whole tensor into `output`, which must already have the
    /// plan's output shape: no allocation of the result (what the benchmarks
    /// measure, like peers given a preallocated output).
    public func apply(to input: Tensor, into output: inout Tensor, parallel: Bool = true) {
        precondition(input.shape == plan.input, "engine planned for \(plan.input), given \(input.shape)")
        precondition(output.shape == plan.output, "output must be \(plan.output), given \(output.shape)")
        input.values.withUnsafeBufferPointer { source in
            output.values.withUnsafeMutableBufferPointer { apply(to: source, into: $0, parallel: parallel) }
        }
    }

    /// The same on raw NHWC float buffers: `input` holds `plan.input.count`
    /// floats and `output` room for `plan.output.count` (initialised or not;
    /// every element is written).
    ///
    /// Bands of output rows of every image of the batch form one task list,
    /// shared by one worker per core, each with one `Workspace` made once. A
    /// batch of several images thus runs in parallel without more threads
    /// than cores.
    public func apply(to input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                      parallel: Bool = true) {
        precondition(input.count >= plan.input.count && output.count >= plan.output.count,
                     "buffers of \(input.count) / \(output.count) floats for \(plan.input) -> \(plan.output)")
        let out = plan.output
        guard out.count > 0 else { return }
        let cores = parallel ? Parallel.cores : 1
        let bandsPerImage = cores == 1 ? 1
            : min(out.height, max(1, (Self.bandsPerWorker * cores + out.batch - 1) / out.batch))
        let bandRows = (out.height + bandsPerImage - 1) / bandsPerImage
        let bands = (out.height + bandRows - 1) / bandRows
        let tasks = out.batch * bands
        let workers = min(cores, tasks)
        let workspaces = Slots(count: workers) { _ in Workspace(engine: self) }
        let source = SharedMemory(input.baseAddress!), target = SharedMemory(output.baseAddress!)
        Parallel.forEach(tasks, workers: workers) { task, worker in
            let n = task / bands
            let first = (task % bands) * bandRows
            let image = InputBand(rows: source.pointer + n * plan.input.imageCount, firstRow: 0, rowCount: plan.input.height)
            computeRows(first..<min(first + bandRows, out.height), from: image,
                        into: target.pointer + n * out.imageCount + first * out.rowCount, workspace: workspaces[worker])
        }
    }

    /// Cores this process may run on: the workers `apply` uses when `parallel`.
    public static var activeCores: Int { Parallel.cores }
}
