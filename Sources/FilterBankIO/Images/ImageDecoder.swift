internal import CImageCodecs
import FilterBankKit

/// The container formats `ImageDecoder` reads.
public enum ImageFormat: String, Equatable, Hashable, Sendable {
    case png
    case jpeg
}

/// An image decoded to Float samples, with what the codec said about it.
public struct DecodedImage: Equatable, Sendable {
    /// `[1, height, width, channels]`: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    /// (PNG) or CMYK (JPEG, Adobe inversion undone). Samples are the stored
    /// values scaled exactly to [0, 1]: `v / 255` for 8-bit, `v / 65535` for
    /// 16-bit (each the correctly rounded Float of the quotient, so
    /// `(x * 255).rounded()` gives the stored byte back).
    public let tensor: Tensor
    /// Bits per stored sample after expansion: 8, or 16 for 16-bit PNG.
    /// (1/2/4-bit PNG gray and palettes are expanded to 8.)
    public let bitDepth: Int
    public let format: ImageFormat
    /// Warnings the codec gave on a decode that succeeded, e.g. libpng's
    /// "iCCP: known incorrect sRGB profile": one line per kind of warning, as
    /// `ImageRowReader.warnings` documents.
    public let warnings: [String]
    /// The EXIF Orientation, 1...8 (1 when the file has none; see
    /// `ImageRowReader.orientation`). `tensor` is in stored order: apply it
    /// with FilterBankKit's `ImageOrientation.apply(_:to:)`.
    public let orientation: Int
    /// Whether the file ended early and libjpeg padded the missing rows with
    /// grey (only with `allowTruncated`; the warnings then include
    /// "Premature end of JPEG file").
    public let truncated: Bool

    public init(tensor: Tensor, bitDepth: Int, format: ImageFormat, warnings: [String],
                orientation: Int = 1, truncated: Bool = false) {
        self.tensor = tensor
        self.bitDepth = bitDepth
        self.format = format
        self.warnings = warnings
        self.orientation = orientation
        self.truncated = truncated
    }
}

/// Decodes PNG and JPEG files through libpng and libjpeg (the C target
/// `CImageCodecs`).
///
/// Samples are raw: no gamma correction, no colour-profile conversion, alpha
/// not premultiplied, EXIF orientation read but not applied (rows in stored
/// order; `DecodedImage.orientation` says how to display them).
/// PNG: palette -> RGB, `tRNS` -> an alpha channel, Adam7 de-interlaced, 16-bit
/// kept. JPEG: libjpeg's default (islow) DCT and fancy upsampling, as `djpeg`.
/// A truncated file is an error for both formats by default (libjpeg would
/// otherwise pad it with grey; `allowTruncated` accepts that for JPEG), as is
/// a 12-bit JPEG.
///
/// Thread-safe: each call has its own codec state.
public enum ImageDecoder {
    /// 2^28 pixels (268 million, e.g. 16384 x 16384): the default limit on
    /// `width * height`, as `--max-pixels`.
    public static let defaultMaxPixels = 268_435_456
    /// The most scans a JPEG may have by default, as `--max-scans`: real
    /// files have at most about 20; libjpeg-turbo's own fuzzers stop at 500.
    public static let defaultMaxScans = 100

    /// Decodes the PNG or JPEG file at `path`, told apart by its first bytes
    /// (not its name).
    ///
    /// - Parameters:
    ///   - maxPixels: the most pixels (`width * height`) to
    ///     accept; the header is checked against it before any pixel memory
    ///     is allocated, and a larger image throws a `.tooLarge` error.
    ///   - allowTruncated: accept a JPEG that ends early, as
    ///     `ImageRowReader.init(path:maxPixels:allowTruncated:)` explains.
    ///     A truncated PNG is an error either way.
    /// - Throws: `ImageError` naming `path`, with the codec's own message.
    public static func decode(path: String, maxPixels: Int = defaultMaxPixels,
                              allowTruncated: Bool = false) throws(ImageError) -> DecodedImage {
        let reader = try ImageRowReader(path: path, maxPixels: maxPixels, allowTruncated: allowTruncated)
        let shape = TensorShape(batch: 1, height: reader.height, width: reader.width, channels: reader.channels)
        var failure: ImageError?
        let values = [Float](unsafeUninitializedCapacity: shape.count) { out, initialized in
            // Bands keep the raw (8/16-bit) buffer small and in cache while widening.
            var row = 0
            while row < reader.height {
                let rows = min(64, reader.height - row)
                do throws(ImageError) {
                    try reader.readRows(rows, into: out.baseAddress! + row * shape.rowCount)
                } catch {
                    failure = error
                    break
                }
                row += rows
            }
            initialized = failure == nil ? shape.count : 0
        }
        if let failure { throw failure }
        return DecodedImage(tensor: Tensor(shape: shape, values: values), bitDepth: reader.bitDepth,
                            format: reader.format, warnings: reader.warnings,
                            orientation: reader.orientation, truncated: reader.truncated)
    }
}

