import ArgumentParser
import FilterBankIO
import FilterBankRun
import FilterBankKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a bank without running it: shapes, pads, channel map, cost, separability.",
        discussion: """
            Takes the same bank options as apply. For an input (--input reads only an image's \
            header; --input-shape HxWxC needs no file) it prints the resolved bank: kind, filter \
            shapes, strides, dilations, effective kernel, padding mode and the pads per side, and the \
            output size; the output channel of every file apply would write (k = c*M + m: input \
            channel c, kernel m); parameters and multiply-accumulates of a standard convolution \
            with the same input and output channels, of the depthwise and pointwise steps and of \
            their sum, with the ratio; and for each depthwise kernel whether it factors into a \
            column and a row kernel (rank 1), with the relative error.

            Without an input, pads, output size and multiply-accumulates are left out.

            Examples:
              filterbank inspect --bank sep.json --input-shape 5x5x3
              filterbank inspect --kernel sobel-x --kernel log:2 --input photo.jpg
              filterbank inspect --bank gabor:8 --input-shape 480x640x1 --json
            """
    )

    @OptionGroup(title: "Filter bank")
    var bankOptions: BankOptions

    @Option(help: ArgumentHelp("An input file (.png, .jpg, .jpeg or .npy) to plan for; of an image only the header is read.", valueName: "image"))
    var input: String?

    @Option(name: .customLong("input-shape"), help: ArgumentHelp("An input shape HxWxC (or NxHxWxC), e.g. 5x5x3.", valueName: "hxwxc"))
    var inputShape: ShapeArgument?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if input != nil && inputShape != nil { throw ValidationError("use either --input or --input-shape, not both") }
    }

    func run() throws {
        do throws(FileError) {
            if let bank = bankOptions.bank, bankOptions.layer == nil,
               case .file(let kind)? = try? BankOptions.bankKind(bank), kind == .npz || kind == .safetensors {
                // The layers a weight file holds, before (or instead of) the bank they make.
                let archive: WeightArchive
                do { archive = try WeightArchive.open(path: bank) } catch {
                    throw FileError(path: error.path, message: error.message, isUsageError: true)
                }
                let listing = WeightListing(archive: archive, layout: bankOptions.layout)
                if let problem = archive.selectionProblem(bankOptions.layers, layout: bankOptions.layout) {
                    // The names pick no one bank: the listing is the answer, with the reason.
                    print(json ? listing.json() : listing.text(note: BankOptions.naming(problem).description))
                    return
                }
                if !json { print(listing.text()) }
            }
            let source: BankSource
            do { source = try bankOptions.source() } catch {
                // No input makes a bank load: its failure is a usage error (64), as in apply.
                throw FileError(path: error.path, message: error.message, isUsageError: true)
            }
            let shape = try input.map { path throws(FileError) in try BankReport.inputShape(of: path) } ?? inputShape?.value
            let report: BankReport
            do {
                report = try BankReport(source: source, sourceName: bankOptions.displayName, input: shape,
                                        inputOrigin: input ?? (shape == nil ? nil : "--input-shape"),
                                        strides: bankOptions.strides?.value, dilations: bankOptions.dilations?.value,
                                        padding: bankOptions.padding?.value, border: bankOptions.border?.value ?? .zero,
                                        stem: input.map(OutputNaming.stem(of:)) ?? "<stem>")
            } catch {
                var message = error.description
                if case .ambiguousLayout = error {
                    message = message.replacing("state the layout: tf or torch", with: "give --layout tf or --layout torch")
                }
                throw FileError(path: input ?? bankOptions.bank ?? "input \(shape.map { "\($0)" } ?? "")", message: message,
                                isUsageError: { if case .ambiguousLayout = error { true } else { false } }())
            }
            print(json ? report.json() : report.text(inputHint: "--input IMAGE or --input-shape HxWxC"), terminator: json ? "\n" : "")
        } catch {
            printError(error.description)
            throw error.isUsageError ? ExitCode.validationFailure : ExitCode.failure
        }
    }
}

struct ShapeArgument: ExpressibleByArgument {
    let value: TensorShape
    init?(argument: String) {
        guard let value = BankReport.parseShape(argument) else { return nil }
        self.value = value
    }
}
