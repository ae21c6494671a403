import FilterBankIO
import Foundation
import FilterBankKit

/// What one input produced.
public struct ApplyResult: Sendable, Equatable {
    public let input: String
    /// The final paths written, in the order of `OutputFiles.all`.
    public let outputs: [String]
    /// The codec's warnings on a decode that succeeded.
    public let warnings: [String]
    public let inputShape: TensorShape
    public let outputShape: TensorShape
}

/// The whole per-file job: file -> decode -> tensor -> bank -> plan -> path
/// -> planes -> pixels -> encode -> files. Run it on an input with `prepare`
/// then `execute` (or `run` for both); a `BatchRun` runs it on many.
public struct ApplyJob: Sendable {
    public var bank: BankSource
    public var geometry: Geometry
    public var input = Input()
    public var output: Output
    public var mapping = Mapping()
    /// How error messages name the settings (the command line gives its flags).
    public var names = SettingNames()

    public init(bank: BankSource = .edges, geometry: Geometry = Geometry(), outputDirectory: String) {
        self.bank = bank
        self.geometry = geometry
        output = Output(directory: outputDirectory)
    }

    /// The bank this job applies to an input with `channels` channels.
    public func filterBank(channels: Int) throws(FilterBankError) -> FilterBank {
        try bank.resolve(channels: channels, strides: geometry.strides, dilations: geometry.dilations,
                         padding: geometry.padding, border: geometry.border)
    }

    /// An input whose header has been read and whose bank has been planned:
    /// its output paths are known and nothing has been written yet.
    public final class PreparedInput {
        public let path: String
        /// Where its outputs go (the job's folder, or a folder under it).
        public let outputDirectory: String
        public let outputs: OutputFiles
        public var inputShape: TensorShape { engine.plan.input }
        public var outputShape: TensorShape { engine.plan.output }
        let source: any RowSource
        let engine: ConvolutionEngine

        init(path: String, outputDirectory: String, outputs: OutputFiles, source: any RowSource, engine: ConvolutionEngine) {
            self.path = path
            self.outputDirectory = outputDirectory
            self.outputs = outputs
            self.source = source
            self.engine = engine
        }

        /// The same input, its rows read through `source` instead (which wraps this one's).
        func reading(through source: any RowSource) -> PreparedInput {
            PreparedInput(path: path, outputDirectory: outputDirectory, outputs: outputs, source: source, engine: engine)
        }
    }

    /// Opens `path` (header only), resolves and plans its bank, and names its
    /// outputs under `outputDirectory` (default: the job's).
    public func prepare(input path: String, outputDirectory: String? = nil) throws(FileError) -> PreparedInput {
        let directory = outputDirectory ?? output.directory
        let source = try InputRows.open(path: path, maxPixels: input.maxPixels, transforms: input.transforms,
                                        allowTruncated: input.failOn.acceptsTruncatedFiles)
        let engine: ConvolutionEngine
        do {
            engine = try ConvolutionEngine(input: source.shape, bank: filterBank(channels: source.shape.channels))
        } catch {
            throw FileError(path: path, error)
        }
        let shape = engine.plan.output
        let stem = OutputNaming.stem(of: path)
        func inFolder(_ name: String) -> String { PathText.join(directory, name) }
        let outputs = OutputFiles(
            channels: output.format == .npy ? []
                : try channelNames(stem: stem, plan: engine.plan, input: path)
                    .map { inFolder($0 + (output.format == .png ? ".png" : ".jpg")) },
            tensor: output.format == .npy ? inFolder(OutputNaming.tensorFileName(stem: stem)) : nil,
            montages: output.montage.map { montage in
                (0..<shape.batch).map {
                    // A bare file name goes beside the channel files (mirrored folders included); a path is taken as given.
                    let file = montagePath(montage.path, stem: stem, batch: $0, batchCount: shape.batch)
                    return file.contains("/") ? file : inFolder(file)
                }
            } ?? [],
            statistics: output.statistics ? inFolder(stem + ".json") : nil)
        return PreparedInput(path: path, outputDirectory: directory, outputs: outputs, source: source, engine: engine)
    }