/// Reads a PNG or JPEG file's rows top to bottom as Float samples, a band at a
/// time, so that a large image never needs to be in memory whole.
///
/// Values are scaled to [0, 1] exactly as `ImageDecoder.decode` documents.
/// Opening reads the header only. Non-interlaced PNG and every JPEG stream
/// row by row (a progressive JPEG's coefficients are read and buffered
/// inside libjpeg at the first read, which is the least it needs); an Adam7
/// PNG is decoded whole on the first read into its raw 8/16-bit samples (a
/// quarter or half of the Float size) and served from there.
///
/// Not thread-safe: one reader per thread.
public final class ImageRowReader {
    public let path: String
    public let format: ImageFormat
    public let width: Int
    public let height: Int
    public let channels: Int
    /// 8, or 16 for 16-bit PNG.
    public let bitDepth: Int
    /// The EXIF Orientation tag, 1...8, read on open: how the stored rows
    /// must be turned to be displayed upright (FilterBankKit's
    /// `ImageOrientation`). The reader still delivers rows in stored order.
    /// JPEG: the first APP1 segment holding EXIF, wherever it sits among the
    /// APPn segments; PNG: an `eXIf` chunk before the image data. 1 when
    /// there is no EXIF, no Orientation tag, or the EXIF data is damaged
    /// (never an error).
    public let orientation: Int
    /// Whether the file turned out to end early and libjpeg padded the
    /// missing rows with grey (only possible with `allowTruncated`; known once
    /// the missing rows, or with a progressive JPEG the whole file, are read).
    public var truncated: Bool {
        guard codec.format == .jpeg, let handle else { return false }
        return cic_jpeg_truncated(handle) != 0
    }
    /// Rows delivered so far.
    public private(set) var rowsRead = 0
    /// What the decoder holds for the whole image while it is read: a
    /// progressive JPEG's coefficients, an Adam7 PNG's raw samples; 0 when
    /// it streams row by row.
    public let bufferedBytes: Int
    /// Bytes of one row of raw samples (`width * channels * bitDepth / 8`).
    public var rawRowBytes: Int { rowBytes }

    private let codec: Codec
    private var handle: OpaquePointer?
    private let rowBytes: Int
    private let interlaced: Bool
    /// Raw samples of the current band, or of the whole image for Adam7.
    private var raw: UnsafeMutableRawPointer
    private var rawRows: Int
    private var message = [CChar](repeating: 0, count: codecMessageCapacity)

