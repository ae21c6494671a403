import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import FilterBankIO
import FilterBankTestSupport

/// Hostile inputs cost one error line: memory, CPU and work bounded for each
/// input, the next input still runs, and temporary files nobody can redirect.
/// Each file is made in code (`HostileFiles`); memory is asserted from the
/// child's peak RSS (measured by GNU time: see `HostileFiles.run`), never time.
@Suite(.serialized) struct HostileFilesTests {
    typealias H = HostileFiles

    static func binary() throws -> String { try filterbankBinary().path }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A small gray JPEG made by the project's own encoder.
    static func smallJPEG(_ dir: String, color: JPEGColorType = .gray) throws -> [UInt8] {
        let path = dir + "/small.jpg"
        let samples = (0..<(16 * 16 * color.channels)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try samples.withUnsafeBufferPointer {
            try JPEGEncoder.write($0, width: 16, height: 16, colorType: color, to: path)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func hiddenFiles(_ dir: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []
        return all.filter { $0.split(separator: "/").contains { $0.hasPrefix(".") } }
    }

    /// One line on standard error, naming `file`.
    static func expectOneLine(_ result: H.Measured, naming file: String, _ fragments: String...,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("filterbank: error:") }
        #expect(lines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(lines.first?.contains(file) == true, "\(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(lines.first?.contains(fragment) == true, "\(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    static let mebibyte = 1 << 20

    /// Whether this build runs under AddressSanitizer (CI's second pass): its shadow memory
    /// and quarantine add hundreds of MB to every process, and it cannot run under
    /// `ulimit -v`, so peak RSS is not asserted there (the plain build asserts it).
    static let sanitized: Bool = {
        let program = dlopen(nil, RTLD_NOW)
        defer { if let program { dlclose(program) } }
        return dlsym(program, "__asan_init") != nil
    }()

    /// `peakRSS < limit`, except under AddressSanitizer.
    static func expectPeakRSS(_ result: H.Measured, below limit: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard !sanitized else { return }
        #expect(result.peakRSS < limit, "peak RSS \(result.peakRSS)", sourceLocation: sourceLocation)
    }

    // MARK: - Temporary files

    @Test func plantedLinksAreNeverWrittenThrough() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let victim = dir + "/victim.txt"
        try Data("secret".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let input = dir + "/in.jpg"
        try Self.write(try Self.smallJPEG(dir), input)
        // A link under the temporary-name pattern of a dead process, one at a final output's
        // path, one at the report's path: none may be followed.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let host = String(TemporaryName.make(for: "x").split(separator: "-")[1])
        let staleLink = dir + "/out/.in_c0.png.tmp-\(host)-\(dead.processIdentifier)-0123456789abcdef"
        for link in [staleLink, dir + "/out/in_c1.png", dir + "/report.jsonl"] {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        }
        let result = try H.run(Self.binary(), ["apply", input, "-o", dir + "/out", "--overwrite", "--report", dir + "/report.jsonl"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret")
        for file in ["/out/in_c0.png", "/out/in_c1.png", "/report.jsonl"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + file)
            #expect(attributes[.type] as? FileAttributeType == .typeRegular, "\(file)")
        }
        #expect(Self.hiddenFiles(dir + "/out") == [], "the stale link is removed, and nothing is left behind")
    }

    @Test func aReportSentToDevStdoutIsWrittenThere() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let input = dir + "/in.jpg"
        try Self.write(try Self.smallJPEG(dir), input)
        // Standard output is a regular file here: the report must go into it, not replace /dev/stdout.
        let result = try H.run(Self.binary(), ["apply", input, "-o", dir + "/out", "--report", "/dev/stdout"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"status\":\"ok\""), "\(result.stdout)")
        let link = try FileManager.default.attributesOfItem(atPath: "/dev/stdout")
        #expect(link[.type] as? FileAttributeType == .typeSymbolicLink)
    }

    // MARK: - Memory

    @Test func hugeTruncatedJPEGsFailHavingUsedLittle() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let progressive = dir + "/progressive.jpg", rotated = dir + "/rotated.jpg", good = dir + "/good.jpg"
        try Self.write(H.progressiveHeader(width: 16384, height: 16384), progressive)
        try Self.write(H.hugeTruncatedJPEG(from: try Self.smallJPEG(dir, color: .rgb), width: 16384, height: 16384,
                                           orientation: 6), rotated)
        try Self.write(try Self.smallJPEG(dir), good)
        for file in [progressive, rotated] {
            // A report of its own for each run: --report appends to an existing file.
            let report = dir + "/" + URL(fileURLWithPath: file).lastPathComponent + ".jsonl"
            let result = try H.run(Self.binary(), ["apply", file, good, "-o", dir + "/out", "--overwrite",
                                                    "--report", report])
            #expect(result.status == 1)
            Self.expectOneLine(result, naming: file, "Premature end of JPEG file")
            // The old decoder padded the image with grey: 0.5 GB of coefficients, or 3 GB of
            // floats and their rotated copy. Now it stops where the data ends.
            Self.expectPeakRSS(result, below: 200 * Self.mebibyte)
            #expect(FileManager.default.fileExists(atPath: dir + "/out/good_c0.png"), "the next input runs")
            let lines = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(Self.hiddenFiles(dir + "/out") == [])
        }
    }

    @Test func aHeaderThatAsksForMoreThanTheBudgetFailsBeforeAllocating() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let progressive = dir + "/progressive.jpg", rotated = dir + "/rotated.jpg", good = dir + "/good.jpg"
        try Self.write(H.progressiveHeader(width: 16384, height: 16384), progressive)
        try Self.write(H.hugeTruncatedJPEG(from: try Self.smallJPEG(dir, color: .rgb), width: 16384, height: 16384,
                                           orientation: 6), rotated)
        try Self.write(try Self.smallJPEG(dir), good)
        let budget = 256 * Self.mebibyte
        // 16384 x 16384 x 2 bytes of coefficients; 16384 x 16384 x 3 bytes turned upright.
        for (file, need) in [(progressive, "536870912 bytes"), (rotated, "805306368 bytes")] {
            let result = try H.run(Self.binary(), ["apply", file, good, "-o", dir + "/out", "--overwrite", "--max-memory", "256M"])
            #expect(result.status == 1)
            Self.expectOneLine(result, naming: file, need, "memory budget of \(budget) bytes", "--max-memory")
            Self.expectPeakRSS(result, below: budget / 2)
            #expect(FileManager.default.fileExists(atPath: dir + "/out/good_c0.png"), "the next input runs")
        }
    }

    @Test func exifRotationHoldsSamplesNotFloats() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        // A valid gray 8192 x 8192 PNG with an eXIf chunk (orientation 6): 64 MiB of samples.
        let side = 8192
        let idat = H.zlib(prefix: [], zeros: side * (side + 1))
        let file = dir + "/rotated.png"
        try Self.write(H.png(width: side, height: side, beforeData: H.pngChunk("eXIf", H.exif(orientation: 6)), idat: idat), file)
        // Strides of 8 keep the outputs small: what is measured is the input side.
        let result = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out", "--strides", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ImageDecoder.decode(path: dir + "/out/rotated_c0.png").tensor.shape.height == side / 8)
        // Floats and a rotated copy would be 2 x 256 MiB; the samples are 64 MiB.
        Self.expectPeakRSS(result, below: 320 * Self.mebibyte)
        let refused = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out2", "--max-memory", "64M"])
        #expect(refused.status == 1)
        Self.expectOneLine(refused, naming: file, "EXIF rotation 67108864 bytes", "--max-memory")
    }

