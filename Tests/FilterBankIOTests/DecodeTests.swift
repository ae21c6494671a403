import CImageCodecs   // only for the row-band tests at the end
import Foundation
import Testing
import FilterBankTestSupport
import FilterBankIO
import FilterBankKit

/// Paths of the codec test images, found from this file's location.
extension DecodedImage {
    /// The stored integer samples back from the Float tensor (exact: values are `v / maxValue`).
    func storedSamples() -> [Int] {
        let scale: Float = bitDepth == 16 ? 65535 : 255
        return tensor.values.map { Int(($0 * scale).rounded()) }
    }

    /// The samples of `pixels` pixels of row `row` from column `x`, as stored integers.
    func storedSamples(row: Int, x: Int = 0, pixels: Int) -> [Int] {
        let scale: Float = bitDepth == 16 ? 65535 : 255
        let start = tensor.index(0, row, x, 0)
        return tensor.values[start..<(start + pixels * tensor.shape.channels)].map { Int(($0 * scale).rounded()) }
    }

    /// FNV-1a 64 of the 8-bit samples, to compare a whole decode with one computed by `djpeg`.
    var fnv1a64: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in tensor.values {
            hash = (hash ^ UInt64(UInt8((value * 255).rounded()))) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Whether the PNG file has a chunk of type `type` (a plain chunk walk, independent of libpng).
func pngFileHasChunk(_ path: String, _ type: String) throws -> Bool {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var offset = 8
    while offset + 8 <= bytes.count {
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        if String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self) == type { return true }
        offset += 12 + length
    }
    return false
}

@Suite("ImageDecoder: sample photos")
struct SampleImageDecodeTests {
    struct Expected: Sendable, CustomStringConvertible {
        let file: String, width: Int, height: Int, channels: Int, bitDepth: Int, format: ImageFormat
        var description: String { file }
    }

    // Sizes and modes from Pillow 13.0.0 (`Image.open(f).size, .mode`).
    static let expected: [Expected] = [
        .init(file: "jpeg-baseline-420-retina.jpg", width: 1411, height: 1411, channels: 3, bitDepth: 8, format: .jpeg),
        .init(file: "jpeg-baseline-444-rocket.jpg", width: 640, height: 427, channels: 3, bitDepth: 8, format: .jpeg),
        .init(file: "jpeg-gray-cat.jpg", width: 512, height: 512, channels: 1, bitDepth: 8, format: .jpeg),
        .init(file: "jpeg-progressive-420-freshflower.jpg", width: 1600, height: 1203, channels: 3, bitDepth: 8, format: .jpeg),
        .init(file: "png-gray-alpha8-wilber-channel.png", width: 300, height: 128, channels: 2, bitDepth: 8, format: .png),
        .init(file: "png-gray8-camera.png", width: 512, height: 512, channels: 1, bitDepth: 8, format: .png),
        .init(file: "png-palette8-trns-debian-logo.png", width: 256, height: 256, channels: 4, bitDepth: 8, format: .png),
        .init(file: "png-rgb8-coffee.png", width: 600, height: 400, channels: 3, bitDepth: 8, format: .png),
        .init(file: "png-rgba16-red-globe.png", width: 150, height: 113, channels: 4, bitDepth: 16, format: .png),
        .init(file: "png-rgba8-cutout-earth.png", width: 200, height: 184, channels: 4, bitDepth: 8, format: .png),
    ]

    @Test("every SampleImages file is listed here")
    func everySampleIsCovered() {
        let onDisk = CodecFixtures.names(in: "SampleImages", suffix: ".png") + CodecFixtures.names(in: "SampleImages", suffix: ".jpg")
        #expect(Set(onDisk) == Set(Self.expected.map(\.file)))
    }

    @Test(arguments: expected)
    func decodes(_ sample: Expected) throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/" + sample.file))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: sample.height, width: sample.width, channels: sample.channels))
        #expect(image.bitDepth == sample.bitDepth)
        #expect(image.format == sample.format)
        #expect(image.warnings.isEmpty)
    }

