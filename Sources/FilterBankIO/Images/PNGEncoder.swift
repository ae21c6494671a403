internal import CImageCodecs
import FilterBankKit

/// How `PNGEncoder` and `PNGRowWriter` compress: filterbank's own fast
/// deflate encoder (`fast`), or libpng and zlib with a zlib level and
/// strategy and the PNG row filters libpng may choose from.
public struct PNGCompression: Equatable, Hashable, Sendable {
    /// Which encoder writes the file.
    public enum Encoder: Equatable, Hashable, Sendable {
        /// libpng, compressing with zlib at `level` and `strategy`, filtering with `filters`.
        case zlib
        /// filterbank's own encoder (`Images/FastPNG`): one row filter per band
        /// segment chosen from None, Sub, Up and Paeth on a sample of its rows,
        /// Huffman codes built from each segment's histogram, runs of a repeated
        /// byte as matches at distance 1, no other matching. Standard zlib
        /// streams in IDAT chunks, several times faster than zlib level 1 and
        /// about as small on filter outputs (docs/performance.md).
        /// `level`, `strategy` and `filters` do not apply.
        case fastDeflate
    }


    /// zlib's strategies (`Z_*`).
    public enum Strategy: Equatable, Hashable, Sendable {
        /// Let libpng choose (`Z_FILTERED` when rows are filtered).
        case libpngDefault
        case defaultStrategy, filtered, huffmanOnly, rle, fixed
    }

    /// PNG row filters (libpng's `PNG_FILTER_*` bits). Empty: libpng's adaptive choice among all five.
    public struct Filters: OptionSet, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let none = Filters(rawValue: 0x08)
        public static let sub = Filters(rawValue: 0x10)
        public static let up = Filters(rawValue: 0x20)
        public static let average = Filters(rawValue: 0x40)
        public static let paeth = Filters(rawValue: 0x80)
        public static let all: Filters = [.none, .sub, .up, .average, .paeth]
    }

    public let encoder: Encoder
    /// zlib level, 0 (store) ... 9 (smallest).
    public let level: Int
    public let strategy: Strategy
    public let filters: Filters

    /// libpng and zlib at `level`, with `strategy` and `filters`.
    public init(level: Int, strategy: Strategy = .libpngDefault, filters: Filters = []) {
        precondition((0...9).contains(level), "zlib level must be 0...9, got \(level)")
        self.encoder = .zlib
        self.level = level
        self.strategy = strategy
        self.filters = filters
    }

    private init(fastDeflate: Void) {
        encoder = .fastDeflate
        level = 1
        strategy = .libpngDefault
        filters = []
    }

    /// filterbank's own deflate encoder (`Encoder.fastDeflate`), the default.
    public static let fast = PNGCompression(fastDeflate: ())
    /// zlib level 1, `Z_RLE`, the Sub filter only: what `fast` was before
    /// filterbank had its own encoder, and what OpenCV writes by default.
    public static let zlibFast = PNGCompression(level: 1, strategy: .rle, filters: .sub)
    /// zlib level 6 with libpng's default filters and strategy: smaller, about 8x slower.
    public static let standard = PNGCompression(level: 6)

    var options: cic_png_write_options {
        let zStrategy: cic_zlib_strategy
        switch strategy {
        case .libpngDefault: zStrategy = CIC_ZLIB_STRATEGY_LIBPNG_DEFAULT
        case .defaultStrategy: zStrategy = CIC_ZLIB_DEFAULT_STRATEGY
        case .filtered: zStrategy = CIC_ZLIB_FILTERED
        case .huffmanOnly: zStrategy = CIC_ZLIB_HUFFMAN_ONLY
        case .rle: zStrategy = CIC_ZLIB_RLE
        case .fixed: zStrategy = CIC_ZLIB_FIXED
        }
        return cic_png_write_options(zlib_level: Int32(level), zlib_strategy: zStrategy.rawValue,
                                     filters: Int32(filters.rawValue))
    }
}

