import Foundation
import Testing
import FilterBankTestSupport
import FilterBankIO
import FilterBankKit

/// The JPEG segments of a file (marker byte and payload), a plain walk independent of libjpeg.
func jpegSegments(_ bytes: [UInt8]) -> [(marker: UInt8, payload: [UInt8])] {
    var segments: [(UInt8, [UInt8])] = []
    var offset = 2   // after SOI
    while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
        let marker = bytes[offset + 1]
        let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard offset + 2 + length <= bytes.count else { break }
        segments.append((marker, Array(bytes[(offset + 4)..<(offset + 2 + length)])))
        if marker == 0xDA { break }   // entropy-coded data follows
        offset += 2 + length
    }
    return segments
}

@Suite("JPEGEncoder and JPEGRowWriter")
struct JPEGEncodeTests {
    static let width = 45, height = 29

    /// A smooth gradient with a soft bump: JPEG's easy case, small errors expected.
    static let gray: [UInt8] = (0..<(height * width)).map { i in
        let y = Double(i / width), x = Double(i % width)
        let bump = 60 * exp(-((x - 20) * (x - 20) + (y - 14) * (y - 14)) / 80)
        return UInt8(max(0, min(255, (20 + 4 * x + 2 * y + bump).rounded())))
    }

    static func write(_ samples: [UInt8], width: Int = width, height: Int = height, colorType: JPEGColorType = .gray,
                      quality: Int = 90, optimizeCoding: Bool = true, to path: String) throws {
        try samples.withUnsafeBufferPointer {
            try JPEGEncoder.write($0, width: width, height: height, colorType: colorType, quality: quality,
                                  optimizeCoding: optimizeCoding, to: path)
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test(arguments: [(75, 6), (90, 3), (100, 1)])
    func grayRoundTrip(_ quality: Int, _ tolerance: Int) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/gray.jpg"
        try Self.write(Self.gray, quality: quality, to: path)
        let image = try ImageDecoder.decode(path: path)
        #expect(image.format == .jpeg)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: Self.height, width: Self.width, channels: 1))
        #expect(image.warnings.isEmpty)
        let worst = zip(image.storedSamples(), Self.gray).map { abs($0 - Int($1)) }.max() ?? 0
        #expect(worst <= tolerance, "quality \(quality): max error \(worst)")
    }

    /// Flat 8x8 blocks at quality 100 (all quantisers 1) survive exactly.
    @Test func flatBlocksAreExactAtQuality100() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let samples: [UInt8] = (0..<(16 * 24)).map { i in [0, 255, 128, 37][(i / 24 / 8) * 2 + (i % 24) / 12] }
        let path = directory + "/flat.jpg"
        try Self.write(samples, width: 24, height: 16, quality: 100, to: path)
        #expect(try ImageDecoder.decode(path: path).storedSamples() == samples.map(Int.init))
    }

