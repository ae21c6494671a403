import Foundation
import Testing
import FilterBankIO
import FilterBankKit

// Deterministic mutation fuzzing of every decoder and parser FilterBankIO
// exposes to untrusted files: thousands of damaged copies of the conformance
// suites and fixtures (bit flips, byte sets, truncations at random and at
// chunk/marker boundaries, PNG chunk splices with and without a repaired CRC,
// JPEG segment splices, .npy header edits, JSON structural and value edits,
// .npz zip-record edits and archives of damaged arrays, libvips .mat text edits).
//
// Every case must end in a value or in the API's typed error naming the mutated
// file, in one line; never a trap, a hang, an `internalError`, or a file
// descriptor left open. A few mutations must not change the decoded pixels at
// all (an IDAT split in two, a tEXt chunk, a COM or APP11 segment): those are
// checked against the original too. Under `swift test --sanitize=address`
// (CI) the same cases also check memory errors and leaks.
//
// The mutations are seeded from each file's name, so a failure names a case
// that reproduces on every run: set FILTERBANK_FUZZ_KEEP=DIR to have every case
// that fails written to DIR, and FILTERBANK_FUZZ_TRACE=1 to print each case's
// name before it runs (to find the case behind a crash).

// MARK: - The tests

@Suite("Fuzz: mutated files end in a value or a clean error", .timeLimit(.minutes(2)))
struct FuzzTests {
    @Test("PNG: PngSuite, libpng crashers and a sample image, mutated",
          arguments: FuzzCorpus.pngFiles)
    func png(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        let reference = run.decodeImage(original, name: "original")
        for mutation in PNGMutations.cases(of: original, file: file, count: FuzzCorpus.pngCases(file)) {
            let result = run.decodeImage(mutation.bytes, name: mutation.name, maxPixels: mutation.maxPixels)
            if mutation.keepsPixels { run.expectSamePixels(result, reference, mutation.name) }
        }
    }

    @Test("JPEG: IJG conformance files, mutated", arguments: FuzzCorpus.jpegFiles)
    func jpeg(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        let reference = run.decodeImage(original, name: "original")
        for mutation in JPEGMutations.cases(of: original, file: file, count: FuzzCorpus.jpegCases(file)) {
            let result = run.decodeImage(mutation.bytes, name: mutation.name, maxPixels: mutation.maxPixels)
            if mutation.keepsPixels { run.expectSamePixels(result, reference, mutation.name) }
            // Cut files again, accepted as libjpeg pads them (grey rows after a warning).
            if mutation.name.contains("truncate") {
                _ = run.decodeImage(mutation.bytes, name: mutation.name + " (allowTruncated)", maxPixels: mutation.maxPixels,
                                    allowTruncated: true)
            }
        }
    }

    @Test(".npy: fixtures with header, version, length and data edits", arguments: FuzzCorpus.npyFiles)
    func npy(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        for mutation in NpyMutations.cases(of: original, file: file, count: 150) {
            run.readNpy(mutation.bytes, name: mutation.name)
        }
    }

    @Test("Bank JSON: structural and value edits", arguments: FuzzCorpus.bankFiles)
    func bank(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        for mutation in JSONMutations.cases(of: original, file: file, count: 150) {
            run.parseBank(mutation.bytes, name: mutation.name)
        }
    }

    @Test(".npz: zip record edits, and archives of damaged arrays", arguments: FuzzCorpus.npzFiles)
    func npz(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        for mutation in ZipMutations.cases(of: original, file: file, count: 120) {
            run.readNpz(mutation.bytes, name: mutation.name)
        }
    }

    @Test("libvips .mat: header and row edits", arguments: FuzzCorpus.matFiles)
    func mat(_ file: String) throws {
        let original = try FuzzCorpus.bytes(file)
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        for mutation in MatMutations.cases(of: original, file: file, count: 200) {
            run.readMat(mutation.bytes, name: mutation.name)
        }
    }

    /// Found by the libFuzzer `bank-plan` target (Fuzz/): a bank file with a huge
    /// dilation, stride or explicit pad parses, then traps on Int overflow when it
    /// is planned for an input (FilterBankKit/Padding.swift, AxisGeometry.resolve:
    /// `(kernelSize - 1) * dilation + 1`, `inputSize + stride - 1`, `inputSize + b + a`),
    /// killing a whole batch run. Enable once planning reports these as errors.
    @Test("Huge geometry in a bank file is an error, not a trap")
    func hugeGeometryIsAnError() throws {
        let banks = [#"{"depthwise": {"shape": [3, 3, 1, 1], "values": [1, 1, 1, 1, 1, 1, 1, 1, 1]}, "dilations": [4611686018427387904, 1]}"#,
                     #"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1]}, "strides": [9223372036854775807, 1]}"#,
                     #"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1]}, "padding": [[9223372036854775807, 1], [0, 0]]}"#]
        // Refused when the file is read (the pad: over the 255 cap of bank geometry) or when it
        // is planned for an input (the dilation, the stride): an error either way.
        for json in banks {
            #expect(throws: (any Error).self) {
                let spec = try BankFile.parse(data: Data(json.utf8), path: "huge.json")
                let bank = try spec.resolve(strides: nil, dilations: nil, padding: nil)
                _ = try ConvolutionPlan(input: TensorShape(batch: 1, height: 8, width: 8, channels: 1), bank: bank)
            }
        }
    }

    @Test("The harness itself: cases are distinct, deterministic and reach both outcomes")
    func harnessSanity() throws {
        let file = "Tests/Fixtures/conformance/pngsuite/basn2c08.png"
        let original = try FuzzCorpus.bytes(file)
        let a = PNGMutations.cases(of: original, file: file, count: 40).map(\.bytes)
        let b = PNGMutations.cases(of: original, file: file, count: 40).map(\.bytes)
        #expect(a == b, "the same file must give the same mutations on every run")
        #expect(Set(a).count > a.count * 3 / 4, "most mutations must differ from each other")
        #expect(!a.contains(original), "a mutation that changes nothing is a wasted case")
        // The CRC helper matches a known value (the IEND chunk's CRC).
        #expect(PNGStructure.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        // The cases reach the decoder's both ends: some still decode, some fail.
        var run = try FuzzRun(file: file)
        defer { run.finish() }
        for mutation in PNGMutations.cases(of: original, file: file, count: 40) {
            _ = run.decodeImage(mutation.bytes, name: mutation.name)
        }
        #expect(run.successes > 0 && run.failures > 0, "\(run.successes) values, \(run.failures) errors")
    }
}

// MARK: - Corpus

enum FuzzCorpus {
    /// The package root, found from this file: `<root>/Tests/FilterBankIOTests/FuzzTests.swift`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    /// Relative paths of the files in `directory` whose names end in `suffix`.
    static func files(in directory: String, suffix: String, maxBytes: Int = 1 << 16) -> [String] {
        let url = root.appendingPathComponent(directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().compactMap { name in
            let size = (try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(name).path)[.size])
                .flatMap { $0 as? Int } ?? 0
            return size <= maxBytes ? directory + "/" + name : nil
        }
    }

    static let pngFiles = files(in: "Tests/Fixtures/conformance/pngsuite", suffix: ".png")
        + files(in: "Tests/Fixtures/conformance/libpng-crashers", suffix: ".png")
        + ["SampleImages/png-palette8-trns-debian-logo.png"]
    static let jpegFiles = files(in: "Tests/Fixtures/conformance/jpeg", suffix: ".jpg")
    static let npyFiles = files(in: "Tests/Fixtures/npy", suffix: ".npy")
        + files(in: "Tests/Fixtures/banks", suffix: ".npy")
    static let bankFiles = files(in: "Tests/Fixtures/banks", suffix: ".json")
    static let npzFiles = files(in: "Tests/Fixtures/banks", suffix: ".npz")
    static let matFiles = files(in: "Tests/Fixtures/banks", suffix: ".mat")

    /// Cases per file: the suites' images are tiny, the sample image and the
    /// 12-bit JPEG (rejected early, but 32 KB) get fewer.
    static func pngCases(_ file: String) -> Int { file.hasPrefix("SampleImages") ? 60 : 20 }
    static func jpegCases(_ file: String) -> Int { file.hasSuffix("12.jpg") ? 40 : 120 }

    /// At most `limit` of `indices` (all when there are fewer), chosen by `rng`, in order:
    /// files with hundreds of chunks (one IDAT per row) would otherwise dominate the run.
    static func sample(_ indices: Range<Int>, limit: Int, _ rng: inout FuzzRandom) -> [Int] {
        guard indices.count > limit else { return Array(indices) }
        var all = Array(indices)
        all.shuffle(using: &rng)
        return all.prefix(limit).sorted()
    }