    @Test("16-bit PNG keeps 16-bit precision")
    func sixteenBitPrecision() throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/png-rgba16-red-globe.png"))
        let samples = image.storedSamples()
        // An 8-bit image widened to 16 bits would hold only multiples of 257.
        #expect(samples.contains { $0 % 257 != 0 })
        #expect(samples.allSatisfy { (0...65535).contains($0) })
        #expect(image.tensor.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("an Adam7 PNG decodes like its non-interlaced twin")
    func adam7Coffee() throws {
        let interlaced = try ImageDecoder.decode(path: CodecFixtures.path(CodecFixtures.images + "/png-rgb8-adam7-coffee.png"))
        let plain = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/png-rgb8-coffee.png"))
        #expect(interlaced.tensor == plain.tensor)
    }

    /// Reference: `djpeg -dct int -ppm` (libjpeg-turbo 2.1.5, Debian 12) of the same
    /// file; FNV-1a 64 of its pixel bytes, their sum and a few pixels, computed with
    /// Python when this test was written.
    @Test("a JPEG decodes exactly as djpeg does")
    func rocketMatchesDjpeg() throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/jpeg-baseline-444-rocket.jpg"))
        #expect(image.fnv1a64 == 0x34b9_b35d_9b0e_db19)
        #expect(image.storedSamples().reduce(0, +) == 53_516_744)
        #expect(image.storedSamples(row: 0, pixels: 2) == [17, 33, 58, 17, 33, 58])
        #expect(image.storedSamples(row: 213, x: 320, pixels: 2) == [132, 123, 114, 126, 117, 110])
    }

    @Test("a progressive JPEG decodes exactly as djpeg does")
    func progressiveMatchesDjpeg() throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/jpeg-progressive-420-freshflower.jpg"))
        #expect(image.fnv1a64 == 0xd3f7_1669_67a4_ad8e)   // djpeg -dct int -ppm, as above
    }
}

@Suite("ImageDecoder: PngSuite")
struct PngSuiteDecodeTests {
    static let valid = CodecFixtures.names(in: CodecFixtures.pngSuite, suffix: ".png").filter { !$0.hasPrefix("x") }
    static let corrupt = CodecFixtures.names(in: CodecFixtures.pngSuite, suffix: ".png").filter { $0.hasPrefix("x") }
    /// Interlaced files whose non-interlaced twin exists: `basi*` / `basn*`, `sNNi*` / `sNNn*`.
    static let interlaced = valid.filter { $0.hasPrefix("basi") || ($0.hasPrefix("s") && $0.dropFirst(3).first == "i") }

    static func path(_ name: String) -> String { CodecFixtures.path(CodecFixtures.pngSuite + "/" + name) }

    @Test("the suite is all here")
    func counts() {
        #expect(Self.valid.count == 161)   // 160 tests + PngSuite.png
        #expect(Self.corrupt.count == 14)
        #expect(Self.interlaced.count == 33)
    }

    /// Channels and depth follow from the name code `gggICbb` (I interlace, C colour type,
    /// bb bit depth) plus a tRNS chunk, which becomes an alpha channel.
    @Test(arguments: valid)
    func decodes(_ name: String) throws {
        let image = try ImageDecoder.decode(path: Self.path(name))
        #expect(image.format == .png)
        #expect(image.warnings.isEmpty, "\(image.warnings)")
        guard name != "PngSuite.png" else { return }
        let code = Array(name)
        let colourType = code[4], depth = Int(String(code[6...7]))!
        let alpha = try pngFileHasChunk(Self.path(name), "tRNS") ? 1 : 0
        let channels: Int = switch colourType {
        case "0": 1 + alpha
        case "2", "3": 3 + alpha
        case "4": 2
        default: 4
        }
        #expect(image.tensor.shape.channels == channels)
        #expect(image.bitDepth == (depth == 16 ? 16 : 8))
        if name.hasPrefix("s"), let side = Int(String(code[1...2])) {
            #expect(image.tensor.shape == TensorShape(batch: 1, height: side, width: side, channels: channels))
        }
        if name.hasPrefix("bas") {
            #expect(image.tensor.shape.height == 32 && image.tensor.shape.width == 32)
        }
    }

    @Test(arguments: interlaced)
    func interlacedEqualsTwin(_ name: String) throws {
        let twin = name.prefix(3) + "n" + name.dropFirst(4)
        let adam7 = try ImageDecoder.decode(path: Self.path(name))
        let plain = try ImageDecoder.decode(path: Self.path(String(twin)))
        #expect(adam7.tensor == plain.tensor)
        #expect(adam7.bitDepth == plain.bitDepth)
    }

