import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ConvolutionEngine {
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
    /// Bands of output rows of every image of the batch form one task list;
    /// `min(cores, tasks)` workers take tasks from a shared counter (about
    /// eight per worker, so an unlucky slow core does not leave the other
    /// idle), each with one `Workspace` made once. A batch of several images
    /// thus runs in parallel without more threads than cores.
    public func apply(to input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                      parallel: Bool = true) {
        precondition(input.count >= plan.input.count && output.count >= plan.output.count,
                     "buffers of \(input.count) / \(output.count) floats for \(plan.input) -> \(plan.output)")
        let out = plan.output
        guard out.count > 0 else { return }
        let cores = parallel ? Self.activeCores : 1
        let bandsPerImage = cores == 1 ? 1 : min(out.height, max(1, (8 * cores + out.batch - 1) / out.batch))
        let bandRows = (out.height + bandsPerImage - 1) / bandsPerImage
        let bands = (out.height + bandRows - 1) / bandRows
        let tasks = out.batch * bands
        let workers = min(cores, tasks)
        let shared = SharedBuffers(input: input.baseAddress!, output: output.baseAddress!)
        let counter = TaskCounter()
        let work = { @Sendable (_: Int) in
            let workspace = Workspace(engine: self)
            while true {
                let task = counter.take()
                guard task < tasks else { return }
                let n = task / bands
                let first = (task % bands) * bandRows
                let rows = first..<min(first + bandRows, out.height)
                let image = InputBand(rows: shared.input + n * plan.input.imageCount,
                                      firstRow: 0, rowCount: plan.input.height)
                computeRows(rows, from: image, into: shared.output + n * out.imageCount + first * out.rowCount,
                            workspace: workspace)
            }
        }
        if workers > 1 {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        } else {
            work(0)
        }
    }

    /// Cores this process may run on: the workers `apply` uses when `parallel`.
    public static var activeCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// The raw input and output pointers carried into
/// `DispatchQueue.concurrentPerform`'s `@Sendable` closure. Safe because the
/// input is only read and every task writes a disjoint range of output rows;
/// this is the one place the engine opts out of Sendable checking.
private struct SharedBuffers: @unchecked Sendable {
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
}

/// Hands out task numbers 0, 1, 2, ... to the workers.
private final class TaskCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}
