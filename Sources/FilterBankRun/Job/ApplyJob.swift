import Foundation
import FilterBankIO
import FilterBankKit

/// What the job writes for each input.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// One grayscale PNG per output channel (8- or 16-bit): `<stem>_c<k>.png`.
    case png
    /// One 8-bit grayscale JPEG per output channel: `<stem>_c<k>.jpg`.
    case jpeg
    /// The whole float32 output tensor `[N, H_out, W_out, K]`: `<stem>.npy`.
    case npy
}

/// What happens when an output file already exists.
public enum ExistingOutputs: String, Sendable {
    /// The input fails with an error naming the file (the default: nothing is clobbered).
    case refuse
    /// The new output replaces it.
    case overwrite
}

/// What one input produced.
public struct ApplyResult: Sendable, Equatable {
    public let input: String
    /// Final paths, in channel order.
    public let outputs: [String]
    /// The codec's warnings on a decode that succeeded.
    public let warnings: [String]
    public let inputShape: TensorShape
    public let outputShape: TensorShape
}

/// The whole per-file job: file -> decode -> tensor -> bank -> output planes
/// -> encode -> files. The command line builds one of these and runs it on
/// each input (`prepare` then `execute`, or `run` for both).
public struct ApplyJob: Sendable {
    public var bank: BankSource
    /// Command-line overrides; `nil` keeps the bank file's value (or the default).
    public var strides: HeightWidth?
    public var dilations: HeightWidth?
    public var padding: Padding?
    /// What the padded area holds (default zeros, TensorFlow's).
    public var border: BorderMode = .zero
    public var format: OutputFormat
    public var outputDirectory: String
    public var existing: ExistingOutputs
    /// Largest accepted `width * height` (pixels), checked from the header.
    public var maxPixels: Int
    public var pngCompression: PNGCompression
    /// How float outputs become pixels (see `MappingMode`), over what range,
    /// and the user's affine `scale * x + offset` applied before clamping.
    public var mapping: MappingMode = .clamp
    public var mappingScope: MappingScope = .channel
    public var mappingScale: Float = 1
    public var mappingOffset: Float = 0
    /// The whole run's statistics, required for `mappingScope == .batch` with a
    /// mode that needs them (the batch runner measures every input first).
    public var runStatistics: ChannelStatistics?
    /// 8 or 16 bits per PNG sample.
    public var bitDepth: Int = 8
    /// Per-channel file names (default `{stem}_c{channel}`, `{stem}_n{n}_c{channel}` for a batch).
    public var nameTemplate: NameTemplate?
    /// Write `<stem>.json` beside the outputs: per channel its source, statistics and exact mapping.
    public var writeStatistics = false
    /// JPEG quality, 1...100.
    public var jpegQuality = 90
    /// A contact sheet per image at this path (fields `{stem}` and `{n}` as in
    /// `NameTemplate`; `{n}` is appended for a batch when absent), or nil. A
    /// bare file name is placed in the input's output folder.
    public var montage: String?
    public var colormap: Colormap = .gray
    /// Orientation, alpha and gray conversion of decoded images.
    public var transforms = InputTransforms()
    /// Accept a JPEG that ends early (libjpeg's grey rows) instead of failing it.
    public var allowTruncated = false
    /// Fail an input on any codec warning; checked before its outputs are
    /// moved into place, so a failed input replaces nothing.
    public var failOnWarnings = false

    public init(bank: BankSource = .edges, strides: HeightWidth? = nil, dilations: HeightWidth? = nil,
                padding: Padding? = nil, format: OutputFormat = .png, outputDirectory: String,
                existing: ExistingOutputs = .refuse, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                pngCompression: PNGCompression = .fast) {
        self.bank = bank
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.format = format
        self.outputDirectory = outputDirectory
        self.existing = existing
        self.maxPixels = maxPixels
        self.pngCompression = pngCompression
    }

    /// The bank this job applies to an input with `channels` channels.
    public func filterBank(channels: Int) throws(FilterBankError) -> FilterBank {
        try bank.resolve(channels: channels, strides: strides, dilations: dilations, padding: padding, border: border)
    }

    /// An input whose header has been read and whose bank has been planned:
    /// its output paths are known and nothing has been written yet.
    public final class PreparedInput {
        public let path: String
        /// Where its outputs go (the job's directory, or a folder under it).
        public let outputDirectory: String
        /// The final output paths, in channel order (batch-major).
        public let outputs: [String]
        public var inputShape: TensorShape { engine.plan.input }
        public var outputShape: TensorShape { engine.plan.output }
        let source: any RowSource
        let engine: ConvolutionEngine

        init(path: String, outputDirectory: String, outputs: [String], source: any RowSource, engine: ConvolutionEngine) {
            self.path = path
            self.outputDirectory = outputDirectory
            self.outputs = outputs
            self.source = source
            self.engine = engine
        }
    }

