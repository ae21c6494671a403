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
              --format png  OUTDIR/<stem>_c<k>.png, one 8-bit grayscale PNG per output channel k
                            (zero-padded: _c0.._c5, _c00.._c23); <stem>_n<i>_c<k>.png for a batch.
                            Pixel = round(clamp(v, 0, 1) * 255): negative responses become black.
              --format npy  OUTDIR/<stem>.npy, the float32 output tensor [N, H_out, W_out, K].

            Examples:
              filterbank apply SampleImages/jpeg-baseline-444-rocket.jpg -o out
              filterbank apply a.png b.jpg -o out --bank separable.json --strides 2 --padding valid
              filterbank apply img.npy -o out --depthwise dw.npy --dilations 2,2 --format npy
              filterbank apply img.png -o out --bank bank.json --padding 1,1,2,2

            A file that fails prints one line naming it and the problem; the other inputs still run, \
            and the exit status is 1. Usage errors exit with 64.
            """
    )

    @Argument(help: ArgumentHelp("Input files: .png, .jpg, .jpeg or .npy.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Directory for the outputs (created when missing).", valueName: "outdir"))
    var outputDirectory: String

    @Option(help: ArgumentHelp("JSON bank file: {\"depthwise\": {\"shape\": [kh,kw,C,M], \"values\": [...]}, optional \"pointwise\", \"strides\", \"padding\", \"dilations\"}.", valueName: "bank.json"))
    var bank: String?

    @Option(help: ArgumentHelp("Depthwise filter as a .npy array [kh, kw, C, M] (TensorFlow layout).", valueName: "dw.npy"))
    var depthwise: String?

    @Option(help: ArgumentHelp("Pointwise filter as a .npy array [1, 1, C*M, O]; needs --depthwise.", valueName: "pw.npy"))
    var pointwise: String?

    @Option(help: ArgumentHelp("Strides SH,SW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "sh,sw"))
    var strides: HeightWidthArgument?

    @Option(help: ArgumentHelp("same, valid, or explicit pads T,B,L,R. Overrides the bank file. Default same.", valueName: "mode"))
    var padding: PaddingArgument?

    @Option(help: ArgumentHelp("Dilations DH,DW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "dh,dw"))
    var dilations: HeightWidthArgument?

    @Option(help: ArgumentHelp("Output format: png (one grayscale PNG per channel) or npy (the float tensor).", valueName: "format"))
    var format: OutputFormat = .png

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        if bank != nil && (depthwise != nil || pointwise != nil) {
            throw ValidationError("use either --bank or --depthwise/--pointwise, not both")
        }
        if pointwise != nil && depthwise == nil {
            throw ValidationError("--pointwise needs --depthwise")
        }
        if let bank, !bank.lowercased().hasSuffix(".json") {
            throw ValidationError("--bank takes a .json bank file, got '\(bank)'")
        }
    }

    func run() throws {
        let source: BankSource
        do {
            if let bank {
                source = .file(try BankFile.load(path: bank))
            } else if let depthwise {
                source = .file(try BankFile.loadNpy(depthwise: depthwise, pointwise: pointwise))
            } else {
                source = .edges
            }
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let job = ApplyJob(bank: source, strides: strides?.value, dilations: dilations?.value,
                           padding: padding?.value, format: format, outputDirectory: outputDirectory)
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

struct HeightWidthArgument: ExpressibleByArgument {
    let value: HeightWidth
    init?(argument: String) {
        guard let value = ArgumentValues.heightWidth(argument) else { return nil }
        self.value = value
    }
}

struct PaddingArgument: ExpressibleByArgument {
    let value: Padding
    init?(argument: String) {
        guard let value = ArgumentValues.padding(argument) else { return nil }
        self.value = value
    }
}

/// One line on standard error: `filterbank: error: <message>`.
func printError(_ message: String) {
    var stderrStream = StandardError()
    print("filterbank: error: \(message)", to: &stderrStream)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { fputs(string, stderr) }
}