    /// Expected messages: libpng 1.6.39's, as listed in the suite's README.md. Files whose
    /// signature no longer reads "PNG" in bytes 1-3 are turned away before libpng.
    static let corruptMessages: [String: String] = [
        "xs1n0g01.png": "Not a PNG file", "xs2n0g01.png": "not a PNG or JPEG file",
        "xs4n0g01.png": "not a PNG or JPEG file", "xs7n0g01.png": "PNG file corrupted by ASCII conversion",
        "xcrn0g04.png": "PNG file corrupted by ASCII conversion", "xlfn0g04.png": "PNG file corrupted by ASCII conversion",
        "xhdn0g08.png": "IHDR: CRC error", "xc1n0g08.png": "Invalid IHDR data", "xc9n2c08.png": "Invalid IHDR data",
        "xd0n2c08.png": "Invalid IHDR data", "xd3n2c08.png": "Invalid IHDR data", "xd9n2c08.png": "Invalid IHDR data",
        "xdtn0g01.png": "IEND: out of place", "xcsn0g01.png": "IDAT: CRC error",
    ]

    @Test(arguments: corrupt)
    func corruptFails(_ name: String) {
        let path = Self.path(name)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix(path + ": ") == true)
        let expected = Self.corruptMessages[name] ?? "(no expected message listed)"
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    /// Expected samples from pypng 0.20220715 (`png.Reader(f).read()`, palette entries looked
    /// up by hand, 1/2/4-bit gray scaled by 255 / (2^depth - 1); `asDirect()` for tRNS).
    @Test("spot samples match an independent decoder")
    func spotSamples() throws {
        func decode(_ name: String) throws -> DecodedImage { try ImageDecoder.decode(path: Self.path(name)) }
        let g01 = try decode("basn0g01.png")
        #expect(g01.storedSamples(row: 0, pixels: 4) == [255, 255, 255, 255])
        #expect(g01.storedSamples(row: 10, pixels: 16) == [255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255])
        #expect(try decode("basn0g02.png").storedSamples(row: 5, pixels: 8) == [85, 85, 85, 85, 170, 170, 170, 170])
        #expect(try decode("basn0g04.png").storedSamples(row: 7, pixels: 8) == [17, 17, 17, 17, 34, 34, 34, 34])
        let c08 = try decode("basn2c08.png")
        #expect(c08.storedSamples(row: 0, pixels: 4) == [255, 255, 255, 255, 255, 254, 255, 255, 253, 255, 255, 252])
        #expect(c08.storedSamples(row: 31, pixels: 4) == [31, 31, 31, 30, 30, 30, 29, 29, 29, 28, 28, 28])
        let g16 = try decode("basn0g16.png")
        #expect(g16.bitDepth == 16)
        #expect(g16.storedSamples(row: 0, pixels: 4) == [0, 2304, 4608, 6912])
        #expect(g16.storedSamples(row: 9, pixels: 6) == [4608, 6912, 9216, 11520, 13824, 16128])
        #expect(try decode("basn2c16.png").storedSamples(row: 0, pixels: 4)
                == [65535, 65535, 0, 63421, 65535, 0, 61307, 65535, 0, 59193, 65535, 0])
        #expect(try decode("basn4a16.png").storedSamples(row: 0, pixels: 4) == [0, 0, 4228, 0, 8456, 0, 12684, 0])
        #expect(try decode("basn6a08.png").storedSamples(row: 5, pixels: 4)
                == [255, 159, 7, 0, 255, 159, 7, 8, 255, 159, 7, 16, 255, 159, 7, 24])
        #expect(try decode("basn3p01.png").storedSamples(row: 0, pixels: 2) == [238, 255, 34, 238, 255, 34])
        #expect(try decode("basn3p02.png").storedSamples(row: 3, pixels: 2) == [0, 0, 255, 0, 0, 255])
        #expect(try decode("basn3p04.png").storedSamples(row: 20, pixels: 2) == [34, 255, 0, 34, 255, 0])
        #expect(try decode("tbbn3p08.png").storedSamples(row: 16, x: 2, pixels: 2) == [255, 255, 255, 0, 198, 198, 198, 255])
        #expect(try decode("tbbn0g04.png").storedSamples(row: 16, pixels: 4) == [255, 0, 255, 0, 255, 0, 204, 255])
    }
}