    /// Opens `path` (header only), resolves and plans its bank, and names its
    /// outputs under `outputDirectory` (default: the job's).
    public func prepare(input path: String, outputDirectory: String? = nil) throws(FileError) -> PreparedInput {
        let directory = outputDirectory ?? self.outputDirectory
        let source = try InputRows.open(path: path, maxPixels: maxPixels, transforms: transforms,
                                            allowTruncated: allowTruncated)
        let engine: ConvolutionEngine
        do {
            engine = try ConvolutionEngine(input: source.shape, bank: filterBank(channels: source.shape.channels))
        } catch {
            throw FileError(path: path, message: error.description)
        }
        let output = engine.plan.output
        let stem = OutputNaming.stem(of: path)
        var outputs: [String] = []
        switch format {
        case .npy:
            outputs = [PathText.join(directory, OutputNaming.tensorFileName(stem: stem))]
        case .png, .jpeg:
            let ext = format == .png ? ".png" : ".jpg"
            outputs = try channelNames(stem: stem, plan: engine.plan, input: path).map { PathText.join(directory, $0 + ext) }
        }
        if let montage {
            outputs += (0..<output.batch).map {
                // A bare file name goes beside the channel files (mirrored folders included); a path is taken as given.
                let file = montagePath(montage, stem: stem, batch: $0, batchCount: output.batch)
                return file.contains("/") ? file : PathText.join(directory, file)
            }
        }
        if writeStatistics { outputs.append(PathText.join(directory, stem + ".json")) }
        return PreparedInput(path: path, outputDirectory: directory, outputs: outputs, source: source, engine: engine)
    }

    /// Runs a prepared input: streams it through the engine in bands of rows
    /// (see `BandedConvolution`; peak memory follows the band height and the
    /// image width, not the image height) into its outputs, which are written
    /// under temporary names and renamed into place only when all of them are
    /// complete: they appear all together or not at all.
    ///
    /// Refuses (before writing anything) an output that would replace the
    /// input itself, or an existing file unless `existing == .overwrite`.
    public func execute(_ prepared: PreparedInput) throws(FileError) -> ApplyResult {
        let path = prepared.path
        for target in prepared.outputs {
            if FilePaths.sameFile(target, path) {
                throw FileError(path: path, message: "output \(target) would overwrite this input; choose another output directory")
            }
            if existing == .refuse && FilePaths.exists(target) {
                throw FileError(path: path, message: "output \(target) already exists (use --overwrite to replace it, or --skip-existing)")
            }
        }
        try AtomicFile.createDirectory(prepared.outputDirectory)
        let output = prepared.outputShape
        let mappings = try channelMappings(for: prepared)
        let staged = StagedFiles()
        var sinks: [any OutputSink] = []
        let perChannel = output.batch * output.channels
        switch format {
        case .npy:
            sinks.append(try TensorNpySink(shape: output, path: prepared.outputs[0], staged: staged))
        case .png, .jpeg:
            let targets = prepared.outputs, channels = output.channels
            let compression = pngCompression, depth = bitDepth, quality = jpegQuality, png = format == .png
            sinks.append(ChannelImageSink(
                shape: output, staged: staged, measure: writeStatistics, mappings: mappings,
                paths: { n, k in targets[n * channels + k] },
                makeWriter: { (path, width, height) throws(ImageError) -> any ChannelWriter in
                    png ? try PNGRowWriter(path: path, width: width, height: height, bitDepth: depth, compression: compression)
                        : try JPEGRowWriter(path: path, width: width, height: height, quality: quality,
                                                  // Optimal Huffman tables would hold every coefficient (~2 bytes a
                                                  // sample) until the end: not while streaming K planes at once.
                                                  optimizeCoding: false)
                }))
        }
        if montage != nil {
            let montageTargets = Array(prepared.outputs[(format == .npy ? 1 : perChannel)...].prefix(output.batch))
            let layout = MontageLayout(bank: prepared.engine.plan.bank, tileWidth: output.width, tileHeight: output.height)
            sinks.append(MontageSink(layout: layout, colormap: colormap, outputWidth: output.width, staged: staged,
                                     compression: pngCompression, mappings: mappings, path: { montageTargets[$0] }))
        }
        let sink = sinks.count == 1 ? sinks[0] : SinkGroup(sinks)
        let source = prepared.source
        let runner = BandedConvolution(engine: prepared.engine)
        for n in 0..<output.batch {
            try sink.beginImage(n)
            try runner.run(fill: { (count, destination) throws(FileError) in try source.readRows(count, into: destination) },
                           consume: { (rows, values) throws(FileError) in try sink.write(rows: rows, values: values) })
            try sink.endImage()
        }
        if writeStatistics, let images = sinks.first as? ChannelImageSink {
            let report = StatisticsReport(input: path, bank: prepared.engine.plan.bank, output: output,
                                          files: Array(prepared.outputs.prefix(perChannel)),
                                          statistics: images.statistics, mappings: (0..<output.batch).map(mappings),
                                          mode: mapping, scope: mappingScope, bitDepth: bitDepth)
            try report.write(to: try staged.stage(prepared.outputs[prepared.outputs.count - 1]),
                             finalPath: prepared.outputs[prepared.outputs.count - 1])
        }
        try sink.finish()
        if failOnWarnings, let first = source.warnings.first {
            throw FileError(path: path, message: "codec warning: \(first) (a failure under --fail-on warning)")
        }
        let written = try staged.commit()
        return ApplyResult(input: path, outputs: written, warnings: source.warnings,
                           inputShape: prepared.inputShape, outputShape: output)
    }

