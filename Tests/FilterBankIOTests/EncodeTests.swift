import Foundation
import Testing
import FilterBankTestSupport
import FilterBankIO
import FilterBankKit

@Suite("PNGEncoder")
struct EncodeTests {
    static let compressions: [PNGCompression] = [
        .fast, .standard,
        PNGCompression(level: 9, strategy: .huffmanOnly, filters: .paeth),
        PNGCompression(level: 0, filters: .none),
        PNGCompression(level: 3, strategy: .fixed, filters: [.up, .average]),
    ]

    /// A 37 x 23 ramp with a few extremes: odd sizes and all byte values.
    static let width = 37, height = 23

    @Test(arguments: compressions)
    func gray8RoundTrip(_ compression: PNGCompression) throws {
        let samples = (0..<(Self.width * Self.height)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 5) }
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/gray8.png"
        try samples.withUnsafeBufferPointer { buffer in
            try PNGEncoder.writeGray(buffer, width: Self.width, height: Self.height, to: path, compression: compression)
        }
        let image = try ImageDecoder.decode(path: path)
        #expect(image.format == .png)
        #expect(image.bitDepth == 8)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: Self.height, width: Self.width, channels: 1))
        #expect(image.storedSamples() == samples.map(Int.init))
        #expect(image.warnings.isEmpty)
    }

    @Test(arguments: compressions)
    func gray16RoundTrip(_ compression: PNGCompression) throws {
        let samples = (0..<(Self.width * Self.height)).map { UInt16(truncatingIfNeeded: $0 &* 2749 &+ 1) }
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/gray16.png"
        try samples.withUnsafeBufferPointer { buffer in
            try PNGEncoder.writeGray(buffer, width: Self.width, height: Self.height, to: path, compression: compression)
        }
        let image = try ImageDecoder.decode(path: path)
        #expect(image.bitDepth == 16)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: Self.height, width: Self.width, channels: 1))
        #expect(image.storedSamples() == samples.map(Int.init))
    }

    /// Decoding back alone would not notice a byte-order mistake made on both sides:
    /// read the file's bytes. Level 0 stores the zlib data uncompressed, and with the
    /// None filter a row is its filter byte 0 followed by the samples, big-endian.
    @Test func sixteenBitIsBigEndianInTheFile() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/order.png"
        let samples: [UInt16] = [0x0102, 0xA0B0]
        try samples.withUnsafeBufferPointer { buffer in
            try PNGEncoder.writeGray(buffer, width: 2, height: 1, to: path, compression: PNGCompression(level: 0, filters: .none))
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let row: [UInt8] = [0x00, 0x01, 0x02, 0xA0, 0xB0]
        #expect((0...(bytes.count - row.count)).contains { Array(bytes[$0..<($0 + row.count)]) == row })
    }

    @Test func fastIsTheDefault() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let samples = [UInt8](repeating: 200, count: 64 * 64)
        try samples.withUnsafeBufferPointer { buffer in
            try PNGEncoder.writeGray(buffer, width: 64, height: 64, to: directory + "/default.png")
            try PNGEncoder.writeGray(buffer, width: 64, height: 64, to: directory + "/fast.png", compression: .fast)
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: directory + "/default.png"))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory + "/fast.png"))
        #expect(a == b)
    }

    @Test func unwritablePath() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/no-such-directory/out.png"
        let samples: [UInt8] = [1, 2, 3, 4]
        let error = #expect(throws: ImageError.self) {
            try samples.withUnsafeBufferPointer { buffer in
                try PNGEncoder.writeGray(buffer, width: 2, height: 2, to: path)
            }
        }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): PNG encode failed: cannot create: No such file or directory")
    }

    @Test func directoryAsOutput() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory
        let samples: [UInt16] = [1, 2, 3, 4]
        let error = #expect(throws: ImageError.self) {
            try samples.withUnsafeBufferPointer { buffer in
                try PNGEncoder.writeGray(buffer, width: 2, height: 2, to: path)
            }
        }
        #expect(error?.path == path)
        #expect(error?.description.contains("Is a directory") == true, "\(String(describing: error))")
    }

    @Test func emptyImageIsRejected() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/empty.png"
        let samples: [UInt8] = [0]
        let error = #expect(throws: ImageError.self) {
            try samples.withUnsafeBufferPointer { buffer in
                try PNGEncoder.writeGray(buffer, width: 0, height: 1, to: path)
            }
        }
        #expect(error?.kind == .unsupported)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

@Suite("PNGEncoder and PNGRowWriter: colour types")
struct ColorEncodeTests {
    static let width = 13, height = 9

