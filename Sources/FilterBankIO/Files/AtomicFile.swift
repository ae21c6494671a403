import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that each is either complete or absent: never half written.
///
/// The content goes to a hidden temporary file in the destination's directory,
/// named by `TemporaryName` (`.<name>.tmp-<host>-<pid>-<random>`), created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW` (a file or link already there is an error,
/// never followed), which is then renamed over the final path with POSIX
/// `rename(2)` (atomic within one file system; it replaces a link at the final
/// path itself, never what the link points to). Before the rename the
/// temporary name must still be the regular file that was created (same
/// device and inode, checked with `lstat`), so that a link planted in its
/// place is never moved into place. On any failure the temporary file is
/// removed and a `FileError` naming the *final* path is thrown; an existing
/// file at the final path is replaced only on success. Temporary files that
/// killed runs left for the final path are removed first
/// (`TemporaryName.removeStale`).
///
/// Durability: the data is **not** `fsync`ed. A crash of the process cannot leave
/// a partial output, but a power loss or kernel crash soon after writing may
/// (on some file systems) leave an empty or old file. Syncing every file costs a
/// disk flush each (about four times the cost of writing a 100 KB file; see
/// docs/performance.md), which dominates when writing thousands of channel
/// images; callers that need durability must sync themselves.
///
/// Safe to call from several threads at once: temporary names hold 64 random bits.
public enum AtomicFile {
    /// Runs `body` with a temporary path to create and fill, then renames that file to `path`.
    ///
    /// `body` must create the file at `temporaryPath` (nothing exists there yet)
    /// and close it before returning. If `body` throws, the temporary file is
    /// removed and the error is rethrown as a `FileError` naming `path`
    /// (a `FileError` that named the temporary path is renamed to `path`).
    ///
    /// A temporary file that `body` creates with `writeNewFile`, or inside
    /// `TemporaryFiles.process.create`, is known to `TemporaryFiles` and
    /// removed with the others when a run is interrupted.
    public static func write(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws(FileError) {
        let temporary = try temporaryPath(for: path)
        TemporaryName.removeStale(for: path)
        defer { TemporaryFiles.process.forget(temporary) }
        do {
            try body(temporary)
        } catch {
            unlink(temporary)
            if let fileError = error as? FileError {
                throw fileError.path == temporary ? FileError(path: path, message: fileError.message) : fileError
            }
            throw FileError(path: path, message: String(describing: error))
        }
        if let created = FileTree.status(temporary, followLinks: false), created.kind != .file {
            unlink(temporary)
            throw FileError(path: path, message: "the temporary file was replaced by something else; nothing was moved into place")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoDescription()
            unlink(temporary)
            throw FileError(path: path, message: "cannot move the temporary file into place: \(reason)")
        }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        try write(to: path) { temporary in
            try bytes.withUnsafeBytes { buffer in try writeNewFile(temporary, buffer) }
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws(FileError) {
        try write(to: path) { temporary in
            try data.withUnsafeBytes { buffer in try writeNewFile(temporary, buffer) }
        }
    }

    /// Creates the directory at `path` and any missing parents. Succeeds if it
    /// already exists as a directory (or a symbolic link to one); fails if it
    /// exists as anything else.
    public static func createDirectory(_ path: String) throws(FileError) {
        /// nil when nothing is there; a link counts as what it points to.
        func isDirectory(_ p: String) -> Bool? { FileTree.status(p).map { $0.kind == .directory } }
        switch isDirectory(path) {
        case true?: return
        case false?: throw FileError(path: path, message: "exists and is not a directory")
        case nil: break
        }
        // mkdir -p, one component at a time, so the message can name the component that failed.
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            guard mkdir(current, 0o777) != 0 else { continue }
            let reason = errnoDescription()
            switch isDirectory(current) {
            case true?: continue   // already there, or created meanwhile by another thread or process
            case false?: throw FileError(path: path, message: "cannot create directory: \(current) is not a directory")
            case nil: throw FileError(path: path, message: "cannot create directory \(current): \(reason)")
            }
        }
    }

    // MARK: - Internals

    /// A new temporary name beside `path` (`TemporaryName.make`).
    static func temporaryPath(for path: String) throws(FileError) -> String {
        let slash = path.lastIndex(of: "/")
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError(path: path, message: "not a file path (no file name)")
        }
        return TemporaryName.make(for: path)
    }

    /// Creates `path` (which must not exist), writes all of `parts` one after another, and closes it.
    static func writeNewFile(_ path: String, _ parts: UnsafeRawBufferPointer...) throws(FileError) {
        let file: OpenFile
        do {
            file = try TemporaryFiles.process.create(path) { () throws(FileError) in try OpenFile.createNew(path) }
        } catch {
            throw FileError(path: path, message: error.message.replacingPrefix("cannot create", with: "cannot create temporary file"))
        }
        for buffer in parts { try file.write(buffer) }
        try file.close()
    }

    /// `strerror(errno)`: the system's words for the last failed call (`rename`, `mkdir`).
    package static func errnoDescription() -> String { String(cString: strerror(errno)) }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

/// Output files written under temporary names (in their final directories)
/// and moved into place together by `commit()`, so that an input's outputs
/// appear complete or not at all. Whatever was staged and not committed is
/// removed by `discard()` (and when the object goes away). Each temporary file
/// is recorded in a `TemporaryFiles` registry while it exists.
public final class StagedFiles {
    private var pending: [(temporary: String, final: String, identity: FileIdentity)] = []
    private var committed = false
    private let registry: TemporaryFiles

    public init(registry: TemporaryFiles = .process) {
        self.registry = registry
    }

    /// Creates the temporary file for `final` with `make`, which receives its
    /// path and must create it (nothing exists there yet), and stages it.
    /// - Throws: `make`'s error, or a `FileError` when the registry no longer
    ///   creates files (an interrupted run).
    ///
    /// Temporary files that killed runs left for `final` are removed first
    /// (`TemporaryName.removeStale`).
    public func create<T>(_ final: String, _ make: (_ temporaryPath: String) throws(FileError) -> T) throws(FileError) -> T {
        let temporary = try AtomicFile.temporaryPath(for: final)
        TemporaryName.removeStale(for: final)
        let made = try registry.create(temporary) { () throws(FileError) in try make(temporary) }
        // What was created, so that commit() moves this file and nothing planted in its place.
        guard let created = FileTree.status(temporary, followLinks: false), created.kind == .file else {
            unlink(temporary)
            registry.forget(temporary)
            throw FileError(path: final, message: "cannot create temporary file \(temporary): it is not a regular file")
        }
        pending.append((temporary, final, created.identity))
        return made
    }

    /// Creates the temporary file for `final` (`O_EXCL`, see `OpenFile.createNew`) and stages it.
    package func createFile(_ final: String) throws(FileError) -> OpenFile {
        try create(final) { (temporary) throws(FileError) in try OpenFile.createNew(temporary) }
    }

    /// Creates an empty file for `final` under a temporary name and renames it
    /// into place at once; returns it open for writing (a file written as it
    /// goes, such as a run report, that must still never be created through
    /// a planted link).
    package static func createInPlace(_ final: String) throws(FileError) -> OpenFile {
        let staged = StagedFiles()
        let file = try staged.createFile(final)
        _ = try staged.commit()
        return file
    }

    /// Renames every staged file into place, in order; returns the final paths.
    public func commit() throws(FileError) -> [String] {
        var done: [String] = []
        for (index, file) in pending.enumerated() {
            guard let now = FileTree.status(file.temporary, followLinks: false), now.kind == .file,
                  now.identity == file.identity else {
                pending.removeFirst(index)
                discard()
                throw FileError(path: file.final, message: "the temporary file \(file.temporary) was replaced by something else; nothing was moved into place")
            }
            guard rename(file.temporary, file.final) == 0 else {
                let reason = AtomicFile.errnoDescription()
                pending.removeFirst(index)
                discard()
                throw FileError(path: file.final, message: "cannot move the temporary file into place: \(reason)")
            }
            registry.forget(file.temporary)
            done.append(file.final)
        }
        pending.removeAll()
        committed = true
        return done
    }

    /// Removes every staged temporary file.
    public func discard() {
        for file in pending {
            unlink(file.temporary)
            registry.forget(file.temporary)
        }
        pending.removeAll()
    }

    deinit { if !committed { discard() } }
}