    /// A stable 64-bit seed from a name (FNV-1a; `Hasher` is seeded per process).
    static func seed(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}

/// SplitMix64: small, fast and the same on every platform.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// One mutated file.
struct FuzzCase {
    /// What was done, e.g. "delete chunk PLTE" (numbered by the generator).
    var name: String
    var bytes: [UInt8]
    /// The decode must give exactly the original's samples (or fail as the original does).
    var keepsPixels = false
    /// The decoder's sample limit for this case.
    var maxPixels = FuzzRun.maxPixels
}

// MARK: - Generic byte mutations

enum ByteMutations {
    static let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x20, 0x40]

    /// One random generic mutation of `bytes` (never empty input unless asked).
    static func random(_ bytes: [UInt8], _ rng: inout FuzzRandom) -> (String, [UInt8]) {
        var b = bytes
        guard !b.isEmpty else { return ("append a byte", [rng.pick(interesting)]) }
        switch rng.below(8) {
        case 0, 1:
            let flips = 1 + rng.below(8)
            for _ in 0..<flips { b[rng.below(b.count)] ^= UInt8(1) << UInt8(rng.below(8)) }
            return ("flip \(flips) bits", b)
        case 2:
            let sets = 1 + rng.below(4)
            for _ in 0..<sets { b[rng.below(b.count)] = rng.chance(50) ? rng.pick(interesting) : UInt8(truncatingIfNeeded: rng.next()) }
            return ("set \(sets) bytes", b)
        case 3:
            let at = rng.below(b.count)
            return ("truncate at \(at)", Array(b[..<at]))
        case 4:
            let at = rng.below(b.count), n = 1 + rng.below(min(64, b.count - at))
            b.removeSubrange(at..<(at + n))
            return ("delete \(n) bytes at \(at)", b)
        case 5:
            let at = rng.below(b.count + 1), n = 1 + rng.below(16)
            b.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            return ("insert \(n) random bytes at \(at)", b)
        case 6:
            // Copy a run of the file over another place (keeps the file's own vocabulary).
            let from = rng.below(b.count), to = rng.below(b.count), n = 1 + rng.below(min(32, b.count - max(from, to)))
            let run = Array(b[from..<(from + n)])
            b.replaceSubrange(to..<(to + n), with: run)
            return ("copy \(n) bytes from \(from) to \(to)", b)
        default:
            let at = rng.below(b.count)
            let width = 1 + rng.below(4)
            for i in 0..<width where at + i < b.count { b[at + i] = 0xFF }
            return ("set \(width) bytes to 0xFF at \(at)", b)
        }
    }
}

// MARK: - PNG

/// A PNG split into chunks, rebuilt with or without the right CRCs.
enum PNGStructure {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    struct Chunk: Equatable {
        var type: [UInt8]
        var data: [UInt8]
        /// The CRC as stored in the file (stale once `data` or `type` change, unless rebuilt with `fixCRC`).
        var crc: UInt32
        var name: String { String(decoding: type, as: UTF8.self) }
    }

    /// The chunks after the signature, up to the first chunk that does not fit
    /// (`nil` when the signature is missing).
    static func chunks(_ b: [UInt8]) -> [Chunk]? {
        guard b.count >= 8, Array(b[0..<8]) == signature else { return nil }
        var chunks: [Chunk] = []
        var at = 8
        while at + 12 <= b.count {
            let length = Int(be32(b, at))
            guard length <= b.count - at - 12 else { break }
            chunks.append(Chunk(type: Array(b[(at + 4)..<(at + 8)]), data: Array(b[(at + 8)..<(at + 8 + length)]),
                                crc: be32(b, at + 8 + length)))
            at += 12 + length
        }
        return chunks
    }

    /// Byte offsets where each chunk starts, and the end of the last one.
    static func boundaries(_ chunks: [Chunk]) -> [Int] {
        var offsets = [8]
        for c in chunks { offsets.append(offsets.last! + 12 + c.data.count) }
        return offsets
    }

    static func build(_ chunks: [Chunk], fixCRC: Bool, lengthOverride: (index: Int, value: UInt32)? = nil) -> [UInt8] {
        var out = signature
        for (i, c) in chunks.enumerated() {
            let length = lengthOverride?.index == i ? lengthOverride!.value : UInt32(c.data.count)
            out += bytes32(length) + c.type + c.data
            out += bytes32(fixCRC ? crc32(c.type + c.data) : c.crc)
        }
        return out
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    static func bytes32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 PNG stores over a chunk's type and data.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

enum PNGMutations {
    /// Chunks taken from other PngSuite files and spliced in: palettes, transparency,
    /// profiles, text, and image data of other sizes and types.
    static let donors: [PNGStructure.Chunk] = {
        let names = ["basn3p08.png", "tbbn3p08.png", "tbrn2c08.png", "ccwn2c08.png", "basn0g16.png",
                     "ctzn0g04.png", "basi4a16.png", "ps2n2c16.png", "s01n3p01.png"]
        var chunks: [PNGStructure.Chunk] = []
        for name in names {
            guard let bytes = try? FuzzCorpus.bytes("Tests/Fixtures/conformance/pngsuite/" + name),
                  let parsed = PNGStructure.chunks(bytes) else { continue }
            chunks += parsed.filter { $0.name != "IEND" && $0.data.count <= 4096 }
        }
        return chunks
    }()

    /// The structural mutations of every chunk (deletions, duplicates, bad lengths,
    /// truncations at each boundary, IHDR edits), then `count` random ones.
    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8], keepsPixels: Bool = false, maxPixels: Int = FuzzRun.maxPixels) {
            guard bytes != original || keepsPixels else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes, keepsPixels: keepsPixels, maxPixels: maxPixels))
        }
        guard let chunks = PNGStructure.chunks(original), !chunks.isEmpty else {
            // Not a parseable PNG (a signature crasher): byte mutations only.
            for _ in 0..<count { let (n, b) = ByteMutations.random(original, &rng); add(n, b) }
            return out
        }
        let ends = PNGStructure.boundaries(chunks)
        // Truncations at every chunk boundary, and a few bytes either side of some.
        for i in FuzzCorpus.sample(ends.indices, limit: 10, &rng) where ends[i] < original.count {
            let end = ends[i]
            add("truncate at chunk boundary \(i)", Array(original[..<end]))
            if rng.chance(30), end + 5 < original.count { add("truncate inside chunk \(i)", Array(original[..<(end + 5)])) }
        }
        for i in FuzzCorpus.sample(chunks.indices, limit: 10, &rng) {
            let c = chunks[i]
            var deleted = chunks
            deleted.remove(at: i)
            add("delete chunk \(i) \(c.name)", PNGStructure.build(deleted, fixCRC: false))
            if rng.chance(50) {
                var twice = chunks
                twice.insert(c, at: i)
                add("duplicate chunk \(i) \(c.name)", PNGStructure.build(twice, fixCRC: false))
            }
            if rng.chance(40) {
                let bad: UInt32 = rng.pick([0, 1, UInt32(c.data.count + 1), UInt32(max(0, c.data.count - 1)),
                                            0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF])
                add("length of chunk \(i) \(c.name) set to \(bad)",
                    PNGStructure.build(chunks, fixCRC: false, lengthOverride: (i, bad)))
            }
        }
        // IHDR fields, each with the CRC repaired so that libpng's IHDR checks run.
        if let h = chunks.firstIndex(where: { $0.name == "IHDR" }), chunks[h].data.count == 13 {
            let edits: [(String, Int, [UInt8])] = [
                ("width 0", 0, [0, 0, 0, 0]), ("width 1", 0, [0, 0, 0, 1]), ("width 2^31-1", 0, [0x7F, 0xFF, 0xFF, 0xFF]),
                ("width 2^31", 0, [0x80, 0, 0, 0]), ("height 0", 4, [0, 0, 0, 0]), ("height 1", 4, [0, 0, 0, 1]),
                ("height 65536", 4, [0, 1, 0, 0]), ("height 2^31-1", 4, [0x7F, 0xFF, 0xFF, 0xFF]),
                ("bit depth 0", 8, [0]), ("bit depth 1", 8, [1]), ("bit depth 2", 8, [2]), ("bit depth 4", 8, [4]),
                ("bit depth 8", 8, [8]), ("bit depth 16", 8, [16]), ("bit depth 3", 8, [3]), ("bit depth 255", 8, [255]),
                ("colour type 0", 9, [0]), ("colour type 2", 9, [2]), ("colour type 3", 9, [3]), ("colour type 4", 9, [4]),
                ("colour type 6", 9, [6]), ("colour type 1", 9, [1]), ("colour type 7", 9, [7]),
                ("compression 1", 10, [1]), ("filter 1", 11, [1]), ("filter 64", 11, [64]),
                ("interlace 1", 12, [1]), ("interlace 0", 12, [0]), ("interlace 2", 12, [2]),
            ]
            for (name, at, value) in edits where rng.chance(45) {
                var edited = chunks
                edited[h].data.replaceSubrange(at..<(at + value.count), with: value)
                add("IHDR \(name) (CRC fixed)", PNGStructure.build(edited, fixCRC: true))
            }
            // A decompression bomb's header, with the real limit: refused before any pixel memory.
            var bomb = chunks
            bomb[h].data.replaceSubrange(0..<8, with: [0, 0, 0x40, 0, 0, 0, 0x40, 0])
            add("IHDR 16384x16384 (CRC fixed), default limit", PNGStructure.build(bomb, fixCRC: true),
                maxPixels: ImageDecoder.defaultMaxPixels)
        }
        // Changes that must not change the pixels.
        if let first = chunks.firstIndex(where: { $0.name == "IDAT" }), chunks[first].data.count >= 2 {
            var split = chunks
            let data = chunks[first].data, cut = 1 + rng.below(data.count - 1)
            split[first].data = Array(data[..<cut])
            split.insert(PNGStructure.Chunk(type: Array("IDAT".utf8), data: Array(data[cut...]), crc: 0), at: first + 1)
            add("split IDAT at \(cut) (CRC fixed)", PNGStructure.build(split, fixCRC: true), keepsPixels: true)
            var withText = chunks
            withText.insert(PNGStructure.Chunk(type: Array("tEXt".utf8), data: Array("Comment\0fuzz".utf8), crc: 0),
                            at: first)
            add("tEXt before IDAT (CRC fixed)", PNGStructure.build(withText, fixCRC: true), keepsPixels: true)
        }
        // Random mutations: structural ones mixed with byte-level ones.
        for _ in 0..<count {
            var c = chunks
            switch rng.below(7) {
            case 0:
                let i = rng.below(c.count), j = rng.below(c.count)
                c.swapAt(i, j)
                add("swap chunks \(i) \(c[j].name) and \(j) \(c[i].name)", PNGStructure.build(c, fixCRC: false))
            case 1:
                let i = rng.below(c.count)
                let fix = rng.chance(70)
                guard !c[i].data.isEmpty else { continue }
                for _ in 0..<(1 + rng.below(4)) {
                    c[i].data[rng.below(c[i].data.count)] ^= UInt8(1) << UInt8(rng.below(8))
                }
                add("flip bits in chunk \(i) \(c[i].name)\(fix ? " (CRC fixed)" : "")", PNGStructure.build(c, fixCRC: fix))
            case 2:
                let donor = rng.pick(donors), at = 1 + rng.below(max(1, c.count - 1))
                c.insert(donor, at: min(at, c.count))
                add("splice \(donor.name) (\(donor.data.count) bytes) in at \(at)", PNGStructure.build(c, fixCRC: false))
            case 3:
                let i = rng.below(c.count), donor = rng.pick(donors)
                let name = c[i].name
                c[i] = donor
                add("replace chunk \(i) \(name) by \(donor.name)", PNGStructure.build(c, fixCRC: false))
            case 4:
                let i = rng.below(c.count)
                guard !c[i].data.isEmpty else { continue }
                let cut = rng.below(c[i].data.count)
                c[i].data = Array(c[i].data[..<cut])
                add("shorten chunk \(i) \(c[i].name) to \(cut) bytes (CRC fixed)", PNGStructure.build(c, fixCRC: true))
            default:
                let (n, b) = ByteMutations.random(original, &rng)
                add(n, b)
            }
        }
        return out
    }
}

