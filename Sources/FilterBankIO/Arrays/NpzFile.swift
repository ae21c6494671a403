import Foundation

/// Reads NumPy `.npz` archives: a zip file of `.npy` arrays, as written by
/// `numpy.savez` (stored) and `numpy.savez_compressed` (deflate).
///
/// The archive is checked as `ZipArchive` describes (bounds, sizes, CRC-32),
/// and each entry as `NpyFile` does (dtype, byte order, shape, truncation).
/// Errors are one line naming the archive, and the entry when it is one
/// entry's fault: `bank.npz: entry 'depthwise.npy': truncated data: ...`.
public enum NpzFile {
    /// Every array of the archive at `path`, in archive order, named as
    /// `numpy.load(path).files` names them (the entry name without `.npy`).
    public static func readArrays(path: String) throws(FileError) -> [(name: String, array: NpyArray)] {
        try decode(bytes: FileError.readContents(of: path), path: path)
    }

    /// As `readArrays(path:)`, from the archive's bytes; `path` only names it in errors.
    public static func decode(bytes: [UInt8], path: String) throws(FileError) -> [(name: String, array: NpyArray)] {
        let archive = try ZipArchive(bytes: bytes, path: path)
        guard !archive.entries.isEmpty else { throw FileError(path: path, message: "the .npz archive holds no arrays") }
        var arrays: [(name: String, array: NpyArray)] = []
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw FileError(path: path, message: "entry '\(entry.name)' is not a .npy array (numpy.savez names them <key>.npy)")
            }
            let contents = try archive.contents(of: entry)
            do {
                arrays.append((String(entry.name.dropLast(4)), try NpyFile.decode(Data(contents), path: path)))
            } catch {
                // One line even if damaged header bytes reach the message.
                let message = String(error.message.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) })
                throw FileError(path: path, message: "entry '\(entry.name)': \(message)")
            }
        }
        return arrays
    }
}
