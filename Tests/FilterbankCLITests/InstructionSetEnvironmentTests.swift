import Foundation
import Testing

/// `FILTERBANK_ISA` forces the engine's instruction-set level; a value that
/// names no level, or one this CPU lacks, warns on one line and runs the best
/// level the CPU has.
@Suite struct InstructionSetEnvironmentTests {
    func run(isa: String, into out: URL) throws -> RunResult {
        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = ["apply", sample("jpeg-baseline-444-rocket.jpg"), "-o", out.path]
        var environment = ProcessInfo.processInfo.environment
        environment["FILTERBANK_ISA"] = isa
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test(arguments: ["sse2", "avx2", "avx512", "AVX512", "bogus"])
    func everyValueRuns(_ isa: String) throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try run(isa: isa, into: out)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).count == 6)
        if isa == "bogus" {
            #expect(result.stderr.hasPrefix("filterbank: FILTERBANK_ISA=bogus is not a level (sse2, avx2, avx512); using "))
        }
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count <= 1, "at most one line of warning: \(result.stderr)")
    }
}
