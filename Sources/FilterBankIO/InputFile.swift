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

/// An input's rows, delivered top to bottom, image after image, as Float
/// samples: what a streaming job reads.
protocol RowSource: AnyObject {
    /// `[N, H, W, C]` of everything the source will deliver.
    var shape: TensorShape { get }
    /// The next `count` rows of the current image (`count * W * C` Floats).
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError)
    /// What the codec warned about (empty for arrays).
    var warnings: [String] { get }
}

extension InputFile {
    /// Opens `path` for streaming: images row band by row band through their
    /// codec, `.npy` arrays (loaded whole, used as they are) row by row.
    ///
    /// An image whose EXIF orientation is not 1 is decoded whole and turned
    /// upright first (when `transforms.orient`); the channel transforms
    /// (alpha, gray) apply row by row. A JPEG that ends early is accepted
    /// only with `allowTruncated` (its missing rows are libjpeg's grey).
    static func openRows(path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                         transforms: InputTransforms = InputTransforms(),
                         allowTruncated: Bool = false) throws(FileError) -> any RowSource {
        if path.lowercased().hasSuffix(".npy") {
            return TensorRowSource(try NpyFile.readTensor(path: path))
        }
        let reader: ImageRowReader
        do {
            reader = try ImageRowReader(path: path, maxPixels: maxPixels, allowTruncated: allowTruncated)
        } catch {
            throw FileError(error)
        }
        let cmyk = reader.format == .jpeg && reader.channels == 4
        var source: any RowSource = ImageRowSource(reader)
        if transforms.orient && reader.orientation != 1 {
            // Rotations and flips need every row: decode whole, then reorder.
            let shape = source.shape
            var values = [Float](repeating: 0, count: shape.count)
            try values.withUnsafeMutableBufferPointer { (buffer) throws(FileError) in
                try source.readRows(reader.height, into: buffer.baseAddress!)
            }
            let upright = ImageOrientation.apply(reader.orientation, to: Tensor(shape: shape, values: values))
            source = TensorRowSource(upright, warnings: reader.warnings)
        }
        if transforms.changes(channels: reader.channels, cmyk: cmyk) {
            source = TransformedRowSource(source, transforms: transforms, cmyk: cmyk)
        }
        return source
    }
}

final class ImageRowSource: RowSource {
    let reader: ImageRowReader
    init(_ reader: ImageRowReader) { self.reader = reader }
    var shape: TensorShape {
        TensorShape(batch: 1, height: reader.height, width: reader.width, channels: reader.channels)
    }
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        do { try reader.readRows(count, into: destination) } catch { throw FileError(error) }
    }
    var warnings: [String] { reader.warnings }
}

final class TensorRowSource: RowSource {
    let tensor: Tensor
    let warnings: [String]
    private var offset = 0
    init(_ tensor: Tensor, warnings: [String] = []) {
        self.tensor = tensor
        self.warnings = warnings
    }
    var shape: TensorShape { tensor.shape }
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let floats = count * tensor.shape.rowCount
        tensor.values.withUnsafeBufferPointer { values in
            destination.update(from: values.baseAddress! + offset, count: floats)
        }
        offset += floats
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

    /// Whether anything exists at `path` (a dangling symbolic link counts).
    static func exists(_ path: String) -> Bool {
        var s = stat()
        return lstat(path, &s) == 0
    }
}