    static func samples8(_ channels: Int) -> [UInt8] {
        (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ $0 / 7) }
    }

    static func samples16(_ channels: Int) -> [UInt16] {
        (0..<(width * height * channels)).map { UInt16(truncatingIfNeeded: $0 &* 4099 &+ 17) }
    }

    /// The colour type byte of the IHDR chunk (0 gray, 2 RGB, 4 gray+alpha, 6 RGBA) and the bit depth.
    static func ihdr(_ path: String) throws -> (depth: UInt8, colourType: UInt8) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        return (bytes[24], bytes[25])
    }

    static let pngColourTypeByte: [PNGColorType: UInt8] = [.gray: 0, .grayAlpha: 4, .rgb: 2, .rgba: 6]

    @Test(arguments: PNGColorType.allCases)
    func eightBitRoundTrip(_ colorType: PNGColorType) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/c8.png"
        let samples = Self.samples8(colorType.channels)
        try samples.withUnsafeBufferPointer {
            try PNGEncoder.write($0, width: Self.width, height: Self.height, colorType: colorType, to: path)
        }
        let image = try ImageDecoder.decode(path: path)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: Self.height, width: Self.width, channels: colorType.channels))
        #expect(image.bitDepth == 8)
        #expect(image.storedSamples() == samples.map(Int.init))
        let header = try Self.ihdr(path)
        #expect(header.depth == 8 && header.colourType == Self.pngColourTypeByte[colorType])
    }

    @Test(arguments: PNGColorType.allCases)
    func sixteenBitRoundTrip(_ colorType: PNGColorType) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/c16.png"
        let samples = Self.samples16(colorType.channels)
        try samples.withUnsafeBufferPointer {
            try PNGEncoder.write($0, width: Self.width, height: Self.height, colorType: colorType, to: path,
                                 compression: .standard)
        }
        let image = try ImageDecoder.decode(path: path)
        #expect(image.tensor.shape.channels == colorType.channels)
        #expect(image.bitDepth == 16)
        #expect(image.storedSamples() == samples.map(Int.init))
        let header = try Self.ihdr(path)
        #expect(header.depth == 16 && header.colourType == Self.pngColourTypeByte[colorType])
    }

    /// An RGB row writer fed in bands through a padded stride writes the same image as one
    /// call (the fast encoder's blocks follow the bands, so the bytes differ).
    @Test func rgbRowWriterInBands() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let samples = Self.samples8(3)
        try samples.withUnsafeBufferPointer {
            try PNGEncoder.write($0, width: Self.width, height: Self.height, colorType: .rgb, to: directory + "/whole.png")
        }
        let rowSamples = Self.width * 3, stride = rowSamples + 5
        var padded = [UInt8](repeating: 0xAB, count: Self.height * stride)
        for y in 0..<Self.height {
            for i in 0..<rowSamples { padded[y * stride + i] = samples[y * rowSamples + i] }
        }
        let writer = try PNGRowWriter(path: directory + "/bands.png", width: Self.width, height: Self.height,
                                      bitDepth: 8, colorType: .rgb)
        #expect(writer.colorType == .rgb)
        try padded.withUnsafeBufferPointer { buffer in
            for top in Swift.stride(from: 0, to: Self.height, by: 4) {
                try writer.writeRows(buffer.baseAddress! + top * stride, rowStride: stride, rows: min(4, Self.height - top))
            }
        }
        try writer.finish()
        let whole = try ImageDecoder.decode(path: directory + "/whole.png")
        let bands = try ImageDecoder.decode(path: directory + "/bands.png")
        #expect(whole.tensor == bands.tensor)
        #expect(bands.storedSamples() == samples.map(Int.init))
    }

    /// The gray API is unchanged: a row writer without a colour type writes gray, byte for
    /// byte what `writeGray` writes.
    @Test func grayIsTheDefault() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let samples = Self.samples8(1)
        let writer = try PNGRowWriter(path: directory + "/rows.png", width: Self.width, height: Self.height, bitDepth: 8)
        #expect(writer.colorType == .gray)
        try samples.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: Self.width, rows: Self.height) }
        try writer.finish()
        try samples.withUnsafeBufferPointer {
            try PNGEncoder.writeGray($0, width: Self.width, height: Self.height, to: directory + "/gray.png")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/rows.png"))
                == (try Data(contentsOf: URL(fileURLWithPath: directory + "/gray.png"))))
        #expect(try Self.ihdr(directory + "/rows.png").colourType == 0)
    }

    @Test func channelCounts() {
        #expect(PNGColorType.allCases.map(\.channels) == [1, 2, 3, 4])
        #expect((0...5).map { PNGColorType(channels: $0) } == [nil, .gray, .grayAlpha, .rgb, .rgba, nil])
    }

    /// A row stride shorter than a row is reported, not a crash.
    @Test func shortStrideIsAnError() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let writer = try PNGRowWriter(path: directory + "/s.png", width: 4, height: 2, bitDepth: 8, colorType: .rgba)
        let samples = [UInt8](repeating: 1, count: 32)
        let error = #expect(throws: ImageError.self) {
            try samples.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: 12, rows: 1) }
        }
        #expect(error?.kind == .internalError)
    }
}
