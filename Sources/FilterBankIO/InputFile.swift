#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FilterBankKit

/// Loads any supported input as an NHWC Float32 tensor.
public enum InputFile {
    /// The file kinds `load` understands, by extension: PNG and JPEG images
    /// (`.png`, `.jpg`, `.jpeg`, any case) and NumPy arrays (`.npy`).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

    /// `.npy` files become tensors as they are (`[H, W, C]` -> `[1, H, W, C]`,
    /// no scaling); anything else is decoded as an image (format told by its
    /// first bytes, not its name) into `[1, H, W, C]` scaled to [0, 1].
    public static func load(path: String) throws(FileError) -> Tensor {
        if path.lowercased().hasSuffix(".npy") {
            return try NpyFile.readTensor(path: path)
        }
        do {
            return try ImageDecoder.decode(path: path).tensor
        } catch {
            throw FileError(error)
        }
    }
}

/// Small file-system questions asked with `stat(2)`.
enum FilePaths {
    /// Whether both paths name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