// MARK: - JPEG

/// A JPEG split into marker segments; an SOS segment carries its entropy-coded data.
enum JPEGStructure {
    struct Segment: Equatable {
        /// The bytes from the 0xFF of the marker to the next marker (for SOS, after the scan data).
        var bytes: [UInt8]
        var marker: UInt8 { bytes[1] }
        var name: String {
            switch marker {
            case 0xD8: "SOI"
            case 0xD9: "EOI"
            case 0xDA: "SOS"
            case 0xC4: "DHT"
            case 0xDB: "DQT"
            case 0xDD: "DRI"
            case 0xFE: "COM"
            case 0xE0...0xEF: "APP\(marker - 0xE0)"
            case 0xC0...0xCF: "SOF\(marker - 0xC0)"
            default: String(format: "FF%02X", marker)
            }
        }
        /// The length field of a segment that has one (not SOI, EOI, RSTn).
        var hasLength: Bool { !(marker == 0xD8 || marker == 0xD9 || marker == 0x01 || (0xD0...0xD7).contains(marker)) }
        /// Where the segment's parameters end (for SOS: where the scan data starts).
        var headerEnd: Int { hasLength && bytes.count >= 4 ? min(bytes.count, 2 + (Int(bytes[2]) << 8 | Int(bytes[3]))) : 2 }
    }

    /// The segments from SOI to EOI, and what follows EOI (`nil` if there is no SOI).
    static func segments(_ b: [UInt8]) -> (segments: [Segment], trailer: [UInt8])? {
        guard b.count >= 2, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var segments = [Segment(bytes: [0xFF, 0xD8])]
        var at = 2
        while at + 1 < b.count {
            guard b[at] == 0xFF else { break }
            let marker = b[at + 1]
            var end: Int
            let probe = Segment(bytes: [0xFF, marker])
            if probe.hasLength {
                guard at + 4 <= b.count else { break }
                end = at + 2 + (Int(b[at + 2]) << 8 | Int(b[at + 3]))
                guard end <= b.count else { break }
            } else {
                end = at + 2
            }
            if marker == 0xDA {
                // Scan data: up to a marker that is neither a stuffed 0xFF00 nor RSTn.
                while end + 1 < b.count, !(b[end] == 0xFF && b[end + 1] != 0x00 && !(0xD0...0xD7).contains(b[end + 1])) {
                    end += 1
                }
                if end + 1 >= b.count { end = b.count }
            }
            segments.append(Segment(bytes: Array(b[at..<end])))
            at = end
            if marker == 0xD9 { break }
        }
        return (segments, Array(b[at...]))
    }

    static func build(_ segments: [Segment], trailer: [UInt8] = []) -> [UInt8] {
        segments.flatMap(\.bytes) + trailer
    }

