import ArgumentParser
import FilterBankIO
import FilterBankKit

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Filter images with a bank and write every output channel.",
        discussion: """
            Inputs are .png, .jpg/.jpeg (decoded to [1, H, W, C] in [0, 1]) and .npy ([H, W, C] or \
            [N, H, W, C], float32/float64/uint8, used as they are).

            Without --bank or --depthwise the bank is the built-in `edges`: Sobel x \
            [[-1,0,1],[-2,0,2],[-1,0,1]] and Sobel y (its transpose) on every channel (M = 2), so an RGB \
            photo gives 6 outputs: c0 = R x-gradient, c1 = R y-gradient, c2 = G x, ...

            Outputs (OUTDIR is created when missing):
              --format png  OUTDIR/<stem>_c<k>.png: one 8-bit grayscale PNG per
                            output channel k, zero-padded (_c0.._c5, _c00..);
                            <stem>_n<i>_c<k>.png for a batch. Pixel =
                            round(clamp(v, 0, 1) * 255): negatives are black.
              --format npy  OUTDIR/<stem>.npy: the float32 output tensor
                            [N, H_out, W_out, K].

            Examples:
              filterbank apply SampleImages/jpeg-baseline-444-rocket.jpg -o out
              filterbank apply a.png b.jpg -o out --bank sep.json --strides 2
              filterbank apply img.npy -o out --depthwise dw.npy --format npy
              filterbank apply img.png -o out --bank bank.json --padding 1,1,2,2

            A file that fails prints one line naming it and the problem; the other inputs still run, \
            and the exit status is 1. Usage errors exit with 64.
            """
    )

    @Argument(help: ArgumentHelp("Input files: .png, .jpg, .jpeg or .npy.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Directory for the outputs (created when missing).", valueName: "outdir"))
    var outputDirectory: String

    @OptionGroup(title: "Filter bank")
    var bankOptions: BankOptions

    @Option(help: ArgumentHelp("Output format: png (one grayscale PNG per channel) or npy (the float tensor).", valueName: "format"))
    var format: OutputFormat = .png

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
    }

    func run() throws {
        let source: BankSource
        do {
            source = try bankOptions.source()
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let job = ApplyJob(bank: source, strides: bankOptions.strides?.value, dilations: bankOptions.dilations?.value,
                           padding: bankOptions.padding?.value, format: format, outputDirectory: outputDirectory)
        var failures = 0
        for input in inputs {
            do {
                _ = try job.run(input: input)
            } catch {
                failures += 1
                printError(error.description)
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// One line on standard error: `filterbank: error: <message>`.
func printError(_ message: String) {
    var stderrStream = StandardError()
    print("filterbank: error: \(message)", to: &stderrStream)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { fputs(string, stderr) }
}
