import FilterBankKit

/// What the job writes for each input.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// One 8-bit grayscale PNG per output channel: `<stem>_c<k>.png`.
    case png
    /// The whole float32 output tensor `[N, H_out, W_out, K]`: `<stem>.npy`.
    case npy
}

/// The whole per-file job: file -> decode -> tensor -> bank -> output planes
/// -> encode -> files. The command line only builds one of these and calls
/// `run(input:)` for each input.
public struct ApplyJob: Sendable {
    public var bank: BankSource
    /// Command-line overrides; `nil` keeps the bank file's value (or the default).
    public var strides: HeightWidth?
    public var dilations: HeightWidth?
    public var padding: Padding?
    public var format: OutputFormat
    public var outputDirectory: String

    public init(bank: BankSource = .edges, strides: HeightWidth? = nil, dilations: HeightWidth? = nil,
                padding: Padding? = nil, format: OutputFormat = .png, outputDirectory: String) {
        self.bank = bank
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.format = format
        self.outputDirectory = outputDirectory
    }

    /// The bank this job applies to an input with `channels` channels.
    public func filterBank(channels: Int) throws(FilterBankError) -> FilterBank {
        try bank.resolve(channels: channels, strides: strides, dilations: dilations, padding: padding)
    }

    /// Runs the job on one input and returns the paths it wrote.
    ///
    /// The input streams through the engine in bands of rows (see
    /// `BandedConvolution`): peak memory follows the band height and the image
    /// width, not the image height. Every failure is a `FileError` naming the
    /// input (or the output it could not write). Outputs are written under
    /// temporary names and renamed into place only when all of them are
    /// complete, so they appear all together or not at all.
    public func run(input path: String) throws(FileError) -> [String] {
        let source = try InputFile.openRows(path: path)
        let engine: ConvolutionEngine
        do {
            engine = try ConvolutionEngine(input: source.shape, bank: filterBank(channels: source.shape.channels))
        } catch {
            throw FileError(path: path, message: error.description)
        }
        let output = engine.plan.output
        try AtomicFile.createDirectory(outputDirectory)
        let stem = OutputNaming.stem(of: path)
        let staged = StagedFiles()
        let sink: any OutputSink
        switch format {
        case .npy:
            let target = join(outputDirectory, OutputNaming.tensorFileName(stem: stem))
            try refuseOverwritingInput(target, input: path)
            sink = try TensorNpySink(shape: output, path: target, staged: staged)
        case .png:
            var targets: [String] = []
            for n in 0..<output.batch {
                for k in 0..<output.channels {
                    let name = OutputNaming.channelFileName(stem: stem, channel: k, channelCount: output.channels,
                                                            batch: n, batchCount: output.batch, fileExtension: "png")
                    targets.append(join(outputDirectory, name))
                }
            }
            for target in targets { try refuseOverwritingInput(target, input: path) }
            let channels = output.channels
            sink = ChannelPNGSink(shape: output, compression: .fast, staged: staged) { n, k in targets[n * channels + k] }
        }
        let runner = BandedConvolution(engine: engine)
        for n in 0..<output.batch {
            try sink.beginImage(n)
            try runner.run(fill: { (count, destination) throws(FileError) in try source.readRows(count, into: destination) },
                           consume: { (rows, values) throws(FileError) in try sink.write(rows: rows, values: values) })
            try sink.endImage()
        }
        return try sink.commit()
    }

    private func refuseOverwritingInput(_ target: String, input: String) throws(FileError) {
        if FilePaths.sameFile(target, input) {
            throw FileError(path: input, message: "output \(target) would overwrite this input; choose another output directory")
        }
    }

    private func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
