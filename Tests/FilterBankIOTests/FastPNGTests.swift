import CZlibShim
import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

/// The fast PNG encoder (`PNGCompression.fast`): every file it writes must
/// decode to exactly its samples through libpng (`ImageDecoder`), through
/// zlib's own `inflate` (with the rows unfiltered here, by the PNG
/// specification's definitions), and through `Inflater`, a strict decoder
/// written in this file that also checks what zlib tolerates.
@Suite("Fast PNG encoder: exact round trips")
struct FastPNGTests {
    /// An image as the encoder takes it: samples row-major, interleaved.
    struct Image {
        var width: Int
        var height: Int
        var colorType: PNGColorType = .gray
        var bitDepth: Int
        var samples: [UInt16]  // 8-bit samples in 0...255

        var rowBytes: Int { width * colorType.channels * bitDepth / 8 }

        /// The rows as PNG stores them before filtering (16-bit big-endian).
        var rawRows: [UInt8] {
            bitDepth == 8 ? samples.map { UInt8($0) } : samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        }
    }

    /// A deterministic pseudo-random generator (64-bit LCG, high bits).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
    }

    static func random(width: Int, height: Int, bitDepth: Int, colorType: PNGColorType = .gray, seed: UInt64) -> Image {
        var random = Random(state: seed)
        let count = width * height * colorType.channels
        let samples = (0..<count).map { _ in UInt16(truncatingIfNeeded: random.next()) & (bitDepth == 8 ? 0xFF : 0xFFFF) }
        return Image(width: width, height: height, colorType: colorType, bitDepth: bitDepth, samples: samples)
    }

    static func constant(_ value: UInt16, width: Int, height: Int, bitDepth: Int) -> Image {
        Image(width: width, height: height, bitDepth: bitDepth, samples: Array(repeating: value, count: width * height))
    }

    /// Sobel x and y of the sample photo, as the tool maps them by default
    /// (negative to 0, `v` in 0...1 of the input's range to `v * max`),
    /// 8- or 16-bit: real edge maps, mostly black with runs and sparse edges.
    static func edgeMaps(bitDepth: Int) throws -> [Image] {
        let photo = try ImageDecoder.decode(path: CodecFixtures.path("SampleImages/png-gray8-camera.png"))
        let (width, height) = (photo.tensor.shape.width, photo.tensor.shape.height)
        let values = photo.tensor.values
        func at(_ y: Int, _ x: Int) -> Float {
            (0..<height).contains(y) && (0..<width).contains(x) ? values[y * width + x] : 0
        }
        let maximum: Float = bitDepth == 8 ? 255 : 65535
        return [true, false].map { horizontal in
            var samples = [UInt16](repeating: 0, count: width * height)
            for y in 0..<height {
                for x in 0..<width {
                    let v = horizontal
                        ? (at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1)) - (at(y - 1, x - 1) + 2 * at(y, x - 1) + at(y + 1, x - 1))
                        : (at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1)) - (at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1))
                    samples[y * width + x] = UInt16((min(max(v, 0), 1) * maximum).rounded())
                }
            }
            return Image(width: width, height: height, bitDepth: bitDepth, samples: samples)
        }
    }

    /// Writes `image` with the fast encoder in bands of `band` rows (the
    /// last one shorter), cutting each band into up to `threads` parts of
    /// at least `minimumSegmentBytes`, and blocks of at most
    /// `maximumBlockBytes`. Returns the file's bytes.
    static func encode(_ image: Image, band: Int? = nil, threads: Int = 1, minimumSegmentBytes: Int = 1,
                       maximumBlockBytes: Int = FastPNGStream.defaultMaximumBlockBytes,
                       to path: String) throws -> [UInt8] {
        let stream = try FastPNGStream(path: path, width: image.width, height: image.height, bitDepth: image.bitDepth,
                                       colorType: image.colorType, threads: threads,
                                       minimumSegmentBytes: minimumSegmentBytes, maximumBlockBytes: maximumBlockBytes)
        let rowSamples = image.width * image.colorType.channels
        let rows = band ?? image.height
        var y = 0
        while y < image.height {
            let count = min(rows, image.height - y)
            if image.bitDepth == 8 {
                let bytes = image.samples[(y * rowSamples)..<((y + count) * rowSamples)].map { UInt8($0) }
                try bytes.withUnsafeBytes { try stream.write($0.baseAddress!, rowStrideBytes: rowSamples, rows: count) }
            } else {
                let words = Array(image.samples[(y * rowSamples)..<((y + count) * rowSamples)])
                try words.withUnsafeBytes { try stream.write($0.baseAddress!, rowStrideBytes: 2 * rowSamples, rows: count) }
            }
            y += count
        }
        try stream.finish()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    // MARK: - Reading the file back three ways

    struct Chunk {
        var type: String
        var data: [UInt8]
    }

    /// The chunks of a PNG file, each CRC checked; the signature checked.
    static func chunks(_ bytes: [UInt8]) -> [Chunk] {
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunks: [Chunk] = []
        var p = 8
        func word(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
        while p + 12 <= bytes.count {
            let length = Int(word(p))
            let typeAndData = Array(bytes[(p + 4)..<(p + 8 + length)])
            let crc = typeAndData.withUnsafeBufferPointer { czs_crc32($0.baseAddress, $0.count) }
            #expect(crc == word(p + 8 + length), "CRC of chunk at \(p)")
            chunks.append(Chunk(type: String(decoding: typeAndData.prefix(4), as: UTF8.self), data: Array(typeAndData.dropFirst(4))))
            p += 12 + length
        }
        #expect(p == bytes.count)
        return chunks
    }

    /// Undoes PNG's filters (specification, section 9), row by row.
    static func unfilter(_ filtered: [UInt8], rowBytes: Int, height: Int, bpp: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            let type = filtered[y * (rowBytes + 1)]
            for i in 0..<rowBytes {
                let x = Int(filtered[y * (rowBytes + 1) + 1 + i])
                let a = i >= bpp ? Int(out[y * rowBytes + i - bpp]) : 0
                let b = y > 0 ? Int(out[(y - 1) * rowBytes + i]) : 0
                let c = i >= bpp && y > 0 ? Int(out[(y - 1) * rowBytes + i - bpp]) : 0
                let predicted: Int
                switch type {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: return nil
                }
                out[y * rowBytes + i] = UInt8((x + predicted) & 0xFF)
            }
        }
        return out
    }

    /// Checks `bytes` (the fast encoder's file for `image`) three ways.
    static func expectDecodes(_ bytes: [UInt8], as image: Image, path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let chunks = chunks(bytes)
        #expect(chunks.first?.type == "IHDR", sourceLocation: sourceLocation)
        #expect(chunks.last?.type == "IEND", sourceLocation: sourceLocation)
        let zlib = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        let filteredCount = (image.rowBytes + 1) * image.height
        let bpp = image.colorType.channels * image.bitDepth / 8

        // 1. libpng, through filterbank's decoder.
        let decoded = try ImageDecoder.decode(path: path)
        let scale: Float = image.bitDepth == 16 ? 65535 : 255
        #expect(decoded.bitDepth == image.bitDepth, sourceLocation: sourceLocation)
        #expect(decoded.warnings.isEmpty, "\(decoded.warnings)", sourceLocation: sourceLocation)
        #expect(decoded.tensor.values.map { UInt16(($0 * scale).rounded()) } == image.samples,
                "libpng", sourceLocation: sourceLocation)

        // 2. zlib's inflate (header and Adler-32 checked by zlib), then unfiltered here.
        var inflated = [UInt8](repeating: 0, count: filteredCount)
        var consumed = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = zlib.withUnsafeBufferPointer { source in
            inflated.withUnsafeMutableBufferPointer { target in
                czs_inflate_zlib(source.baseAddress!, source.count, target.baseAddress!, target.count, &consumed, &message, 256)
            }
        }
        #expect(status == CZS_OK, "zlib: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))", sourceLocation: sourceLocation)
        #expect(consumed == zlib.count, "bytes after the zlib stream", sourceLocation: sourceLocation)
        #expect(unfilter(inflated, rowBytes: image.rowBytes, height: image.height, bpp: bpp) == image.rawRows,
                "zlib", sourceLocation: sourceLocation)

        // 3. The strict inflater of this file.
        var inflater = Inflater(zlib)
        let strict = inflater.inflateZlib()
        #expect(inflater.failure == nil, "strict inflater: \(inflater.failure ?? "")", sourceLocation: sourceLocation)
        #expect(strict == inflated, "strict inflater", sourceLocation: sourceLocation)
    }

    // MARK: - The tests

    @Test(arguments: [8, 16])
    func everyWidthFrom1To70(bitDepth: Int) throws {
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for width in 1...70 {
                for height in [1, 2, 5] {
                    let image = Self.random(width: width, height: height, bitDepth: bitDepth, seed: UInt64(width * 100 + height))
                    let path = directory + "/w\(width)h\(height).png"
                    try Self.expectDecodes(try Self.encode(image, band: 2, to: path), as: image, path: path)
                }
            }
        }
    }

    @Test(arguments: [8, 16])
    func constantAndThinImages(bitDepth: Int) throws {
        let top: UInt16 = bitDepth == 8 ? 255 : 65535
        let images = [
            Self.constant(0, width: 300, height: 40, bitDepth: bitDepth),
            Self.constant(top, width: 300, height: 40, bitDepth: bitDepth),
            Self.constant(0, width: 1, height: 1, bitDepth: bitDepth),
            Self.constant(top, width: 1, height: 1, bitDepth: bitDepth),
            Self.random(width: 1, height: 300, bitDepth: bitDepth, seed: 3),  // one column
            Self.random(width: 5000, height: 1, bitDepth: bitDepth, seed: 4),  // one row
            Self.constant(top, width: 5000, height: 1, bitDepth: bitDepth),
            Self.constant(0, width: 1, height: 600, bitDepth: bitDepth),
        ]
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for (i, image) in images.enumerated() {
                for threads in [1, 3] {
                    let path = directory + "/\(i)-\(threads).png"
                    try Self.expectDecodes(try Self.encode(image, band: 16, threads: threads, to: path), as: image, path: path)
                }
            }
        }
    }

    /// Runs of every length from 1 to 600 (matches of 3...258 bytes, pieces
    /// that must not leave 1 or 2 bytes behind), of 0, 255 and other bytes.
    @Test func runsOfEveryLength() throws {
        var random = Random(state: 11)
        var bytes: [UInt16] = []
        for length in 1...600 {
            let value = [0, 255, UInt16(random.next() & 0xFF)][length % 3]
            bytes += Array(repeating: value, count: length)
            bytes.append(UInt16(random.next() & 0xFF))
        }
        let width = 1000
        bytes += Array(repeating: 7, count: width - bytes.count % width)
        let image = Image(width: width, height: bytes.count / width, bitDepth: 8, samples: bytes)
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for band in [1, 7, image.height] {
                let path = directory + "/runs\(band).png"
                try Self.expectDecodes(try Self.encode(image, band: band, to: path), as: image, path: path)
            }
        }
    }

    /// A crop of a real edge map cut into bands of every height, each band
    /// encoded whole or in parts for up to 5 cores, in blocks of any size or
    /// of at most 3 rows.
    @Test(arguments: [8, 16])
    func bandsCutAtEverySize(bitDepth: Int) throws {
        let full = try Self.edgeMaps(bitDepth: bitDepth)[0]
        let (width, height, left, top) = (97, 29, 200, 200)
        var samples: [UInt16] = []
        for y in top..<(top + height) { samples += full.samples[(y * full.width + left)..<(y * full.width + left + width)] }
        let image = Image(width: width, height: height, bitDepth: bitDepth, samples: samples)
        #expect(Set(samples).count > 10 && samples.contains(0))
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for band in 1...height {
                for threads in [1, 2, 5] {
                    for blockBytes in [FastPNGStream.defaultMaximumBlockBytes, 3 * (image.rowBytes + 1)] {
                        let path = directory + "/b\(band)t\(threads)-\(blockBytes).png"
                        let bytes = try Self.encode(image, band: band, threads: threads, maximumBlockBytes: blockBytes, to: path)
                        try Self.expectDecodes(bytes, as: image, path: path)
                        // A band is cut into blocks of min(3 or all, rows / min(threads, rows)) rows,
                        // one IDAT each, plus the IDAT of the final block.
                        let bands = (height + band - 1) / band
                        let lastRows = height - (bands - 1) * band
                        func blocks(_ rows: Int) -> Int {
                            let count = min(threads, rows)
                            let per = max(1, min(blockBytes / (image.rowBytes + 1), (rows + count - 1) / count))
                            return (rows + per - 1) / per
                        }
                        let expected = (bands - 1) * blocks(band) + blocks(lastRows) + 1
                        #expect(Self.chunks(bytes).filter { $0.type == "IDAT" }.count == expected,
                                "band \(band), threads \(threads), blocks of \(blockBytes) bytes")
                    }
                }
            }
        }
    }

    /// Whole edge maps of the sample photo (512 x 512), the default segment size.
    @Test(arguments: [8, 16])
    func realEdgeMaps(bitDepth: Int) throws {
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for (k, image) in try Self.edgeMaps(bitDepth: bitDepth).enumerated() {
                for threads in [1, 2] {
                    let path = directory + "/edges\(k)-\(threads).png"
                    let bytes = try Self.encode(image, band: 64, threads: threads,
                                                minimumSegmentBytes: FastPNGStream.defaultMinimumSegmentBytes, to: path)
                    try Self.expectDecodes(bytes, as: image, path: path)
                    // An edge map compresses: well under the raw size.
                    #expect(bytes.count < image.rawRows.count * 3 / 4)
                }
            }
        }
    }

    @Test(arguments: PNGColorType.allCases)
    func colourTypes(_ colorType: PNGColorType) throws {
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for bitDepth in [8, 16] {
                for width in [1, 2, 3, 17, 33] {
                    let image = Self.random(width: width, height: 6, bitDepth: bitDepth, colorType: colorType, seed: UInt64(width))
                    let path = directory + "/c\(bitDepth)-\(width).png"
                    try Self.expectDecodes(try Self.encode(image, band: 4, threads: 2, to: path), as: image, path: path)
                }
            }
        }
    }

    /// Every filter the encoder may choose, forced by content it favours:
    /// None (a sparse edge map: filtering doubles its non-zero bytes), Sub
    /// (each row a ramp of its own slope), Up (each column a ramp of its own
    /// slope) and Paeth (Up's content on the left half, Sub's on the right:
    /// Paeth follows each, the others only one).
    @Test func eachFilterIsChosenAndDecodes() throws {
        let (width, height) = (64, 24)
        var random = Random(state: 5)
        let slopes = (0..<height).map { _ in Int(random.next() % 7) + 1 }
        let columns = (0..<width).map { _ in Int(random.next() % 256) }
        func image(_ value: (_ x: Int, _ y: Int) -> Int) -> Image {
            Image(width: width, height: height, bitDepth: 8,
                  samples: (0..<(width * height)).map { UInt16(value($0 % width, $0 / width) & 0xFF) })
        }
        let images: [(name: String, type: UInt8, image: Image)] = [
            ("none", 0, image { _, _ in random.next() % 16 == 0 ? Int(random.next() % 256) : 0 }),
            ("sub", 1, image { x, y in x * slopes[y] }),
            ("up", 2, image { x, y in columns[x] + 5 * y }),
            ("paeth", 4, image { x, y in x < width / 2 ? columns[x] + 5 * y : x * slopes[y] }),
        ]
        try BankIOTestSupport.withTemporaryDirectory { directory in
            for (name, type, image) in images {
                let path = directory + "/\(name).png"
                let bytes = try Self.encode(image, to: path)
                try Self.expectDecodes(bytes, as: image, path: path)
                var inflater = Inflater(Self.chunks(bytes).filter { $0.type == "IDAT" }.flatMap(\.data))
                let filtered = inflater.inflateZlib()
                let types = Set(stride(from: 0, to: filtered.count, by: width + 1).map { filtered[$0] })
                #expect(types == [type], "\(name): filter types \(types)")
            }
        }
    }

    /// `fast`, `default` and `small` write the same pixels (through the
    /// public writer, as the tool does).
    @Test(arguments: [8, 16])
    func presetsDecodeToTheSamePixels(bitDepth: Int) throws {
        let image = try Self.edgeMaps(bitDepth: bitDepth)[1]
        try BankIOTestSupport.withTemporaryDirectory { directory in
            var decoded: [[Float]] = []
            for (name, compression) in [("fast", PNGCompression.fast), ("default", .standard), ("small", PNGCompression(level: 9))] {
                let path = directory + "/\(name).png"
                let writer = try PNGRowWriter(path: path, width: image.width, height: image.height, bitDepth: bitDepth,
                                              compression: compression, threads: 2)
                if bitDepth == 8 {
                    let bytes = image.samples.map { UInt8($0) }
                    try bytes.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: image.width, rows: image.height) }
                } else {
                    try image.samples.withUnsafeBufferPointer { try writer.writeRows($0.baseAddress!, rowStride: image.width, rows: image.height) }
                }
                try writer.finish()
                decoded.append(try ImageDecoder.decode(path: path).tensor.values)
            }
            #expect(decoded[0] == decoded[1] && decoded[1] == decoded[2])
            let scale: Float = bitDepth == 16 ? 65535 : 255
            #expect(decoded[0].map { UInt16(($0 * scale).rounded()) } == image.samples)
        }
    }

    @Test func huffmanLengthsAreLimitedAndComplete() {
        // Fibonacci counts force an unlimited Huffman code to 30 levels.
        var counts: [UInt32] = [1, 1]
        while counts.count < 30 { counts.append(counts[counts.count - 1] + counts[counts.count - 2]) }
        counts += [0, 0, 5]
        for limit in [7, 14, 15] {
            var lengths = [UInt8](repeating: 0, count: counts.count)
            counts.withUnsafeBufferPointer { c in lengths.withUnsafeMutableBufferPointer { HuffmanCode.lengths(counts: c, limit: limit, into: $0) } }
            #expect(lengths.max()! <= UInt8(limit))
            #expect(zip(counts, lengths).allSatisfy { ($0 == 0) == ($1 == 0) })
            let kraft = lengths.filter { $0 > 0 }.reduce(0.0) { $0 + 1 / Double(1 << Int($1)) }
            #expect(kraft == 1)
        }
        // One used symbol: a second gets a code, so that the code is complete.
        var lengths = [UInt8](repeating: 9, count: 4)
        [0, 0, 3, 0].withUnsafeBufferPointer { c in lengths.withUnsafeMutableBufferPointer { HuffmanCode.lengths(counts: c, limit: 15, into: $0) } }
        #expect(lengths == [1, 0, 1, 0])
    }

    @Test func writeErrorsNameTheFile() throws {
        let error = #expect(throws: ImageError.self) {
            _ = try FastPNGStream(path: "/nonexistent-directory/x.png", width: 2, height: 2, bitDepth: 8, colorType: .gray, threads: 1)
        }
        #expect(error?.description == "/nonexistent-directory/x.png: PNG encode failed: cannot create: No such file or directory")
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = #expect(throws: ImageError.self) {
                let image = Self.random(width: 300, height: 300, bitDepth: 8, seed: 1)
                _ = try Self.encode(image, to: "/dev/full")
            }
            #expect(full?.kind == .writeFailed)
            #expect(full?.message.contains("No space left on device") == true, "\(String(describing: full))")
        }
    }
}