    /// `prepare` then `execute`.
    public func run(input path: String) throws(FileError) -> ApplyResult {
        try execute(prepare(input: path))
    }

    /// The per-channel file names (without extension) of one input.
    func channelNames(stem: String, plan: ConvolutionPlan, input: String) throws(FileError) -> [String] {
        let output = plan.output
        let template = nameTemplate ?? .standard
        let batchTemplate = nameTemplate ?? (output.batch > 1 ? (try? NameTemplate("{stem}_n{n}_c{channel}")) ?? .standard : .standard)
        if output.batch > 1 && !batchTemplate.usesBatch {
            throw FileError(path: input, message: "name template '\(template.text)' needs {n}: this input is a batch of \(output.batch) images")
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
        for n in 0..<output.batch {
            for k in 0..<output.channels {
                let name = batchTemplate.name(stem: stem, channel: k, channelCount: output.channels, batch: n,
                                              batchCount: output.batch, multiplier: multiplier,
                                              inputChannels: plan.input.channels, kernelNames: kernelNames)
                if let other = seen[name] {
                    throw FileError(path: input, message: "name template '\(template.text)' gives output channels \(other) and \(n * output.channels + k) the same name '\(name)'")
                }
                seen[name] = n * output.channels + k
                names.append(name)
            }
        }
        return names
    }

    /// The channel maps of each image: measured first (a statistics pass that
    /// runs the convolution once more, holding nothing but the statistics)
    /// when the mode needs a range and the scope is the image or the channel.
    func channelMappings(for prepared: PreparedInput) throws(FileError) -> (Int) -> [ChannelMapping] {
        let output = prepared.outputShape
        let (mode, scale, offset) = (mapping, mappingScale, mappingOffset)
        guard mode.needsStatistics else {
            let one = ChannelMapping(mode: mode, statistics: nil, userScale: scale, userOffset: offset)
            return { _ in Array(repeating: one, count: output.channels) }
        }
        switch mappingScope {
        case .batch:
            guard let runStatistics else {
                throw FileError(path: prepared.path, message: "--map-scope batch needs the whole run's statistics first")
            }
            let one = ChannelMapping(mode: mode, statistics: runStatistics, userScale: scale, userOffset: offset)
            return { _ in Array(repeating: one, count: output.channels) }
        case .image, .channel:
            let measured = try measure(input: prepared.path)
            let perChannel = mappingScope == .channel
            let table: [[ChannelMapping]] = measured.map { channels in
                if perChannel {
                    return channels.map { ChannelMapping(mode: mode, statistics: $0, userScale: scale, userOffset: offset) }
                }
                var all = ChannelStatistics()
                for c in channels { all.merge(c) }
                return Array(repeating: ChannelMapping(mode: mode, statistics: all, userScale: scale, userOffset: offset),
                             count: channels.count)
            }
            return { n in table[n] }
        }
    }

    /// Statistics of every output channel of every image of `path` (`[n][k]`),
    /// from a pass that computes the convolution and keeps only the statistics.
    public func measure(input path: String) throws(FileError) -> [[ChannelStatistics]] {
        let prepared = try prepare(input: path)
        let output = prepared.outputShape
        let source = prepared.source
        let runner = BandedConvolution(engine: prepared.engine)
        var result: [[ChannelStatistics]] = []
        for _ in 0..<output.batch {
            var channels = Array(repeating: ChannelStatistics(), count: output.channels)
            try runner.run(fill: { (count, destination) throws(FileError) in try source.readRows(count, into: destination) },
                           consume: { (rows, values) throws(FileError) in
                               for k in 0..<output.channels {
                                   channels[k].add(values + k, stride: output.channels, count: rows.count * output.width)
                               }
                           })
            result.append(channels)
        }
        return result
    }

    /// The montage file of image `batch`: the template's `{stem}` and `{n}`
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
