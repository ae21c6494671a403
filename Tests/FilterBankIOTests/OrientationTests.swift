import Foundation
import Testing
import FilterBankTestSupport
import FilterBankIO
import FilterBankKit

/// Hand-built EXIF (TIFF) structures.
enum ExifBytes {
    /// A TIFF header and IFD0 with the given entries (tag, type, count, 4-byte value field).
    static func tiff(bigEndian: Bool, entries: [(tag: UInt16, type: UInt16, count: UInt32, value: [UInt8])],
                     ifdOffset: UInt32 = 8, declaredEntries: Int? = nil) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }
        var bytes: [UInt8] = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(ifdOffset)
        bytes += u16(UInt16(declaredEntries ?? entries.count))
        for entry in entries {
            bytes += u16(entry.tag) + u16(entry.type) + u32(entry.count) + entry.value
        }
        bytes += u32(0)   // no next IFD
        return bytes
    }

    /// IFD0 with an ImageWidth entry, then Orientation as a SHORT.
    static func orientation(_ value: UInt16, bigEndian: Bool) -> [UInt8] {
        let short: [UInt8] = bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF), 0, 0] : [UInt8(value & 0xFF), UInt8(value >> 8), 0, 0]
        let width: [UInt8] = bigEndian ? [0, 0, 0, 50] : [50, 0, 0, 0]
        return tiff(bigEndian: bigEndian, entries: [(0x0100, 4, 1, width), (0x0112, 3, 1, short)])
    }

    /// A JPEG APP1 segment holding `payload` (marker, length, payload).
    static func app1(_ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    static let exifHeader: [UInt8] = Array("Exif".utf8) + [0, 0]
}

@Suite("Exif.orientation: parsing")
struct ExifParsingTests {
    @Test(arguments: 1...8)
    func bothByteOrders(_ value: Int) {
        #expect(Exif.orientation(tiff: ExifBytes.orientation(UInt16(value), bigEndian: false)) == value)
        #expect(Exif.orientation(tiff: ExifBytes.orientation(UInt16(value), bigEndian: true)) == value)
    }

    /// Cameras store the value as other integer types too (the Panasonic of the
    /// testrotate fixture writes SLONG, type 9).
    @Test func otherIntegerTypesAreAccepted() {
        let cases: [(type: UInt16, le: [UInt8], be: [UInt8])] = [
            (4, [6, 0, 0, 0], [0, 0, 0, 6]),   // LONG
            (9, [6, 0, 0, 0], [0, 0, 0, 6]),   // SLONG
            (8, [6, 0, 0, 0], [0, 6, 0, 0]),   // SSHORT
            (1, [6, 0, 0, 0], [6, 0, 0, 0]),   // BYTE
            (6, [6, 0, 0, 0], [6, 0, 0, 0]),   // SBYTE
        ]
        for c in cases {
            #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: false, entries: [(0x0112, c.type, 1, c.le)])) == 6, "type \(c.type)")
            #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: true, entries: [(0x0112, c.type, 1, c.be)])) == 6, "type \(c.type)")
        }
        // SLONG -2 is not an orientation.
        #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: true, entries: [(0x0112, 9, 1, [0xFF, 0xFF, 0xFF, 0xFE])])) == 1)
    }

    @Test(arguments: [0, 9, 255, 0x0600])
    func invalidValueIsOne(_ value: Int) {
        #expect(Exif.orientation(tiff: ExifBytes.orientation(UInt16(value), bigEndian: false)) == 1)
        #expect(Exif.orientation(tiff: ExifBytes.orientation(UInt16(value), bigEndian: true)) == 1)
    }