    /// Opens `path` and reads its header; no pixel memory is allocated for an
    /// image of more than `maxPixels` pixels (`width * height`).
    ///
    /// - Parameter allowTruncated: JPEG only. `false` (the default): a file
    ///   that ends before its last row is an error of kind `.truncated`.
    ///   `true`: libjpeg's grey padding of the missing rows is accepted, and
    ///   its "Premature end of JPEG file" is a warning (see `warnings` and
    ///   `truncated`); a file cut before any image data is still an error.
    ///   A truncated PNG is always an error: libpng cannot complete its rows.
    ///
    /// - Parameters:
    ///   - maxMemory: the most bytes the decoder may hold for the whole image
    ///     (0: no limit): a JPEG with several scans (progressive) keeps every
    ///     DCT coefficient, 2 bytes each, and an Adam7 PNG its whole raw
    ///     image; a larger need is a `.tooLarge` error at open, with both
    ///     numbers in the message. libjpeg's `max_memory_to_use` is set to it.
    ///   - maxScans: the most scans a JPEG may have (each costs a pass over
    ///     the image's coefficients); more is a `.corrupt` error.
    public init(path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                allowTruncated: Bool = false, maxMemory: Int = 0,
                maxScans: Int = ImageDecoder.defaultMaxScans) throws(ImageError) {
        self.path = path
        var format = CIC_FORMAT_UNKNOWN
        let sniffed = cic_sniff_format(path, &format, &message, codecMessageCapacity)
        guard sniffed == CIC_OK else {
            throw ImageError(path: path, status: sniffed, operation: "image decode", detail: message)
        }
        switch format {
        case CIC_FORMAT_PNG: codec = .png
        case CIC_FORMAT_JPEG: codec = .jpeg
        default: throw ImageError(path: path, kind: .unknownFormat, message: "not a PNG or JPEG file")
        }
        self.format = codec.format
        var info = cic_image_info()
        var limits = cic_read_limits(max_pixels: UInt64(max(0, maxPixels)), max_memory: UInt64(max(0, maxMemory)),
                                     max_scans: UInt32(clamping: max(1, maxScans)),
                                     flags: allowTruncated ? CIC_JPEG_ALLOW_TRUNCATED.rawValue : 0)
        let opened = codec.open(path, &limits, &handle, &info, &message, codecMessageCapacity)
        guard opened == CIC_OK, let handle else {
            codec.close(handle)
            throw ImageError(path: path, status: opened, operation: codec.operation, detail: message)
        }
        var exifLength = 0
        if let exif = codec.exif(handle, &exifLength) {
            orientation = Exif.orientation(tiff: UnsafeRawBufferPointer(start: exif, count: exifLength))
        } else {
            orientation = 1
        }
        width = Int(info.width)
        height = Int(info.height)
        channels = Int(info.channels)
        bitDepth = Int(info.bit_depth)
        rowBytes = info.row_bytes
        interlaced = info.interlaced != 0
        bufferedBytes = interlaced ? height * rowBytes : Int(info.buffered_bytes)
        if interlaced && maxMemory > 0 && bufferedBytes > maxMemory {
            codec.close(handle)
            self.handle = nil
            throw ImageError(path: path, kind: .tooLarge,
                             message: "PNG decode failed: image too large: a \(width)x\(height) interlaced PNG is decoded whole, "
                                 + "\(bufferedBytes) bytes, more than the memory budget of \(maxMemory) bytes")
        }
        rawRows = 0
        raw = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    }

    deinit {
        codec.close(handle)
        raw.deallocate()
    }

    /// The codec's warnings on this file so far, one line per kind in the
    /// order first seen: the first message of the kind, followed by
    /// `" (and N more like it)"` when it came again. A kind is libjpeg's
    /// message code (so "3 extraneous bytes" and "5 extraneous bytes" are one
    /// kind) or libpng's exact text. Past 8 kinds, a last line counts the
    /// rest: `"N more warnings"`.
    public var warnings: [String] {
        guard let handle else { return [] }
        let total = Int(codec.warningCount(handle))
        var list: [String] = []
        var listed = 0
        for index in 0..<codec.warningKinds(handle) {
            var count: UInt32 = 0
            let text = String(cString: codec.warningKind(handle, index, &count))
            listed += Int(count)
            list.append(count > 1 ? "\(text) (and \(count - 1) more like it)" : text)
        }
        if total > listed { list.append("\(total - listed) more warning\(total - listed > 1 ? "s" : "")") }
        return list
    }

    /// Decodes the next `rows` rows into `destination` (`rows * width * channels` Floats).
    public func readRows(_ rows: Int, into destination: UnsafeMutablePointer<Float>) throws(ImageError) {
        precondition(rows >= 0 && rowsRead + rows <= height, "read past the last row")
        guard rows > 0, let handle else { return }
        let source: UnsafeRawPointer
        if interlaced {
            if rawRows == 0 {  // Adam7: the whole image in one call, the first time
                try reserve(rows: height)
                let status = codec.readImage(handle, raw, rowBytes, &message, codecMessageCapacity)
                guard status == CIC_OK else { throw failure(status) }
            }
            source = UnsafeRawPointer(raw + rowsRead * rowBytes)
        } else {
            try reserve(rows: rows)
            let status = codec.readRows(handle, raw, rowBytes, UInt32(rows), &message, codecMessageCapacity)
            guard status == CIC_OK else { throw failure(status) }
            source = UnsafeRawPointer(raw)
        }
        let count = rows * width * channels
        if bitDepth == 16 {
            Self.widen16(source.assumingMemoryBound(to: UInt16.self), destination, count)
        } else {
            Self.widen8(source.assumingMemoryBound(to: UInt8.self), destination, count)
        }
        rowsRead += rows
    }

