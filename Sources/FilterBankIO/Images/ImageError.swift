internal import CImageCodecs

/// A failure to decode or encode an image file.
///
/// `description` is one line, `"<path>: <message>"`, and the message carries
/// libpng's or libjpeg's own words, e.g.
/// `x.png: PNG decode failed: IDAT: CRC error`.
public struct ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers that react differently to each.
    public enum Kind: Equatable, Hashable, Sendable {
        /// The file could not be opened or read (missing, a directory, no
        /// permission), or the output could not be created.
        case cannotOpen
        /// The file starts with neither the PNG signature nor the JPEG SOI marker.
        case unknownFormat
        /// The codec rejected the data (bad CRC, bad Huffman code, invalid header...).
        case corrupt
        /// The file ends before the image does ("Read Error" at end of file from
        /// libpng, "Premature end of JPEG file" from libjpeg).
        case truncated
        /// Valid data this build cannot decode, e.g. 12-bit JPEG.
        case unsupported
        /// `width * height * channels` is over the caller's limit; nothing was allocated.
        case tooLarge
        case outOfMemory
        /// Writing or closing the output failed (e.g. the disk is full).
        case writeFailed
        /// A bug in FilterBankIO's use of the codecs, not a problem of the file.
        case internalError
    }

    /// The file the error is about, as the caller spelled it.
    public let path: String
    public let kind: Kind
    /// What went wrong, one line without the path.
    public let message: String

    public init(path: String, kind: Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    public var description: String { oneLine("\(path): \(message)") }
}

/// Capacity of the message buffers handed to CImageCodecs (its messages are shorter).
let codecMessageCapacity = 512

extension ImageError {
    /// Turns a CImageCodecs status and message into an error. `operation` is
    /// what was attempted, e.g. "PNG decode".
    init(path: String, status: cic_status, operation: String, detail: [CChar], writing: Bool = false) {
        let text = String(decoding: detail.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let (kind, message): (Kind, String)
        switch status {
        case CIC_CANNOT_OPEN:
            (kind, message) = (.cannotOpen, writing ? "\(operation) failed: cannot create: \(text)" : "cannot open: \(text)")
        case CIC_CORRUPT: (kind, message) = (.corrupt, "\(operation) failed: \(text)")
        case CIC_TRUNCATED: (kind, message) = (.truncated, "\(operation) failed: file truncated: \(text)")
        case CIC_UNSUPPORTED: (kind, message) = (.unsupported, "\(operation) failed: \(text)")
        case CIC_TOO_LARGE: (kind, message) = (.tooLarge, "\(operation) failed: image too large: \(text)")
        case CIC_OUT_OF_MEMORY: (kind, message) = (.outOfMemory, "\(operation) failed: out of memory: \(text)")
        case CIC_WRITE_FAILED: (kind, message) = (.writeFailed, "\(operation) failed: \(text)")
        default: (kind, message) = (.internalError, "\(operation) failed: internal error: \(text)")
        }
        self.init(path: path, kind: kind, message: message)
    }
}

extension FileError {
    /// The same one-line error, as the file-level error every FilterBankIO job reports.
    public init(_ error: ImageError) {
        self.init(path: error.path, message: error.message)
    }
}
