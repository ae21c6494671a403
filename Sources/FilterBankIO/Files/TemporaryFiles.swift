import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files a process has created and not yet moved into place or
/// removed, so that a run that is interrupted can remove them all before it
/// exits (see `removeAll()`).
///
/// A file is recorded in the same locked step that creates it (`create`), and
/// `removeAll()` takes that lock, removes every recorded file and refuses any
/// later creation. So a temporary file is either created before the removal,
/// and removed by it, or never created: no worker thread still busy with its
/// input can leave one behind between the removal and the process's exit.
/// (Listing the output folders instead would miss a file created just after
/// the listing.)
///
/// Creation under the lock costs one `open(2)` (and, for an image, the
/// codec's header) per output file; writing the data happens outside it.
public final class TemporaryFiles: Sendable {
    /// The registry `AtomicFile` and `StagedFiles` use unless given another.
    public static let process = TemporaryFiles()

    private struct State {
        var paths: Set<String> = []
        /// Set by `removeAll()`: no file may be created any more.
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `make`, which creates the file at `path`, and records the file, as
    /// one step with respect to `removeAll()`.
    ///
    /// - Throws: `make`'s error, or a `FileError` naming `path` when
    ///   `removeAll()` has run (the process is about to exit).
    public func create<T>(_ path: String, _ make: () throws(FileError) -> T) throws(FileError) -> T {
        var made: Result<T, FileError>?
        state.withLock { state in
            guard !state.closed else {
                made = .failure(FileError(path: path, message: "not created: the run was interrupted"))
                return
            }
            do throws(FileError) {
                made = .success(try make())
                state.paths.insert(path)
            } catch {
                made = .failure(error)
            }
        }
        return try made!.get()
    }

    /// Forgets `path`: it was renamed into place or removed.
    public func forget(_ path: String) {
        _ = state.withLock { $0.paths.remove(path) }
    }

    /// The files recorded and not yet forgotten.
    public var paths: Set<String> { state.withLock { $0.paths } }

    /// Removes every recorded file and refuses to create any more; returns how
    /// many were removed. For a process about to exit (an interrupted run):
    /// there is no way back.
    @discardableResult
    public func removeAll() -> Int {
        state.withLock { state in
            state.closed = true
            let removed = state.paths.count(where: { unlink($0) == 0 })
            state.paths.removeAll()
            return removed
        }
    }
}