    /// Every frame type libjpeg knows (baseline, extended, progressive, lossless;
    /// Huffman and arithmetic), and the differential ones it rejects.
    static let sofMarkers: [UInt8] = [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
}

enum JPEGMutations {
    /// Segments from the other conformance files: tables and scans of other images
    /// (progressive, arithmetic, grayscale).
    static let donors: [JPEGStructure.Segment] = {
        var out: [JPEGStructure.Segment] = []
        for name in ["testimgp.jpg", "testimgari.jpg", "testimggray.jpg", "testorig.jpg"] {
            guard let bytes = try? FuzzCorpus.bytes("Tests/Fixtures/conformance/jpeg/" + name),
                  let parsed = JPEGStructure.segments(bytes) else { continue }
            out += parsed.segments.filter { $0.marker != 0xD8 && $0.marker != 0xD9 && $0.bytes.count <= 8192 }
        }
        return out
    }()

    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8], keepsPixels: Bool = false) {
            guard bytes != original || keepsPixels else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes, keepsPixels: keepsPixels))
        }
        guard let (segments, trailer) = JPEGStructure.segments(original), segments.count > 2 else {
            for _ in 0..<count { let (n, b) = ByteMutations.random(original, &rng); add(n, b) }
            return out
        }
        func build(_ s: [JPEGStructure.Segment]) -> [UInt8] { JPEGStructure.build(s, trailer: trailer) }

        // Truncation at every marker boundary, and inside each scan.
        var offset = 0
        for (i, s) in segments.enumerated() {
            if offset > 0 { add("truncate before segment \(i) \(s.name)", Array(original[..<offset])) }
            if s.marker == 0xDA, s.bytes.count > s.headerEnd + 4 {
                let inside = offset + s.headerEnd + rng.below(s.bytes.count - s.headerEnd)
                add("truncate inside scan data of segment \(i)", Array(original[..<inside]))
            }
            offset += s.bytes.count
        }
        // Each segment deleted, duplicated, and with a wrong length.
        for i in FuzzCorpus.sample(1..<segments.count, limit: 12, &rng) {
            let s = segments[i]
            var deleted = segments
            deleted.remove(at: i)
            add("delete segment \(i) \(s.name)", build(deleted))
            var twice = segments
            twice.insert(s, at: i)
            add("duplicate segment \(i) \(s.name)", build(twice))
            if s.hasLength, s.bytes.count >= 4 {
                let length = Int(s.bytes[2]) << 8 | Int(s.bytes[3])
                for bad in [0, 1, 2, length - 1, length + 1, 0xFFFF] where rng.chance(40) {
                    var c = segments
                    c[i].bytes[2] = UInt8(truncatingIfNeeded: bad >> 8)
                    c[i].bytes[3] = UInt8(truncatingIfNeeded: bad)
                    add("length of segment \(i) \(s.name) set to \(bad)", build(c))
                }
            }
        }
        // The frame header: its type and each field.
        if let f = segments.firstIndex(where: { (0xC0...0xCF).contains($0.marker) && ![0xC4, 0xC8, 0xCC].contains($0.marker) }),
           segments[f].bytes.count >= 10 {
            for marker in JPEGStructure.sofMarkers where marker != segments[f].marker {
                var c = segments
                c[f].bytes[1] = marker
                add("frame type \(segments[f].name) -> \(JPEGStructure.Segment(bytes: [0xFF, marker]).name)", build(c))
            }
            let components = Int(segments[f].bytes[9])
            var edits: [(String, Int, [UInt8])] = [
                ("precision 0", 4, [0]), ("precision 12", 4, [12]), ("precision 16", 4, [16]), ("precision 255", 4, [255]),
                ("height 0", 5, [0, 0]), ("height 1", 5, [0, 1]), ("height 65535", 5, [0xFF, 0xFF]),
                ("width 0", 7, [0, 0]), ("width 1", 7, [0, 1]), ("width 65535", 7, [0xFF, 0xFF]),
                ("components 0", 9, [0]), ("components 1", 9, [1]), ("components 2", 9, [2]),
                ("components 4", 9, [4]), ("components 255", 9, [255]),
            ]
            for k in 0..<components where 12 + 3 * k < segments[f].bytes.count {
                for sampling: UInt8 in [0x00, 0x11, 0x12, 0x21, 0x22, 0x44, 0x41, 0x14, 0x55, 0xFF] {
                    edits.append(("component \(k) sampling 0x\(String(sampling, radix: 16))", 11 + 3 * k, [sampling]))
                }
                for table: UInt8 in [1, 3, 4, 255] { edits.append(("component \(k) quant table \(table)", 12 + 3 * k, [table])) }
                edits.append(("component \(k) id duplicated", 10 + 3 * k, [segments[f].bytes[10]]))
            }
            for (name, at, value) in edits where rng.chance(50) && at + value.count <= segments[f].bytes.count {
                var c = segments
                c[f].bytes.replaceSubrange(at..<(at + value.count), with: value)
                add("frame \(name)", build(c))
            }
        }
        // Scan headers: component count, table selectors, progression parameters.
        for (i, s) in segments.enumerated() where s.marker == 0xDA && s.headerEnd >= 8 && rng.chance(60) {
            let ns = Int(s.bytes[4])
            let tail = 5 + 2 * ns   // Ss, Se, Ah/Al
            var edits: [(String, Int, UInt8)] = [("Ns 0", 4, 0), ("Ns 4", 4, 4), ("Ns 5", 4, 5)]
            if tail + 2 < s.headerEnd {
                edits += [("Ss 63", tail, 63), ("Ss 64", tail, 64), ("Se 0", tail + 1, 0), ("Se 64", tail + 1, 64),
                          ("Se 255", tail + 1, 255), ("Ah/Al 0x11", tail + 2, 0x11), ("Ah/Al 0xDD", tail + 2, 0xDD),
                          ("Ah/Al 0x0F", tail + 2, 0x0F)]
            }
            if ns >= 1 { edits += [("table selectors 0x44", 6, 0x44), ("table selectors 0x33", 6, 0x33), ("component id 99", 5, 99)] }
            for (name, at, value) in edits where rng.chance(50) && at < s.headerEnd {
                var c = segments
                c[i].bytes[at] = value
                add("scan \(i) \(name)", build(c))
            }
        }
        // Huffman and quantisation tables.
        for (i, s) in segments.enumerated() where (s.marker == 0xC4 || s.marker == 0xDB) && s.bytes.count > 21 && rng.chance(70) {
            var c = segments
            c[i].bytes[4] = rng.pick([0x04, 0x14, 0x20, 0xF0, 0x13])
            add("\(s.name) \(i) class/id byte 0x\(String(c[i].bytes[4], radix: 16))", build(c))
            if s.marker == 0xC4 {
                var counts = segments
                for k in 5..<21 { counts[i].bytes[k] = rng.chance(50) ? 0xFF : counts[i].bytes[k] }
                add("DHT \(i) code counts overfull", build(counts))
            } else {
                var zeros = segments
                for k in 5..<zeros[i].bytes.count { zeros[i].bytes[k] = 0 }
                add("DQT \(i) all zero", build(zeros))
            }
        }
        // A restart interval without restart markers, and restart markers without one.
        if let sos = segments.firstIndex(where: { $0.marker == 0xDA }) {
            var dri = segments
            dri.insert(JPEGStructure.Segment(bytes: [0xFF, 0xDD, 0, 4, 0, 1]), at: sos)
            add("DRI 1 without RST markers", build(dri))
            var rst = segments
            if rst[sos].bytes.count > rst[sos].headerEnd + 8 {
                let at = rst[sos].headerEnd + rng.below(rst[sos].bytes.count - rst[sos].headerEnd)
                rst[sos].bytes.insert(contentsOf: [0xFF, 0xD0 + UInt8(rng.below(8))], at: at)
                add("RST marker inside scan data", build(rst))
            }
            // A progressive scan bomb: the last scan repeated far past libjpeg-turbo's advice.
            if segments.contains(where: { $0.marker == 0xC2 }), let last = segments.lastIndex(where: { $0.marker == 0xDA }) {
                var bomb = segments
                bomb.insert(contentsOf: Array(repeating: segments[last], count: 1200), at: last + 1)
                add("last scan repeated 1200 times", build(bomb))
            }
        }
        // Changes that must not change the pixels: a comment, fill bytes, an unknown APPn.
        var comment = segments
        comment.insert(JPEGStructure.Segment(bytes: [0xFF, 0xFE, 0, 6] + Array("fuzz".utf8)), at: 1)
        add("COM after SOI", build(comment), keepsPixels: true)
        var app = segments
        app.insert(JPEGStructure.Segment(bytes: [0xFF, 0xEB, 0, 5, 1, 2, 3]), at: 1)
        add("APP11 after SOI", build(app), keepsPixels: true)
        add("EOI dropped", JPEGStructure.build(segments.filter { $0.marker != 0xD9 }))
        add("garbage after EOI", build(segments) + [0x00, 0xFF, 0xD8, 0xFF, 0xE0])

        // Random: splices from other files, scan data damage, byte mutations.
        for _ in 0..<count {
            var c = segments
            switch rng.below(6) {
            case 0:
                let donor = rng.pick(donors), at = 1 + rng.below(c.count - 1)
                c.insert(donor, at: at)
                add("splice \(donor.name) (\(donor.bytes.count) bytes) in at \(at)", build(c))
            case 1:
                let i = 1 + rng.below(c.count - 1), donor = rng.pick(donors)
                let name = c[i].name
                c[i] = donor
                add("replace segment \(i) \(name) by \(donor.name)", build(c))
            case 2:
                guard let i = c.indices.filter({ c[$0].marker == 0xDA }).randomElement(using: &rng),
                      c[i].bytes.count > c[i].headerEnd + 2 else { continue }
                let start = c[i].headerEnd
                for _ in 0..<(1 + rng.below(6)) {
                    c[i].bytes[start + rng.below(c[i].bytes.count - start)] ^= UInt8(1) << UInt8(rng.below(8))
                }
                add("flip bits in scan data of segment \(i)", build(c))
            case 3:
                let i = rng.below(c.count), j = rng.below(c.count)
                guard i > 0, j > 0 else { continue }
                c.swapAt(i, j)
                add("swap segments \(i) and \(j)", build(c))
            default:
                let (n, b) = ByteMutations.random(original, &rng)
                add(n, b)
            }
        }
        return out
    }
}

// MARK: - .npy

