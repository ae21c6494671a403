import Foundation
import Testing
@testable import FilterBankRun
import FilterBankIO
import FilterBankTestSupport

/// After an interrupt the bar is cleared and never drawn again; a rerun with
/// the same report file keeps the earlier records.
@Suite struct TerminalAndReportTests {
    @Test func anInterruptLeavesTheCursorOnAFreshLine() {
        let console = CapturedConsole(isTerminal: true)
        let progress = BatchProgress(console: console.console, mode: .automatic)
        progress.begin("", total: 4, weight: 400)
        progress.started(slot: 0, weight: 100)
        progress.advanced(slot: 0, fraction: 0.5)
        #expect(console.output.contains("0/4 files"), "the bar is drawn: \(console.output.debugDescription)")
        progress.interrupted("interrupted by SIGINT")
        let atInterrupt = console.output
        #expect(atInterrupt.hasSuffix("\r\u{1B}[Kfilterbank: error: interrupted by SIGINT\n"), "\(atInterrupt.debugDescription)")
        // Workers still finishing, an error from one of them, a new phase: no bar any more.
        progress.advanced(slot: 0, fraction: 1)
        progress.finished(slot: 0, worked: true)
        progress.begin("", total: 4, weight: 400)
        progress.error("late")
        #expect(console.output == atInterrupt + "filterbank: error: late\n", "\(console.output.debugDescription)")
    }

    @Test func aReportIsAppendedToNeverTruncated() throws {
        try BankIOTestSupport.withTemporaryDirectory { dir in
            let path = dir + "/run.jsonl"
            for (i, name) in ["a.png", "b.png"].enumerated() {
                let report = try RunReport(path: path)
                try report.append(InputOutcome(path: name, status: .ok, outputs: ["\(i)"]))
                report.close()
            }
            // A line cut short by a killed writer: the next run starts on a line of its own.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"path\":\"c".utf8))
            try handle.close()
            let report = try RunReport(path: path)
            try report.append(InputOutcome(path: "d.png", status: .skipped, message: "outputs exist"))
            report.close()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            #expect(lines[0].contains("\"a.png\"") && lines[1].contains("\"b.png\"") && lines[3].contains("\"d.png\""), "\(lines)")
            #expect(lines[2] == "{\"path\":\"c")
        }
    }
}