    @Test func damagedOrMissingIsOne() {
        let good = ExifBytes.orientation(6, bigEndian: true)
        #expect(Exif.orientation(tiff: good) == 6)
        #expect(Exif.orientation(tiff: []) == 1)
        #expect(Exif.orientation(tiff: Array(good.prefix(7))) == 1)
        // Cut inside the Orientation entry.
        #expect(Exif.orientation(tiff: Array(good.prefix(8 + 2 + 12 + 6))) == 1)
        // Wrong byte-order mark, wrong magic number.
        #expect(Exif.orientation(tiff: Array("XX".utf8) + good.dropFirst(2)) == 1)
        #expect(Exif.orientation(tiff: Array(good.prefix(2)) + [0, 43] + good.dropFirst(4)) == 1)
        // Mixed-up byte order: big-endian data under "II" gives garbage offsets, not a crash.
        #expect(Exif.orientation(tiff: Array("II".utf8) + good.dropFirst(2)) == 1)
        // No Orientation tag.
        #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: false, entries: [(0x0100, 3, 1, [50, 0, 0, 0])])) == 1)
        // Not an integer type (ASCII, RATIONAL), count 0.
        #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: false, entries: [(0x0112, 2, 1, [6, 0, 0, 0])])) == 1)
        #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: false, entries: [(0x0112, 5, 1, [8, 0, 0, 0])])) == 1)
        #expect(Exif.orientation(tiff: ExifBytes.tiff(bigEndian: false, entries: [(0x0112, 3, 0, [6, 0, 0, 0])])) == 1)
        // Random bytes.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect((1...8).contains(Exif.orientation(tiff: bytes)))
        }
    }

    @Test func offsetsOutOfBoundsAreOne() {
        // IFD0 beyond the end, at the very end, inside the header, at 2^32 - 1.
        for offset: UInt32 in [1000, 24, 4, 0, 0xFFFF_FFFF] {
            let bytes = ExifBytes.tiff(bigEndian: true, entries: [(0x0112, 3, 1, [0, 6, 0, 0])], ifdOffset: offset)
            #expect(Exif.orientation(tiff: bytes) == 1, "IFD offset \(offset)")
        }
        // An entry count larger than the data: the entries that are there still count,
        // then the walk stops at the end.
        let many = ExifBytes.tiff(bigEndian: false, entries: [(0x0112, 3, 1, [3, 0, 0, 0])], declaredEntries: 65535)
        #expect(Exif.orientation(tiff: many) == 3)
        let manyWithout = ExifBytes.tiff(bigEndian: false, entries: [(0x0100, 3, 1, [3, 0, 0, 0])], declaredEntries: 65535)
        #expect(Exif.orientation(tiff: manyWithout) == 1)
    }
}

@Suite("ImageRowReader.orientation")
struct OrientationReadTests {
    static func path(_ name: String) -> String { CodecFixtures.path(CodecFixtures.images + "/" + name) }

    /// The values that `exiftool`/Pillow read from these files (see the fixtures' ATTRIBUTION.md).
    @Test(arguments: 0...8)
    func fixtureValues(_ n: Int) throws {
        let path = Self.path("exif-orientation/exif_orientation_\(n).jpg")
        let reader = try ImageRowReader(path: path)
        #expect(reader.orientation == max(n, 1))
        #expect(try ImageDecoder.decode(path: path).orientation == max(n, 1))
    }

    @Test func cameraFile() throws {
        #expect(try ImageRowReader(path: Self.path("jpeg-exif-orientation6-testrotate.jpg")).orientation == 6)
    }

    @Test func pngWithoutEXIFAndPlainJPEGAreOne() throws {
        #expect(try ImageRowReader(path: CodecFixtures.path("SampleImages/png-rgb8-coffee.png")).orientation == 1)
        #expect(try ImageDecoder.decode(path: CodecFixtures.path(CodecFixtures.jpegSuite + "/testorig.jpg")).orientation == 1)
    }

    /// Corner colours (top-left, top-right, bottom-left, bottom-right) of each file after its
    /// orientation is applied, from Pillow 13.0.0's `ImageOps.exif_transpose`, an independent
    /// implementation: R red, B blue, G green, W white. All nine store the same pixels
    /// (R B / G W), so the displayed corners move with the orientation.
    static let displayedCorners: [Int: String] = [
        0: "RBGW", 1: "RBGW", 2: "BRWG", 3: "WGBR", 4: "GWRB", 5: "RGBW", 6: "GRWB", 7: "WBGR", 8: "BWRG",
    ]

    static let colours: [Character: [Int]] = ["R": [255, 0, 0], "G": [0, 255, 0], "B": [0, 0, 255], "W": [255, 255, 255]]

