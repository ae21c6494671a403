import ArgumentParser
import FilterBankIO
import FilterBankKit
import FilterBankRun

/// What is done to decoded images before filtering.
struct InputOptions: ParsableArguments {
    @Flag(name: .customLong("no-orient"), help: "Keep a JPEG's stored pixel order instead of applying its EXIF orientation.")
    var noOrient = false

    @Option(help: ArgumentHelp("keep an alpha channel as a channel of its own (default) or drop it.", valueName: "keep|drop"))
    var alpha: InputTransforms.Alpha = .keep

    @Flag(help: "Convert colour input to one luma channel (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) before filtering.")
    var gray = false

    func configure(_ job: inout ApplyJob) {
        job.input.transforms = InputTransforms(orient: !noOrient, alpha: alpha, gray: gray)
    }
}

extension InputTransforms.Alpha: ExpressibleByArgument {}