enum NpyMutations {
    static let descrs = ["'<f4'", "'<f8'", "'|u1'", "'<u1'", "'>f4'", "'>f8'", "'<i4'", "'<f2'", "'|b1'", "'<c8'", "'O'",
                         "[('a', '<f4')]", "''", "'<f4", "<f4", "None", "1", "'<f4' '<f8'", "'\\''", "\"<f4\""]
    static let fortrans = ["False", "True", "0", "None", "'False'", "Fals", "False False"]
    static let shapes = ["()", "(0,)", "(1,)", "(2,)", "(3, 4)", "(2, 3, 4)", "(1, 2, 3, 4)", "(2, 2, 1)", "(4, 5, 3)",
                         "(2, 2, 3, 1)", "(-1, 2)", "(2, -3)", "(9223372036854775807, 2)", "(9223372036854775808,)",
                         "(4294967296, 4294967296)", "(3037000500, 3037000500)", "(0, 9223372036854775807)",
                         "((1, 2), 3)", "(1, 2,, 3)", "(1 2)", "[2, 3, 4]", "(2L, 3L, 4L)", "(,)", "(2, 3, 4",
                         "(" + String(repeating: "1, ", count: 64) + ")", String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20),
                         "(1e3,)", "(0x10,)", "(True, 2)", "('2', 3)", "(-0,)"]

    static func header(descr: String, fortran: String, shape: String, extra: String = "") -> String {
        "{'descr': \(descr), 'fortran_order': \(fortran), 'shape': \(shape), \(extra)}"
    }

    /// A complete file: magic, version, length field (its own width), header text, data.
    static func make(version: (UInt8, UInt8), header: [UInt8], lengthOverride: Int? = nil, data: [UInt8]) -> [UInt8] {
        let wide = version.0 >= 2
        var text = header
        // NumPy pads to a multiple of 64 with spaces and a final newline.
        let prefix = 6 + 2 + (wide ? 4 : 2)
        let pad = (64 - (prefix + text.count + 1) % 64) % 64
        text += [UInt8](repeating: 0x20, count: pad) + [0x0A]
        let length = lengthOverride ?? text.count
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
        if wide {
            out += (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        } else {
            out += [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8)]
        }
        return out + text + data
    }

    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8]) {
            guard bytes != original else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes))
        }
        // The original's parts (all fixtures are well-formed version 1-3 files).
        let wide = original.count > 7 && original[6] >= 2
        let headerStart = wide ? 12 : 10
        guard original.count >= headerStart else { return [] }
        let length = wide
            ? Int(original[8]) | Int(original[9]) << 8 | Int(original[10]) << 16 | Int(original[11]) << 24
            : Int(original[8]) | Int(original[9]) << 8
        let dataStart = min(original.count, headerStart + length)
        let headerText = Array(original[headerStart..<dataStart])
        let data = Array(original[dataStart...])
        let version = (original[6], original[7])

        for v: (UInt8, UInt8) in [(1, 0), (2, 0), (3, 0), (0, 0), (1, 1), (4, 0), (255, 255)] {
            add("version \(v.0).\(v.1)", make(version: v, header: Array(headerText.dropLast(1).reversed().drop { $0 == 0x20 }.reversed()), data: data))
        }
        for delta in [-17, -1, 1, 16, 64, 1 << 15, 0xFFFF, 1 << 20, (1 << 20) + 1, 1 << 31, -length] {
            guard wide || (length + delta >= 0 && length + delta <= 0xFFFF) else { continue }
            var b = original
            let value = length + delta
            if wide {
                for k in 0..<4 { b[8 + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            } else {
                b[8] = UInt8(truncatingIfNeeded: value); b[9] = UInt8(truncatingIfNeeded: value >> 8)
            }
            add("header length \(length) + \(delta)", b)
        }
        for cut in [0, 5, 6, 8, 9, 10, 11, headerStart + 1, dataStart - 1, dataStart, dataStart + 1, original.count - 1]
            where cut >= 0 && cut < original.count {
            add("truncate at \(cut)", Array(original[..<cut]))
        }
        add("one extra data byte", original + [0])
        add("data doubled", original + data)
        for _ in 0..<count {
            switch rng.below(5) {
            case 0, 1:
                // A header built from mixed parts, with data sized for some shape or none.
                let descr = rng.chance(60) ? rng.pick(Array(descrs.prefix(3))) : rng.pick(descrs)
                let fortran = rng.chance(70) ? "False" : rng.pick(fortrans)
                let shape = rng.pick(shapes)
                var extra = ""
                if rng.chance(15) { extra = rng.pick(["'extra': 1, ", "'shape': (1,), ", "'descr': '<f4', ", "}", "{", ", , "]) }
                let text = rng.chance(10)
                    ? "{'shape': \(shape), 'fortran_order': \(fortran), 'descr': \(descr), \(extra)}"
                    : header(descr: descr, fortran: fortran, shape: shape, extra: extra)
                let bytesFor = rng.pick([0, 1, 4, 8, 12, 16, 24, 48, 60, 96, data.count, data.count + 1])
                let payload = (0..<bytesFor).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let v: (UInt8, UInt8) = rng.chance(80) ? (1, 0) : rng.pick([(2, 0), (3, 0)])
                add("header \(text) with \(bytesFor) data bytes, version \(v.0)", make(version: v, header: Array(text.utf8), data: payload))
            case 2:
                // Edit one byte of the header text: structure characters, quotes, NULs, high bytes.
                var text = headerText
                guard !text.isEmpty else { continue }
                let at = rng.below(text.count)
                let token = rng.pick(Array("{}()[],:'\" \0\n\r\\L-0123456789TFN".utf8) + [0x80, 0xFF])
                if rng.chance(50) { text[at] = token } else { text.insert(token, at: at) }
                add("header byte \(at) -> 0x\(String(token, radix: 16))", make(version: version, header: text.dropLast().map { $0 }, data: data))
            case 3:
                // The header padding: none, a NUL, a missing newline, tabs.
                let trimmed = Array(headerText.reversed().drop { $0 == 0x20 || $0 == 0x0A }.reversed())
                let tail: [UInt8] = rng.pick([[], [0x00], [0x09, 0x09], [0x0D], [0x20, 0x23]])
                var b: [UInt8] = Array(original[..<headerStart]) + trimmed + tail
                let newLength = trimmed.count + tail.count
                if wide {
                    for k in 0..<4 { b[8 + k] = UInt8(truncatingIfNeeded: newLength >> (8 * k)) }
                } else {
                    b[8] = UInt8(truncatingIfNeeded: newLength); b[9] = UInt8(truncatingIfNeeded: newLength >> 8)
                }
                add("header padding \(tail)", b + data)
            default:
                let (n, b) = ByteMutations.random(original, &rng)
                add(n, b)
            }
        }
        return out
    }
}

// MARK: - Bank JSON

enum JSONMutations {
    static let tokens = ["{", "}", "[", "]", ",", ":", "\"", "-", "1e999", "-1e999", "null", "true", "\\u0000", "\\ud800", "\\n", "\n",
                         "NaN", "Infinity", "0x10", "01", "1.", ".5", "\u{FEFF}", "\u{FFFF}", "9223372036854775808", " "]

