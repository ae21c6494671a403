extension ConvolutionEngine {
    /// Bands of output rows per worker, about: enough that a slow core, or a
    /// band of costly border rows, leaves the other workers little to wait for.
    static let bandsPerWorker = 8

    /// Output bytes above which `apply`, on more than one core, writes with
    /// non-temporal stores (AVX2 and AVX-512, the direct path's blocks of
    /// rows, for kernels of at most 9 taps: `DirectRows.streams`): 32 MiB, the last-level cache of a current x86 core complex. An
    /// output that large leaves the caches before anything reads it, and an
    /// ordinary store first reads its line from memory, so that writing it
    /// costs twice its bytes of traffic; a non-temporal store costs its bytes
    /// once. (glibc's `memcpy` switches to non-temporal stores above a
    /// similar size.) On a 12 MP RGB photo, with two cores sharing the memory
    /// bandwidth, the 3x3 row and the Sobel pair took 0.90-0.93 of their time
    /// with them; one core alone does not fill the bandwidth, and there they
    /// took about 1.1 (docs/performance.md). Bands that a job maps to pixels
    /// at once (`BandedConvolution`) keep ordinary stores.
    public static let streamingThreshold = 32 << 20

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
    /// `streaming`: as in `apply(to:into:parallel:streaming:)` on buffers.
    public func apply(to input: Tensor, into output: inout Tensor, parallel: Bool = true, streaming: Bool? = nil) {
        precondition(input.shape == plan.input, "engine planned for \(plan.input), given \(input.shape)")
        precondition(output.shape == plan.output, "output must be \(plan.output), given \(output.shape)")
        input.values.withUnsafeBufferPointer { source in
            output.values.withUnsafeMutableBufferPointer {
                apply(to: source, into: $0, parallel: parallel, streaming: streaming)
            }
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
    ///
    /// `streaming` says whether the output is written with non-temporal
    /// stores; by default, when it is larger than `streamingThreshold` and
    /// more than one worker writes it.
    public func apply(to input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                      parallel: Bool = true, streaming: Bool? = nil) {
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
        let stream = streaming ?? (workers > 1 && out.count > Self.streamingThreshold / MemoryLayout<Float>.stride)
        let workspaces = Slots(count: workers) { _ in
            let workspace = Workspace(engine: self)
            workspace.streamsOutput = stream
            return workspace
        }
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
