import Foundation
import Synchronization
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
@testable import FilterBankRun
import FilterBankKit

/// Collects what a batch run would print on standard error.
final class CapturedConsole: Sendable {
    private let text = Mutex("")
    let isTerminal: Bool
    init(isTerminal: Bool = false) { self.isTerminal = isTerminal }
    var console: Console {
        Console(program: "filterbank", isTerminal: isTerminal) { [self] chunk in text.withLock { $0 += chunk } }
    }
    var output: String { text.withLock { $0 } }
    var lines: [String] { output.split(separator: "\n").map(String.init) }
}

@Suite("BatchRun: many inputs, parallel workers, resumable and shardable")
struct BatchRunTests {
    /// A fresh directory with in/ = a.png, notes.txt, x/b.png, x/y/c.png (8x6 gray PNGs).
    static func tree() throws -> String {
        let root = try CodecFixtures.temporaryDirectory()
        try BatchFixtures.png(root + "/in/a.png", seed: 1)
        try BatchFixtures.text(root + "/in/notes.txt")
        try BatchFixtures.png(root + "/in/x/b.png", seed: 2)
        try BatchFixtures.png(root + "/in/x/y/c.png", seed: 3)
        return root
    }

    static func run(_ arguments: [String], into output: String, console: CapturedConsole = CapturedConsole(),
                    _ configure: (inout BatchConfiguration) -> Void = { _ in },
                    job configureJob: (inout ApplyJob) -> Void = { _ in }) -> BatchSummary {
        var job = ApplyJob(outputDirectory: output)
        configureJob(&job)
        var configuration = BatchConfiguration()
        configuration.recursive = true
        configure(&configuration)
        return BatchRun(job: job, arguments: arguments, configuration: configuration, console: console.console).run()
    }