/// The PNG colour types `PNGEncoder` and `PNGRowWriter` write: samples per
/// pixel and their order within the pixel. (Palette PNGs are not written.)
public enum PNGColorType: Equatable, Hashable, Sendable, CaseIterable {
    /// One sample per pixel.
    case gray
    /// Two: gray, then alpha (not premultiplied).
    case grayAlpha
    /// Three: red, green, blue.
    case rgb
    /// Four: red, green, blue, then alpha (not premultiplied).
    case rgba

    /// Samples per pixel: 1, 2, 3 or 4.
    public var channels: Int {
        switch self {
        case .gray: 1
        case .grayAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// The colour type with `channels` samples per pixel (1...4), as
    /// `ImageDecoder` numbers a PNG's channels.
    public init?(channels: Int) {
        switch channels {
        case 1: self = .gray
        case 2: self = .grayAlpha
        case 3: self = .rgb
        case 4: self = .rgba
        default: return nil
        }
    }

    var cValue: cic_png_color {
        switch self {
        case .gray: CIC_PNG_COLOR_GRAY
        case .grayAlpha: CIC_PNG_COLOR_GRAY_ALPHA
        case .rgb: CIC_PNG_COLOR_RGB
        case .rgba: CIC_PNG_COLOR_RGBA
        }
    }
}

/// Writes PNG files, through filterbank's own encoder (`PNGCompression.fast`)
/// or libpng (the C target `CImageCodecs`): grayscale, and gray+alpha, RGB
/// and RGBA (for colour montages), 8- or 16-bit. A whole image is encoded on
/// all cores.
///
/// Writes straight to the given path (creating or truncating it; a symbolic
/// link there is refused, never written through); on failure a partial file
/// may be left there. Write to a temporary name and rename (`AtomicFile`) for
/// all-or-nothing output. libpng writes to a descriptor opened here, never to
/// a path.
public enum PNGEncoder {
    /// Writes an 8-bit grayscale PNG of `width * height` samples, row-major.
    /// - Throws: `ImageError` naming `path`.
    public static func writeGray(_ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                                 to path: String, compression: PNGCompression = .fast) throws(ImageError) {
        try write(UnsafeRawPointer(samples.baseAddress), count: samples.count, bitDepth: 8,
                  width: width, height: height, to: path, compression: compression)
    }

    /// Writes a 16-bit grayscale PNG of `width * height` samples, row-major,
    /// in host byte order (the file stores them big-endian, as PNG requires).
    /// - Throws: `ImageError` naming `path`.
    public static func writeGray(_ samples: UnsafeBufferPointer<UInt16>, width: Int, height: Int,
                                 to path: String, compression: PNGCompression = .fast) throws(ImageError) {
        try write(UnsafeRawPointer(samples.baseAddress), count: samples.count, bitDepth: 16,
                  width: width, height: height, to: path, compression: compression)
    }

    /// Writes an 8-bit PNG of `width * height` pixels of `colorType.channels`
    /// interleaved samples each (e.g. R G B R G B ... for `.rgb`), row-major.
    /// - Throws: `ImageError` naming `path`.
    public static func write(_ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, colorType: PNGColorType,
                             to path: String, compression: PNGCompression = .fast) throws(ImageError) {
        try writeColor(UnsafeRawPointer(samples.baseAddress), count: samples.count, bitDepth: 8, colorType: colorType,
                       width: width, height: height, to: path, compression: compression)
    }

    /// Writes a 16-bit PNG of `width * height` pixels of `colorType.channels`
    /// interleaved samples each, row-major, in host byte order (stored big-endian).
    /// - Throws: `ImageError` naming `path`.
    public static func write(_ samples: UnsafeBufferPointer<UInt16>, width: Int, height: Int, colorType: PNGColorType,
                             to path: String, compression: PNGCompression = .fast) throws(ImageError) {
        try writeColor(UnsafeRawPointer(samples.baseAddress), count: samples.count, bitDepth: 16, colorType: colorType,
                       width: width, height: height, to: path, compression: compression)
    }

    private static func writeColor(_ samples: UnsafeRawPointer?, count: Int, bitDepth: Int, colorType: PNGColorType,
                                   width: Int, height: Int, to path: String,
                                   compression: PNGCompression) throws(ImageError) {
        let writer = try PNGRowWriter(path: path, width: width, height: height, bitDepth: bitDepth,
                                      colorType: colorType, compression: compression, threads: Parallel.cores)
        precondition(count >= width * height * colorType.channels,
                     "\(count) samples for a \(width)x\(height) image of \(colorType.channels) channels")
        guard let samples else { preconditionFailure("no sample buffer") }
        try writer.write(samples, rowStrideBytes: width * colorType.channels * bitDepth / 8, rows: height)
        try writer.finish()
    }

    private static func write(_ samples: UnsafeRawPointer?, count: Int, bitDepth: Int, width: Int, height: Int,
                              to path: String, compression: PNGCompression) throws(ImageError) {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageError(path: path, kind: .unsupported,
                             message: "PNG encode failed: a PNG must be 1...\(Int32.max) pixels each way, not \(width)x\(height)")
        }
        precondition(count >= width * height, "\(count) samples for a \(width)x\(height) image")
        guard let samples else { preconditionFailure("no sample buffer") }
        let file: OpenFile
        do { file = try OpenFile.createOrTruncate(path) } catch {
            throw ImageError(path: path, kind: .cannotOpen, message: "PNG encode failed: \(error.message)")
        }
        if compression.encoder == .fastDeflate {
            let writer = try PNGRowWriter(file: file, width: width, height: height, bitDepth: bitDepth,
                                          compression: compression, threads: Parallel.cores)
            try writer.write(samples, rowStrideBytes: width * bitDepth / 8, rows: height)
            try writer.finish()
            return
        }
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        var options = compression.options
        let status = cic_png_write_gray(file.rawDescriptor, samples, UInt32(width), UInt32(height), UInt32(bitDepth),
                                        width * bitDepth / 8, &options, &message, codecMessageCapacity)
        guard status == CIC_OK else {
            throw ImageError(path: path, status: status, operation: "PNG encode", detail: message, writing: true)
        }
    }
}

/// A PNG written a band of rows at a time, so that no whole plane has to
/// exist in memory: grayscale by default, or gray+alpha, RGB or RGBA.
///
/// Writes straight to `path`, or to a file the caller created; `finish()`
/// completes the file, and a writer that is dropped unfinished closes it as
/// it is (the caller, writing to a temporary name, removes it). One writer
/// per thread.
public final class PNGRowWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let bitDepth: Int
    public let colorType: PNGColorType
    public private(set) var rowsWritten = 0
    private var handle: OpaquePointer?
    /// The fast encoder's state, when `compression` is `.fast` (then `handle` is nil).
    private var fast: FastPNGStream?