    /// Replacement values for any node: other types, extremes, shapes of other forms.
    /// (Read-only after initialisation: `Any` is not `Sendable`.)
    nonisolated(unsafe) static let values: [Any] = [
        NSNull(), true, false, 0, -1, 1, 2, 3, 1.5, -0.0, 1e300, -1e300, 3.5e38, 1e-46, Int.max, Int.min, Int64(1) << 62,
        9.3e18, "", "SAME", "same", "VALID", "valid", "full", [Any](), [String: Any](), [1, 1], [0, 1], [Int.max, 1],
        [1 << 62, 1 << 62], [[1, 1], [1, 1]], [[-1, 0], [0, 0]], [[Int.max, Int.max], [0, 0]], [[1, 2, 3], [4]],
        [3, 3, 3, 2], [3, 3, 1 << 40, 1 << 40], [1, 1, 6, 4], [1, 2, 3], [[[[1]]]], ["1", "2"], [NSNull()],
        ["shape": [1, 1, 1, 1], "values": [1]], ["shape": [1, 1, 1, 1], "values": [true]],
    ]

    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8]) {
            guard bytes != original else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes))
        }
        let tree = try? JSONSerialization.jsonObject(with: Data(original))

        // Fixed cases: empty, deep nesting, invalid UTF-8, a BOM, non-object tops.
        add("empty file", [])
        add("deep array nesting", Array(String(repeating: "[", count: 100_000).utf8))
        add("deep object nesting", Array(String(repeating: "{\"a\":", count: 5_000).utf8) + Array("1".utf8) + Array(String(repeating: "}", count: 5_000).utf8))
        add("invalid UTF-8", Array(original.prefix(10)) + [0xFF, 0xC0, 0x80] + Array(original.dropFirst(10)))
        add("byte order mark", [0xEF, 0xBB, 0xBF] + original)
        add("UTF-16", Array(String(decoding: original, as: UTF8.self).utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        for top in ["[]", "null", "1", "\"depthwise\"", "{}", "{\"depthwise\": null}"] { add("top \(top)", Array(top.utf8)) }

        for _ in 0..<count {
            if rng.chance(55), let tree {
                // A value edit: replace, delete or add one node, then serialise again.
                var name = ""
                let edited = mutate(tree, &rng, path: "$", name: &name)
                guard JSONSerialization.isValidJSONObject(edited),
                      let data = try? JSONSerialization.data(withJSONObject: edited, options: [.sortedKeys]) else { continue }
                add(name, [UInt8](data))
            } else {
                // A text edit: tokens in, characters out, truncations.
                var text = Array(String(decoding: original, as: UTF8.self).unicodeScalars)
                guard !text.isEmpty else { continue }
                let at = rng.below(text.count)
                switch rng.below(4) {
                case 0:
                    let token = rng.pick(tokens)
                    text.insert(contentsOf: token.unicodeScalars, at: at)
                    add("insert \(token.debugDescription) at \(at)", Array(String(String.UnicodeScalarView(text)).utf8))
                case 1:
                    let n = 1 + rng.below(min(8, text.count - at))
                    text.removeSubrange(at..<(at + n))
                    add("delete \(n) characters at \(at)", Array(String(String.UnicodeScalarView(text)).utf8))
                case 2:
                    add("truncate at \(at)", Array(String(String.UnicodeScalarView(text[..<at])).utf8))
                default:
                    let (n, b) = ByteMutations.random(original, &rng)
                    add(n, b)
                }
            }
        }
        return out
    }

    /// `value` with one node somewhere below it replaced, deleted or added; `name` says what.
    static func mutate(_ value: Any, _ rng: inout FuzzRandom, path: String, name: inout String) -> Any {
        if var object = value as? [String: Any], !object.isEmpty, rng.chance(75) {
            let keys = object.keys.sorted()
            let key = rng.pick(keys)
            switch rng.below(6) {
            case 0:
                object[key] = nil
                name = "delete \(path).\(key)"
            case 1:
                let newKey = rng.pick(["bias", "Depthwise", "depthwise ", "", "name", "padding", "extra", "\u{0}"])
                object[newKey] = rng.pick(values)
                name = "set \(path).\(newKey.debugDescription)"
            default:
                object[key] = mutate(object[key]!, &rng, path: "\(path).\(key)", name: &name)
            }
            return object
        }
        if var array = value as? [Any], !array.isEmpty, rng.chance(75) {
            let i = rng.below(array.count)
            switch rng.below(6) {
            case 0:
                array.remove(at: i)
                name = "delete \(path)[\(i)]"
            case 1:
                array.insert(array[i], at: i)
                name = "duplicate \(path)[\(i)]"
            case 2:
                array += array
                name = "double \(path)"
            default:
                array[i] = mutate(array[i], &rng, path: "\(path)[\(i)]", name: &name)
            }
            return array
        }
        let replacement = rng.pick(values)
        name = "replace \(path) by \(String(describing: replacement).prefix(40))"
        return replacement
    }
}

// MARK: - .npz (zip)

/// A zip archive's records, found from its end record (no zip64, no comment needed).
enum ZipStructure {
    static func le16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func le32(_ b: [UInt8], _ at: Int) -> Int { le16(b, at) | le16(b, at + 2) << 16 }
    static func put16(_ b: inout [UInt8], _ at: Int, _ v: Int) { b[at] = UInt8(truncatingIfNeeded: v); b[at + 1] = UInt8(truncatingIfNeeded: v >> 8) }
    static func put32(_ b: inout [UInt8], _ at: Int, _ v: Int) { put16(&b, at, v); put16(&b, at + 2, v >> 16) }

    /// A field of a record: where it is, how wide, what it holds.
    struct Field { let name: String; let offset: Int; let width: Int }

    /// The fields worth damaging: the end record's counts and offsets, every
    /// directory entry's and local header's sizes, offsets, lengths, method, flags and CRC.
    static func fields(_ b: [UInt8]) -> [Field] {
        guard b.count >= 22 else { return [] }
        var eocd = -1
        var i = b.count - 22
        while i >= max(0, b.count - 22 - 65535) {
            if le32(b, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { return [] }
        var out = [Field(name: "EOCD disk", offset: eocd + 4, width: 2), Field(name: "EOCD entries on disk", offset: eocd + 8, width: 2),
                   Field(name: "EOCD entries", offset: eocd + 10, width: 2), Field(name: "EOCD directory size", offset: eocd + 12, width: 4),
                   Field(name: "EOCD directory offset", offset: eocd + 16, width: 4), Field(name: "EOCD comment length", offset: eocd + 20, width: 2)]
        if eocd >= 20, le32(b, eocd - 20) == 0x0706_4B50 {
            out.append(Field(name: "zip64 locator offset", offset: eocd - 20 + 8, width: 4))
            let record = le32(b, eocd - 20 + 8)
            if record >= 0, record + 56 <= b.count {
                for (name, at) in [("entries", 32), ("directory size", 40), ("directory offset", 48)] {
                    out.append(Field(name: "zip64 \(name)", offset: record + at, width: 4))
                }
            }
        }
        var p = le32(b, eocd + 16)
        for index in 0..<min(le16(b, eocd + 10), 16) {
            guard p >= 0, p + 46 <= b.count, le32(b, p) == 0x0201_4B50 else { break }
            for (name, at, width) in [("flags", 8, 2), ("method", 10, 2), ("CRC", 16, 4), ("compressed size", 20, 4),
                                      ("size", 24, 4), ("name length", 28, 2), ("extra length", 30, 2),
                                      ("comment length", 32, 2), ("disk", 34, 2), ("local offset", 42, 4)] {
                out.append(Field(name: "entry \(index) \(name)", offset: p + at, width: width))
            }
            let local = le32(b, p + 42)
            if local >= 0, local + 30 <= b.count, le32(b, local) == 0x0403_4B50 {
                for (name, at, width) in [("name length", 26, 2), ("extra length", 28, 2), ("method", 8, 2), ("signature", 0, 4)] {
                    out.append(Field(name: "local header \(index) \(name)", offset: local + at, width: width))
                }
                if local + 31 <= b.count { out.append(Field(name: "local header \(index) name", offset: local + 30, width: 1)) }
            }
            p += 46 + le16(b, p + 28) + le16(b, p + 30) + le16(b, p + 32)
        }
        return out
    }

    /// A stored (uncompressed) zip archive of `entries`, as `numpy.savez` writes it.
    static func archive(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in entries {
            let nameBytes = Array(name.utf8), crc = Int(PNGStructure.crc32(data)), offset = out.count
            var local = [UInt8](repeating: 0, count: 30)
            put32(&local, 0, 0x0403_4B50); put16(&local, 4, 20); put32(&local, 14, crc)
            put32(&local, 18, data.count); put32(&local, 22, data.count); put16(&local, 26, nameBytes.count)
            out += local + nameBytes + data
            var central = [UInt8](repeating: 0, count: 46)
            put32(&central, 0, 0x0201_4B50); put16(&central, 4, 20); put16(&central, 6, 20); put32(&central, 16, crc)
            put32(&central, 20, data.count); put32(&central, 24, data.count); put16(&central, 28, nameBytes.count)
            put32(&central, 42, offset)
            directory += central + nameBytes
        }
        var end = [UInt8](repeating: 0, count: 22)
        put32(&end, 0, 0x0605_4B50); put16(&end, 8, entries.count); put16(&end, 10, entries.count)
        put32(&end, 12, directory.count); put32(&end, 16, out.count)
        return out + directory + end
    }
}

enum ZipMutations {
    static let names = ["depthwise.npy", "depthwise_kernel.npy", "pointwise.npy", "pointwise_kernel.npy", "bias.npy",
                        "other.npy", "depthwise", "", "a/../depthwise.npy", "depthwise.npy\u{0}"]

    /// Arrays to pack: the .npy fixtures, each possibly damaged.
    static let arrays: [[UInt8]] = (FuzzCorpus.npyFiles).compactMap { try? FuzzCorpus.bytes($0) }

    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8]) {
            guard bytes != original else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes))
        }
        let fields = ZipStructure.fields(original)
        for field in fields {
            let current = field.width == 2 ? ZipStructure.le16(original, field.offset) : ZipStructure.le32(original, field.offset)
            var choices = [0, 1, current - 1, current + 1, original.count, field.width == 2 ? 0xFFFF : 0xFFFF_FFFF]
            if field.width == 4 { choices += [0x7FFF_FFFF, 0x8000_0000] }
            for value in choices where rng.chance(35) {
                var b = original
                if field.width == 2 { ZipStructure.put16(&b, field.offset, value) } else { ZipStructure.put32(&b, field.offset, value) }
                add("\(field.name) \(current) -> \(value)", b)
            }
        }
        for cut in [0, 3, 4, 22, original.count - 22, original.count - 21, original.count - 1] + (0..<4).map({ _ in rng.below(original.count) })
            where cut >= 0 && cut < original.count {
            add("truncate at \(cut)", Array(original[..<cut]))
        }
        add("a comment after the end record", original + [0x41])
        for _ in 0..<count {
            if rng.chance(45) {
                // A well-formed stored archive of (possibly damaged) arrays: the zip layer passes, the arrays are tested.
                let n = 1 + rng.below(3)
                var entries: [(name: String, data: [UInt8])] = []
                var what: [String] = []
                for _ in 0..<n {
                    var data = rng.pick(arrays)
                    if rng.chance(50) { data = ByteMutations.random(data, &rng).1 }
                    let name = rng.chance(80) ? rng.pick(Array(names.prefix(5))) : rng.pick(names)
                    entries.append((name, data))
                    what.append("\(name.debugDescription) (\(data.count) bytes)")
                }
                add("stored archive of " + what.joined(separator: ", "), ZipStructure.archive(entries))
            } else {
                let (n, b) = ByteMutations.random(original, &rng)
                add(n, b)
            }
        }
        return out
    }
}

