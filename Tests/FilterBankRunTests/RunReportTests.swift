import Dispatch
import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
@testable import FilterBankRun

@Suite("RunReport: one JSON line per input; the summary")
struct RunReportTests {
    static func parse(_ line: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any], "not an object: \(line)")
    }

    @Test func anOKLineHasEveryField() throws {
        let outcome = InputOutcome(path: "in/a.png", status: .ok, outputs: ["out/a_c0.png", "out/a_c1.png"], size: 1234,
                                   shape: [1, 6, 8, 1], milliseconds: 17, warnings: ["iCCP: known incorrect sRGB profile"])
        // Keys sorted, so that the same outcome always gives the same line.
        #expect(outcome.jsonLine == #"{"ms":17,"outputs":["out/a_c0.png","out/a_c1.png"],"path":"in/a.png","#
                + #""shape":[1,6,8,1],"size":1234,"status":"ok","warnings":["iCCP: known incorrect sRGB profile"]}"#)
        let object = try Self.parse(outcome.jsonLine)
        #expect(object["status"] as? String == "ok")
        #expect(object["outputs"] as? [String] == ["out/a_c0.png", "out/a_c1.png"])
        #expect(object["shape"] as? [Int] == [1, 6, 8, 1])
    }

    @Test func failedAndSkippedLinesSayWhy() throws {
        let failed = try Self.parse(InputOutcome(path: "x.jpg", status: .failed, message: "JPEG decode failed: bad").jsonLine)
        #expect(failed["error"] as? String == "JPEG decode failed: bad")
        #expect(failed["reason"] == nil && failed["size"] == nil && failed["shape"] == nil && failed["warnings"] == nil)
        #expect(failed["outputs"] as? [String] == [])
        let skipped = try Self.parse(InputOutcome(path: "n.txt", status: .skipped, message: "not a PNG, JPEG or .npy file").jsonLine)
        #expect(skipped["reason"] as? String == "not a PNG, JPEG or .npy file")
        #expect(skipped["error"] == nil)
    }

    /// Quotes, backslashes, control characters and non-ASCII survive a JSON parser.
    @Test func stringsAreEscaped() throws {
        let path = "we\"ird\\name\n\t\u{1}\u{7F}é🙂.png"
        let line = InputOutcome(path: path, status: .failed, message: "line1\r\nline2").jsonLine
        #expect(!line.contains("\n"))
        let object = try Self.parse(line)
        #expect(object["path"] as? String == path)
        #expect(object["error"] as? String == "line1\r\nline2")
    }

    /// Lines written from many threads are each whole.
    @Test func concurrentAppendsKeepLinesWhole() throws {
        let directory = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(directory) }
        let path = directory + "/report.jsonl"
        let report = try RunReport(path: path)
        let long = String(repeating: "x", count: 5000)
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            try? report.append(InputOutcome(path: "\(i)/\(long)", status: .ok, outputs: ["o\(i)"], milliseconds: i))
        }
        report.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 200)
        let paths = try Set(lines.map { try Self.parse(String($0))["path"] as? String ?? "" })
        #expect(paths == Set((0..<200).map { "\($0)/\(long)" }))
        #expect(throws: FileError.self) { try report.append(InputOutcome(path: "late", status: .ok)) }
    }

    @Test func anUncreatableReportIsAnError() {
        let error = #expect(throws: FileError.self) { try RunReport(path: "/no/such/dir/report.jsonl") }
        #expect(error?.message.hasPrefix("cannot create the report") == true)
    }

    @Test func summaryLineAndExitStatus() {
        var summary = BatchSummary()
        #expect(summary.exitStatus == 0)
        summary.processed = 12
        summary.skipped = 3
        summary.outputsWritten = 72
        summary.seconds = 4.23
        #expect(summary.line() == "12 processed, 3 skipped, 0 failed, 72 outputs written in 4.2 s")
        summary.failed = 1
        summary.notStarted = 5
        #expect(summary.exitStatus == 1)
        #expect(summary.line().hasSuffix("; 5 not started (failFast)"))
        var flags = SettingNames()
        flags.failFast = "--fail-fast"
        #expect(summary.line(names: flags).hasSuffix("; 5 not started (--fail-fast)"))
        summary.refused = "a and b would both write out/x_c{channel}.png"
        #expect(summary.exitStatus == 64)
    }

    @Test(arguments: [(0.0, "0.0 s"), (0.04, "0.0 s"), (9.94, "9.9 s"), (9.96, "10 s"), (59.4, "59 s"),
                      (187, "3:07"), (3723, "1:02:03")])
    func durations(_ seconds: Double, _ text: String) {
        #expect(BatchSummary.duration(seconds) == text)
    }

    @Test func progressLine() {
        let bar = BatchProgress.line(phase: "", done: 37, total: 120, worked: 37.5, complete: 0.31, workRate: 100,
                                     remaining: 3400, seconds: 15.6, bar: true)
        #expect(bar == "37/120 files  31% [======>             ]  2.4 img/s  0:34 left")
        let plain = BatchProgress.line(phase: "measuring", done: 0, total: 4, worked: 0, complete: 0, workRate: 0,
                                       remaining: 10, seconds: 0.1, bar: false)
        #expect(plain == "measuring 0/4 files, 0%")
        #expect(BatchProgress.clock(3723) == "1:02:03")
        #expect(BatchProgress.clock(.infinity) == "--:--")
    }
}

@Suite struct MemoryBudgetTests {
    @Test func sizesParseAsBytesOrWithPowersOf1024() {
        #expect(MemoryBudget.parse("1073741824") == 1 << 30)
        #expect(MemoryBudget.parse("1G") == 1 << 30)
        #expect(MemoryBudget.parse("1GiB") == 1 << 30)
        #expect(MemoryBudget.parse("512m") == 512 << 20)
        #expect(MemoryBudget.parse("64K") == 64 << 10)
        #expect(MemoryBudget.parse("2T") == 2 << 40)
        for bad in ["", "G", "1.5G", "-1G", "1X", "99999999999999G", "١G"] { #expect(MemoryBudget.parse(bad) == nil, "\(bad)") }
    }
}