    @Test func rgbRoundTripIs444() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        // Smooth red and green ramps, constant blue.
        let rgb: [UInt8] = (0..<(Self.height * Self.width)).flatMap { i -> [UInt8] in
            let y = i / Self.width, x = i % Self.width
            return [UInt8(40 + 4 * x), UInt8(30 + 5 * y), 200]
        }
        let path = directory + "/rgb.jpg"
        try Self.write(rgb, colorType: .rgb, quality: 95, to: path)
        let image = try ImageDecoder.decode(path: path)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: Self.height, width: Self.width, channels: 3))
        let worst = zip(image.storedSamples(), rgb).map { abs($0 - Int($1)) }.max() ?? 0
        #expect(worst <= 4, "max error \(worst)")
        // SOF0: precision, height, width, 3 components, each (id, sampling 0x11, table).
        let sof = try #require(jpegSegments(try Self.bytes(path)).first { $0.marker == 0xC0 })
        #expect(sof.payload[5] == 3)
        #expect([sof.payload[7], sof.payload[10], sof.payload[13]] == [0x11, 0x11, 0x11])
    }

    /// Baseline (SOF0, not SOF1/SOF2), JFIF, one component for gray, and quality applied as
    /// libjpeg scales its standard tables: at 50 the luminance table is the standard one
    /// (first entries 16, 11, 12 in zigzag order), at 100 all ones.
    @Test func headerIsBaselineJFIFWithScaledTables() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        for (quality, firstEntries) in [(50, [16, 11, 12]), (100, [1, 1, 1]), (25, [32, 22, 24])] {
            let path = directory + "/q\(quality).jpg"
            try Self.write(Self.gray, quality: quality, to: path)
            let segments = jpegSegments(try Self.bytes(path))
            #expect(segments.first?.marker == 0xE0)
            #expect(segments.first.map { Array($0.payload.prefix(5)) } == Array("JFIF\0".utf8))
            #expect(segments.contains { $0.marker == 0xC0 })
            #expect(!segments.contains { [0xC1, 0xC2, 0xC9, 0xCA].contains($0.marker) })
            let sof = try #require(segments.first { $0.marker == 0xC0 })
            #expect(sof.payload[5] == 1)
            let dqt = try #require(segments.first { $0.marker == 0xDB })
            #expect(dqt.payload[0] == 0)   // 8-bit table 0
            #expect(dqt.payload[1...3].map(Int.init) == firstEntries, "quality \(quality)")
        }
    }

    /// Optimised Huffman tables change the size, never the pixels.
    @Test func optimizeCodingOnlyChangesSize() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let noisy: [UInt8] = (0..<(64 * 64)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try Self.write(noisy, width: 64, height: 64, quality: 85, optimizeCoding: true, to: directory + "/opt.jpg")
        try Self.write(noisy, width: 64, height: 64, quality: 85, optimizeCoding: false, to: directory + "/std.jpg")
        let optimized = try ImageDecoder.decode(path: directory + "/opt.jpg")
        let standard = try ImageDecoder.decode(path: directory + "/std.jpg")
        #expect(optimized.tensor == standard.tensor)
        #expect(try Self.bytes(directory + "/opt.jpg").count < (try Self.bytes(directory + "/std.jpg")).count)
    }

    @Test func higherQualityIsLarger() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        var sizes: [Int] = []
        for quality in [5, 50, 95] {
            try Self.write(Self.gray, quality: quality, to: directory + "/q.jpg")
            sizes.append(try Self.bytes(directory + "/q.jpg").count)
        }
        #expect(sizes == sizes.sorted() && Set(sizes).count == 3, "\(sizes)")
    }

    /// Bands of any size, with a padded row stride, give the same file as one call.
    @Test(arguments: [1, 7, 16, 29])
    func rowBandsEqualWholeImage(_ band: Int) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        try Self.write(Self.gray, to: directory + "/whole.jpg")
        let stride = Self.width + 3
        var padded = [UInt8](repeating: 0xEE, count: Self.height * stride)
        for y in 0..<Self.height {
            for x in 0..<Self.width { padded[y * stride + x] = Self.gray[y * Self.width + x] }
        }
        let writer = try JPEGRowWriter(path: directory + "/bands.jpg", width: Self.width, height: Self.height, quality: 90)
        #expect(writer.colorType == .gray && writer.quality == 90 && writer.optimizeCoding)
        try padded.withUnsafeBufferPointer { buffer in
            var top = 0
            while top < Self.height {
                let rows = min(band, Self.height - top)
                try writer.writeRows(buffer.baseAddress! + top * stride, rowStride: stride, rows: rows)
                top += rows
            }
        }
        #expect(writer.rowsWritten == Self.height)
        try writer.finish()
        #expect(try Self.bytes(directory + "/bands.jpg") == (try Self.bytes(directory + "/whole.jpg")))
    }

    @Test func writeGrayHelperUsesQuality() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        try Self.gray.withUnsafeBufferPointer {
            try JPEGEncoder.writeGray($0, width: Self.width, height: Self.height, quality: 60, to: directory + "/a.jpg")
        }
        try Self.write(Self.gray, quality: 60, to: directory + "/b.jpg")
        #expect(try Self.bytes(directory + "/a.jpg") == (try Self.bytes(directory + "/b.jpg")))
    }

    @Test func unwritablePath() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/no-such-directory/out.jpg"
        let error = #expect(throws: ImageError.self) { try Self.write(Self.gray, to: path) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): JPEG encode failed: cannot create: No such file or directory")
    }

    @Test(arguments: [(0, 5), (5, 0), (65501, 1), (1, 65501)])
    func sizeOutOfRange(_ width: Int, _ height: Int) throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/bad.jpg"
        let error = #expect(throws: ImageError.self) {
            try JPEGRowWriter(path: path, width: width, height: height, quality: 90)
        }
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("65500") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func finishingEarlyOrTwiceIsAnError() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let writer = try JPEGRowWriter(path: directory + "/early.jpg", width: Self.width, height: Self.height)
        try Self.gray.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: Self.width, rows: 3) }
        let early = #expect(throws: ImageError.self) { try writer.finish() }
        #expect(early?.kind == .internalError)
        #expect(early?.message.contains("not all rows were written") == true, "\(String(describing: early))")
        let again = #expect(throws: ImageError.self) { try writer.finish() }
        #expect(again?.message.contains("already closed") == true)
    }

    /// A writer dropped before `finish()` closes its file, whatever it holds; no crash, no leak
    /// (ASan runs of the suite check the latter).
    @Test func abandonedWriterClosesTheFile() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/abandoned.jpg"
        do {
            let writer = try JPEGRowWriter(path: path, width: Self.width, height: Self.height, colorType: .rgb)
            let rgb = [UInt8](repeating: 100, count: Self.width * 3 * 10)
            try rgb.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: Self.width * 3, rows: 10) }
        }
        #expect(FileManager.default.fileExists(atPath: path))
        // libjpeg's unflushed output buffer is dropped: the file is empty or a bare header.
        let error = #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
        #expect([.unknownFormat, .truncated, .corrupt].contains(error?.kind), "\(String(describing: error))")
    }

    /// /dev/full accepts the open and fails every write with ENOSPC.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func fullDisk() throws {
        let error = #expect(throws: ImageError.self) { try Self.write(Self.gray, to: "/dev/full") }
        #expect(error?.kind == .writeFailed)
        #expect(error?.message.contains("No space left on device") == true, "\(String(describing: error))")
    }
}
