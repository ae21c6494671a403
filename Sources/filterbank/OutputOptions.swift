import ArgumentParser
import FilterBankIO
import FilterBankKit

/// How output channels become files.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Output format: png (one grayscale PNG per channel) or npy (the float tensor).", valueName: "format"))
    var format: OutputFormat = .png

    func configure(_ job: inout ApplyJob) {
        job.format = format
    }
}

extension OutputFormat: ExpressibleByArgument {}
