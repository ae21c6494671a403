import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor and the path it names in errors: the one place where
/// FilterBankIO and FilterBankRun read and write files by descriptor.
///
/// Built on swift-system's `FileDescriptor`, whose calls retry when a signal
/// interrupts them (`EINTR`) and whose `writeAll` loops over short writes, on
/// Glibc and Darwin alike. Every failure is a `FileError` naming `path`, with
/// the system's own words (`strerror`). The descriptor is closed when the
/// object goes away, or earlier by `close()`, which reports what a failed
/// close says about data written before it.
///
/// Not thread-safe: callers that share one (the run report) hold a lock.
package final class OpenFile {
    package let path: String
    private var descriptor: FileDescriptor?

    private init(_ descriptor: FileDescriptor, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { try? descriptor?.close() }

    /// Creates `path`, which must not exist yet (`O_EXCL`: a file or link
    /// already there is an error, never followed or replaced), for writing.
    /// (`O_EXCL` with `O_CREAT` already refuses a link; the call passes
    /// `O_NOFOLLOW` as well, so that no system can read the flags as leave to
    /// follow a link in the last component.) Files are created with mode 0666
    /// less the umask (0644 under the usual umask 022), as `open(2)` does.
    package static func createNew(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec], verb: "cannot create")
    }

    /// Creates `path`, or empties it when it exists, for writing. A symbolic
    /// link at `path` is refused (`O_NOFOLLOW`), never written through.
    package static func createOrTruncate(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .writeOnly, options: [.create, .truncate, .noFollow, .closeOnExec], verb: "cannot create")
    }

    /// Opens an existing `path` for writing without creating or truncating
    /// it (a terminal, a pipe: what a report may be sent to).
    package static func forWritingExisting(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .writeOnly, options: [.append, .closeOnExec], verb: "cannot open")
    }

    /// A second descriptor for the same open file, closed on its own and
    /// on `exec` (`F_DUPFD_CLOEXEC`, as the C writers duplicate theirs):
    /// what a Swift writer keeps when its caller closes the original.
    package func duplicate() throws(FileError) -> OpenFile {
        guard let descriptor else { throw FileError(path: path, message: "cannot write: the file is closed") }
        let own = fcntl(descriptor.rawValue, F_DUPFD_CLOEXEC, 0)
        guard own >= 0 else {
            throw FileError(path: path, message: "cannot write: \(Self.reason(Errno(rawValue: errno)))")
        }
        return OpenFile(FileDescriptor(rawValue: own), path: path)
    }

    /// The descriptor, for a C writer that writes to a duplicate of it
    /// (`CImageCodecs`); -1 once closed. It stays owned by this object.
    package var rawDescriptor: Int32 { descriptor?.rawValue ?? -1 }

    /// The file's device and inode (`fstat`): what a rename checks it still
    /// moves the file this object created.
    package func identity() throws(FileError) -> FileIdentity {
        guard let descriptor else { throw FileError(path: path, message: "cannot read: the file is closed") }
        do {
            let status = try descriptor.stat()
            return FileIdentity(device: UInt64(status.deviceID.rawValue), inode: UInt64(status.inode.rawValue))
        } catch {
            throw FileError(path: path, message: "cannot read: \(Self.reason(error))")
        }
    }

    /// Opens the existing regular file `path` for appending (`O_APPEND`:
    /// every write goes to the end, whoever else writes); existing bytes are
    /// kept. A symbolic link at `path` is not followed (`O_NOFOLLOW`: an error).
    package static func forAppending(_ path: String) throws(FileError) -> OpenFile {
        try open(path, .readWrite, options: [.append, .noFollow, .closeOnExec], verb: "cannot open")
    }

    /// Opens `path` for reading. A missing file is "no such file".
    package static func forReading(_ path: String, nonBlocking: Bool = false) throws(FileError) -> OpenFile {
        try open(path, .readOnly, options: nonBlocking ? [.closeOnExec, .nonBlocking] : [.closeOnExec], verb: "cannot open")
    }

    /// A new descriptor for standard output (`-` as a file name), closed
    /// without closing standard output itself.
    package static func standardOutput(path: String = "-") throws(FileError) -> OpenFile {
        do {
            return OpenFile(try FileDescriptor.standardOutput.duplicate(), path: path)
        } catch {
            throw FileError(path: path, message: "cannot write to standard output: \(reason(error))")
        }
    }

    /// Writes all of `text` to standard error. A failure is dropped: there is
    /// nowhere left to report it.
    package static func writeToStandardError(_ text: String) {
        var text = text
        text.withUTF8 { _ = try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0)) }
    }

    private static func open(_ path: String, _ mode: FileDescriptor.AccessMode, options: FileDescriptor.OpenOptions,
                             verb: String) throws(FileError) -> OpenFile {
        do {
            return OpenFile(try FileDescriptor.open(FilePath(path), mode, options: options,
                                                    permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite]),
                            path: path)
        } catch Errno.noSuchFileOrDirectory where mode == .readOnly {
            throw FileError(path: path, message: "no such file")
        } catch {
            throw FileError(path: path, message: "\(verb): \(reason(error))")
        }
    }

    /// Writes all of `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard let descriptor else { throw FileError(path: path, message: "cannot write: the file is closed") }
        do {
            _ = try descriptor.writeAll(bytes)
        } catch {
            throw FileError(path: path, message: "cannot write: \(Self.reason(error))")
        }
    }

    /// Writes all of `bytes`.
    package func write(_ bytes: [UInt8]) throws(FileError) {
        // Array's `withUnsafeBytes` rethrows untyped errors: carry the typed one out by hand.
        var failure: FileError?
        bytes.withUnsafeBytes { buffer in
            do throws(FileError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Fills `buffer` from byte `offset` of the file, without moving the file
    /// position (`pread`). The file ending first is an error: "the file
    /// changed while it was being read" (its size was checked before).
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FileError) {
        guard let descriptor else { throw FileError(path: path, message: "cannot read: the file is closed") }
        var done = 0
        while done < buffer.count {
            let n: Int
            do {
                n = try descriptor.read(fromAbsoluteOffset: Int64(offset + done),
                                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            } catch {
                throw FileError(path: path, message: "cannot read: \(Self.reason(error))")
            }
            guard n > 0 else { throw FileError(path: path, message: "the file changed while it was being read") }
            done += n
        }
    }

    /// Reads `range` of the file's bytes (see `read(into:at:)`).
    package func read(_ range: Range<Int>) throws(FileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: range.count)
        var failure: FileError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(FileError) { try read(into: buffer, at: range.lowerBound) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads at most `count` bytes from the current position: fewer at the end of the file.
    package func readPrefix(_ count: Int) throws(FileError) -> [UInt8] {
        guard let descriptor else { throw FileError(path: path, message: "cannot read: the file is closed") }
        var bytes = [UInt8](repeating: 0, count: count)
        do {
            let n = try bytes.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            bytes.removeLast(count - n)
        } catch {
            throw FileError(path: path, message: "cannot read: \(Self.reason(error))")
        }
        return bytes
    }

    /// The file's size in bytes; a directory is an error ("is a directory, not a file").
    package func regularFileSize() throws(FileError) -> Int {
        guard let descriptor else { throw FileError(path: path, message: "cannot read: the file is closed") }
        let status: Stat
        do {
            status = try descriptor.stat()
        } catch {
            throw FileError(path: path, message: "cannot read: \(Self.reason(error))")
        }
        guard status.type != .directory else { throw FileError(path: path, message: "is a directory, not a file") }
        return Int(status.size)
    }

    /// Closes the descriptor; a failure (say, a full disk noticed late) is an error.
    package func close() throws(FileError) {
        guard let descriptor else { return }
        self.descriptor = nil
        do {
            try descriptor.close()
        } catch {
            throw FileError(path: path, message: "cannot write: \(Self.reason(error))")
        }
    }

    /// The system's words for an error (`strerror` for an `Errno`).
    package static func reason(_ error: any Error) -> String {
        (error as? Errno)?.description ?? "\(error)"
    }
}
