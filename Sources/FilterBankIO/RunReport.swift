import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// One JSON object, one line, keys in a fixed order:
    /// `{"path":…,"status":"ok|failed|skipped","error"|"reason":…,"outputs":[…],"size":…,"shape":[…],"ms":…,"warnings":[…]}`.
    /// `error` (failed) or `reason` (skipped) appears only with a message;
    /// `size` and `shape` only when known; `warnings` only when there are some.
    public var jsonLine: String {
        var fields = ["\"path\":" + JSON.string(path), "\"status\":" + JSON.string(status.rawValue)]
        if let message { fields.append((status == .failed ? "\"error\":" : "\"reason\":") + JSON.string(message)) }
        fields.append("\"outputs\":" + JSON.array(outputs.map(JSON.string)))
        if let size { fields.append("\"size\":\(size)") }
        if let shape { fields.append("\"shape\":" + JSON.array(shape.map(String.init))) }
        fields.append("\"ms\":\(milliseconds)")
        if !warnings.isEmpty { fields.append("\"warnings\":" + JSON.array(warnings.map(JSON.string))) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// The `--report FILE.jsonl` file: one `InputOutcome.jsonLine` per input,
/// appended as each input finishes (in completion order), each line with a
/// single `write(2)`, so that a killed run leaves every finished input's line
/// whole. `-` writes to standard output. Safe to use from several threads.
public final class RunReport: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32>

    /// Creates (or truncates) the file.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = path == "-" ? dup(STDOUT_FILENO) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw FileError(path: path, message: "cannot create the report: \(AtomicFile.errnoDescription())")
        }
        descriptor = Mutex(fd)
    }

    deinit { close() }

    /// Appends one line.
    public func append(_ outcome: InputOutcome) throws(FileError) {
        let line = Array((outcome.jsonLine + "\n").utf8)
        let failure: String? = descriptor.withLock { fd in
            guard fd >= 0 else { return "the report is closed" }
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + offset, line.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return "cannot write the report: \(AtomicFile.errnoDescription())"
                }
                offset += n
            }
            return nil
        }
        if let failure { throw FileError(path: path, message: failure) }
    }

    public func close() {
        descriptor.withLock { fd in
            if fd >= 0 { closeDescriptor(fd) }
            fd = -1
        }
    }
}

/// A whole run's counts: the final summary line and the exit status.
public struct BatchSummary: Sendable, Equatable {
    /// Inputs processed successfully.
    public var processed = 0
    /// Inputs skipped: outputs present (`--skip-existing`), or not images.
    public var skipped = 0
    public var failed = 0
    /// Inputs never started because `--fail-fast` stopped the run.
    public var notStarted = 0
    public var outputsWritten = 0
    public var seconds = 0.0
    /// Set when the run was refused before starting (the one-line reason).
    public var refused: String?
    /// Extra lines for the summary (files skipped as not images, folders not searched, the shard).
    public var notes: [String] = []

    public init() {}

    /// 64 when refused (a usage error), 1 when an input failed, else 0.
    public var exitStatus: Int32 {
        if refused != nil { return 64 }
        return failed > 0 ? 1 : 0
    }

    /// `12 processed, 3 skipped, 1 failed, 72 outputs written in 4.2 s`.
    public var line: String {
        var text = "\(processed) processed, \(skipped) skipped, \(failed) failed, "
            + "\(outputsWritten) output\(outputsWritten == 1 ? "" : "s") written in \(Self.duration(seconds))"
        if notStarted > 0 { text += "; \(notStarted) not started (--fail-fast)" }
        return text
    }

    /// `0.4 s`, `12 s`, `3:07`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 9.95 {
            let tenths = Int((max(0, seconds) * 10).rounded())
            return "\(tenths / 10).\(tenths % 10) s"
        }
        if seconds < 59.5 { return "\(Int(seconds.rounded())) s" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let mm = h > 0 && m < 10 ? "0\(m)" : "\(m)"
        return (h > 0 ? "\(h):" : "") + mm + ":" + (s < 10 ? "0\(s)" : "\(s)")
    }
}

/// `close(2)`, named apart from `RunReport.close()`, which shadows it inside the class.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// The little JSON this file writes.
enum JSON {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func array(_ elements: [String]) -> String { "[" + elements.joined(separator: ",") + "]" }
}