/// A strict inflater (RFC 1950 and RFC 1951, decoding as zlib's `puff.c`
/// does, by canonical code counts), to check the encoder with a decoder
/// that shares no code with zlib and tolerates less: it rejects
/// over-subscribed and incomplete codes (but a lone distance code, which
/// RFC 1951 allows), a repeat with nothing to repeat or past the lengths,
/// distances before the start, a wrong Adler-32, and any byte after the stream.
struct Inflater {
    let bytes: [UInt8]
    private var bit = 0
    private(set) var failure: String?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private mutating func fail(_ why: String) {
        if failure == nil { failure = "\(why) (bit \(bit))" }
    }

    private mutating func bits(_ count: Int) -> Int {
        var value = 0
        for i in 0..<count {
            guard bit / 8 < bytes.count else { fail("the stream ends early"); return 0 }
            value |= Int(bytes[bit / 8] >> (bit % 8) & 1) << i
            bit += 1
        }
        return value
    }

    struct Code {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
    }

    private mutating func code(_ lengths: [Int], lonelyAllowed: Bool) -> Code {
        var code = Code()
        for length in lengths { code.counts[length] += 1 }
        let used = lengths.count - code.counts[0]
        var left = 1
        for length in 1..<16 {
            left = left * 2 - code.counts[length]
            if left < 0 { fail("over-subscribed code"); return code }
        }
        if left > 0 && !(lonelyAllowed && used == 1) && used > 0 { fail("incomplete code (\(left) left, \(used) used)") }
        for length in 1..<16 {
            for (symbol, l) in lengths.enumerated() where l == length { code.symbols.append(symbol) }
        }
        return code
    }