@Suite("ImageDecoder: libpng crashers")
struct CrasherDecodeTests {
    static let failing = CodecFixtures.names(in: CodecFixtures.crashers, suffix: ".png")
        .filter { $0 != "empty_ancillary_chunks.png" }

    /// Expected messages from the folder's README.md (libpng 1.6.39).
    static func expectedMessage(_ name: String) -> String {
        switch name {
        case "badcrc.png": "IDAT: CRC error"
        case "badadler.png": "IDAT: incorrect data check"
        case "bad_iCCP.png": "IHDR: CRC error"
        default: "Read Error"
        }
    }

    @Test(arguments: failing)
    func fails(_ name: String) {
        let path = CodecFixtures.path(CodecFixtures.crashers + "/" + name)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains(name) == true)
        #expect(error?.message.contains(Self.expectedMessage(name)) == true, "\(String(describing: error))")
    }

    @Test func emptyAncillaryChunksDecodeWithAWarning() throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path(CodecFixtures.crashers + "/empty_ancillary_chunks.png"))
        #expect(image.tensor.shape.height == 1 && image.tensor.shape.width == 1)
        #expect(image.warnings.first?.isEmpty == false)
        #expect(image.warnings.joined().contains("bKGD"), "\(image.warnings)")
    }
}

@Suite("ImageDecoder: JPEG conformance")
struct JPEGDecodeTests {
    static func path(_ name: String) -> String { CodecFixtures.path(CodecFixtures.jpegSuite + "/" + name) }

    /// Huffman, arithmetic and progressive coding of the same coefficients decode identically,
    /// and to `djpeg -dct int -ppm`'s output (MD5 4aaa551c... per the README; FNV-1a 64 of the
    /// same bytes computed with Python).
    @Test func entropyCodingsAgree() throws {
        let huffman = try ImageDecoder.decode(path: Self.path("testimgint.jpg"))
        let arithmetic = try ImageDecoder.decode(path: Self.path("testimgari.jpg"))
        let progressive = try ImageDecoder.decode(path: Self.path("testimgp.jpg"))
        #expect(huffman.tensor.shape == TensorShape(batch: 1, height: 149, width: 227, channels: 3))
        #expect(arithmetic.tensor == huffman.tensor)
        #expect(progressive.tensor == huffman.tensor)
        #expect(huffman.fnv1a64 == 0x0cc3_0ec4_defc_0ec6)
        #expect(huffman.storedSamples(row: 74, x: 113, pixels: 2) == [242, 45, 52, 250, 50, 60])
    }

    @Test func grayscale() throws {
        let image = try ImageDecoder.decode(path: Self.path("testimggray.jpg"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 149, width: 227, channels: 1))
        #expect(image.fnv1a64 == 0xcb1b_a6e7_0f96_b844)   // djpeg -dct int, as above
    }

    @Test func originalDecodes() throws {
        let image = try ImageDecoder.decode(path: Self.path("testorig.jpg"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 149, width: 227, channels: 3))
        #expect(image.warnings.isEmpty)
    }

