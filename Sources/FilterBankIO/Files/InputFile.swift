import FilterBankKit

/// Loads any supported input as an NHWC Float32 tensor.
public enum InputFile {
    /// The file kinds `load` understands, by extension: PNG and JPEG images
    /// (`.png`, `.jpg`, `.jpeg`, any case) and NumPy arrays (`.npy`).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

    /// Whether `path` names a NumPy array (`.npy`, any case), read as it is;
    /// anything else is decoded as an image.
    public static func isArray(_ path: String) -> Bool { path.lowercased().hasSuffix(".npy") }

    /// `.npy` files become tensors as they are (`[H, W, C]` -> `[1, H, W, C]`,
    /// no scaling); anything else is decoded as an image (format told by its
    /// first bytes, not its name) into `[1, H, W, C]` scaled to [0, 1].
    public static func load(path: String) throws(FileError) -> Tensor {
        if isArray(path) {
            return try NpyFile.readTensor(path: path)
        }
        do {
            return try ImageDecoder.decode(path: path).tensor
        } catch {
            throw FileError(error)
        }
    }
}

extension InputFile {
    /// What a file's first bytes say it is, for messages about files that are
    /// not inputs: `a TIFF image`, `a WebP image`, `an empty file`, ...
    /// (`head`: at least the first 16 bytes, when the file has them).
    public static func describeContents(_ head: [UInt8]) -> String {
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + bytes.count && Array(head[offset..<(offset + bytes.count)]) == bytes
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }
        if head.isEmpty { return "an empty file" }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "a PNG image" }
        if starts([0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if starts([0x93]) && ascii("NUMPY", at: 1) { return "a NumPy .npy array" }
        if ascii("II*\u{0}") || ascii("MM\u{0}*") { return "a TIFF image" }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return "a WebP image" }
        if ascii("GIF87a") || ascii("GIF89a") { return "a GIF image" }
        if ascii("BM") && head.count >= 14 { return "a BMP image" }
        if ascii("ftyp", at: 4) {
            if ascii("avif", at: 8) || ascii("avis", at: 8) { return "an AVIF image" }
            if ascii("hei", at: 8) || ascii("mif1", at: 8) || ascii("msf1", at: 8) { return "a HEIF image" }
            return "an ISO media file (MP4, MOV, HEIF...)"
        }
        if starts([0xFF, 0x0A]) || starts([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return "a JPEG XL image" }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return "a JPEG 2000 image" }
        if ascii("%PDF") { return "a PDF document" }
        if ascii("PK\u{3}\u{4}") { return "a zip archive" }
        if starts([0x1F, 0x8B]) { return "a gzip file" }
        if ascii("\u{0}\u{0}\u{1}\u{0}") { return "an ICO image" }
        if ascii("8BPS") { return "a Photoshop image" }
        if ascii("P1") || ascii("P2") || ascii("P3") || ascii("P4") || ascii("P5") || ascii("P6") { return "a Netpbm image" }
        if head.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20..<0x7F).contains($0) || $0 >= 0x80 }) {
            return "a text file"
        }
        return "of unknown kind (first bytes " + head.prefix(4).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ") + ")"
    }
}
