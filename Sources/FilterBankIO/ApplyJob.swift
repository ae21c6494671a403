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
    /// Every failure is a `FileError` naming the input (or the output it could
    /// not write). Each output file is written under a temporary name and
    /// renamed into place, so it is either complete or absent.
    public func run(input path: String) throws(FileError) -> [String] {
        let tensor = try InputFile.load(path: path)
        let output: Tensor
        do {
            let engine = try ConvolutionEngine(input: tensor.shape, bank: filterBank(channels: tensor.shape.channels))
            output = engine.apply(to: tensor)
        } catch {
            throw FileError(path: path, message: error.description)
        }
        try AtomicFile.createDirectory(outputDirectory)
        let stem = OutputNaming.stem(of: path)
        switch format {
        case .npy:
            let target = join(outputDirectory, OutputNaming.tensorFileName(stem: stem))
            try refuseOverwritingInput(target, input: path)
            try NpyFile.write(output, to: target)  // atomic itself
            return [target]
        case .png:
            return try writeChannelPNGs(output, stem: stem, input: path)
        }
    }

    private func writeChannelPNGs(_ output: Tensor, stem: String, input: String) throws(FileError) -> [String] {
        let shape = output.shape
        var written: [String] = []
        for n in 0..<shape.batch {
            for k in 0..<shape.channels {
                let name = OutputNaming.channelFileName(stem: stem, channel: k, channelCount: shape.channels,
                                                        batch: n, batchCount: shape.batch, fileExtension: "png")
                let target = join(outputDirectory, name)
                try refuseOverwritingInput(target, input: input)
                let plane = PixelMapping.clampPlane(output, batch: n, channel: k)
                try AtomicFile.write(to: target) { temporary in
                    do {
                        try plane.withUnsafeBufferPointer { samples in
                            try PNGEncoder.writeGray(samples, width: shape.width, height: shape.height, to: temporary)
                        }
                    } catch let error as ImageError {
                        throw FileError(error)  // names the temporary path; AtomicFile renames it to `target`
                    }
                }
                written.append(target)
            }
        }
        return written
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
