import ArgumentParser
import Testing
@testable import filterbank

/// Usage errors of the whole command line, `filterbank <subcommand> ...`,
/// parsed in-process through `Filterbank.parseAsRoot` as `main` does: unknown
/// subcommands and options, and each subcommand's own errors reached from the root.
@Suite struct FilterbankUsageTests {
    static func usageError(_ arguments: [String]) -> (message: String, code: Int32)? {
        UsageErrors.parseAsRoot(arguments)
    }

    @Test(arguments: [
        (["aply"], "Unexpected argument 'aply'"),
        (["run"], "Unexpected argument 'run'"),
        (["aply", "in.png"], "2 unexpected arguments: 'aply', 'in.png'"),
        // A misspelt subcommand leaves its options to the root, which names the first of them.
        (["aply", "in.png", "-o", "out"], "Unknown option '-o'"),
        (["--bank", "edges"], "Unknown option '--bank'"),
        (["-o", "out", "apply", "in.png"], "Unknown option '-o'"),
        (["apply"], "Missing expected argument '--output <outdir>'"),
        (["apply", "-o", "out"], "give at least one input file"),
        (["apply", "in.png", "-o", "out", "--jobs", "0"], "--jobs must be at least 1, got 0"),
        (["apply", "in.png", "-o", "out", "--format", "jpeg", "--bit-depth", "16"], "--format jpeg is 8-bit only; use png for --bit-depth 16"),
        (["apply", "in.png", "-o", "out", "--pointwise", "p.npy"], "--pointwise needs --depthwise"),
        (["apply", "in.png", "-o", "out", "--strides", "1,2,3"], "The value '1,2,3' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        // swift-argument-parser suggests the closest long option within an edit distance of 3.
        (["apply", "in.png", "-o", "out", "--json"], "Unknown option '--json'. Did you mean '--from'?"),
        (["inspect", "--input", "a.png", "--input-shape", "1x1x1"], "use either --input or --input-shape, not both"),
        (["inspect", "a.png"], "Unexpected argument 'a.png'"),
        (["kernels", "sobelx"], "'sobelx': unknown kernel 'sobelx' (did you mean 'sobel-x'?); 'filterbank kernels' lists them all"),
        (["kernels", "--all", "sobel-x"], "Unknown option '--all'"),
        // validate() runs before an unknown option is reported, and the option's value became a spec.
        (["kernels", "--bank", "edges"], "'edges': unknown kernel 'edges'; 'filterbank kernels' lists them all"),
    ] as [([String], String)])
    func usageErrors(_ arguments: [String], _ message: String) throws {
        let error = try #require(Self.usageError(arguments), "\(arguments) parsed")
        #expect(error.message == message)
        #expect(error.code == UsageErrors.exitCode)
    }

    @Test func subcommandsParse() throws {
        let apply = try #require(try Filterbank.parseAsRoot(["apply", "a.png", "b.jpg", "-o", "out", "--strides", "2,1"]) as? Apply)
        #expect(apply.inputs == ["a.png", "b.jpg"] && apply.bankOptions.strides?.value.height == 2)
        #expect(try Filterbank.parseAsRoot(["inspect", "--bank", "compass"]) is Inspect)
        #expect(try Filterbank.parseAsRoot(["kernels", "sobel-x"]) is Kernels)
        // No subcommand is not an error: main prints the help.
        #expect(try Filterbank.parseAsRoot([]) is Filterbank)
    }

    /// Help, at any level, is no usage error: `parseAsRoot` gives swift-argument-parser's help
    /// command, whose `run()` (all `main` does with it) throws the help text with exit status 0.
    @Test(arguments: [
        (["--help"], "SUBCOMMANDS"),
        (["help", "apply"], "--max-pixels"),
        (["apply", "--help"], "--max-pixels"),
        (["inspect", "-h"], "--input-shape"),
        (["kernels", "--help"], "Spec grammar"),
    ] as [([String], String)])
    func helpIsNotAUsageError(_ arguments: [String], _ fragment: String) throws {
        #expect(Self.usageError(arguments) == nil)
        var command = try Filterbank.parseAsRoot(arguments)
        try #require(String(describing: type(of: command)) == "HelpCommand", "\(arguments) gave \(type(of: command))")
        let error = try #require(throws: (any Error).self) { try command.run() }
        #expect(Filterbank.exitCode(for: error) == .success)
        #expect(Filterbank.message(for: error).contains(fragment), "\(arguments)")
    }
}