    /// Creates `path` (or empties it; a symbolic link there is refused) and writes the PNG header.
    /// - Parameters:
    ///   - bitDepth: 8 or 16.
    ///   - colorType: samples per pixel and their order; rows then hold
    ///     `width * colorType.channels` interleaved samples.
    ///   - threads: how many cores the fast encoder may use for each band
    ///     (it cuts a band into that many parts, each a deflate block of its
    ///     own): 1 when several writers already run at once, one per channel;
    ///     more when there are fewer writers than cores. libpng uses one.
    /// - Throws: `ImageError` naming `path` (`.unsupported` for a size PNG
    ///   cannot hold, `.cannotOpen` when the file cannot be created).
    public convenience init(path: String, width: Int, height: Int, bitDepth: Int, colorType: PNGColorType = .gray,
                            compression: PNGCompression = .fast, threads: Int = 1) throws(ImageError) {
        try Self.checkSize(width, height, path: path)   // before anything is created
        let file: OpenFile
        do { file = try OpenFile.createOrTruncate(path) } catch {
            throw ImageError(path: path, kind: .cannotOpen, message: "PNG encode failed: \(error.message)")
        }
        try self.init(file: file, width: width, height: height, bitDepth: bitDepth, colorType: colorType,
                      compression: compression, threads: threads)
    }