    private mutating func decode(_ code: Code) -> Int {
        var value = 0, first = 0, index = 0
        for length in 1..<16 {
            value |= bits(1)
            let count = code.counts[length]
            if value - count < first { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
            if failure != nil { return -1 }
        }
        fail("no such code")
        return -1
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    mutating func inflateZlib() -> [UInt8] {
        let cmf = bits(8), flg = bits(8)
        if (cmf << 8 | flg) % 31 != 0 || cmf & 15 != 8 || cmf >> 4 > 7 || flg & 0x20 != 0 { fail("bad zlib header") }
        var out: [UInt8] = []
        var final = false
        while !final && failure == nil {
            final = bits(1) == 1
            switch bits(2) {
            case 0:
                bit = (bit + 7) / 8 * 8
                let length = bits(16), complement = bits(16)
                if length != complement ^ 0xFFFF { fail("stored length and its complement differ") }
                for _ in 0..<length where failure == nil { out.append(UInt8(bits(8))) }
            case 1:
                let literal = code(Array(repeating: 8, count: 144) + Array(repeating: 9, count: 112)
                                   + Array(repeating: 7, count: 24) + Array(repeating: 8, count: 8), lonelyAllowed: false)
                let distance = code(Array(repeating: 5, count: 32), lonelyAllowed: true)
                symbols(literal, distance, &out)
            case 2:
                let literals = bits(5) + 257, distances = bits(5) + 1, lengthCodes = bits(4) + 4
                if literals > 286 || distances > 30 { fail("too many codes") }
                var codeLengths = [Int](repeating: 0, count: 19)
                for i in 0..<lengthCodes { codeLengths[[16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15][i]] = bits(3) }
                let lengthCode = code(codeLengths, lonelyAllowed: false)
                var lengths: [Int] = []
                while lengths.count < literals + distances && failure == nil {
                    let symbol = decode(lengthCode)
                    switch symbol {
                    case 0..<16: lengths.append(symbol)
                    case 16:
                        guard let last = lengths.last else { fail("repeat with nothing to repeat"); break }
                        lengths += Array(repeating: last, count: 3 + bits(2))
                    case 17: lengths += Array(repeating: 0, count: 3 + bits(3))
                    case 18: lengths += Array(repeating: 0, count: 11 + bits(7))
                    default: fail("bad code length symbol")
                    }
                }
                if lengths.count != literals + distances { fail("code lengths run past the end") }
                guard failure == nil else { break }
                if lengths[256] == 0 { fail("no end-of-block code") }
                let literal = code(Array(lengths[0..<literals]), lonelyAllowed: false)
                let distance = code(Array(lengths[literals...]), lonelyAllowed: true)
                symbols(literal, distance, &out)
            default:
                fail("block type 3")
            }
        }
        bit = (bit + 7) / 8 * 8
        let adler = UInt32(bits(8)) << 24 | UInt32(bits(8)) << 16 | UInt32(bits(8)) << 8 | UInt32(bits(8))
        if adler != out.withUnsafeBufferPointer({ czs_adler32_update(1, $0.baseAddress, $0.count) }) { fail("wrong Adler-32") }
        if bit != bytes.count * 8 { fail("\(bytes.count - bit / 8) bytes after the stream") }
        return out
    }

    private mutating func symbols(_ literal: Code, _ distance: Code, _ out: inout [UInt8]) {
        while failure == nil {
            let symbol = decode(literal)
            if symbol < 256 {
                out.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else if symbol <= 285 {
                let length = Self.lengthBase[symbol - 257] + bits(Self.lengthExtra[symbol - 257])
                let d = decode(distance)
                guard d >= 0 && d < 30 else { fail("bad distance symbol"); return }
                let back = Self.distanceBase[d] + bits(Self.distanceExtra[d])
                guard back <= out.count else { fail("distance \(back) before the start"); return }
                for _ in 0..<length { out.append(out[out.count - back]) }
            } else {
                fail("bad literal/length symbol \(symbol)")
            }
        }
    }
}