// MARK: - libvips .mat

enum MatMutations {
    static let headers = ["3 3", "3 3 1", "3 3 8 0", "1 1", "0 3", "3 0", "-1 3", "3.5 3", "3 3 0", "3 3 -0", "3 3 nan",
                          "3 3 inf", "3 3 1e400", "3 3 8 1e39", "3 3 1e-320", "1 1 1 1 1", "", "3", "1e9 1e9", "65536 65536",
                          "4294967297 1", "9223372036854775807 1", "3 3 \"8\" 0", "3,3,8,0", "  3\t3  ", "0x3 3", "3e0 3"]
    static let numbers = ["-1", "0", "1", "16", "-0", "1e39", "-1e39", "3.4e38", "1e-46", "nan", "inf", "1e", "--1", "+1",
                          ".5", "5.", "1,,2", "\"1\"", "0x10", "\u{0}", "1 2 3 4 5 6 7 8 9", "é", "1e308", "1e309"]

    static func cases(of original: [UInt8], file: String, count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        func add(_ name: String, _ bytes: [UInt8]) {
            guard bytes != original else { return }
            out.append(FuzzCase(name: "#\(out.count) \(name)", bytes: bytes))
        }
        let text = String(decoding: original, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func join(_ l: [String], _ separator: String = "\n") -> [UInt8] { Array((l.joined(separator: separator) + separator).utf8) }

        for header in headers { add("header \(header.debugDescription)", join([header] + lines.dropFirst())) }
        add("CRLF line ends", join(lines, "\r\n"))
        add("CR line ends", join(lines, "\r"))
        add("byte order mark", [0xEF, 0xBB, 0xBF] + original)
        add("invalid UTF-8", Array(original.prefix(4)) + [0xFF, 0xFE] + Array(original.dropFirst(4)))
        add("NUL byte", Array(original.prefix(6)) + [0] + Array(original.dropFirst(6)))
        add("no final newline", Array(original.dropLast()))
        add("blank lines between rows", join(lines.flatMap { [$0, "", " \t"] }))
        add("trailing text", join(lines + ["extra"]))
        add("a long row", join([lines[0]] + [Array(repeating: "1", count: 20_000).joined(separator: " ")] + lines.dropFirst(2)))
        add("an empty file", [])
        add("only blank lines", Array("\n \n\t\n".utf8))
        for _ in 0..<count {
            var l = lines
            switch rng.below(6) {
            case 0, 1:
                // Replace one number of one row.
                guard l.count > 1 else { continue }
                let row = 1 + rng.below(l.count - 1)
                var tokens = l[row].split(whereSeparator: { " \t,\"".contains($0) }).map(String.init)
                guard !tokens.isEmpty else { continue }
                let k = rng.below(tokens.count), value = rng.pick(numbers)
                tokens[k] = value
                l[row] = tokens.joined(separator: rng.pick([" ", "\t", ", ", "  "]))
                add("row \(row) number \(k) -> \(value.debugDescription)", join(l))
            case 2:
                guard l.count > 1 else { continue }
                let row = 1 + rng.below(l.count - 1)
                if rng.chance(50) { l.remove(at: row) } else { l.insert(l[row], at: row) }
                add("remove or repeat row \(row)", join(l))
            case 3:
                let header = rng.pick(headers)
                l[0] = header
                if rng.chance(50), let h = header.split(separator: " ").first.flatMap({ Int($0) }), (1...64).contains(h) {
                    // Rows sized for the new header, so the row parser runs.
                    let width = Int(header.split(separator: " ").dropFirst().first ?? "1") ?? 1
                    l = [header] + (0..<max(0, min(width, 64))).map { _ in
                        (0..<h).map { _ in rng.pick(numbers) }.joined(separator: " ")
                    }
                }
                add("header \(header.debugDescription) with \(l.count - 1) rows", join(l))
            default:
                let (n, b) = ByteMutations.random(original, &rng)
                add(n, b)
            }
        }
        return out
    }
}

// MARK: - Running cases

/// One test's cases: a private scratch directory, the outcome counts, and the checks.
struct FuzzRun {
    /// Decodes stay small (2^20 pixels, at most 16 MiB of Float): larger headers must fail with `.tooLarge`.
    static let maxPixels = 1 << 20
    /// A single decode or parse of a file this small taking longer is a hang in the making.
    static let slowCase: Double = 15

    let file: String
    let directory: String
    var cases = 0, successes = 0, failures = 0
    let started = DispatchTime.now().uptimeNanoseconds
    /// The path of the file being tested: the same name for every case (the error must name it).
    let path: String

    init(file: String) throws {
        self.file = file
        let name = URL(fileURLWithPath: file).lastPathComponent
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("filterbank-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/fuzz-" + name
    }

    /// Checks that nothing this run opened is still open, that every case ran, and cleans up.
    mutating func finish() {
        let open = Self.openFiles().filter { $0.hasPrefix(directory) }
        #expect(open.isEmpty, "\(file): file descriptors left open: \(open)")
        #expect(successes + failures == cases, "\(file): \(cases) cases, \(successes) values, \(failures) errors")
        try? FileManager.default.removeItem(atPath: directory)
        if ProcessInfo.processInfo.environment["FILTERBANK_FUZZ_STATS"] != nil {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            FileHandle.standardError.write(Data(String(format: "fuzz: %@: %d cases, %d values, %d errors, %.2f s\n",
                                                       file, cases, successes, failures, seconds).utf8))
        }
    }

    /// What the process's file descriptors point at (Linux: /proc/self/fd).
    static func openFiles() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
    }