    /// Writes the PNG header to `file`, a file this process created (for
    /// example a temporary file, `StagedFiles.createFile`), through its own
    /// duplicate of the descriptor: `file` may be closed once this returns.
    /// `threads` as for `init(path:...)`.
    package init(file: OpenFile, width: Int, height: Int, bitDepth: Int, colorType: PNGColorType = .gray,
                 compression: PNGCompression = .fast, threads: Int = 1) throws(ImageError) {
        precondition(bitDepth == 8 || bitDepth == 16)
        let path = file.path
        try Self.checkSize(width, height, path: path)
        self.path = path
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorType = colorType
        if compression.encoder == .fastDeflate {
            // Its own duplicate of the descriptor, as libpng's writer keeps.
            let own: OpenFile
            do { own = try file.duplicate() } catch {
                throw ImageError(path: path, kind: .cannotOpen, message: "PNG encode failed: \(error.message)")
            }
            fast = try FastPNGStream(file: own, width: width, height: height, bitDepth: bitDepth,
                                     colorType: colorType, threads: threads)
            return
        }
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        var options = compression.options
        let status = cic_png_writer_open_color(file.rawDescriptor, UInt32(width), UInt32(height), UInt32(bitDepth),
                                               colorType.cValue, &options, &handle, &message, codecMessageCapacity)
        guard status == CIC_OK, handle != nil else {
            throw ImageError(path: path, status: status, operation: "PNG encode", detail: message, writing: true)
        }
    }

    fileprivate static func checkSize(_ width: Int, _ height: Int, path: String) throws(ImageError) {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageError(path: path, kind: .unsupported,
                             message: "PNG encode failed: a PNG must be 1...\(Int32.max) pixels each way, not \(width)x\(height)")
        }
    }

    deinit { cic_png_writer_abort(handle) }

    /// Writes the next `rows` rows of 8-bit samples, row `i` at `samples + i * rowStride`
    /// (`rowStride` in samples, at least `width * colorType.channels`).
    public func writeRows(_ samples: UnsafePointer<UInt8>, rowStride: Int, rows: Int) throws(ImageError) {
        precondition(bitDepth == 8)
        try write(UnsafeRawPointer(samples), rowStrideBytes: rowStride, rows: rows)
    }

    /// Writes the next `rows` rows of 16-bit samples (host order), `rowStride` in samples.
    public func writeRows(_ samples: UnsafePointer<UInt16>, rowStride: Int, rows: Int) throws(ImageError) {
        precondition(bitDepth == 16)
        try write(UnsafeRawPointer(samples), rowStrideBytes: rowStride * 2, rows: rows)
    }

    fileprivate func write(_ samples: UnsafeRawPointer, rowStrideBytes: Int, rows: Int) throws(ImageError) {
        precondition(rowsWritten + rows <= height, "more rows than the image has")
        if let fast {
            guard rowStrideBytes >= width * colorType.channels * bitDepth / 8 else {
                self.fast = nil
                throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: row stride smaller than a row")
            }
            do {
                try fast.write(samples, rowStrideBytes: rowStrideBytes, rows: rows)
            } catch {
                self.fast = nil
                throw error
            }
            rowsWritten += rows
            return
        }
        guard let handle else { throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: writer already closed") }
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        let status = cic_png_writer_write_rows(handle, samples, rowStrideBytes, UInt32(rows), &message, codecMessageCapacity)
        guard status == CIC_OK else {
            cic_png_writer_abort(handle)
            self.handle = nil
            throw ImageError(path: path, status: status, operation: "PNG encode", detail: message, writing: true)
        }
        rowsWritten += rows
    }

    /// Ends the file (IEND), flushes and closes it.
    public func finish() throws(ImageError) {
        if let fast {
            self.fast = nil
            try fast.finish()
            return
        }
        guard let handle else { throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: writer already closed") }
        self.handle = nil
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        let status = cic_png_writer_finish(handle, &message, codecMessageCapacity)
        guard status == CIC_OK else {
            throw ImageError(path: path, status: status, operation: "PNG encode", detail: message, writing: true)
        }
    }
}