    /// Runs a prepared input: streams it through the engine in bands of rows
    /// (see `BandedConvolution`; peak memory follows the band height and the
    /// image width, not the image height) into its outputs, which are written
    /// under temporary names and renamed into place only when all of them are
    /// complete: they appear all together or not at all.
    ///
    /// Refuses (before writing anything) an output that would replace the
    /// input itself, or an existing file unless `output.existing == .overwrite`;
    /// fails the input when `input.failOn` says its codec warnings fail it.
    public func execute(_ prepared: PreparedInput) throws(FileError) -> ApplyResult {
        let path = prepared.path
        let files = prepared.outputs
        for target in files.all {
            if FilePaths.sameFile(target, path) {
                throw FileError(path: path, message: "output \(target) would overwrite this input; choose another output directory")
            }
            if output.existing == .refuse && FilePaths.exists(target) {
                throw FileError(path: path, message: "output \(target) already exists (use \(names.overwrite) to replace it, or \(names.skipExisting))")
            }
        }
        try AtomicFile.createDirectory(prepared.outputDirectory)
        let shape = prepared.outputShape
        let mappings = try channelMappings(for: prepared)
        let staged = StagedFiles()
        var sinks: [any OutputSink] = []
        var images: ChannelImageSink?
        if let tensor = files.tensor {
            sinks.append(try TensorNpySink(shape: shape, path: tensor, staged: staged))
        } else {
            let sink = ChannelImageSink(shape: shape, format: output.format, encoding: output.encoding, paths: files.channels,
                                        staged: staged, measure: files.statistics != nil, mappings: mappings)
            images = sink
            sinks.append(sink)
        }
        if let montage = output.montage {
            let layout = MontageLayout(bank: prepared.engine.plan.bank, tileWidth: shape.width, tileHeight: shape.height)
            sinks.append(MontageSink(layout: layout, colormap: montage.colormap, outputWidth: shape.width, staged: staged,
                                     compression: output.encoding.pngCompression, mappings: mappings, paths: files.montages))
        }
        let sink = sinks.count == 1 ? sinks[0] : SinkGroup(sinks)
        let source = prepared.source
        let policy = input.failOn, names = self.names
        let runner = BandedConvolution(engine: prepared.engine)
        for n in 0..<shape.batch {
            try sink.beginImage(n)
            try runner.run(fill: { (count, destination) throws(FileError) in
                try source.readRows(count, into: destination)
                try policy.check(source.warnings, input: path, names: names)
            }, consume: { (rows, values) throws(FileError) in try sink.write(rows: rows, values: values) })
            try sink.endImage()
        }
        if let statistics = files.statistics, let images {
            let report = StatisticsReport(input: path, bank: prepared.engine.plan.bank, output: shape, files: files.channels,
                                          statistics: images.statistics, mappings: (0..<shape.batch).map(mappings),
                                          mode: mapping.mode, scope: mapping.scope, bitDepth: output.encoding.bitDepth)
            try report.write(to: statistics, staged: staged)
        }
        try sink.finish()
        // A codec warns about the end of its file after the last row: checked before anything is moved into place.
        try policy.check(source.warnings, input: path, names: names)
        let written = try staged.commit()
        return ApplyResult(input: path, outputs: written, warnings: source.warnings,
                           inputShape: prepared.inputShape, outputShape: shape)
    }

    /// `prepare` then `execute`.
    public func run(input path: String) throws(FileError) -> ApplyResult {
        try execute(prepare(input: path))
    }

