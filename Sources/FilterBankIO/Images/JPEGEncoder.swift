internal import CImageCodecs

/// The colour models `JPEGRowWriter` and `JPEGEncoder` write.
public enum JPEGColorType: Equatable, Hashable, Sendable, CaseIterable {
    /// One sample per pixel, one JPEG component.
    case gray
    /// Three samples per pixel, red, green, blue; stored as YCbCr 4:4:4 (no
    /// chroma subsampling: feature maps and colormaps have sharp colour edges).
    case rgb

    /// Samples per pixel: 1 or 3.
    public var channels: Int { self == .gray ? 1 : 3 }

    var cValue: cic_jpeg_color { self == .gray ? CIC_JPEG_COLOR_GRAY : CIC_JPEG_COLOR_RGB }
}

/// Writes 8-bit baseline JPEG files through libjpeg (the C target
/// `CImageCodecs`): JFIF, libjpeg's accurate integer DCT, grayscale or RGB.
///
/// Writes straight to the given path (creating or truncating it; a symbolic
/// link there is refused, never written through); on failure a partial file
/// may be left there. Write to a temporary name and rename (`AtomicFile`) for
/// all-or-nothing output. libjpeg writes to a descriptor opened here, never
/// to a path.
public enum JPEGEncoder {
    /// The most pixels a JPEG may have each way.
    public static let maxDimension = 65500
    /// The quality used when none is given, as `cjpeg`'s 75 is too low for
    /// looking at filter responses.
    public static let defaultQuality = 90

    /// Writes a JPEG of `width * height` pixels of `colorType.channels`
    /// interleaved 8-bit samples each, row-major. `quality` and
    /// `optimizeCoding` as in `JPEGRowWriter.init`.
    /// - Throws: `ImageError` naming `path`.
    public static func write(_ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                             colorType: JPEGColorType = .gray, quality: Int = defaultQuality,
                             optimizeCoding: Bool = true, to path: String) throws(ImageError) {
        let writer = try JPEGRowWriter(path: path, width: width, height: height, quality: quality,
                                       colorType: colorType, optimizeCoding: optimizeCoding)
        precondition(samples.count >= width * height * colorType.channels,
                     "\(samples.count) samples for a \(width)x\(height) image of \(colorType.channels) channels")
        guard let base = samples.baseAddress else { preconditionFailure("no sample buffer") }
        try writer.writeRows(base, rowStride: width * colorType.channels, rows: height)
        try writer.finish()
    }

    /// Writes an 8-bit grayscale JPEG of `width * height` samples, row-major, at `quality` (1...100).
    /// - Throws: `ImageError` naming `path`.
    public static func writeGray(_ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                                 quality: Int = defaultQuality, to path: String) throws(ImageError) {
        try write(samples, width: width, height: height, colorType: .gray, quality: quality, to: path)
    }
}

