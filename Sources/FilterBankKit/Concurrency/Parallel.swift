import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place that runs work on several threads, and the one file with
/// `@unchecked Sendable` types: each box below says why sharing it is safe.
///
/// `forEach` hands tasks `0..<count` to workers through a shared counter, so
/// a slow task (or a slow core) holds up only its own worker. The workers are
/// one `DispatchQueue.concurrentPerform`; a `forEach` nested inside another
/// (the engine's bands inside a batch run's files) therefore shares the
/// cores with it: libdispatch gives the inner loop the threads the outer one
/// leaves, so there are never more busy threads than cores.
public enum Parallel {
    /// The cores this process may run on.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Runs `body(task, worker)` for every task in `0..<count`, on
    /// `min(workers, count)` workers numbered from 0 (one worker runs on the
    /// calling thread, with no dispatch). Tasks start in order; each runs
    /// once. Once `stop` is set, no new task starts.
    ///
    /// `body` runs on several threads at once: what it captures must be
    /// `Sendable`, which for raw memory means one of the boxes below.
    ///
    /// - Returns: the number of tasks started (`count` unless stopped).
    @discardableResult
    public static func forEach(_ count: Int, workers: Int = cores, stop: StopSignal? = nil,
                               _ body: @Sendable (_ task: Int, _ worker: Int) -> Void) -> Int {
        guard count > 0 else { return 0 }
        let next = TaskCounter()
        @Sendable func work(_ worker: Int) {
            while stop?.isStopped != true {
                let task = next.take()
                guard task < count else { return }
                body(task, worker)
            }
        }
        let width = max(1, min(workers, count))
        if width == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: width, execute: work)
        }
        return min(next.taken, count)
    }
}

/// Tells `Parallel.forEach` to start no new task.
public final class StopSignal: Sendable {
    private let stopped = Atomic<Bool>(false)
    public init() {}
    public func stop() { stopped.store(true, ordering: .releasing) }
    public var isStopped: Bool { stopped.load(ordering: .acquiring) }
}

/// Hands out task numbers 0, 1, 2, ... to the workers.
private final class TaskCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
    var taken: Int { next.load(ordering: .relaxed) }
}

// MARK: - Boxes for what the tasks share

/// Memory that concurrent tasks write in disjoint parts (each task its own
/// rows, its own plane) or only read.
///
/// Safe because the tasks' parts do not overlap and `forEach` returns only
/// after every task has finished, so nobody reads a part while it is written.
/// The owner of the memory keeps it alive across the loop.
public struct SharedMemory<Pointee>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Pointee>
    public init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
    public init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}

/// One value per worker or per task: slot `i` is touched only by the worker
/// (or task) `i`, and read by the caller after the loop.
///
/// Safe because no two threads touch the same slot, each slot is its own
/// element of a fixed buffer (the buffer itself never grows or moves), and
/// the caller reads the slots only after `forEach` has returned.
public final class Slots<Value>: @unchecked Sendable {
    private let values: UnsafeMutableBufferPointer<Value>

    /// `count` slots, slot `i` holding `make(i)`.
    public init(count: Int, _ make: (Int) -> Value) {
        values = .allocate(capacity: count)
        for i in 0..<count { (values.baseAddress! + i).initialize(to: make(i)) }
    }

    /// One slot per element of `values`.
    public convenience init(_ values: [Value]) { self.init(count: values.count) { values[$0] } }

    deinit {
        values.deinitialize()
        values.deallocate()
    }

    public var count: Int { values.count }

    public subscript(slot: Int) -> Value {
        get { values[slot] }
        set { values[slot] = newValue }
    }

    /// The values, in slot order (after the loop).
    public var all: [Value] { Array(values) }
}

/// Floats written once, before they are shared, and only read after: the
/// engine's weights. 64-byte aligned, so that an eight-float load never
/// straddles two cache lines (a `[Float]`'s elements start 32 bytes into a
/// 16-byte-aligned block, which made every third weight load split a line).
///
/// Safe because nothing writes the floats after `init` returns.
public final class FrozenFloats: @unchecked Sendable {
    public let base: UnsafePointer<Float>
    public let count: Int

    public init(_ values: [Float]) {
        count = values.count
        let capacity = max(1, values.count)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        let floats = raw.bindMemory(to: Float.self, capacity: capacity)
        floats.initialize(repeating: 0, count: capacity)
        values.withUnsafeBufferPointer { if let first = $0.baseAddress { floats.update(from: first, count: $0.count) } }
        base = UnsafePointer(floats)
    }

    deinit { UnsafeMutableRawPointer(mutating: base).deallocate() }
}