    /// Writes `bytes` as the case's file, runs `body` on it, and times it.
    mutating func run<T>(_ bytes: [UInt8], name: String, _ body: () -> T) -> T {
        cases += 1
        if ProcessInfo.processInfo.environment["FILTERBANK_FUZZ_TRACE"] != nil {
            FileHandle.standardError.write(Data("fuzz: \(file) \(name)\n".utf8))
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            Issue.record("\(file) \(name): cannot write the case: \(error)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if seconds > Self.slowCase { fail(name, bytes, "took \(seconds) s") }
        return result
    }

    /// Records a failure of case `name` and keeps its bytes when FILTERBANK_FUZZ_KEEP names a directory.
    func fail(_ name: String, _ bytes: [UInt8], _ why: String) {
        var kept = ""
        if let keep = ProcessInfo.processInfo.environment["FILTERBANK_FUZZ_KEEP"] {
            let target = keep + "/" + URL(fileURLWithPath: file).lastPathComponent + "-case" +
                name.prefix { $0 != " " }.dropFirst()
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            if (try? Data(bytes).write(to: URL(fileURLWithPath: target))) != nil { kept = " (kept as \(target))" }
        }
        Issue.record("\(file) case \(name): \(why)\(kept)")
    }

    /// An error is clean when it names the case's file, has a message, and prints
    /// (`description`, what the tool prints) on one line. The message may quote the
    /// file's bytes; the description escapes line breaks.
    func checkError(_ name: String, _ bytes: [UInt8], path errorPath: String, message: String, description: String) {
        if errorPath != path { fail(name, bytes, "the error names \(errorPath), not \(path)") }
        if message.isEmpty { fail(name, bytes, "the error message is empty") }
        if !description.hasPrefix(path + ": ") || description.contains(where: \.isNewline) {
            fail(name, bytes, "the error does not print as one line naming the file: \(description.debugDescription)")
        }
    }

    /// Decodes one image case; returns the samples (or nil on a clean error).
    mutating func decodeImage(_ bytes: [UInt8], name: String, maxPixels: Int = FuzzRun.maxPixels,
                              allowTruncated: Bool = false) -> DecodedImage? {
        let path = self.path
        let outcome = run(bytes, name: name) {
            Result { () throws(ImageError) in
                try ImageDecoder.decode(path: path, maxPixels: maxPixels, allowTruncated: allowTruncated)
            }
        }
        switch outcome {
        case let .success(image):
            successes += 1
            let s = image.tensor.shape
            if s.batch != 1 || s.height < 1 || s.width < 1 || !(1...4).contains(s.channels)
                || image.tensor.values.count != s.count || s.height * s.width > maxPixels || ![8, 16].contains(image.bitDepth) {
                fail(name, bytes, "inconsistent image \(s), \(image.tensor.values.count) values, \(image.bitDepth)-bit")
            }
            let outside = image.tensor.values.withUnsafeBufferPointer { v -> Int? in
                for i in 0..<v.count where !(v[i] >= 0 && v[i] <= 1) { return i }
                return nil
            }
            if let outside { fail(name, bytes, "sample \(outside) is \(image.tensor.values[outside]), outside [0, 1]") }
            return image
        case let .failure(error):
            failures += 1
            checkError(name, bytes, path: error.path, message: error.message, description: error.description)
            // The file exists and is readable: not being able to open it, or a misuse of
            // the codec by FilterBankIO, is a bug, never a property of the bytes.
            if error.kind == .cannotOpen || error.kind == .internalError {
                fail(name, bytes, "error of kind \(error.kind): \(error.message)")
            }
            return nil
        }
    }

    /// For mutations that must not change the image: the same samples as the original.
    func expectSamePixels(_ result: DecodedImage?, _ reference: DecodedImage?, _ name: String) {
        guard let reference else { return }
        guard let result else {
            Issue.record("\(file) case \(name): should decode as the original does, but failed")
            return
        }
        if result.tensor != reference.tensor || result.bitDepth != reference.bitDepth {
            Issue.record("\(file) case \(name): decodes to other samples than the original")
        }
    }

    /// Reads one .npy case three ways (in memory, from the file, as a tensor), which must agree.
    mutating func readNpy(_ bytes: [UInt8], name: String) {
        let path = self.path
        let (memory, fromFile, tensor) = run(bytes, name: name) {
            (Result { () throws(FileError) in try NpyFile.decode(Data(bytes), path: path) },
             Result { () throws(FileError) in try NpyFile.readArray(path: path) },
             Result { () throws(FileError) in try NpyFile.readTensor(path: path) })
        }
        switch (memory, fromFile) {
        case let (.success(a), .success(b)):
            successes += 1
            if a.shape != b.shape || a.values.map(\.bitPattern) != b.values.map(\.bitPattern) {
                fail(name, bytes, "decode and readArray disagree: \(a.shape) vs \(b.shape)")
            }
            var count = 1
            for d in a.shape { count = count.multipliedReportingOverflow(by: d).partialValue }
            if a.values.count != count || a.shape.contains(where: { $0 < 0 }) {
                fail(name, bytes, "shape \(a.shape) with \(a.values.count) values")
            }
        case let (.failure(a), .failure(b)):
            failures += 1
            checkError(name, bytes, path: a.path, message: a.message, description: a.description)
            checkError(name, bytes, path: b.path, message: b.message, description: b.description)
            if a.message != b.message { fail(name, bytes, "decode says \(a.message.debugDescription), readArray \(b.message.debugDescription)") }
        case let (.success(a), .failure(b)):
            successes += 1
            fail(name, bytes, "decode reads \(a.shape), readArray fails: \(b.message)")
        case let (.failure(a), .success(b)):
            failures += 1
            fail(name, bytes, "readArray reads \(b.shape), decode fails: \(a.message)")
        }
        switch tensor {
        case let .success(t):
            if case .failure = fromFile { fail(name, bytes, "readTensor succeeds where readArray fails") }
            if t.values.count != t.shape.count || t.shape.count == 0 { fail(name, bytes, "tensor \(t.shape) with \(t.values.count) values") }
        case let .failure(e):
            checkError(name, bytes, path: e.path, message: e.message, description: e.description)
        }
        // The bank fixtures are filters: read them as one too.
        if file.contains("/banks/") {
            let bank = Result { () throws(FileError) in try BankFile.loadNpy(depthwise: path, pointwise: nil) }
            if case let .failure(e) = bank { checkError(name, bytes, path: e.path, message: e.message, description: e.description) }
        }
    }

    /// Reads one .npz case: in memory and from the file (which must agree), then as a
    /// bank in both weight layouts, resolved for a few channel counts.
    mutating func readNpz(_ bytes: [UInt8], name: String) {
        let path = self.path
        let (memory, fromFile, banks) = run(bytes, name: name) {
            (Result { () throws(FileError) in try NpzFile.decode(bytes: bytes, path: path) },
             Result { () throws(FileError) in try NpzFile.readArrays(path: path) },
             WeightLayout.allCases.map { layout in Result { () throws(FileError) in try BankFile.loadNpz(path: path, layout: layout) } })
        }
        switch (memory, fromFile) {
        case let (.success(a), .success(b)):
            successes += 1
            func bits(_ arrays: [(name: String, array: NpyArray)]) -> [[UInt32]] { arrays.map { $0.array.values.map(\.bitPattern) } }
            if a.map(\.name) != b.map(\.name) || a.map(\.array.shape) != b.map(\.array.shape) || bits(a) != bits(b) {
                fail(name, bytes, "decode and readArrays disagree")
            }
            for (entry, array) in a {
                var count = 1
                for d in array.shape { count = count.multipliedReportingOverflow(by: d).partialValue }
                if array.values.count != count { fail(name, bytes, "entry \(entry): shape \(array.shape) with \(array.values.count) values") }
            }
        case let (.failure(a), .failure(b)):
            failures += 1
            checkError(name, bytes, path: a.path, message: a.message, description: a.description)
            if a != b { fail(name, bytes, "decode says \(a.message.debugDescription), readArrays \(b.message.debugDescription)") }
        default:
            successes += 1
            fail(name, bytes, "decode and readArrays disagree on success")
        }
        for bank in banks {
            switch bank {
            case let .success(source):
                if case .failure = fromFile { fail(name, bytes, "loadNpz succeeds where readArrays fails") }
                for channels in [1, 2, 3] { _ = try? source.spec(channels: channels) }
            case let .failure(e):
                checkError(name, bytes, path: e.path, message: e.message, description: e.description)
            }
        }
    }

    /// Reads one .mat case: from text and from the file (which must agree), then as a bank.
    mutating func readMat(_ bytes: [UInt8], name: String) {
        let path = self.path
        let (fromFile, source) = run(bytes, name: name) {
            (Result { () throws(FileError) in try MatrixFile.load(path: path) },
             Result { () throws(FileError) in try MatrixFile.source(path: path) })
        }
        switch fromFile {
        case let .success(matrix):
            successes += 1
            if matrix.values.count != matrix.width * matrix.height || matrix.scale == 0 || !matrix.values.allSatisfy(\.isFinite) {
                fail(name, bytes, "matrix \(matrix.width)x\(matrix.height) with \(matrix.values.count) values, scale \(matrix.scale)")
            }
            if let text = String(bytes: bytes, encoding: .utf8),
               (try? MatrixFile.parse(text: text, path: path)) != matrix {
                fail(name, bytes, "parse(text:) and load(path:) disagree")
            }
        case let .failure(e):
            failures += 1
            checkError(name, bytes, path: e.path, message: e.message, description: e.description)
        }
        switch source {
        case let .success(bank):
            for channels in [1, 3] { _ = try? bank.spec(channels: channels) }
        case let .failure(e):
            checkError(name, bytes, path: e.path, message: e.message, description: e.description)
        }
    }

    /// Parses one bank case.
    mutating func parseBank(_ bytes: [UInt8], name: String) {
        let path = self.path
        let outcome = run(bytes, name: name) {
            (Result { () throws(FileError) in try BankFile.parse(data: Data(bytes), path: path) },
             Result { () throws(FileError) in try BankFile.load(path: path) })
        }
        switch outcome {
        case let (.success(a), .success(b)):
            successes += 1
            if a != b { fail(name, bytes, "parse and load disagree") }
            do { _ = try a.resolve(strides: nil, dilations: nil, padding: nil) } catch {
                fail(name, bytes, "parsed a bank that does not resolve: \(error)")
            }
        case let (.failure(a), .failure(b)):
            failures += 1
            checkError(name, bytes, path: a.path, message: a.message, description: a.description)
            checkError(name, bytes, path: b.path, message: b.message, description: b.description)
        case (.success, .failure), (.failure, .success):
            successes += 1
            fail(name, bytes, "parse and load disagree on success")
        }
    }
}
