import ArgumentParser
import FilterBankIO
import FilterBankRun
import FilterBankKit

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Filter images with a bank and write every output channel.",
        discussion: """
            Inputs: .png, .jpg/.jpeg (decoded to [1, H, W, C] in [0, 1]; EXIF orientation applied) and \
            .npy ([H, W, C] or [N, H, W, C], float32/float64/uint8, used as they are); folders and quoted \
            patterns too (see Batch).

            The bank: --bank FILE|NAME, --depthwise/--pointwise arrays, or --kernel SPEC (repeatable). \
            Without any, the built-in `edges`: Sobel x [[-1,0,1],[-2,0,2],[-1,0,1]] and Sobel y (its \
            transpose) on every channel (M = 2), so an RGB photo gives 6 outputs: c0 = R x-gradient, \
            c1 = R y-gradient, c2 = G x, ... Output channel k = c*M + m is input channel c through kernel m.

            Standard streams: - as the input reads one image from standard input (its format from its \
            bytes; outputs named stdin_c<k>); -o - writes the one output to standard output (one channel, \
            or the --montage sheet alone), e.g. filterbank apply - -o - --kernel log:2 --gray < in.jpg > out.png.

            Outputs (OUTDIR is created when missing):
              --format png   OUTDIR/<stem>_c<k>.png: one grayscale PNG per output
                             channel k, zero-padded (_c0.._c5, _c00..);
                             <stem>_n<i>_c<k>.png for a batch. The default
                             --map auto puts 0 at mid-grey for kernels with
                             both signs (Sobel): round(127.5 * (1 + v / max|v|));
                             a kernel with no negative weight is clamped:
                             round(clamp(v, 0, 1) * 255).
              --format jpeg  the same as grayscale JPEGs.
              --format npy   OUTDIR/<stem>.npy: the float32 output tensor
                             [N, H_out, W_out, K].

            Examples:
              filterbank apply SampleImages -o out
              filterbank apply a.png b.jpg -o out --bank sep.json --strides 2
              filterbank apply img.jpg -o out --kernel sobel-x --kernel log:2 --map abs
              filterbank apply img.jpg -o out --bank gabor:8 --montage 'sheets/{stem}.png'
              filterbank apply img.npy -o out --depthwise dw.npy --format npy
              filterbank apply photos -r -o out --skip-existing --report run.jsonl

            A file that fails prints one line naming it and the problem; the other inputs \
            still run, and the exit status is 1. Usage errors exit with 64.
            """
    )

    @Argument(help: ArgumentHelp("Input files (.png, .jpg, .jpeg, .npy), folders or quoted patterns; - reads one image from standard input.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Directory for the outputs (created when missing); - writes the one output to standard output.", valueName: "outdir"))
    var outputDirectory: String

    @OptionGroup(title: "Filter bank")
    var bankOptions: BankOptions

    @OptionGroup(title: "Input")
    var inputOptions: InputOptions

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

    @OptionGroup(title: "Batch")
    var batchOptions: BatchOptions

    func validate() throws {
        guard !inputs.isEmpty || batchOptions.providesInputs else {
            throw ValidationError("give at least one input file")
        }
        if inputs.contains("-") && batchOptions.from == "-" {
            throw ValidationError("standard input is read once: use either - as an input or --from -, not both")
        }
        if outputDirectory == "-" {
            guard inputs.count == 1, batchOptions.from == nil else {
                throw ValidationError("-o - writes one output to standard output: give one input file (or - for standard input), got \(inputs.count + (batchOptions.from == nil ? 0 : 1)) input arguments")
            }
            if outputOptions.stats { throw ValidationError("-o - writes one output to standard output: --stats would add a second") }
            if batchOptions.report == "-" { throw ValidationError("-o - and --report - cannot both write to standard output") }
        }
    }

    func run() throws {
        let source: BankSource
        do {
            source = try bankOptions.source()
        } catch {
            // The bank is the same for every input: a bank that does not load is a usage error, said once.
            printError(error.description)
            throw ExitCode.validationFailure
        }
        var job = ApplyJob(bank: source, geometry: bankOptions.geometry, outputDirectory: outputDirectory)
        job.names = .commandLine
        inputOptions.configure(&job)
        outputOptions.configure(&job)
        if let problem = job.outputCountProblem() {
            printError(problem)
            throw ExitCode(64)
        }
        let status = batchOptions.run(job, inputs: inputs)
        if status != 0 { throw ExitCode(status) }
    }
}

/// One line on standard error: `filterbank: error: <message>`.
func printError(_ message: String) {
    OpenFile.writeToStandardError("filterbank: error: \(message)\n")
}

extension SettingNames {
    /// The flags that set what the library's messages name.
    static let commandLine: SettingNames = {
        var names = SettingNames()
        names.overwrite = "--overwrite"
        names.skipExisting = "--skip-existing"
        names.failOnWarning = "--fail-on warning"
        names.failFast = "--fail-fast"
        names.recursive = "--recursive"
        names.maxPixels = "--max-pixels"
        names.maxMemory = "--max-memory"
        names.batchScope = "--map-scope batch"
        names.nameTemplate = "--name template"
        names.montagePath = "--montage path"
        names.maxOutputs = "--max-outputs"
        names.channels = "--channels"
        names.layoutChoice = "give --layout tf or --layout torch"
        names.layoutTorch = "--layout torch"
        names.gray = "--gray"
        names.report = "--report"
        names.listFromStandardInput = "--from -"
        names.standardOutput = "-o -"
        names.alphaDrop = "--alpha drop"
        return names
    }()
}