    @Test(arguments: ["testorig12.jpg", "monkey12.jpg"])
    func twelveBitIsRejected(_ name: String) {
        let path = Self.path(name)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .unsupported)
        #expect(error?.path == path)
        #expect(error?.description.contains("Unsupported JPEG data precision 12") == true, "\(String(describing: error))")
    }

    /// libjpeg's "Corrupt JPEG data" warnings are recorded, not fatal: garbage bytes
    /// inserted between two header segments are skipped with a warning.
    @Test func warningsAreRecorded() throws {
        let original = Self.path("testimgint.jpg")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        #expect(bytes[0...3] == [0xFF, 0xD8, 0xFF, 0xE0])           // SOI, then a JFIF APP0 segment
        let afterAPP0 = 4 + (Int(bytes[4]) << 8 | Int(bytes[5]))
        bytes.insert(contentsOf: [0x00, 0x11, 0x22], at: afterAPP0)
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/garbage.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try ImageDecoder.decode(path: path)
        #expect(image.warnings == ["Corrupt JPEG data: 3 extraneous bytes before marker 0xdb"])
        #expect(image.tensor == (try ImageDecoder.decode(path: original)).tensor)
    }

    /// Pillow wrote the file inverted (Adobe convention) with an Adobe marker; the decoder
    /// must give back the CMYK values it was made from (see the fixture README).
    @Test func adobeCMYK() throws {
        let image = try ImageDecoder.decode(path: CodecFixtures.path(CodecFixtures.images + "/jpeg-cmyk-adobe-blocks.jpg"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 16, width: 16, channels: 4))
        let blocks: [(x: Int, y: Int, cmyk: [Int])] = [
            (3, 3, [0, 0, 0, 0]), (12, 3, [255, 0, 0, 0]), (3, 12, [0, 128, 255, 32]), (12, 12, [10, 200, 60, 255]),
        ]
        for block in blocks {
            let got = image.storedSamples(row: block.y, x: block.x, pixels: 1)
            #expect(zip(got, block.cmyk).allSatisfy { abs($0 - $1) <= 2 }, "at \(block.x),\(block.y): \(got)")
        }
    }
}

@Suite("ImageDecoder: real-world quirks")
struct QuirkDecodeTests {
    static func path(_ name: String) -> String { CodecFixtures.path(CodecFixtures.images + "/" + name) }

    static let orientationFiles = (0...8).map { "exif-orientation/exif_orientation_\($0).jpg" }

    /// The decoder keeps stored order (it only reports the orientation; applying it is
    /// `ImageOrientation`'s job, tested in OrientationTests.swift): all nine hold the same
    /// stored pixels.
    @Test(arguments: orientationFiles)
    func exifOrientationDecodesInStoredOrder(_ name: String) throws {
        let image = try ImageDecoder.decode(path: Self.path(name))
        let reference = try ImageDecoder.decode(path: Self.path("exif-orientation/exif_orientation_0.jpg"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 50, width: 50, channels: 3))
        #expect(image.tensor == reference.tensor)
    }

