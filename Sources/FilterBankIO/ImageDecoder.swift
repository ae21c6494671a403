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
    /// "iCCP: known incorrect sRGB profile": the first one's text, then, if
    /// there were more, a line saying how many more.
    public let warnings: [String]

    public init(tensor: Tensor, bitDepth: Int, format: ImageFormat, warnings: [String]) {
        self.tensor = tensor
        self.bitDepth = bitDepth
        self.format = format
        self.warnings = warnings
    }
}

/// Decodes PNG and JPEG files through libpng and libjpeg (the C target
/// `CImageCodecs`).
///
/// Samples are raw: no gamma correction, no colour-profile conversion, alpha
/// not premultiplied, EXIF orientation not applied (rows in stored order).
/// PNG: palette -> RGB, `tRNS` -> an alpha channel, Adam7 de-interlaced, 16-bit
/// kept. JPEG: libjpeg's default (islow) DCT and fancy upsampling, as `djpeg`.
/// A truncated file is an error for both formats (libjpeg would otherwise pad
/// it with grey), as is a 12-bit JPEG.
///
/// Thread-safe: each call has its own codec state.
public enum ImageDecoder {
    /// 2^28 samples: 1 GiB of Float, e.g. 9459 x 9459 RGB.
    public static let defaultMaxSamples = 268_435_456

    /// Decodes the PNG or JPEG file at `path`, told apart by its first bytes
    /// (not its name).
    ///
    /// - Parameter maxPixels: the most samples (`width * height * channels`)
    ///   to accept; the header is checked against it before any pixel memory
    ///   is allocated, and a larger image throws a `.tooLarge` error.
    /// - Throws: `ImageError` naming `path`, with the codec's own message.
    public static func decode(path: String, maxPixels: Int = defaultMaxSamples) throws(ImageError) -> DecodedImage {
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        var format = CIC_FORMAT_UNKNOWN
        let sniffed = cic_sniff_format(path, &format, &message, codecMessageCapacity)
        guard sniffed == CIC_OK else {
            throw ImageError(path: path, status: sniffed, operation: "image decode", detail: message)
        }
        switch format {
        case CIC_FORMAT_PNG: return try decode(path: path, codec: .png, maxSamples: maxPixels)
        case CIC_FORMAT_JPEG: return try decode(path: path, codec: .jpeg, maxSamples: maxPixels)
        default: throw ImageError(path: path, kind: .unknownFormat, message: "not a PNG or JPEG file")
        }
    }

    /// The two readers' C entry points, which have the same shape.
    private struct Codec {
        let format: ImageFormat
        let operation: String
        let open: (UnsafePointer<CChar>, UInt64, UnsafeMutablePointer<OpaquePointer?>,
                   UnsafeMutablePointer<cic_image_info>, UnsafeMutablePointer<CChar>, Int) -> cic_status
        let readImage: (OpaquePointer, UnsafeMutableRawPointer, Int, UnsafeMutablePointer<CChar>, Int) -> cic_status
        let warningCount: (OpaquePointer) -> UInt32
        let firstWarning: (OpaquePointer) -> UnsafePointer<CChar>
        let close: (OpaquePointer?) -> Void

        static var png: Codec { Codec(format: .png, operation: "PNG decode", open: cic_png_open,
                               readImage: cic_png_read_image, warningCount: cic_png_warning_count,
                               firstWarning: cic_png_first_warning, close: cic_png_close) }
        static var jpeg: Codec { Codec(format: .jpeg, operation: "JPEG decode", open: cic_jpeg_open,
                                readImage: cic_jpeg_read_image, warningCount: cic_jpeg_warning_count,
                                firstWarning: cic_jpeg_first_warning, close: cic_jpeg_close) }
    }

    private static func decode(path: String, codec: Codec, maxSamples: Int) throws(ImageError) -> DecodedImage {
        var message = [CChar](repeating: 0, count: codecMessageCapacity)
        var info = cic_image_info()
        var handle: OpaquePointer?
        let opened = codec.open(path, UInt64(max(0, maxSamples)), &handle, &info, &message, codecMessageCapacity)
        defer { codec.close(handle) }
        guard opened == CIC_OK, let reader = handle else {
            throw ImageError(path: path, status: opened, operation: codec.operation, detail: message)
        }

        let width = Int(info.width), height = Int(info.height), channels = Int(info.channels)
        let bitDepth = Int(info.bit_depth)
        let count = width * height * channels
        let rowBytes = info.row_bytes
        // Decode into a plain buffer (the C side writes straight into it), then widen to Float.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, height * rowBytes), alignment: 16)
        defer { raw.deallocate() }
        let read = codec.readImage(reader, raw, rowBytes, &message, codecMessageCapacity)
        guard read == CIC_OK else {
            throw ImageError(path: path, status: read, operation: codec.operation, detail: message)
        }
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let dst = out.baseAddress!
            if bitDepth == 16 {
                widen16(raw.bindMemory(to: UInt16.self, capacity: count), dst, count)
            } else {
                widen8(raw.bindMemory(to: UInt8.self, capacity: count), dst, count)
            }
            initialized = count
        }

        var warnings: [String] = []
        let warningCount = Int(codec.warningCount(reader))
        if warningCount > 0 {
            warnings.append(String(cString: codec.firstWarning(reader)))
            if warningCount > 1 { warnings.append("\(warningCount - 1) more warning\(warningCount > 2 ? "s" : "")") }
        }
        let shape = TensorShape(batch: 1, height: height, width: width, channels: channels)
        return DecodedImage(tensor: Tensor(shape: shape, values: values), bitDepth: bitDepth,
                            format: codec.format, warnings: warnings)
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
