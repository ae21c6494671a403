import Foundation
import Testing
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
