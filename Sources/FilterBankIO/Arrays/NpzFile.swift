import Foundation

/// Reads NumPy `.npz` archives: a zip file of `.npy` arrays, as written by
/// `numpy.savez` (stored) and `numpy.savez_compressed` (deflate).
///
/// The archive is checked as `ZipArchive` describes (bounds, sizes, CRC-32),
/// and each entry as `NpyFile` does (dtype, byte order, shape, truncation).
/// Errors are one line naming the archive, and the entry when it is one
/// entry's fault: `bank.npz: entry 'depthwise.npy': truncated data: ...`.
public enum NpzFile {
    /// 1 GiB: the most an entry may need, inflated and as Float32 together.
    public static let defaultMaxBytes = 1 << 30

    /// Every array of the archive at `path`, in archive order, named as
    /// `numpy.load(path).files` names them (the entry name without `.npy`).
    public static func readArrays(path: String) throws(FileError) -> [(name: String, array: NpyArray)] {
        try decode(bytes: FileError.readContents(of: path), path: path)
    }

    /// As `readArrays(path:)`, from the archive's bytes; `path` only names it in errors.
    ///
    /// `maxBytes` bounds each entry: its inflated bytes and its values as
    /// Float32 together (1 GiB by default, as `--max-memory`); it is checked
    /// from the entry's declared size and its `.npy` header before the entry
    /// is inflated, so a small archive that inflates to gigabytes costs little.
    public static func decode(bytes: [UInt8], path: String, maxBytes: Int = defaultMaxBytes) throws(FileError) -> [(name: String, array: NpyArray)] {
        let archive = try ZipArchive(bytes: bytes, path: path)
        guard !archive.entries.isEmpty else { throw FileError(path: path, message: "the .npz archive holds no arrays") }
        var arrays: [(name: String, array: NpyArray)] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw FileError(path: path, message: "entry '\(entry.name)' is not a .npy array (numpy.savez names them <key>.npy)")
            }
            // The .npy header first, from the entry's first bytes: a shape that does not
            // match the entry's size, or an array over the limit, is refused before inflating.
            let head = try archive.prefix(of: entry, count: 1 << 16)   // its errors name the entry
            do throws(FileError) {
                let layout = try NpyFile.Layout.parse(size: entry.uncompressedSize, path: path) { (range) throws(FileError) in
                    guard range.upperBound <= head.count else {
                        throw FileError(path: path, message: "the .npy header is longer than \(head.count) bytes")
                    }
                    return Array(head[range])
                }
                let floats = layout.count * MemoryLayout<Float>.stride
                guard entry.uncompressedSize + floats <= maxBytes else {
                    throw FileError(path: path, message: "an array of shape \(layout.header.shape) needs \(entry.uncompressedSize) "
                                    + "bytes inflated and \(floats) as Float32, more than the limit of \(maxBytes) bytes")
                }
            } catch {
                // One line even if damaged header bytes reach the message.
                let message = String(error.message.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) })
                throw FileError(path: path, message: "entry '\(entry.name)': \(message)")
            }
            let contents = try archive.contents(of: entry)   // its errors name the entry
            do throws(FileError) {
                arrays.append((String(entry.name.dropLast(4)), try NpyFile.decode(bytes: contents, path: path)))
            } catch {
                // One line even if damaged header bytes reach the message.
                let message = String(error.message.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) })
                throw FileError(path: path, message: "entry '\(entry.name)': \(message)")
            }
        }
        return arrays
    }
}
