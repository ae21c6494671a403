import FilterBankIO
/// File names for the outputs of one input image.
///
/// Channel numbers are zero-padded to a fixed width per run, so that the files
/// of one image sort in channel order: `photo_c00.png` ... `photo_c23.png`.
public enum OutputNaming {
    /// The input's file name without its directory and its last extension:
    /// `"in/photo.v2.jpg"` -> `"photo.v2"`. A leading dot does not start an
    /// extension (`".hidden"` stays `".hidden"`); trailing slashes are ignored;
    /// an empty path gives `""`.
    public static func stem(of path: String) -> String { PathText.stem(of: path) }

    /// `<stem>_c<k>.<ext>`, or `<stem>_n<i>_c<k>.<ext>` when `batchCount > 1`.
    ///
    /// `k` is zero-padded to the number of digits of `channelCount - 1` (`_c0`..`_c5`
    /// for 6 channels, `_c00`..`_c23` for 24), `i` likewise to `batchCount - 1`.
    /// `fileExtension` is given without a dot (a leading one is dropped).
    public static func channelFileName(stem: String, channel: Int, channelCount: Int,
                                       batch: Int, batchCount: Int, fileExtension: String) -> String {
        let ext = fileExtension.hasPrefix(".") ? String(fileExtension.dropFirst()) : fileExtension
        let c = "_c" + padded(channel, to: channelCount)
        let n = batchCount > 1 ? "_n" + padded(batch, to: batchCount) : ""
        return stem + n + c + (ext.isEmpty ? "" : "." + ext)
    }

    /// `<stem>.npy`, for writing the whole output tensor.
    public static func tensorFileName(stem: String) -> String { stem + ".npy" }

    /// `value` zero-padded to the digit count of `count - 1` (at least one digit).
    static func padded(_ value: Int, to count: Int) -> String {
        let width = String(max(count - 1, 0)).count
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A file-name template for per-channel outputs, such as `{stem}_c{channel}`.
///
/// Fields (numbers zero-padded to the width of their largest value):
/// - `{stem}`: the input's file name without directory and extension;
/// - `{channel}`: the output channel index `k`;
/// - `{n}`: the image's index in a batch;
/// - `{c}`: the input channel the output comes from (depthwise banks: `k / M`);
/// - `{m}`: the kernel (multiplier slot) index (depthwise banks: `k % M`);
/// - `{kernel}`: the kernel's name when the bank names its kernels, else `k<m>`.
/// `{c}`, `{m}` and `{kernel}` need a depthwise bank (a separable output mixes
/// every input channel). The extension is added by the writer.
public struct NameTemplate: Sendable, Equatable {
    public let text: String
    enum Piece: Equatable { case literal(String), stem, channel, batch, inputChannel, multiplier, kernel }
    let pieces: [Piece]

    public static let fields = ["stem", "channel", "n", "c", "m", "kernel"]
    /// Today's names: `{stem}_c{channel}` (`{stem}_n{n}_c{channel}` for a batch).
    public static let standard = try! NameTemplate("{stem}_c{channel}")  // literal templates: always parse
    /// Today's names for an input that is a batch of images: `{stem}_n{n}_c{channel}`.
    public static let standardForBatch = try! NameTemplate("{stem}_n{n}_c{channel}")

    /// Parses `text`; an unknown field, an unclosed brace or a `/` is an error message.
    public init(_ text: String) throws(NameTemplateError) {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let ch = rest.first {
            rest = rest.dropFirst()
            if ch == "/" { throw NameTemplateError("name template '\(text)' must not contain '/'") }
            guard ch == "{" else { literal.append(ch); continue }
            guard let close = rest.firstIndex(of: "}") else {
                throw NameTemplateError("name template '\(text)' has an unclosed '{'")
            }
            let field = String(rest[..<close])
            rest = rest[rest.index(after: close)...]
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            switch field {
            case "stem": pieces.append(.stem)
            case "channel": pieces.append(.channel)
            case "n": pieces.append(.batch)
            case "c": pieces.append(.inputChannel)
            case "m": pieces.append(.multiplier)
            case "kernel": pieces.append(.kernel)
            default:
                throw NameTemplateError("name template '\(text)' has an unknown field {\(field)}; fields: "
                                        + Self.fields.map { "{\($0)}" }.joined(separator: ", "))
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        guard !pieces.isEmpty else { throw NameTemplateError("name template is empty") }
        self.text = text
        self.pieces = pieces
    }

    /// Whether the template tells the channels of one image apart by itself.
    var distinguishesChannels: Bool {
        pieces.contains(.channel) || (pieces.contains(.inputChannel) && (pieces.contains(.multiplier) || pieces.contains(.kernel)))
    }
    var usesDepthwiseFields: Bool {
        pieces.contains(.inputChannel) || pieces.contains(.multiplier) || pieces.contains(.kernel)
    }
    var usesBatch: Bool { pieces.contains(.batch) }

    /// The file name (without extension) of output channel `channel` of image `batch`.
    func name(stem: String, channel: Int, channelCount: Int, batch: Int, batchCount: Int,
              multiplier: Int, inputChannels: Int, kernelNames: [String]?) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case let .literal(s): out += s
            case .stem: out += stem
            case .channel: out += OutputNaming.padded(channel, to: channelCount)
            case .batch: out += OutputNaming.padded(batch, to: batchCount)
            case .inputChannel: out += OutputNaming.padded(channel / multiplier, to: inputChannels)
            case .multiplier: out += OutputNaming.padded(channel % multiplier, to: multiplier)
            case .kernel:
                let m = channel % multiplier
                out += kernelNames.flatMap { m < $0.count ? $0[m] : nil } ?? "k" + OutputNaming.padded(m, to: multiplier)
            }
        }
        return out
    }
}

public struct NameTemplateError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
