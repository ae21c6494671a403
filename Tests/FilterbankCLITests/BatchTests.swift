import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// `filterbank apply` with many inputs, run as a user would (helpers from EndToEndTests.swift).
@Suite(.serialized) struct BatchTests {
    /// Writes an 8-bit gray PNG, creating its folder.
    static func png(_ path: String, width: Int = 12, height: Int = 9, seed: Int = 0) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let samples = (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ seed &* 13) }
        try samples.withUnsafeBufferPointer { try PNGEncoder.writeGray($0, width: width, height: height, to: path) }
    }

    /// Files under `directory`, relative, sorted; hidden ones only when asked.
    static func files(_ directory: URL, hidden: Bool = false) -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let next = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.path + "/" + next, isDirectory: &isDirectory),
                  !isDirectory.boolValue else { continue }
            if hidden || !next.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { found.append(next) }
        }
        return found.sorted()
    }

    /// `filterbank` with `input` on its standard input.
    static func run(_ arguments: [String], stdin input: String) throws -> RunResult {
        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = arguments
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = inPipe
        process.standardOutput = out
        process.standardError = err
        try process.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    static func reportLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    /// `in/` holding 10 PNGs over three levels of folders.
    static func tree(_ dir: URL) throws -> String {
        let input = dir.appendingPathComponent("in").path
        for i in 0..<10 {
            let folder = ["", "a/", "a/b/", "c/"][i % 4]
            try png(input + "/" + folder + "img\(i).png", seed: i)
        }
        return input
    }

    // MARK: - Required

    @Test func allShardsTogetherProduceExactlyTheUnshardedRun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.tree(dir)
        let whole = dir.appendingPathComponent("whole"), sharded = dir.appendingPathComponent("sharded")
        let one = try runFilterbank(["apply", input, "-r", "-o", whole.path])
        #expect(one.status == 0, "stderr: \(one.stderr)")
        var perShard: [[String]] = []
        for k in 0..<3 {
            let part = dir.appendingPathComponent("part\(k)")
            // Listing order differs per shard (a pattern, then the folder): the split must not care.
            let arguments = k == 1 ? [input + "/**/*.png"] : [input, "-r"]
            let result = try runFilterbank(["apply"] + arguments + ["-o", part.path, "--shard", "\(k)/3"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let again = try runFilterbank(["apply"] + arguments + ["-o", sharded.path, "--shard", "\(k)/3"])
            #expect(again.status == 0, "stderr: \(again.stderr)")
            perShard.append(Self.files(part))
        }
        let expected = Self.files(whole)
        #expect(expected.count == 20)
        #expect(Self.files(sharded) == expected)
        #expect(perShard.map(\.count).reduce(0, +) == 20, "the shards overlap or miss: \(perShard)")
        #expect(Set(perShard.joined()).count == 20)
        for name in expected {
            #expect(FileManager.default.contentsEqual(atPath: whole.appendingPathComponent(name).path,
                                                      andPath: sharded.appendingPathComponent(name).path), "\(name)")
        }
    }

    /// A run killed with SIGKILL mid-way leaves only complete files under final
    /// names; its temporary files are hidden and never taken for outputs; and
    /// `--skip-existing` completes the run.
    @Test func aKilledRunLeavesOnlyCompleteOutputsAndResumes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let count = 40, size = 160
        for i in 0..<count { try Self.png(input + "/img\(String(format: "%02d", i)).png", width: size, height: size, seed: i) }
        let out = dir.appendingPathComponent("out")

        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = ["apply", input, "-o", out.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill it as soon as the first outputs are in place: the other inputs are still to come.
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Self.files(out).isEmpty, Date() < deadline { usleep(5_000) }
        usleep(UInt32.random(in: 0...40_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before it could be killed")

        let present = Self.files(out)
        #expect(present.count < 2 * count, "the run finished before the kill: \(present.count) outputs")
        let valid = Set((0..<count).flatMap { i in ["img\(String(format: "%02d", i))_c0.png", "img\(String(format: "%02d", i))_c1.png"] })
        for name in present {
            #expect(valid.contains(name), "unexpected file \(name)")
            do {
                let image = try ImageDecoder.decode(path: out.appendingPathComponent(name).path)
                #expect(image.tensor.shape == TensorShape(batch: 1, height: size, width: size, channels: 1), "\(name)")
                #expect(image.warnings.isEmpty, "\(name): \(image.warnings)")
            } catch {
                Issue.record("\(name) under its final name does not decode completely: \(error)")
            }
        }
        // Whatever else is there is a hidden temporary file, named so that it cannot be taken for an output.
        for name in Self.files(out, hidden: true) where !present.contains(name) {
            #expect(name.hasPrefix(".") && name.contains(".tmp-"), "\(name)")
        }

        let report = dir.appendingPathComponent("resume.jsonl").path
        let resumed = try runFilterbank(["apply", input, "-o", out.path, "--skip-existing", "--report", report])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(Set(Self.files(out)) == valid)
        for name in valid {
            let image = try ImageDecoder.decode(path: out.appendingPathComponent(name).path)
            #expect(image.tensor.shape.height == size)
        }
        let lines = try Self.reportLines(report)
        #expect(lines.count == count)
        let skipped = lines.filter { $0["status"] as? String == "skipped" }.count
        #expect(skipped >= present.count / 2 && skipped < count, "skipped \(skipped) with \(present.count) outputs present")
        for line in lines {
            for output in line["outputs"] as? [String] ?? [] {
                #expect(!(output as NSString).lastPathComponent.hasPrefix("."), "\(output)")
            }
        }
    }

    /// SIGTERM (what Slurm and Kubernetes send first) and SIGINT: the run stops,
    /// removes the temporary files of the inputs in flight, and exits 128 + signal.
    @Test(arguments: [SIGTERM, SIGINT])
    func aTerminatedRunRemovesItsTemporaryFiles(_ signal: Int32) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        for i in 0..<30 { try Self.png(input + "/img\(String(format: "%02d", i)).png", width: 160, height: 160, seed: i) }
        let out = dir.appendingPathComponent("out")
        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = ["apply", input, "-o", out.path]
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Self.files(out).isEmpty, Date() < deadline { usleep(5_000) }
        usleep(20_000)
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal, "stderr: \(stderr)")
        #expect(stderr.contains("filterbank: error: interrupted by SIG"), "stderr: \(stderr)")
        #expect(Self.files(out, hidden: true) == Self.files(out), "temporary files left behind")
        let present = Self.files(out)
        #expect(!present.isEmpty && present.count < 60)
        for name in present { _ = try ImageDecoder.decode(path: out.appendingPathComponent(name).path) }
    }

    @Test func sameStemsInDifferentFoldersMirrorApartAndCollideWhenNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Self.png(input + "/2019/IMG_0001.png", seed: 1)
        try Self.png(input + "/2020/IMG_0001.png", seed: 2)
        let out = dir.appendingPathComponent("out")
        let mirrored = try runFilterbank(["apply", input, "--recursive", "-o", out.path])
        #expect(mirrored.status == 0, "stderr: \(mirrored.stderr)")
        #expect(Self.files(out) == ["2019/IMG_0001_c0.png", "2019/IMG_0001_c1.png",
                                    "2020/IMG_0001_c0.png", "2020/IMG_0001_c1.png"])
        #expect(!FileManager.default.contentsEqual(atPath: out.path + "/2019/IMG_0001_c0.png",
                                                   andPath: out.path + "/2020/IMG_0001_c0.png"))

        let flat = dir.appendingPathComponent("flat")
        let refused = try runFilterbank(["apply", input + "/2019/IMG_0001.png", input + "/2020/IMG_0001.png", "-o", flat.path])
        #expect(refused.status == 64)
        #expect(refused.stderr == "filterbank: error: \(input)/2019/IMG_0001.png and \(input)/2020/IMG_0001.png would both "
                + "write \(flat.path)/IMG_0001_c{channel}.png; give a folder holding both (outputs then mirror its "
                + "subfolders), or run them separately\n")
        #expect(!FileManager.default.fileExists(atPath: flat.path))
    }

    @Test func anOutputFolderOverAnInputIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Self.png(input + "/x.png")
        try Self.png(input + "/x_c0.png")
        // Files named one by one, written into their own folder.
        let result = try runFilterbank(["apply", input + "/x.png", input + "/x_c0.png", "-o", input, "--overwrite"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("the outputs of \(input)/x.png would overwrite the input \(input)/x_c0.png"),
                "stderr: \(result.stderr)")
        #expect(Self.files(URL(fileURLWithPath: input)) == ["x.png", "x_c0.png"])
        // The folder itself as both input and output: refused up front, whatever it holds.
        let folder = try runFilterbank(["apply", input, "-o", input, "--overwrite"])
        #expect(folder.status == 64)
        #expect(folder.stderr == "filterbank: error: the output folder \(input) is the input folder \(input): a later run "
                + "would take its outputs for inputs; choose another output folder (one inside it is fine)\n")
        #expect(Self.files(URL(fileURLWithPath: input)) == ["x.png", "x_c0.png"])
    }

    @Test func reportLinesParseAsJSONWithTheRightStatuses() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Self.png(input + "/good.png")
        try "garbage".write(toFile: input + "/bad.png", atomically: false, encoding: .utf8)
        try "notes".write(toFile: input + "/notes.txt", atomically: false, encoding: .utf8)
        let report = dir.appendingPathComponent("report.jsonl").path
        let out = dir.appendingPathComponent("out").path
        let result = try runFilterbank(["apply", input, "-o", out, "--report", report])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 2 && result.stderr.contains("bad.png"), "stderr: \(result.stderr)")
        #expect(result.stderr.hasSuffix("filterbank: note: skipped 1 file that is not PNG, JPEG or .npy (--report lists it)\n"))
        let lines = try Self.reportLines(report)
        let byName = Dictionary(uniqueKeysWithValues: lines.map { (($0["path"] as? String ?? "") as NSString).lastPathComponent }
            .enumerated().map { ($1, lines[$0]) })
        #expect(Set(byName.keys) == ["good.png", "bad.png", "notes.txt"])
        #expect(byName["good.png"]?["status"] as? String == "ok")
        #expect(byName["good.png"]?["outputs"] as? [String] == [out + "/good_c0.png", out + "/good_c1.png"])
        #expect(byName["good.png"]?["size"] as? Int == (try FileManager.default.attributesOfItem(atPath: input + "/good.png")[.size] as? Int))
        #expect(byName["good.png"]?["shape"] as? [Int] == [1, 9, 12, 1])
        #expect(byName["good.png"]?["ms"] is Int)
        #expect(byName["bad.png"]?["status"] as? String == "failed")
        #expect((byName["bad.png"]?["error"] as? String)?.isEmpty == false)
        #expect(byName["notes.txt"]?["status"] as? String == "skipped")
        #expect(byName["notes.txt"]?["reason"] as? String == "not a PNG, JPEG or .npy file")

        // `--report -`: the lines on standard output.
        let stdout = try runFilterbank(["apply", input + "/good.png", "-o", out, "--overwrite", "--report", "-"])
        #expect(stdout.status == 0)
        let line = try #require(stdout.stdout.split(separator: "\n").first, "\(stdout.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(object["path"] as? String == input + "/good.png" && object["status"] as? String == "ok", "\(line)")
    }

    @Test func exitStatus0When1Failed1Usage64() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.png").path
        try Self.png(good)
        let out = dir.appendingPathComponent("out").path
        #expect(try runFilterbank(["apply", good, "-o", out]).status == 0)
        #expect(try runFilterbank(["apply", good, "-o", out]).status == 1, "an existing output fails the input")
        #expect(try runFilterbank(["apply", good, "-o", out, "--overwrite"]).status == 0)
        #expect(try runFilterbank(["apply", good, "-o", out, "--skip-existing"]).status == 0)
        let usage: [([String], String)] = [
            (["--jobs", "0"], "--jobs must be at least 1, got 0"),
            (["--shard", "3/3"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '3/3'"),
            (["--shard", "one/two"], "got 'one/two'"),
            (["--progress", "--quiet"], "--progress and --quiet cannot be used together"),
            (["--max-pixels", "0"], "--max-pixels must be at least 1, got 0"),
            (["--fail-on", "never"], "--fail-on"),
            (["--from", ""], "--from needs a file name, or - for standard input"),
            (["--report", ""], "--report needs a file name, or - for standard output"),
        ]
        for (options, message) in usage {
            let result = try runFilterbank(["apply", good, "-o", out] + options)
            #expect(result.status == 64, "\(options): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
    }

    @Test func failFastStopsAtTheFirstFailure() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try "garbage".write(toFile: dir.path + "/0-bad.png", atomically: false, encoding: .utf8)
        for i in 0..<5 { try Self.png(input + "/p\(i).png", seed: i) }
        let out = dir.appendingPathComponent("out").path
        let report = dir.appendingPathComponent("r.jsonl").path
        let stopped = try runFilterbank(["apply", dir.path + "/0-bad.png", input, "-o", out, "--fail-fast", "-j", "1",
                                         "--report", report])
        #expect(stopped.status == 1)
        #expect(stopped.stderr.split(separator: "\n").count == 1, "stderr: \(stopped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let lines = try Self.reportLines(report)
        #expect(lines.map { $0["status"] as? String } == ["failed"] + Array(repeating: "skipped", count: 5))
        let all = try runFilterbank(["apply", dir.path + "/0-bad.png", input, "-o", out, "-j", "1"])
        #expect(all.status == 1)
        #expect(Self.files(URL(fileURLWithPath: out)).count == 10)
    }

    /// A PNG whose header claims `width` x `height` gray pixels, followed by a
    /// few bytes of image data: a decompression bomb's header, without the bomb.
    static func claimedPNG(_ path: String, width: UInt32, height: UInt32) throws {
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(crc32(body))
        }
        let header = be(width) + be(height) + [8, 0, 0, 0, 0]   // 8-bit gray, deflate, no interlace
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF]
        let bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat) + chunk("IEND", [])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func maxPixelsRejectsFromTheHeader() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        // 60000 x 60000 claimed: over the default limit (2^28 pixels), refused before any pixel memory.
        let bomb = dir.appendingPathComponent("bomb.png").path
        try Self.claimedPNG(bomb, width: 60000, height: 60000)
        let result = try runFilterbank(["apply", bomb, "-o", out])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("filterbank: error: \(bomb): PNG decode failed: image too large"),
                "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // With a limit it fits under, it gets as far as decoding (and fails there: the data is missing).
        let allowed = try runFilterbank(["apply", bomb, "-o", out, "--max-pixels", "3600000000"])
        #expect(allowed.status == 1)
        #expect(!allowed.stderr.contains("too large"), "stderr: \(allowed.stderr)")

        let small = dir.appendingPathComponent("s.png").path
        try Self.png(small, width: 10, height: 10)
        let over = try runFilterbank(["apply", small, "-o", out, "--max-pixels", "99"])
        #expect(over.status == 1 && over.stderr.contains("image too large"), "stderr: \(over.stderr)")
        #expect(try runFilterbank(["apply", small, "-o", out, "--max-pixels", "100"]).status == 0)
    }

    @Test func quotedPatternsAndStandardInput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.tree(dir)
        let out = dir.appendingPathComponent("glob")
        let glob = try runFilterbank(["apply", input + "/a/**/*.png", "-o", out.path])
        #expect(glob.status == 0, "stderr: \(glob.stderr)")
        #expect(Self.files(out) == ["b/img2_c0.png", "b/img2_c1.png", "b/img6_c0.png", "b/img6_c1.png",
                                    "img1_c0.png", "img1_c1.png", "img5_c0.png", "img5_c1.png",
                                    "img9_c0.png", "img9_c1.png"])
        let none = try runFilterbank(["apply", input + "/**/*.tif", "-o", out.path])
        #expect(none.status == 1)
        #expect(none.stderr == "filterbank: error: \(input)/**/*.tif: no file matches this pattern\n")

        let listed = dir.appendingPathComponent("listed")
        let stdin = try Self.run(["apply", "--from", "-", "-o", listed.path], stdin: "\(input)/img0.png\n\n\(input)/c/img3.png\n")
        #expect(stdin.status == 0, "stderr: \(stdin.stderr)")
        #expect(Self.files(listed) == ["img0_c0.png", "img0_c1.png", "img3_c0.png", "img3_c1.png"])
    }

    @Test func nonImagesAreSkippedWithANote() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Self.png(input + "/photo.png")
        try "x".write(toFile: input + "/README.md", atomically: false, encoding: .utf8)
        try "x".write(toFile: input + "/Thumbs.db", atomically: false, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path
        let plain = try runFilterbank(["apply", input, "-o", out])
        #expect(plain.status == 0)
        // Not a terminal: nothing but errors, and one line for the files passed over.
        #expect(plain.stderr == "filterbank: note: skipped 2 files that are not PNG, JPEG or .npy (--report lists them)\n")
        let quiet = try runFilterbank(["apply", input, "-o", out + "2", "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "--quiet: nothing but errors")
        let shown = try runFilterbank(["apply", input, "-o", out, "--skip-existing", "--progress"])
        #expect(shown.status == 0)
        let lines = shown.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("filterbank: 0 processed, 3 skipped, 0 failed, 0 outputs written in ") },
                "stderr: \(shown.stderr)")
        #expect(lines.contains("filterbank: note: skipped 2 files that are not PNG, JPEG or .npy (--report lists them)"),
                "stderr: \(shown.stderr)")
    }

    /// Files named on the command line that are not inputs fail, saying what they are.
    @Test func namedFilesThatAreNotImagesFail() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, [UInt8], String)] = [
            ("scan.tif", Array("II*\u{0}".utf8) + [8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "a TIFF image"),
            ("photo.webp", Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8), "a WebP image"),
            ("icon.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 20), "a BMP image"),
            ("anim.gif", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 10), "a GIF image"),
        ]
        var paths: [String] = []
        for (name, bytes, _) in files {
            let path = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let good = dir.appendingPathComponent("good.png").path
        try Self.png(good)
        let result = try runFilterbank(["apply"] + paths + [good, "-o", dir.appendingPathComponent("out").path])
        #expect(result.status == 1)
        for ((_, _, kind), path) in zip(files, paths) {
            #expect(result.stderr.contains("filterbank: error: \(path): \(kind) by its first bytes: only PNG, JPEG and .npy files are read\n"),
                    "\(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/good_c0.png").path))
    }

    /// A rerun with the same --report keeps the first run's records.
    @Test func aRerunAppendsToTheReport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Self.png(input + "/a.png")
        let report = dir.appendingPathComponent("run.jsonl").path
        let out = dir.appendingPathComponent("out").path
        #expect(try runFilterbank(["apply", input, "-o", out, "--report", report]).status == 0)
        #expect(try runFilterbank(["apply", input, "-o", out, "--report", report, "--skip-existing"]).status == 0)
        let lines = try Self.reportLines(report)
        #expect(lines.map { $0["status"] as? String } == ["ok", "skipped"])
    }

    @Test func helpListsTheBatchOptions() throws {
        let help = try runFilterbank(["apply", "--help"])
        #expect(help.status == 0)
        for option in ["--recursive", "--from", "--jobs", "--progress", "--quiet", "--report", "--fail-fast",
                       "--overwrite", "--skip-existing", "--shard", "--max-pixels", "--fail-on"] {
            #expect(help.stdout.contains(option), "apply --help does not mention \(option)")
        }
    }
}