/// A JPEG written a band of rows at a time, like `PNGRowWriter`: grayscale
/// by default, or RGB.
///
/// Writes straight to `path`, or to a file the caller created; `finish()` completes the file, and a writer
/// that is dropped unfinished closes it as it is (the caller, writing to a
/// temporary name, removes it). One writer per thread.
///
/// Memory: with `optimizeCoding` (the default) libjpeg keeps the whole
/// image's DCT coefficients until `finish()`, 2 bytes per sample (twice the
/// 8-bit image); without it, only a band of 8 rows.
public final class JPEGRowWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let colorType: JPEGColorType
    public let quality: Int
    public let optimizeCoding: Bool
    public private(set) var rowsWritten = 0
    private var handle: OpaquePointer?

    /// Creates `path` (or empties it; a symbolic link there is refused) and
    /// writes the JPEG header (SOI, JFIF APP0).
    /// - Parameters:
    ///   - quality: 1...100 (a precondition): libjpeg's (`cjpeg`'s, Pillow's)
    ///     scale of its standard quantisation tables, forced to baseline
    ///     (table values at most 255, so every decoder reads the file).
    ///   - colorType: `.gray` (one component) or `.rgb` (YCbCr 4:4:4).
    ///   - optimizeCoding: optimal Huffman tables, a few percent smaller with
    ///     the same pixels, at the memory cost above. Turn it off when many
    ///     large planes are written at once and memory matters more than size.
    /// - Throws: `ImageError` naming `path` (`.unsupported` for a size JPEG
    ///   cannot hold, over 65500 pixels each way; `.cannotOpen` when the file
    ///   cannot be created).
    public convenience init(path: String, width: Int, height: Int, quality: Int = JPEGEncoder.defaultQuality,
                            colorType: JPEGColorType = .gray, optimizeCoding: Bool = true) throws(ImageError) {
        try Self.checkSize(width, height, path: path)   // before anything is created
        let file: OpenFile
        do { file = try OpenFile.createOrTruncate(path) } catch {
            throw ImageError(path: path, kind: .cannotOpen, message: "JPEG encode failed: \(error.message)")
        }
        try self.init(file: file, width: width, height: height, quality: quality, colorType: colorType,
                      optimizeCoding: optimizeCoding)
    }

    /// Writes the JPEG header to `file`, a file this process created, through
    /// its own duplicate of the descriptor (as `PNGRowWriter.init(file:...)`).
    package init(file: OpenFile, width: Int, height: Int, quality: Int = JPEGEncoder.defaultQuality,
                 colorType: JPEGColorType = .gray, optimizeCoding: Bool = true) throws(ImageError) {
        precondition((1...100).contains(quality), "JPEG quality must be 1...100, got \(quality)")
        let path = file.path
        try Self.checkSize(width, height, path: path)
        self.path = path
        self.width = width
        self.height = height
        self.colorType = colorType
        self.quality = quality
        self.optimizeCoding = optimizeCoding
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        var options = cic_jpeg_write_options(quality: Int32(quality), optimize_coding: optimizeCoding ? 1 : 0)
        let status = cic_jpeg_writer_open(file.rawDescriptor, UInt32(width), UInt32(height), colorType.cValue, &options,
                                          &handle, &message, codecMessageCapacity)
        guard status == CIC_OK, handle != nil else {
            throw ImageError(path: path, status: status, operation: "JPEG encode", detail: message, writing: true)
        }
    }

    private static func checkSize(_ width: Int, _ height: Int, path: String) throws(ImageError) {
        let limit = JPEGEncoder.maxDimension
        guard width > 0, height > 0, width <= limit, height <= limit else {
            throw ImageError(path: path, kind: .unsupported,
                             message: "JPEG encode failed: a JPEG must be 1...\(limit) pixels each way, not \(width)x\(height)")
        }
    }

    deinit { cic_jpeg_writer_abort(handle) }

    /// Writes the next `rows` rows of 8-bit samples, row `i` at `samples + i * rowStride`
    /// (`rowStride` in samples, at least `width * colorType.channels`).
    public func writeRows(_ samples: UnsafePointer<UInt8>, rowStride: Int, rows: Int) throws(ImageError) {
        precondition(rows >= 0 && rowsWritten + rows <= height, "more rows than the image has")
        guard let handle else {
            throw ImageError(path: path, kind: .internalError, message: "JPEG encode failed: writer already closed")
        }
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        let status = cic_jpeg_writer_write_rows(handle, samples, rowStride, UInt32(rows), &message, codecMessageCapacity)
        guard status == CIC_OK else {
            cic_jpeg_writer_abort(handle)
            self.handle = nil
            throw ImageError(path: path, status: status, operation: "JPEG encode", detail: message, writing: true)
        }
        rowsWritten += rows
    }

    /// Ends the file (EOI), flushes and closes it.
    public func finish() throws(ImageError) {
        guard let handle else {
            throw ImageError(path: path, kind: .internalError, message: "JPEG encode failed: writer already closed")
        }
        self.handle = nil
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        let status = cic_jpeg_writer_finish(handle, &message, codecMessageCapacity)
        guard status == CIC_OK else {
            throw ImageError(path: path, status: status, operation: "JPEG encode", detail: message, writing: true)
        }
    }
}