    /// The per-channel file names (without extension) of one input.
    func channelNames(stem: String, plan: ConvolutionPlan, input: String) throws(FileError) -> [String] {
        let shape = plan.output
        let template = output.nameTemplate ?? .standard
        let batchTemplate = output.nameTemplate ?? (shape.batch > 1 ? .standardForBatch : .standard)
        if shape.batch > 1 && !batchTemplate.usesBatch {
            throw FileError(path: input, message: "name template '\(template.text)' needs {n}: this input is a batch of \(shape.batch) images")
        }
        if batchTemplate.usesDepthwiseFields && plan.bank.pointwise != nil {
            throw FileError(path: input, message: "name template '\(template.text)' uses {c}, {m} or {kernel}, which a separable bank's outputs do not have")
        }
        let multiplier = plan.bank.depthwise.multiplier
        // Kernel names for {kernel}, made file-name safe (e.g. "gaussian:sigma=2" -> "gaussian-sigma-2").
        let kernelNames = (try? bank.spec(channels: plan.input.channels))?.kernelNames?.map { name in
            String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
        }
        var names: [String] = []
        var seen: [String: Int] = [:]
        for n in 0..<shape.batch {
            for k in 0..<shape.channels {
                let name = batchTemplate.name(stem: stem, channel: k, channelCount: shape.channels, batch: n,
                                              batchCount: shape.batch, multiplier: multiplier,
                                              inputChannels: plan.input.channels, kernelNames: kernelNames)
                if let other = seen[name] {
                    throw FileError(path: input, message: "name template '\(template.text)' gives output channels \(other) and \(n * shape.channels + k) the same name '\(name)'")
                }
                seen[name] = n * shape.channels + k
                names.append(name)
            }
        }
        return names
    }

    /// The channel maps of each image: measured first (a statistics pass that
    /// runs the convolution once more, holding nothing but the statistics)
    /// when the mode needs a range and the scope is the image or the channel.
    func channelMappings(for prepared: PreparedInput) throws(FileError) -> (Int) -> [ChannelMapping] {
        let channels = prepared.outputShape.channels
        let mapping = self.mapping
        func map(_ statistics: ChannelStatistics?) -> ChannelMapping {
            ChannelMapping(mode: mapping.mode, statistics: statistics, userScale: mapping.scale, userOffset: mapping.offset)
        }
        guard mapping.mode.needsStatistics else {
            let one = map(nil)
            return { _ in Array(repeating: one, count: channels) }
        }
        switch mapping.scope {
        case .batch:
            guard let runStatistics = mapping.runStatistics else {
                throw FileError(path: prepared.path, message: "\(names.batchScope) needs the whole run's statistics first")
            }
            let one = map(runStatistics)
            return { _ in Array(repeating: one, count: channels) }
        case .image, .channel:
            let perChannel = mapping.scope == .channel
            let table: [[ChannelMapping]] = try measure(input: prepared.path).map { measured in
                if perChannel { return measured.map(map) }
                var all = ChannelStatistics()
                for c in measured { all.merge(c) }
                return Array(repeating: map(all), count: measured.count)
            }
            return { n in table[n] }
        }
    }

    /// Statistics of every output channel of every image of `path` (`[n][k]`),
    /// from a pass that computes the convolution and keeps only the statistics.
    public func measure(input path: String) throws(FileError) -> [[ChannelStatistics]] {
        let prepared = try prepare(input: path)
        let shape = prepared.outputShape
        let source = prepared.source
        let runner = BandedConvolution(engine: prepared.engine)
        var result: [[ChannelStatistics]] = []
        for _ in 0..<shape.batch {
            var channels = Array(repeating: ChannelStatistics(), count: shape.channels)
            try runner.run(fill: { (count, destination) throws(FileError) in try source.readRows(count, into: destination) },
                           consume: { (rows, values) throws(FileError) in
                               for k in 0..<shape.channels {
                                   channels[k].add(values + k, stride: shape.channels, count: rows.count * shape.width)
                               }
                           })
            result.append(channels)
        }
        return result
    }

    /// The contact sheet of image `batch`: the template's `{stem}` and `{n}`
    /// filled in (`_n<i>` added before the extension for a batch without `{n}`).
    func montagePath(_ template: String, stem: String, batch: Int, batchCount: Int) -> String {
        var path = template.replacingOccurrences(of: "{stem}", with: stem)
        let n = OutputNaming.padded(batch, to: batchCount)
        if path.contains("{n}") {
            path = path.replacingOccurrences(of: "{n}", with: n)
        } else if batchCount > 1 {
            let dot = path.lastIndex(of: ".").flatMap { $0 > (path.lastIndex(of: "/") ?? path.startIndex) ? $0 : nil }
            path = dot.map { String(path[..<$0]) + "_n" + n + String(path[$0...]) } ?? path + "_n" + n
        }
        return path
    }
}
