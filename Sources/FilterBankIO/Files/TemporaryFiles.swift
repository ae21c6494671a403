import Foundation
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

/// The names of temporary files, and the removal of those that killed runs
/// left behind.
///
/// A temporary file for `<dir>/<name>` is `<dir>/.<name>.tmp-<host>-<pid>-<random>`:
/// `<host>` is 8 hex digits of a hash of this machine's host name, `<pid>`
/// the writing process's id, `<random>` 16 hex digits from the system's
/// random number generator, so that no other user can predict the name and
/// plant a link there first (and creation with `O_EXCL | O_NOFOLLOW` would
/// refuse it anyway).
///
/// A file of that form is *stale* when its host is this one and no process
/// with its pid is alive (`kill(pid, 0)` fails with `ESRCH`): the run that
/// wrote it was killed before it could remove it (`SIGKILL`, a power cut; an
/// interrupted run removes its own, see `TemporaryFiles`). A file from
/// another machine sharing the folder is never taken for stale, nor one
/// whose pid has been reused by a live process (it stays, harmless, until a
/// later run). Before it creates the temporary file for an output, a run
/// removes the stale ones of that output (`removeStale(for:)`); it lists each
/// folder once, the first time it writes there.
package enum TemporaryName {
    /// A new temporary name beside `path`.
    package static func make(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var random = SystemRandomNumberGenerator()
        return "\(directory).\(name)\(marker)\(host)-\(getpid())-\(hex(random.next(), digits: 16))"
    }

    /// `(final name, host, pid)` of a temporary file name of this form, or nil.
    package static func parse(_ entry: String) -> (final: String, host: String, pid: Int32)? {
        guard entry.hasPrefix("."), let range = entry.range(of: marker, options: .backwards),
              range.lowerBound > entry.index(after: entry.startIndex) else { return nil }
        let fields = entry[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 8, fields[2].count == 16,
              fields[0].allSatisfy(\.isHexDigit), fields[2].allSatisfy(\.isHexDigit),
              let pid = Int32(fields[1]), pid > 0 else { return nil }
        return (String(entry[entry.index(after: entry.startIndex)..<range.lowerBound]), String(fields[0]), pid)
    }

    /// Removes the stale temporary files of the output `path` (see the type's
    /// notes). Never follows a link: `unlink` removes a link itself. Errors
    /// are ignored: a file that cannot be removed does no harm.
    package static func removeStale(for path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        for entry in sweeper.take(directory: directory, final: name) {
            let candidate = directory + entry
            guard let status = FileTree.status(candidate, followLinks: false),
                  status.kind == .file || status.kind == .link else { continue }
            unlink(candidate)
        }
    }

    static let marker = ".tmp-"

    /// This machine's tag: FNV-1a of the host name, 8 hex digits.
    static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        var hash: UInt32 = 2_166_136_261
        for byte in buffer.prefix(while: { $0 != 0 }) {
            hash = (hash ^ UInt32(UInt8(bitPattern: byte))) &* 16_777_619
        }
        return hex(UInt64(hash), digits: 8)
    }()

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Whether a process with this id is alive on this machine (or cannot be told apart from one).
    static func isAlive(_ pid: Int32) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH
    }

    private static let sweeper = StaleSweeper()

    /// The stale temporary files of each folder, listed once per process.
    private final class StaleSweeper: Sendable {
        /// folder -> final name -> stale entries.
        private let folders = Mutex<[String: [String: [String]]]>([:])

        func take(directory: String, final: String) -> [String] {
            folders.withLock { folders in
                if folders[directory] == nil {
                    var stale: [String: [String]] = [:]
                    for entry in FileTree.entries(of: directory.isEmpty ? "." : directory) {
                        guard let parsed = TemporaryName.parse(entry.name), parsed.host == TemporaryName.host,
                              !TemporaryName.isAlive(parsed.pid) else { continue }
                        stale[parsed.final, default: []].append(entry.name)
                    }
                    folders[directory] = stale
                }
                return folders[directory]?.removeValue(forKey: final) ?? []
            }
        }
    }
}
