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