    /// The `.expected.png` beside it is the default libjpeg decode rotated 90° clockwise
    /// (pixel-identical, see ATTRIBUTION.md): rotating ours must match it exactly.
    @Test func cameraJPEGMatchesReferenceDecode() throws {
        let image = try ImageDecoder.decode(path: Self.path("jpeg-exif-orientation6-testrotate.jpg"))
        let expected = try ImageDecoder.decode(path: Self.path("jpeg-exif-orientation6-testrotate.expected.png"))
        let (h, w) = (image.tensor.shape.height, image.tensor.shape.width)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 428, width: 640, channels: 3))
        #expect(expected.tensor.shape == TensorShape(batch: 1, height: 640, width: 428, channels: 3))
        var mismatches = 0
        image.tensor.values.withUnsafeBufferPointer { stored in
            expected.tensor.values.withUnsafeBufferPointer { rotated in
                for y in 0..<w {          // rotated row y, column x shows stored (h - 1 - x, y)
                    for x in 0..<h {
                        for c in 0..<3 where rotated[(y * h + x) * 3 + c] != stored[((h - 1 - x) * w + y) * 3 + c] {
                            mismatches += 1
                        }
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func iccpWarningIsNotFatal() throws {
        let image = try ImageDecoder.decode(path: Self.path("png-palette4-iccp-canvas.png"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 512, width: 512, channels: 3))
        #expect(image.warnings.first?.contains("iCCP") == true, "\(image.warnings)")
    }

    @Test func apngDecodesItsDefaultImage() throws {
        let image = try ImageDecoder.decode(path: Self.path("png-apng-spirograph.png"))
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 219, width: 220, channels: 4))
    }
}

@Suite("ImageDecoder: failures")
struct DecodeFailureTests {
    @Test func missingFile() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/no-such-file.png"
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): cannot open: No such file or directory")
    }

    @Test func directory() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): cannot open: Is a directory")
    }

    @Test(arguments: [("empty.png", ""), ("notes.jpg", "just some text, not an image\n"), ("short.png", "\u{89}P")])
    func notAnImage(_ name: String, _ contents: String) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/" + name
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .unknownFormat)
        #expect(error?.description == "\(path): not a PNG or JPEG file")
    }

    @Test(arguments: [
        ("SampleImages/jpeg-baseline-444-rocket.jpg", "Premature end of JPEG file"),
        ("Tests/Fixtures/conformance/jpeg/testimgp.jpg", "Premature end of JPEG file"),
        ("SampleImages/png-gray8-camera.png", "Read Error"),
        ("Tests/Fixtures/images/png-rgb8-adam7-coffee.png", "Read Error"),
    ])
    func truncatedFile(_ source: String, _ libraryMessage: String) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(source), fraction: 0.5,
                                                   in: directory)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .truncated)
        #expect(error?.path == path)
        #expect(error?.message.contains("truncated") == true)
        #expect(error?.message.contains(libraryMessage) == true, "\(String(describing: error))")
    }

    @Test("a PNG without its IEND chunk is truncated")
    func missingIEND() throws {
        let source = CodecFixtures.path(CodecFixtures.pngSuite + "/basn0g08.png")
        let size = try Data(contentsOf: URL(fileURLWithPath: source)).count
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: source, fraction: Double(size - 12) / Double(size),
                                                   in: directory)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .truncated)
    }

    @Test("the size limit counts width x height pixels, before decoding")
    func sizeLimit() throws {
        let png = CodecFixtures.path(CodecFixtures.pngSuite + "/basn2c08.png")   // 32 x 32 x 3
        #expect(try ImageDecoder.decode(path: png, maxPixels: 1024).tensor.values.count == 3072)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: png, maxPixels: 1023) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.description == "\(png): PNG decode failed: image too large: 32x32 is 1024 pixels, over the limit of 1023")

        let jpeg = CodecFixtures.path(CodecFixtures.jpegSuite + "/testimgint.jpg")   // 227 x 149 x 3
        #expect(try ImageDecoder.decode(path: jpeg, maxPixels: 227 * 149).tensor.shape.channels == 3)
        let jpegError = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: jpeg, maxPixels: 227 * 149 - 1) }
        #expect(jpegError?.kind == .tooLarge)
        #expect(jpegError?.path == jpeg)
    }
}

// MARK: - The C layer's row-band API (used by a later streaming reader)

@Suite("CImageCodecs: row bands")
struct RowBandTests {
    /// Reads `path` whole, then again in bands of `band` rows into a padded buffer: same bytes.
    @Test(arguments: [
        "SampleImages/png-rgba16-red-globe.png", "SampleImages/png-palette8-trns-debian-logo.png",
        "Tests/Fixtures/conformance/jpeg/testimgint.jpg", "Tests/Fixtures/conformance/jpeg/testimgp.jpg",
        "Tests/Fixtures/images/jpeg-cmyk-adobe-blocks.jpg",
    ])
    func bandsEqualWholeImage(_ relative: String) throws {
        let path = CodecFixtures.path(relative)
        let isPNG = relative.hasSuffix(".png")
        var message = [CChar](repeating: 0, count: 512)
        func open(_ info: inout cic_image_info) -> OpaquePointer? {
            var handle: OpaquePointer?
            let status = isPNG ? cic_png_open(path, 1 << 28, &handle, &info, &message, 512)
                               : cic_jpeg_open(path, 1 << 28, &handle, &info, &message, 512)
            #expect(status == CIC_OK)
            return handle
        }
        func read(_ handle: OpaquePointer, _ buffer: UnsafeMutableRawPointer, _ stride: Int, _ rows: UInt32) -> cic_status {
            isPNG ? cic_png_read_rows(handle, buffer, stride, rows, &message, 512)
                  : cic_jpeg_read_rows(handle, buffer, stride, rows, &message, 512)
        }
        func close(_ handle: OpaquePointer?) { isPNG ? cic_png_close(handle) : cic_jpeg_close(handle) }

        var info = cic_image_info()
        let whole = try #require(open(&info))
        let height = Int(info.height), rowStride = info.row_bytes + 5
        var expected = [UInt8](repeating: 0, count: height * rowStride)
        var banded = [UInt8](repeating: 0, count: height * rowStride)
        #expect(expected.withUnsafeMutableBytes { read(whole, $0.baseAddress!, rowStride, info.height) } == CIC_OK)
        close(whole)

        let reader = try #require(open(&info))
        defer { close(reader) }
        for top in stride(from: 0, to: height, by: 7) {
            let rows = min(7, height - top)
            let status = banded.withUnsafeMutableBytes { read(reader, $0.baseAddress! + top * rowStride, rowStride, UInt32(rows)) }
            #expect(status == CIC_OK)
        }
        #expect(banded == expected)
        // Past the last row: a caller error, reported, not a crash.
        #expect(banded.withUnsafeMutableBytes { read(reader, $0.baseAddress!, rowStride, 1) } == CIC_MISUSE)
    }