    @Test(.disabled(if: HostileFilesTests.sanitized, "AddressSanitizer reserves terabytes of address space"))
    func noAllocationAbortsTheBatchUnderAVirtualMemoryLimit() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let rotated = dir + "/rotated.jpg", good = dir + "/good.jpg"
        try Self.write(H.hugeTruncatedJPEG(from: try Self.smallJPEG(dir, color: .rgb), width: 16384, height: 16384,
                                           orientation: 6), rotated)
        try Self.write(try Self.smallJPEG(dir), good)
        let result = try H.run(Self.binary(), ["apply", rotated, good, "-o", dir + "/out", "--max-memory", "512M",
                                               "--report", dir + "/report.jsonl"],
                               virtualMemoryLimit: 2 << 30)
        #expect(result.status == 1, "\(result.stderr)")
        Self.expectOneLine(result, naming: rotated, "--max-memory")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/good_c0.png"))
        let lines = try String(contentsOfFile: dir + "/report.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
    }

    @Test func aNpzBombIsRefusedBeforeItIsInflated() throws {
        // 8 MiB of float32 zeros in a few KB; the limit is 1 MiB.
        let shape = [2048, 1024]
        let header = H.npyHeader(shape: shape)
        let size = header.count + 2048 * 1024 * 4
        let archive = H.zip(name: "depthwise.npy", deflated: H.deflate(prefix: header, zeros: size - header.count),
                            size: size, crc: 0)
        #expect(archive.count < 100_000)
        let error = #expect(throws: FileError.self) {
            _ = try NpzFile.decode(bytes: archive, path: "bomb.npz", maxBytes: 1 << 20)
        }
        #expect(error?.description.contains("shape [2048, 1024] needs \(size) bytes inflated") == true, "\(String(describing: error))")
        #expect(error?.description.contains("limit of 1048576 bytes") == true)
    }

    // MARK: - CPU

    @Test func progressiveScansAreLimited() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: sample("jpeg-progressive-420-freshflower.jpg"))))
        let file = dir + "/scans.jpg"
        try Self.write(H.repeatingScans(original, to: 150), file)
        let refused = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out"])
        #expect(refused.status == 1)
        Self.expectOneLine(refused, naming: file, "more than 100 scans")
        let raised = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out", "--max-scans", "200"])
        #expect(raised.status == 0, "\(raised.stderr)")
    }

    @Test func pngImageDataAfterTheLastRowIsAWarningAndIsNotInflated() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        // A 1 x 1 gray PNG whose image data goes on for 32 MiB of zeros.
        let file = dir + "/trailing.png"
        try Self.write(H.png(width: 1, height: 1, idat: H.zlib(prefix: [0, 200], zeros: 32 * Self.mebibyte)), file)
        let result = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out", "--kernel", "identity", "--format", "npy",
                                               "--report", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("image data goes on after the last row"), "\(result.stdout)")
        // The row itself is whole: reading stops only after it.
        #expect(try NpyFile.readTensor(path: dir + "/out/trailing.npy").values == [200 / 255])
        let strict = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out2", "--fail-on", "warning"])
        #expect(strict.status == 1)
        Self.expectOneLine(strict, naming: file, "image data goes on after the last row")
    }

    @Test func paletteIndicesPastThePaletteAreAWarning() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        // A 4 x 1 palette PNG of two entries whose pixels use indices 0, 1, 7 and 200.
        let file = dir + "/palette.png"
        try Self.write(H.png(width: 4, height: 1, color: 3, beforeData: H.pngChunk("PLTE", [0, 0, 0, 255, 255, 255]),
                             idat: H.zlib(prefix: [0, 0, 1, 7, 200], zeros: 0)), file)
        let result = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out", "--kernel", "identity", "--format", "npy",
                                               "--report", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("palette index 200 is past the end of the palette (2 entries)"), "\(result.stdout)")
        // As libpng expands them: past the palette is black.
        #expect(try NpyFile.readTensor(path: dir + "/out/palette.npy").values == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        let strict = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out2", "--fail-on", "warning"])
        #expect(strict.status == 1)
        Self.expectOneLine(strict, naming: file, "palette index 200")
    }

    // MARK: - Outputs

    @Test func everyOutputJoinsTheCollisionCheck() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let input = dir + "/in.jpg"
        try Self.write(try Self.smallJPEG(dir), input)
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        let montage = try H.run(Self.binary(), ["apply", input, "-o", dir + "/out", "--montage", "{stem}_c0.png"])
        #expect(montage.status == 64)
        #expect(montage.stderr.contains("would replace an output of"), "\(montage.stderr)")
        let report = try H.run(Self.binary(), ["apply", input, "-o", dir + "/out", "--report", dir + "/out/in_c1.png"])
        #expect(report.status == 64)
        #expect(report.stderr.contains("the report"), "\(report.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir + "/out")) == [], "refused before any work")
    }

    @Test func imagesWiderThanAMillionPixelsCanBeWritten() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let width = 1_000_001
        let file = dir + "/wide.png"
        try Self.write(H.png(width: width, height: 1, idat: H.zlib(prefix: [], zeros: width + 1)), file)
        let result = try H.run(Self.binary(), ["apply", file, "-o", dir + "/out"])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try ImageDecoder.decode(path: dir + "/out/wide_c0.png")
        #expect(decoded.tensor.shape.width == width)
    }

    // MARK: - Bank files

    @Test func bankFilesGetTheCommandLinesLimits() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let input = dir + "/in.jpg"
        try Self.write(try Self.smallJPEG(dir), input)
        let padded = dir + "/padded.json"
        try Data(#"{"depthwise": {"shape": [3, 3, 1, 1], "values": [0, -1, 0, -1, 4, -1, 0, -1, 0]}, "padding": [[100000, 100000], [0, 0]]}"#.utf8)
            .write(to: URL(fileURLWithPath: padded))
        let result = try H.run(Self.binary(), ["apply", input, "--bank", padded, "-o", dir + "/out"])
        #expect(result.status != 0)
        Self.expectOneLine(result, naming: padded, "explicit padding 100000 is too large (at most 255)")
        let kernel = dir + "/kernel.npy"
        try Self.write(H.npyHeader(shape: [300, 1, 1, 1]) + [UInt8](repeating: 0, count: 300 * 4), kernel)
        let large = try H.run(Self.binary(), ["apply", input, "--depthwise", kernel, "-o", dir + "/out"])
        #expect(large.status != 0)
        Self.expectOneLine(large, naming: kernel, "kernel size 300 is too large (at most 255)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/in_c0.png"))
    }

    /// Padding within the bank limits still makes each output larger than its
    /// input: an output is held to `--max-pixels` as an input is. The input
    /// that fits runs; the next one, whose padded outputs do not, is its own error.
    @Test func outputsAreHeldToTheInputsPixelLimit() throws {
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let small = dir + "/small.jpg", large = dir + "/large.png"
        try Self.write(try Self.smallJPEG(dir), small)
        let side = 1000
        try Self.write(H.png(width: side, height: side, beforeData: [], idat: H.zlib(prefix: [], zeros: side * (side + 1))), large)
        let bank = dir + "/padded.json"
        try Data(#"{"depthwise": {"shape": [3, 3, 1, 1], "values": [0, -1, 0, -1, 4, -1, 0, -1, 0]}, "padding": [[200, 200], [200, 200]]}"#.utf8)
            .write(to: URL(fileURLWithPath: bank))
        let result = try H.run(Self.binary(), ["apply", "--gray", small, large, "--bank", bank, "-o", dir + "/out",
                                               "--max-pixels", "1000000"])
        #expect(result.status == 1, "\(result.stderr)")
        // 1000 x 1000 pixels pass the limit; 200 on each side make 1398 x 1398 outputs.
        Self.expectOneLine(result, naming: large, "each output would be 1398x1398 (1954404 pixels, the padding included)",
                           "over the limit of 1000000 (--max-pixels)")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/small_c0.png"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/large_c0.png"))
        let raised = try H.run(Self.binary(), ["apply", large, "--bank", bank, "-o", dir + "/out", "--max-pixels", "2000000"])
        #expect(raised.status == 0, "\(raised.stderr)")
        #expect(try ImageDecoder.decode(path: dir + "/out/large_c0.png").tensor.shape.width == 1398)
    }
}