    static func report(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    static let treeOutputs = ["a_c0.png", "a_c1.png", "x/b_c0.png", "x/b_c1.png", "x/y/c_c0.png", "x/y/c_c1.png"]

    @Test func processesATreeMirroringItsFolders() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let console = CapturedConsole()
        let summary = Self.run([root + "/in"], into: root + "/out", console: console) { $0.jobs = 2 }
        #expect(summary.processed == 3 && summary.skipped == 1 && summary.failed == 0 && summary.outputsWritten == 6)
        #expect(summary.exitStatus == 0)
        #expect(BatchFixtures.files(under: root + "/out") == Self.treeOutputs)
        #expect(console.output == "filterbank: note: skipped 1 file that is not PNG, JPEG or .npy (reportPath lists it)\n",
                "not a terminal: nothing but errors, and the files passed over")
        // Each output is the one a single-file run gives.
        let single = try ApplyJob(outputDirectory: root + "/single").run(input: root + "/in/x/y/c.png")
        for output in single.outputs {
            let name = (output as NSString).lastPathComponent
            #expect(FileManager.default.contentsEqual(atPath: output, andPath: root + "/out/x/y/" + name))
        }
    }

    @Test func progressOnANonTerminalEndsWithTheSummaryAndItsNotes() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let console = CapturedConsole()
        _ = Self.run([root + "/in"], into: root + "/out", console: console) {
            $0.progress = .always
            $0.recursive = false
        }
        let lines = console.lines
        #expect(lines.contains { $0.hasPrefix("filterbank: 1 processed, 1 skipped, 0 failed, 2 outputs written in ") },
                "\(lines)")
        #expect(lines.contains("filterbank: note: skipped 1 file that is not PNG, JPEG or .npy (reportPath lists it)"),
                "\(lines)")
        #expect(lines.contains("filterbank: note: 1 subfolder was not searched (use recursive)"), "\(lines)")
    }

    @Test func quietOnATerminalShowsOnlyErrors() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.text(root + "/in/broken.png", "garbage")
        let console = CapturedConsole(isTerminal: true)
        let summary = Self.run([root + "/in"], into: root + "/out", console: console) { $0.progress = .never }
        #expect(summary.failed == 1)
        #expect(console.lines.count == 1 && console.lines[0].hasPrefix("filterbank: error: \(root)/in/broken.png: "),
                "\(console.lines)")
        // The bar on a terminal: redrawn in place, cleared before the summary.
        let terminal = CapturedConsole(isTerminal: true)
        _ = Self.run([root + "/in"], into: root + "/out2", console: terminal)
        #expect(terminal.output.hasPrefix("\r\u{1B}[Kfilterbank: 0/4 files  0% ["), "\(terminal.output.debugDescription)")
        #expect(terminal.output.contains("\r\u{1B}[Kfilterbank: error: \(root)/in/broken.png: "))
        #expect(terminal.output.contains("\r\u{1B}[Kfilterbank: 3 processed, 1 skipped, 1 failed, 6 outputs written in "),
                "\(terminal.output.debugDescription)")
        #expect(terminal.output.hasSuffix(" s\nfilterbank: note: skipped 1 file that is not PNG, JPEG or .npy (reportPath lists it)\n"),
                "\(terminal.output.debugDescription)")
    }

    @Test func skipExistingResumesAnInterruptedRun() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let out = root + "/out"
        #expect(Self.run([root + "/in"], into: out).processed == 3)
        // As if killed before x/b.png was renamed into place.
        for name in ["x/b_c0.png", "x/b_c1.png"] { try FileManager.default.removeItem(atPath: out + "/" + name) }
        let again = Self.run([root + "/in"], into: out)
        #expect(again.failed == 2 && again.processed == 1, "existing outputs are refused by default")
        // Killed between the two renames of x/b.png's outputs: only the first is there.
        try FileManager.default.removeItem(atPath: out + "/x/b_c1.png")
        let resumed = Self.run([root + "/in"], into: out) {
            $0.skipExisting = true
            $0.reportPath = root + "/report.jsonl"
        }
        #expect(resumed.processed == 1 && resumed.skipped == 3 && resumed.failed == 0)
        #expect(BatchFixtures.files(under: out) == Self.treeOutputs)
        let lines = try Self.report(root + "/report.jsonl")
        let reasons = lines.compactMap { $0["reason"] as? String }.sorted()
        #expect(reasons == ["not a PNG, JPEG or .npy file", "outputs exist (skipExisting)", "outputs exist (skipExisting)"])
        #expect(lines.first { $0["status"] as? String == "ok" }?["path"] as? String == root + "/in/x/b.png")
    }

    @Test func failFastStartsNothingAfterTheFirstFailure() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.text(root + "/in/0-broken.png", "garbage")   // sorts first
        let report = root + "/report.jsonl"
        let summary = Self.run([root + "/in"], into: root + "/out") {
            $0.failFast = true
            $0.jobs = 1
            $0.reportPath = report
        }
        #expect(summary.failed == 1 && summary.processed == 0 && summary.notStarted == 4)
        #expect(summary.exitStatus == 1)
        #expect(summary.line().hasSuffix("; 4 not started (failFast)"))
        let lines = try Self.report(report)
        #expect(lines.count == 5)
        #expect(lines.filter { $0["reason"] as? String == "not started (failFast)" }.count == 4)
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        // Without it, the others still complete.
        let all = Self.run([root + "/in"], into: root + "/out") { $0.jobs = 1 }
        #expect(all.failed == 1 && all.processed == 3 && all.exitStatus == 1)
    }

    @Test func warningsPassByDefaultAndFailUnderFailOnWarning() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        let source = CodecFixtures.path(CodecFixtures.crashers + "/empty_ancillary_chunks.png")
        try FileManager.default.copyItem(atPath: source, toPath: root + "/w.png")
        let passing = Self.run([root + "/w.png"], into: root + "/out") { $0.reportPath = root + "/a.jsonl" }
        #expect(passing.processed == 1)
        let line = try #require(try Self.report(root + "/a.jsonl").first)
        #expect((line["warnings"] as? [String])?.joined().contains("bKGD") == true, "\(line)")

        let console = CapturedConsole()
        let failing = Self.run([root + "/w.png"], into: root + "/strict", console: console,
                               { $0.reportPath = root + "/b.jsonl" }, job: { $0.input.failOn = .warning })
        #expect(failing.failed == 1)
        #expect(console.output.contains("codec warning:") && console.output.contains("bKGD"), "\(console.output)")
        #expect(BatchFixtures.files(under: root + "/strict").isEmpty, "a failed input leaves no output")
        let failed = try #require(try Self.report(root + "/b.jsonl").first)
        #expect(failed["status"] as? String == "failed")
    }

    /// Baseline (cut while streaming rows) and progressive (read whole when opened).
    @Test(arguments: ["testimgint.jpg", "testimgp.jpg"])
    func aTruncatedJPEGFailsUnlessFailOnError(_ name: String) throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        let cut = try CodecFixtures.truncatedCopy(of: CodecFixtures.path(CodecFixtures.jpegSuite + "/" + name),
                                                  fraction: 0.6, in: root)
        let console = CapturedConsole()
        let strict = Self.run([cut], into: root + "/default", console: console)
        #expect(strict.failed == 1)
        #expect(console.output.contains("truncated"), "\(console.output)")
        #expect(BatchFixtures.files(under: root + "/default").isEmpty)

        let lenient = Self.run([cut], into: root + "/lenient", { $0.reportPath = root + "/r.jsonl" },
                               job: { $0.input.failOn = .error })
        #expect(lenient.processed == 1 && lenient.outputsWritten == 6)
        let line = try #require(try Self.report(root + "/r.jsonl").first)
        #expect((line["warnings"] as? [String])?.joined().contains("Premature end of JPEG file") == true, "\(line)")

        let warning = Self.run([cut], into: root + "/warning", job: { $0.input.failOn = .warning })
        #expect(warning.failed == 1)
    }

    @Test func maxPixelsRefusesFromTheHeader() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/small.png", width: 8, height: 6)   // 48 pixels
        try NpyFile.write(Tensor(shape: TensorShape(batch: 2, height: 4, width: 4, channels: 3),
                                 values: Array(repeating: 0.5, count: 96)), to: root + "/in/batch.npy")
        let console = CapturedConsole()
        let summary = Self.run([root + "/in"], into: root + "/out", console: console, job: { $0.input.maxPixels = 31 })
        #expect(summary.failed == 2 && summary.processed == 0)
        #expect(console.output.contains("small.png: PNG decode failed: image too large"), "\(console.output)")
        #expect(console.output.contains("batch.npy: array too large: shape [2, 4, 4, 3] holds 32 pixels, "
                                        + "over the limit of 31 (input.maxPixels)"), "\(console.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        let enough = Self.run([root + "/in"], into: root + "/out", job: { $0.input.maxPixels = 48 })
        #expect(enough.processed == 2)
    }

    @Test func allShardsTogetherAreTheUnshardedRun() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        for i in 0..<12 { try BatchFixtures.png(root + "/in/d\(i % 3)/img\(i).png", seed: i) }
        let whole = Self.run([root + "/in/**/*.png"], into: root + "/whole")
        #expect(whole.processed == 12)
        var processed = 0
        for k in 0..<4 {
            let part = Self.run([root + "/in/**/*.png"], into: root + "/sharded") { $0.shard = try? Shard(index: k, count: 4) }
            #expect(part.failed == 0 && part.notes.last?.hasPrefix("shard \(k)/4: ") == true)
            processed += part.processed
        }
        #expect(processed == 12)
        let files = BatchFixtures.files(under: root + "/whole")
        #expect(files.count == 24)
        #expect(BatchFixtures.files(under: root + "/sharded") == files)
        for file in files {
            #expect(FileManager.default.contentsEqual(atPath: root + "/whole/" + file, andPath: root + "/sharded/" + file))
        }
    }

    @Test func aCollidingRunIsRefusedBeforeAnythingRuns() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/x/a.png")
        let console = CapturedConsole()
        let summary = Self.run([root + "/in/a.png", root + "/in/x/a.png"], into: root + "/out", console: console) {
            $0.reportPath = root + "/report.jsonl"
        }
        #expect(summary.exitStatus == 64)
        #expect(console.lines == ["filterbank: error: \(root)/in/a.png and \(root)/in/x/a.png would both write "
                                  + "\(root)/out/a_c{channel}.png; give a folder holding both (outputs then mirror its "
                                  + "subfolders), or run them separately"])
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        #expect(!FileManager.default.fileExists(atPath: root + "/report.jsonl"))
        // Given as their folder, they mirror apart.
        #expect(Self.run([root + "/in"], into: root + "/out").processed == 4)
    }

    @Test func inputsFromAListFile() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.text(root + "/list.txt", "\(root)/in/x/b.png\n\(root)/in/notes.txt\n")
        let summary = Self.run([root + "/in/a.png"], into: root + "/out") { $0.listFile = root + "/list.txt" }
        #expect(summary.processed == 2 && summary.skipped == 1)
        #expect(BatchFixtures.files(under: root + "/out") == ["a_c0.png", "a_c1.png", "b_c0.png", "b_c1.png"])
        let console = CapturedConsole()
        let missing = Self.run([], into: root + "/out", console: console) { $0.listFile = root + "/nope.txt" }
        #expect(missing.exitStatus == 1)
        #expect(console.lines == ["filterbank: error: \(root)/nope.txt: no such file"])
    }

    /// `--map-scope batch` needs the whole run's statistics: the run measures every input first.
    @Test func batchScopeMeasuresTheWholeRunFirst() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        for i in 0..<3 { try BatchFixtures.png(root + "/in/i\(i).png", seed: i) }
        let summary = Self.run([root + "/in"], into: root + "/out", job: {
            $0.mapping.mode = .minmax
            $0.mapping.scope = .batch
        })
        #expect(summary.processed == 3 && summary.failed == 0)
        // Shards measure every input, not only their own, so they map alike.
        for k in 0..<2 {
            let shard = Self.run([root + "/in"], into: root + "/shard", { $0.shard = try? Shard(index: k, count: 2) },
                                 job: {
                                     $0.mapping.mode = .minmax
                                     $0.mapping.scope = .batch
                                 })
            #expect(shard.failed == 0)
        }
        let files = BatchFixtures.files(under: root + "/out")
        #expect(files.count == 6 && BatchFixtures.files(under: root + "/shard") == files)
        for file in files {
            #expect(FileManager.default.contentsEqual(atPath: root + "/out/" + file, andPath: root + "/shard/" + file))
        }
        // Compared with each image stretched alone, the shared range changes some image's pixels.
        let alone = Self.run([root + "/in"], into: root + "/alone", job: {
            $0.mapping.mode = .minmax
            $0.mapping.scope = .image
        })
        #expect(alone.processed == 3)
        #expect(files.contains { !FileManager.default.contentsEqual(atPath: root + "/out/" + $0, andPath: root + "/alone/" + $0) })
    }

    @Test func manyInputsOnTwoWorkers() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        for i in 0..<24 { try BatchFixtures.png(root + "/in/p\(i).png", seed: i) }
        let summary = Self.run([root + "/in"], into: root + "/out") { $0.jobs = 2 }
        #expect(summary.processed == 24 && summary.outputsWritten == 48)
        #expect(BatchFixtures.files(under: root + "/out").count == 48)
    }
}