    @Test func interlacedPNGMustBeReadWhole() throws {
        var info = cic_image_info()
        var handle: OpaquePointer?
        var message = [CChar](repeating: 0, count: 512)
        let path = CodecFixtures.path(CodecFixtures.pngSuite + "/basi0g08.png")
        #expect(cic_png_open(path, 1 << 28, &handle, &info, &message, 512) == CIC_OK)
        defer { cic_png_close(handle) }
        let reader = try #require(handle)
        #expect(info.interlaced == 1)
        var buffer = [UInt8](repeating: 0, count: Int(info.height) * info.row_bytes)
        #expect(buffer.withUnsafeMutableBytes { cic_png_read_rows(reader, $0.baseAddress!, info.row_bytes, 1, &message, 512) } == CIC_MISUSE)
        #expect(buffer.withUnsafeMutableBytes { cic_png_read_image(reader, $0.baseAddress!, info.row_bytes, &message, 512) } == CIC_OK)
    }
}

// MARK: - Truncation policy and warning kinds

@Suite("ImageDecoder: allowTruncated")
struct TruncationPolicyTests {
    static let rocket = "SampleImages/jpeg-baseline-444-rocket.jpg"   // baseline 640 x 427 RGB
    static let progressive = "Tests/Fixtures/conformance/jpeg/testimgp.jpg"