    @Test(arguments: 0...8)
    func orientedCorners(_ n: Int) throws {
        let image = try ImageDecoder.decode(path: Self.path("exif-orientation/exif_orientation_\(n).jpg"))
        let oriented = ImageOrientation.apply(image.orientation, to: image.tensor)
        #expect(oriented.shape == TensorShape(batch: 1, height: 50, width: 50, channels: 3))
        let corners = Array(try #require(Self.displayedCorners[n]))
        // 5 pixels in from each corner: clear of the 4:2:0 chroma blur at the quadrant borders.
        let points = [(5, 5), (5, 44), (44, 5), (44, 44)]
        for (corner, (y, x)) in zip(corners, points) {
            let pixel = (0..<3).map { Int((oriented[0, y, x, $0] * 255).rounded()) }
            let want = try #require(Self.colours[corner])
            #expect(zip(pixel, want).allSatisfy { abs($0 - $1) <= 8 }, "file \(n) at (\(y), \(x)): \(pixel), expected \(corner)")
        }
    }

    /// gdk-pixbuf's expected output: the default libjpeg decode rotated 90° clockwise,
    /// pixel-identical (see ATTRIBUTION.md).
    @Test func cameraFileMatchesReferenceExactly() throws {
        let image = try ImageDecoder.decode(path: Self.path("jpeg-exif-orientation6-testrotate.jpg"))
        let expected = try ImageDecoder.decode(path: Self.path("jpeg-exif-orientation6-testrotate.expected.png"))
        #expect(image.orientation == 6)
        let oriented = ImageOrientation.apply(image.orientation, to: image.tensor)
        #expect(oriented.shape == TensorShape(batch: 1, height: 640, width: 428, channels: 3))
        #expect(oriented.shape == expected.tensor.shape)
        let mismatches = zip(oriented.values, expected.tensor.values).count { $0 != $1 }
        #expect(mismatches == 0)
    }
}

@Suite("ImageRowReader.orientation: EXIF placement in files")
struct OrientationSpliceTests {
    /// A small JPEG made by the encoder: SOI, JFIF APP0, then the rest.
    static func baseJPEG(in directory: String) throws -> [UInt8] {
        let path = directory + "/base.jpg"
        let samples = [UInt8](repeating: 77, count: 16 * 8)
        try samples.withUnsafeBufferPointer { try JPEGEncoder.writeGray($0, width: 16, height: 8, quality: 90, to: path) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[0...3] == [0xFF, 0xD8, 0xFF, 0xE0])
        return bytes
    }

    /// `segments` inserted right after SOI (before APP0) or after APP0.
    static func orientation(of segments: [UInt8], beforeAPP0: Bool) throws -> Int {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        var bytes = try baseJPEG(in: directory)
        let afterAPP0 = 4 + (Int(bytes[4]) << 8 | Int(bytes[5]))
        bytes.insert(contentsOf: segments, at: beforeAPP0 ? 2 : afterAPP0)
        let path = directory + "/spliced.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try ImageDecoder.decode(path: path)
        #expect(image.warnings.isEmpty, "\(image.warnings)")
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 8, width: 16, channels: 1))
        return image.orientation
    }

    @Test(arguments: [false, true])
    func exifAfterOrBeforeJFIF(_ beforeAPP0: Bool) throws {
        for bigEndian in [false, true] {
            let segment = ExifBytes.app1(ExifBytes.exifHeader + ExifBytes.orientation(8, bigEndian: bigEndian))
            #expect(try Self.orientation(of: segment, beforeAPP0: beforeAPP0) == 8)
        }
    }

    @Test func xmpBeforeExifIsSkipped() throws {
        let xmp = ExifBytes.app1(Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".utf8))
        let exif = ExifBytes.app1(ExifBytes.exifHeader + ExifBytes.orientation(5, bigEndian: false))
        #expect(try Self.orientation(of: xmp + exif, beforeAPP0: false) == 5)
        // Only the first EXIF segment counts.
        let second = ExifBytes.app1(ExifBytes.exifHeader + ExifBytes.orientation(3, bigEndian: false))
        #expect(try Self.orientation(of: exif + second, beforeAPP0: true) == 5)
    }

    @Test func damagedExifIsOneNotAnError() throws {
        let cases: [[UInt8]] = [
            ExifBytes.exifHeader,                                        // nothing after the header
            Array("Exif".utf8) + [0],                                    // not even the pad byte
            ExifBytes.exifHeader + [0x4D, 0x4D, 0, 42, 0xFF, 0xFF, 0xFF, 0xF0],   // IFD far outside
            ExifBytes.exifHeader + Array(ExifBytes.orientation(6, bigEndian: true).prefix(20)),   // cut short
            ExifBytes.exifHeader + (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) },         // garbage
        ]
        for payload in cases {
            #expect(try Self.orientation(of: ExifBytes.app1(payload), beforeAPP0: false) == 1)
        }
    }

    /// A PNG `eXIf` chunk before the image data is read too.
    @Test func pngExifChunk() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/exif.png"
        let samples = [UInt8](repeating: 9, count: 12)
        try samples.withUnsafeBufferPointer {
            try PNGEncoder.write($0, width: 2, height: 2, colorType: .rgb, to: path)
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tiff = ExifBytes.orientation(7, bigEndian: true)
        let typeAndData = Array("eXIf".utf8) + tiff
        let length = UInt32(tiff.count), crc = crc32(typeAndData)
        let chunk = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + typeAndData + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        bytes.insert(contentsOf: chunk, at: 8 + 25)   // after the signature and IHDR
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try ImageDecoder.decode(path: path)
        #expect(image.orientation == 7)
        #expect(image.warnings.isEmpty, "\(image.warnings)")
        #expect(image.storedSamples() == samples.map(Int.init))
    }

    /// PNG's CRC-32 (ISO 3309), bit by bit.
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