    /// Decodes the next `rows` rows as raw samples (8-bit, or 16-bit in host
    /// byte order), row `i` at `destination + i * rawRowBytes`.
    public func readRawRows(_ rows: Int, into destination: UnsafeMutableRawPointer) throws(ImageError) {
        precondition(rows >= 0 && rowsRead + rows <= height, "read past the last row")
        guard rows > 0, let handle else { return }
        if interlaced {
            if rawRows == 0 && rowsRead == 0 && rows == height {   // straight into the caller's buffer
                let status = codec.readImage(handle, destination, rowBytes, &message, codecMessageCapacity)
                guard status == CIC_OK else { throw failure(status) }
                rowsRead = height
                return
            }
            if rawRows == 0 {
                try reserve(rows: height)
                let status = codec.readImage(handle, raw, rowBytes, &message, codecMessageCapacity)
                guard status == CIC_OK else { throw failure(status) }
            }
            destination.copyMemory(from: raw + rowsRead * rowBytes, byteCount: rows * rowBytes)
        } else {
            let status = codec.readRows(handle, destination, rowBytes, UInt32(rows), &message, codecMessageCapacity)
            guard status == CIC_OK else { throw failure(status) }
        }
        rowsRead += rows
    }

    private func reserve(rows: Int) throws(ImageError) {
        guard rows > rawRows else { return }
        raw.deallocate()
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * rowBytes), alignment: 16)
        rawRows = rows
    }

    private func failure(_ status: cic_status) -> ImageError {
        ImageError(path: path, status: status, operation: codec.operation, detail: message)
    }

    /// The two readers' C entry points, which have the same shape.
    private struct Codec {
        let format: ImageFormat
        let operation: String
        /// path, limits (PNG: only max_pixels), reader, info, message, capacity.
        let open: (UnsafePointer<CChar>, UnsafePointer<cic_read_limits>, UnsafeMutablePointer<OpaquePointer?>,
                   UnsafeMutablePointer<cic_image_info>, UnsafeMutablePointer<CChar>, Int) -> cic_status
        let readRows: (OpaquePointer, UnsafeMutableRawPointer, Int, UInt32, UnsafeMutablePointer<CChar>, Int) -> cic_status
        let readImage: (OpaquePointer, UnsafeMutableRawPointer, Int, UnsafeMutablePointer<CChar>, Int) -> cic_status
        let warningCount: (OpaquePointer) -> UInt32
        let warningKinds: (OpaquePointer) -> UInt32
        let warningKind: (OpaquePointer, UInt32, UnsafeMutablePointer<UInt32>?) -> UnsafePointer<CChar>
        let exif: (OpaquePointer, UnsafeMutablePointer<Int>) -> UnsafePointer<UInt8>?
        let close: (OpaquePointer?) -> Void

        static var png: Codec {
            Codec(format: .png, operation: "PNG decode",
                  open: { path, limits, reader, info, message, capacity in
                      cic_png_open(path, limits.pointee.max_pixels, reader, info, message, capacity)
                  },
                  readRows: cic_png_read_rows, readImage: cic_png_read_image,
                  warningCount: cic_png_warning_count, warningKinds: cic_png_warning_kinds,
                  warningKind: cic_png_warning_kind, exif: cic_png_exif, close: cic_png_close)
        }
        static var jpeg: Codec {
            Codec(format: .jpeg, operation: "JPEG decode", open: cic_jpeg_open_limited,
                  readRows: cic_jpeg_read_rows, readImage: cic_jpeg_read_image,
                  warningCount: cic_jpeg_warning_count, warningKinds: cic_jpeg_warning_kinds,
                  warningKind: cic_jpeg_warning_kind, exif: cic_jpeg_exif, close: cic_jpeg_close)
        }
    }

    // Tight loops over raw pointers so that release builds vectorise them.
    // Division (not multiplication by 1/255) keeps each value the correctly rounded quotient.
    private static func widen8(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dst[i] = Float(src[i]) / 255 }
    }

    private static func widen16(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dst[i] = Float(src[i]) / 65535 }
    }
}