    @Test func truncatedBaselineJPEGIsPaddedWithGrey() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(Self.rocket), fraction: 0.5, in: directory)
        let image = try ImageDecoder.decode(path: path, allowTruncated: true)
        let whole = try ImageDecoder.decode(path: CodecFixtures.path(Self.rocket))
        #expect(image.tensor.shape == whole.tensor.shape)
        #expect(image.truncated)
        #expect(!whole.truncated)
        #expect(image.warnings.contains { $0.hasPrefix("Premature end of JPEG file") }, "\(image.warnings)")
        // The rows before the cut decode as in the whole file; the last row is libjpeg's grey.
        #expect(image.storedSamples(row: 0, pixels: 640) == whole.storedSamples(row: 0, pixels: 640))
        #expect(image.storedSamples(row: 426, pixels: 640).allSatisfy { abs($0 - 128) <= 1 })
    }

    @Test func truncatedProgressiveJPEGDecodes() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(Self.progressive), fraction: 0.6, in: directory)
        let image = try ImageDecoder.decode(path: path, allowTruncated: true)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: 149, width: 227, channels: 3))
        #expect(image.truncated)
        #expect(image.warnings.contains { $0.hasPrefix("Premature end of JPEG file") }, "\(image.warnings)")
    }

    /// Opening a progressive JPEG reads its header only (libjpeg reads all
    /// scans of a progressive file when decoding starts, and opening is what
    /// `--skip-existing` and output naming need): a file cut in its scans
    /// opens with its shape, and the cut is reported at the first read.
    @Test func progressiveJPEGOpensWithoutReadingItsScans() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(Self.progressive), fraction: 0.6, in: directory)
        let reader = try ImageRowReader(path: path)
        #expect(reader.width == 227 && reader.height == 149 && reader.channels == 3)
        #expect(reader.rowsRead == 0 && !reader.truncated)
        var band = [Float](repeating: 0, count: reader.width * reader.channels)
        let error = #expect(throws: ImageError.self) {
            try band.withUnsafeMutableBufferPointer { try reader.readRows(1, into: $0.baseAddress!) }
        }
        #expect(error?.kind == .truncated)
    }

    /// The row reader notices the cut when it reaches it.
    @Test func rowReaderReportsTruncationWhenReached() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(Self.rocket), fraction: 0.5, in: directory)
        let reader = try ImageRowReader(path: path, allowTruncated: true)
        var band = [Float](repeating: -1, count: 8 * reader.width * reader.channels)
        try band.withUnsafeMutableBufferPointer { try reader.readRows(8, into: $0.baseAddress!) }
        #expect(!reader.truncated)
        #expect(reader.warnings.isEmpty)
        while reader.rowsRead < reader.height {
            let rows = min(8, reader.height - reader.rowsRead)
            try band.withUnsafeMutableBufferPointer { try reader.readRows(rows, into: $0.baseAddress!) }
        }
        #expect(reader.truncated)
        // libjpeg's two warnings about the cut: the data source's, then the entropy decoder's.
        #expect(reader.warnings == ["Premature end of JPEG file", "Corrupt JPEG data: premature end of data segment"])
    }

    /// Without the option nothing changes: the same file is an error.
    @Test func defaultStillFails() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(Self.rocket), fraction: 0.5, in: directory)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect(error?.kind == .truncated)
        let readerError = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path, allowTruncated: false) }
        #expect(readerError?.kind == .truncated)
    }

    /// A JPEG cut inside its header has no image to pad.
    @Test func cutBeforeTheImageDataStillFails() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let source = CodecFixtures.path(Self.rocket)
        let size = try Data(contentsOf: URL(fileURLWithPath: source)).count
        let path = try CodecFixtures.truncatedCopy(of: source, fraction: 100 / Double(size), in: directory)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path, allowTruncated: true) }
        #expect(error?.kind == .truncated)
        #expect(error?.message.contains("Premature end of JPEG file") == true, "\(String(describing: error))")
    }

    /// libpng cannot complete a cut PNG: the option does not apply.
    @Test(arguments: ["SampleImages/png-gray8-camera.png", "Tests/Fixtures/images/png-rgb8-adam7-coffee.png"])
    func truncatedPNGStillFails(_ source: String) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(source), fraction: 0.5, in: directory)
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path, allowTruncated: true) }
        #expect(error?.kind == .truncated)
    }

    @Test func completeFilesAreUnaffected() throws {
        for source in [Self.rocket, Self.progressive, "SampleImages/png-gray8-camera.png"] {
            let strict = try ImageDecoder.decode(path: CodecFixtures.path(source))
            let lenient = try ImageDecoder.decode(path: CodecFixtures.path(source), allowTruncated: true)
            #expect(strict == lenient)
            #expect(!lenient.truncated && lenient.warnings.isEmpty)
        }
    }
}

@Suite("ImageRowReader.warnings: kinds")
struct WarningKindTests {
    /// `testimgint.jpg` with garbage bytes inserted after APP0 and after the first DQT.
    static func withGarbage(_ counts: [Int], in directory: String) throws -> String {
        let original = CodecFixtures.path(CodecFixtures.jpegSuite + "/testimgint.jpg")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        var offset = 2
        var places: [Int] = []
        while places.count < counts.count {   // ends of the first segments: APP0, DQT, ...
            offset += 2 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
            places.append(offset)
        }
        for (place, count) in zip(places, counts).reversed() {
            bytes.insert(contentsOf: [UInt8](repeating: 0x11, count: count), at: place)
        }
        let path = directory + "/garbage.jpg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Two warnings of the same libjpeg kind with different texts: one line, counted.
    @Test func sameKindIsOneLine() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let image = try ImageDecoder.decode(path: try Self.withGarbage([3, 5], in: directory))
        #expect(image.warnings == ["Corrupt JPEG data: 3 extraneous bytes before marker 0xdb (and 1 more like it)"])
    }

    /// Different kinds each get a line, in the order they came.
    @Test func distinctKindsAreListed() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let garbage = try Self.withGarbage([3], in: directory)
        let path = try CodecFixtures.truncatedCopy(of: garbage, fraction: 0.7, in: directory)
        let image = try ImageDecoder.decode(path: path, allowTruncated: true)
        #expect(image.warnings == ["Corrupt JPEG data: 3 extraneous bytes before marker 0xdb",
                                   "Premature end of JPEG file",
                                   "Corrupt JPEG data: premature end of data segment"])
    }
}
