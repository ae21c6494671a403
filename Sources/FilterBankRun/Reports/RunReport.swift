import FilterBankIO
import Foundation
import Synchronization

/// What happened to one input of a batch run: one line of `--report`.
public struct InputOutcome: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Processed; every output written.
        case ok
        /// Not processed, or processed and then refused (e.g. `--fail-on
        /// warning`): nothing of it was left under a final name.
        case failed
        /// Deliberately not processed (its outputs exist, it is not an image,
        /// or `--fail-fast` stopped the run first).
        case skipped
    }

    public let path: String
    public let status: Status
    /// Why it failed (`failed`) or was skipped (`skipped`), one line.
    public let message: String?
    /// The final paths written (or, when skipped because they exist, found).
    public let outputs: [String]
    /// The input file's size in bytes, when it could be read.
    public let size: Int?
    /// The input tensor `[N, H, W, C]`, once its header was read.
    public let shape: [Int]?
    /// Wall-clock time spent on it.
    public let milliseconds: Int
    /// The codec's warnings (they pass unless `--fail-on warning`).
    public let warnings: [String]

    public init(path: String, status: Status, message: String? = nil, outputs: [String] = [], size: Int? = nil,
                shape: [Int]? = nil, milliseconds: Int = 0, warnings: [String] = []) {
        self.path = path
        self.status = status
        self.message = message
        self.outputs = outputs
        self.size = size
        self.shape = shape
        self.milliseconds = milliseconds
        self.warnings = warnings
    }

}

extension InputOutcome: Encodable {
    private enum Key: String, CodingKey { case path, status, error, reason, outputs, size, shape, ms, warnings }

    /// `path`, `status` (`ok`, `failed`, `skipped`), `error` (failed) or
    /// `reason` (skipped) when there is a message, `outputs`, `size` and
    /// `shape` when known, `ms`, and `warnings` when there are some.
    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: Key.self)
        try object.encode(path, forKey: .path)
        try object.encode(status.rawValue, forKey: .status)
        try object.encodeIfPresent(message, forKey: status == .failed ? .error : .reason)
        try object.encode(outputs, forKey: .outputs)
        try object.encodeIfPresent(size, forKey: .size)
        try object.encodeIfPresent(shape, forKey: .shape)
        try object.encode(milliseconds, forKey: .ms)
        if !warnings.isEmpty { try object.encode(warnings, forKey: .warnings) }
    }

    /// The outcome as one line of JSON (keys sorted; see `encode(to:)`).
    public var jsonLine: String { JSONOutput.line(self) }
}

/// The `--report FILE.jsonl` file: one `InputOutcome.jsonLine` per input,
/// appended as each input finishes (in completion order), each line with a
/// single `write(2)`, so that a killed run leaves every finished input's line
/// whole. `-` writes to standard output. Safe to use from several threads.
public final class RunReport: Sendable {
    public let path: String
    /// nil once closed.
    private let file: Mutex<OpenFile?>

    /// Creates the file when there is none: under a new temporary name
    /// (`O_EXCL | O_NOFOLLOW`, see `AtomicFile`), renamed into place at once,
    /// before any line is written, so that a link planted at `path` is
    /// replaced, never written through, and lines appear as inputs finish.
    /// An existing regular file is **appended to** (`O_APPEND | O_NOFOLLOW`):
    /// a rerun with the same report adds its lines after the earlier runs',
    /// so no record is ever lost (the latest line for a path is its latest
    /// outcome); a last line cut short by a killed run is ended first, so that
    /// every new line parses. A terminal or a pipe (a character device or FIFO
    /// at `path`), or an existing file under `/dev/` or `/proc/`
    /// (`/dev/stdout`, which may lead to a regular file), is written to as it is.
    public init(path: String) throws(FileError) {
        self.path = path
        let opened: OpenFile
        do {
            if path == "-" {
                opened = try OpenFile.standardOutput()
            } else if let existing = FileTree.status(path),
                      existing.kind == .other || path.hasPrefix("/dev/") || path.hasPrefix("/proc/") {
                // A terminal, a pipe, or /dev/stdout (a link to this process's descriptor): as it is.
                opened = try OpenFile.forWritingExisting(path)
            } else if FileTree.status(path, followLinks: false)?.kind == .file {
                // An earlier report: kept, and added to.
                opened = try OpenFile.forAppending(path)
                let size = try opened.regularFileSize()
                if size > 0, try opened.read((size - 1)..<size) != [0x0A] { try opened.write([0x0A]) }
            } else {
                opened = try StagedFiles.createInPlace(path)
            }
        } catch {
            throw FileError(path: path, message: error.message.replacingOccurrences(of: "cannot create", with: "cannot create the report"))
        }
        file = Mutex(opened)
    }

    /// Appends one line.
    public func append(_ outcome: InputOutcome) throws(FileError) {
        let line = Array((outcome.jsonLine + "\n").utf8)
        try file.withLock { (file) throws(FileError) in
            guard let file else { throw FileError(path: path, message: "the report is closed") }
            do throws(FileError) { try file.write(line) } catch { throw FileError(path: path, message: "cannot write the report: " + error.message) }
        }
    }

    public func close() {
        file.withLock { file in
            try? file?.close()
            file = nil
        }
    }
}
