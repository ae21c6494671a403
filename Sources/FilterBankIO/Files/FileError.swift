import Foundation
import FilterBankKit

/// A failure to read, parse or write one file.
///
/// Every FilterBankIO API throws this. `description` is one line, `"<path>: <message>"`,
/// ready to print for a user: the path names the file, the message the problem.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the error is about, as the caller spelled it.
    public let path: String
    /// What went wrong, one line without the path.
    public let message: String
    /// True when the problem is how the tool was asked, not the file (weights
    /// whose layout must be stated): a run stops at it, with the exit status
    /// of a usage error.
    public var isUsageError = false

    public init(path: String, message: String, isUsageError: Bool = false) {
        self.path = path
        self.message = message
        self.isUsageError = isUsageError
    }

    /// Wraps a filter bank validation error, naming the file it came from.
    public init(path: String, _ error: FilterBankError) {
        self.init(path: path, message: error.description)
    }

    /// Always one line: line breaks inside the path or the message (from a
    /// file name, or a parser quoting the bad text) are shown as `\n`.
    public var description: String { oneLine("\(path): \(message)") }
}

extension FileError {
    /// Reads a whole regular file into memory. A missing file is "no such
    /// file", a directory "is a directory, not a file".
    package static func readContents(of path: String) throws(FileError) -> [UInt8] {
        let file = try OpenFile.forReading(path)
        return try file.read(0..<file.regularFileSize())
    }

    /// The most specific one-line reason Foundation gives for `error`.
    package static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let debug = ns.userInfo[NSDebugDescriptionErrorKey] as? String, !debug.isEmpty { return debug }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError { return underlying.localizedDescription }
        return ns.localizedDescription
    }
}

/// `text` on one line: line breaks (`\n`, `\r`, form feed, vertical tab,
/// U+0085, U+2028, U+2029) and other control characters written as escapes.
package func oneLine(_ text: String) -> String {
    func plain(_ s: Unicode.Scalar) -> Bool {
        !(s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029)
    }
    guard !text.unicodeScalars.allSatisfy(plain) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case _ where plain(scalar): out.unicodeScalars.append(scalar)
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
    return out
}
