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

    /// `output.maxOutputs` unless set: an input with more output channels
    /// (times images) fails before any pixel is read.
    public static let defaultMaxOutputs = 4096
    /// `output.filesPerPass` unless set: channel files open at once.
    public static let defaultFilesPerPass = 64

    /// An input whose header has been read and whose bank has been planned:
    /// its output paths are known and nothing has been written yet.
    public final class PreparedInput {
        public let path: String
        /// Where its outputs go (the job's folder, or a folder under it).
        public let outputDirectory: String
        public let outputs: OutputFiles
        public let plan: ConvolutionPlan
        /// The output channels computed and written (`output.channels`, or all), sorted.
        public let selected: [Int]
        public var inputShape: TensorShape { plan.input }
        /// `[N, H_out, W_out, K]` of the whole bank (all K channels, selected or not).
        public var outputShape: TensorShape { plan.output }
        let source: any RowSource
        /// The whole bank's engine path, which every pass uses, so that a
        /// channel comes out the same in whichever pass it is computed.
        private(set) lazy var enginePath = ConvolutionEngine.automaticPath(for: plan)

        init(path: String, outputDirectory: String, outputs: OutputFiles, plan: ConvolutionPlan, selected: [Int],
             source: any RowSource) {
            self.path = path
            self.outputDirectory = outputDirectory
            self.outputs = outputs
            self.plan = plan
            self.selected = selected
            self.source = source
        }

        /// The same input, its rows read through `source` instead (which wraps this one's).
        func reading(through source: any RowSource) -> PreparedInput {
            PreparedInput(path: path, outputDirectory: outputDirectory, outputs: outputs, plan: plan, selected: selected,
                          source: source)
        }
    }

    /// Opens `path` (header only), resolves and plans its bank, checks its
    /// output count (`output.channels`, `output.maxOutputs`) and names its
    /// outputs under `outputDirectory` (default: the job's).
    public func prepare(input path: String, outputDirectory: String? = nil) throws(FileError) -> PreparedInput {
        let directory = outputDirectory ?? output.directory
        var (source, need) = try InputRows.open(path: path, maxPixels: input.maxPixels, transforms: input.transforms,
                                                allowTruncated: input.failOn.acceptsTruncatedFiles,
                                                maxMemory: input.maxMemory, maxScans: input.maxScans, names: names)
        // Kernels that adapt to the input: C * M outputs, checked before the bank is built for C channels.
        if output.channels == nil, bank.fixedChannels == nil, let perChannel = try? bank.spec(channels: 1).outputChannels {
            let input = source.shape
            let (k, o1) = input.channels.multipliedReportingOverflow(by: perChannel)
            let (total, o2) = k.multipliedReportingOverflow(by: input.batch)
            if o1 || o2 || total > output.maxOutputs {
                let what = input.batch > 1 ? "\(k) output channels x \(input.batch) images"
                    : "\(input.channels) input channels x \(perChannel) kernels"
                throw FileError(path: path, message: "\(o1 || o2 ? "too many" : String(total)) outputs (\(what)), over the limit "
                                + "of \(output.maxOutputs) (\(names.maxOutputs))")
            }
        }
        let plan: ConvolutionPlan
        do {
            plan = try ConvolutionPlan(input: source.shape, bank: filterBank(channels: source.shape.channels))
        } catch {
            if case .ambiguousLayout = error {
                throw FileError(path: path, message: error.description.replacing("state the layout: tf or torch", with: names.layoutChoice),
                                isUsageError: true)
            }
            if case .channelMismatch = error, bank.torchReadingFits(channels: source.shape.channels) {
                throw FileError(path: path, message: error.description + "; read as PyTorch's [C*M, 1, kh, kw] the weights fit (\(names.layoutTorch))")
            }
            if case let .channelMismatch(shape, filter) = error, filter.count == 4, let fix = channelFix(has: shape.channels, needs: filter[2], input: path) {
                throw FileError(path: path, message: error.description + "; \(fix) would give \(filter[2])")
            }
            throw FileError(path: path, error)
        }
        let shape = plan.output
        try checkOutputSize(plan, input: path)
        var selected: [Int] = []
        if let list = output.channels {
            do { selected = try list.indices(count: shape.channels) } catch {
                throw FileError(path: path, message: "\(error.description) (\(names.channels))")
            }
        }
        let count = output.channels == nil ? shape.channels : selected.count
        let (total, overflow) = count.multipliedReportingOverflow(by: shape.batch)
        if overflow || total > output.maxOutputs {
            let what = shape.batch > 1 ? "\(count) output channels x \(shape.batch) images"
                : plan.bank.pointwise == nil && output.channels == nil
                ? "\(plan.input.channels) input channels x \(plan.bank.depthwise.multiplier) kernels" : "output channels"
            throw FileError(path: path, message: "\(overflow ? "too many" : String(total)) outputs (\(what)), over the limit "
                            + "of \(output.maxOutputs) (\(names.maxOutputs))")
        }
        if output.channels == nil { selected = Array(0..<shape.channels) }
        // The memory budget, from the header and the plan, before anything image-sized exists.
        need.convolution = BandedConvolution(engine: ConvolutionEngine(plan: plan, path: ConvolutionEngine.automaticPath(for: plan)))
            .workingBytes
        need.outputs = outputBytes(shape, selected: selected.count)
        try MemoryBudget.check(need, budget: input.maxMemory, input: path, names: names)
        let stem = OutputNaming.stem(of: path)
        func inFolder(_ name: String) -> String { PathText.join(directory, name) }
        let channelFiles: [String]
        if output.format == .npy || (!output.channelFiles && output.montage != nil) {
            channelFiles = []
        } else {
            let all = try channelNames(stem: stem, plan: plan, input: path)
            let ext = output.format == .png ? ".png" : ".jpg"
            channelFiles = (0..<shape.batch).flatMap { n in selected.map { inFolder(all[n * shape.channels + $0] + ext) } }
        }
        let outputs = OutputFiles(
            channels: channelFiles,
            tensor: output.format == .npy ? inFolder(OutputNaming.tensorFileName(stem: stem)) : nil,
            montages: output.montage.map { montage in
                (0..<shape.batch).map {
                    // Under the input's output folder, as every other output; an absolute path as given.
                    let file = montagePath(montage.path, stem: stem, batch: $0, batchCount: shape.batch)
                    return file.hasPrefix("/") ? file : inFolder(file)
                }
            } ?? [],
            statistics: output.statistics ? inFolder(stem + ".json") : nil)
        return PreparedInput(path: path, outputDirectory: directory, outputs: outputs, plan: plan, selected: selected,
                             source: source)
    }

    /// The input's rows, as `prepare` opens them.
    func openRows(_ path: String) throws(FileError) -> any RowSource {
        try InputRows.open(path: path, maxPixels: input.maxPixels, transforms: input.transforms,
                           allowTruncated: input.failOn.acceptsTruncatedFiles)
    }

    /// The passes that compute a prepared input's selected outputs: one for
    /// `.npy` (a single file), else groups of at most `output.filesPerPass`
    /// channels, each with a bank cut down to what its channels need.
    func passes(for prepared: PreparedInput) throws(FileError) -> [OutputSelection] {
        let selected = prepared.selected
        var size = output.format == .npy ? selected.count : max(1, output.filesPerPass)
        // Whole input channels per pass where they fit, so that a depthwise pass keeps its multiplier.
        let m = prepared.plan.bank.depthwise.multiplier
        if prepared.plan.bank.pointwise == nil, output.channels == nil, size < selected.count, m <= size { size -= size % m }
        var passes: [OutputSelection] = []
        var start = 0
        while start < selected.count {
            let group = Array(selected[start..<min(start + size, selected.count)])
            do { passes.append(try prepared.plan.bank.selecting(outputs: group)) } catch {
                throw FileError(path: prepared.path, error)
            }
            start += size
        }
        return passes
    }

    /// The settings that turn an image of `has` channels (after this job's
    /// transforms) into one of `needs`, or nil when none does (or the input
    /// is an array, which no transform touches).
    func channelFix(has: Int, needs: Int, input path: String) -> String? {
        guard !InputFile.isArray(path) else { return nil }
        let t = input.transforms
        let alphaDrop = t.alpha == .keep ? names.alphaDrop : nil
        let gray = t.gray ? nil : names.gray
        // Four channels of a JPEG are CMYK, not colour and alpha: --gray turns them into one.
        let jpeg = (try? OpenFile.forReading(path).readPrefix(3)) == [0xFF, 0xD8, 0xFF]
        let options: [String?]
        switch (has, needs, jpeg) {
        case (4, 1, true): options = [gray]
        case (_, _, true) where has == 4: return nil
        case (2, 1, _), (4, 3, _): options = [alphaDrop]
        case (3, 1, _): options = [gray]
        case (4, 1, _): options = [gray, alphaDrop]
        case (4, 2, _): options = [gray]
        default: return nil
        }
        guard options.allSatisfy({ $0 != nil }) else { return nil }
        return options.compactMap { $0 }.joined(separator: " ")
    }

    /// Runs a prepared input: streams it through the engine in bands of rows
    /// (see `BandedConvolution`; peak memory follows the band height and the
    /// image width, not the image height) into its outputs, which are written
    /// under temporary names and renamed into place only when all of them are
    /// complete: they appear all together or not at all.
    ///
    /// The selected channels are written in passes of at most
    /// `output.filesPerPass` files (see `passes(for:)`): each pass reads the
    /// input again (from memory when it is small) and computes only its
    /// channels, so open files and encoder memory stay bounded however many
    /// outputs there are.
    ///
    /// Refuses (before writing anything) an output that would replace the
    /// input itself, or an existing file unless `output.existing == .overwrite`;
    /// fails the input when `input.failOn` says its codec warnings fail it.
    ///
    /// An error about one of the outputs (an encoder's, a full disk's) names
    /// the input too: `in.png: output out/in_c0.jpg: JPEG encode failed: ...`.
    public func execute(_ prepared: PreparedInput) throws(FileError) -> ApplyResult {
        do {
            return try write(prepared)
        } catch {
            guard error.path != prepared.path, prepared.outputs.all.contains(error.path) else { throw error }
            throw FileError(path: prepared.path, message: "output \(error.path): \(error.message)")
        }
    }

    private func write(_ prepared: PreparedInput) throws(FileError) -> ApplyResult {
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
        for sheet in files.montages where !PathText.dirname(sheet).isEmpty {
            try AtomicFile.createDirectory(PathText.dirname(sheet))
        }
        let shape = prepared.outputShape
        let passes = try self.passes(for: prepared)
        let modes = channelModes(prepared)
        // Pixels are mapped only for images (channel files, a sheet): `.npy` values are written as
        // they are, so a mode that needs each channel's range (auto's symmetric channels) costs them
        // no measuring pass.
        let mapsPixels = (files.tensor == nil && !files.channels.isEmpty) || output.montage != nil
        let needsMeasuring = mapsPixels && prepared.selected.contains { modes[$0].needsStatistics } && mapping.scope != .batch
        let inputs = PassInputs(prepared, job: self, reads: passes.count * (needsMeasuring ? 2 : 1))
        let mappings = mapsPixels ? try channelMappings(for: prepared, passes: passes, inputs: inputs)
            : Array(repeating: Array(repeating: ChannelMapping(), count: shape.channels), count: shape.batch)
        let staged = StagedFiles()
        var sinks: [any OutputSink] = []
        var images: ChannelImageSink?
        if let tensor = files.tensor {
            var written = shape
            written.channels = prepared.selected.count
            sinks.append(try TensorNpySink(shape: written, path: tensor, staged: staged))
        } else if !files.channels.isEmpty {
            let sink = ChannelImageSink(shape: shape, format: output.format, encoding: output.encoding, colormap: output.colormap,
                                        selected: prepared.selected, paths: files.channels, staged: staged,
                                        measure: files.statistics != nil, mappings: mappings)
            images = sink
            sinks.append(sink)
        }
        if let montage = output.montage {
            sinks.append(MontageSink(montage: montage, plan: prepared.plan, selected: prepared.selected,
                                     kernelNames: kernelNames(prepared.plan),
                                     inputChannelNames: MontageSink.inputChannelNames(path: path, channels: prepared.inputShape.channels),
                                     title: montageTitle(prepared), staged: staged,
                                     compression: output.encoding.pngCompression, mappings: mappings, paths: files.montages))
        }
        let sink = sinks.count == 1 ? sinks[0] : SinkGroup(sinks)
        let policy = input.failOn, names = self.names
        for pass in passes {
            let source = try inputs.source(for: pass, writing: true)
            let runner = BandedConvolution(engine: try engine(for: pass, prepared: prepared))
            for n in 0..<shape.batch {
                try sink.beginImage(n, outputs: pass.outputs)
                try runner.run(fill: { (count, destination) throws(FileError) in
                    try source.readRows(count, into: destination)
                    try policy.check(source.warnings, input: path, names: names)
                }, consume: { (rows, values) throws(FileError) in try sink.write(rows: rows, values: values) })
                try sink.endImage()
            }
        }
        if let statistics = files.statistics, let images {
            let report = StatisticsReport(input: path, bank: prepared.plan.bank, output: shape, selected: prepared.selected,
                                          files: files.channels, statistics: images.statistics, mappings: mappings,
                                          modes: modes, mode: mapping.mode, scope: mapping.scope,
                                          bitDepth: output.encoding.bitDepth, colormap: output.colormap)
            try report.write(to: statistics, staged: staged)
        }
        try sink.finish()
        // A codec warns about the end of its file after the last row: checked before anything is moved into place.
        try policy.check(inputs.warnings, input: path, names: names)
        let written = try staged.commit()
        return ApplyResult(input: path, outputs: written, warnings: inputs.warnings,
                           inputShape: prepared.inputShape, outputShape: shape)
    }

    /// About what the outputs of an input of output shape `shape` hold while
    /// it streams (see `MemoryBudget`): a band of mapped samples and an
    /// encoder per channel image, or a contact sheet's tiles.
    func outputBytes(_ shape: TensorShape, selected: Int) -> Int {
        let bandRows = 64   // BandedConvolution's default band, what the sinks receive at once
        var bytes = 0
        if output.format != .npy {
            // Channel files are written in passes of at most `filesPerPass` encoders (colour ones with a colormap).
            let open = min(selected, max(1, output.filesPerPass))
            let sampleBytes = (output.format == .png ? output.encoding.bitDepth / 8 : 1) * (output.colormap == .gray ? 1 : 3)
            let rowBytes = shape.width * sampleBytes
            bytes += open * (MemoryBudget.encoderStateBytes + 6 * rowBytes + bandRows * rowBytes)
        }
        if let montage = output.montage {
            // Every selected channel's 8-bit tile, of every image, until the sheets are written.
            let tileWidth = montage.tileWidth == 0 ? shape.width : min(shape.width, montage.tileWidth ?? SheetLayout.defaultMaxWidth)
            let tileHeight = max(1, tileWidth * shape.height / max(1, shape.width))
            bytes += shape.batch * selected * tileWidth * tileHeight + MemoryBudget.encoderStateBytes
        }
        return bytes
    }

    /// Each output image is held to the input's limit, `input.maxPixels`
    /// (`width * height`; for an array, `N * H * W`): padding from a bank can
    /// make the outputs larger than an input that passed it (by up to 255
    /// columns and rows on each side, or the effective kernel when that is
    /// larger; `FilterBank`'s limits). The outputs of an
    /// input together are then at most `maxPixels` times `output.maxOutputs`
    /// pixels.
    func checkOutputSize(_ plan: ConvolutionPlan, input path: String) throws(FileError) {
        let shape = plan.output
        let (plane, o1) = shape.height.multipliedReportingOverflow(by: shape.width)
        let (pixels, o2) = plane.multipliedReportingOverflow(by: shape.batch)
        guard o1 || o2 || pixels > input.maxPixels else { return }
        let size = "\(shape.width)x\(shape.height)" + (shape.batch > 1 ? " x \(shape.batch) images" : "")
        throw FileError(path: path, message: "each output would be \(size) (\(o1 || o2 ? "too many" : String(pixels))"
                        + " pixels, the padding included), over the limit of \(input.maxPixels) (\(names.maxPixels))")
    }

    /// `prepare` then `execute`.
    public func run(input path: String) throws(FileError) -> ApplyResult {
        try execute(prepare(input: path))
    }

    /// What the settings alone say against `output.channels` and
    /// `output.maxOutputs`, before any input is opened: a bank with a fixed
    /// channel count has a known output count; any other has at least one
    /// output per kernel. Inputs are checked again from their headers.
    public func outputCountProblem() -> String? {
        let known: Int, exact: Bool
        if let fixed = bank.fixedChannels, let spec = try? bank.spec(channels: fixed) {
            (known, exact) = (spec.outputChannels, true)
        } else if let spec = try? bank.spec(channels: 1) {
            (known, exact) = (spec.outputChannels, false)
        } else {
            return nil
        }
        if let list = output.channels {
            if exact, list.largest >= known {
                return "\(names.channels) '\(list)' names channel \(list.largest), but the bank has \(known) output channels (0-\(known - 1))"
            }
        } else if known > output.maxOutputs {
            return "the bank has \(exact ? "" : "at least ")\(known) output channels, over the limit of \(output.maxOutputs) "
                + "(\(names.maxOutputs); or \(names.channels))"
        }
        return nil
    }

    /// The engine of one pass, for the input shape it reads.
    func engine(for pass: OutputSelection, prepared: PreparedInput) throws(FileError) -> ConvolutionEngine {
        var shape = prepared.inputShape
        shape.channels = pass.inputChannels.count
        do {
            return ConvolutionEngine(plan: try ConvolutionPlan(input: shape, bank: pass.bank), path: prepared.enginePath)
        } catch {
            throw FileError(path: prepared.path, error)
        }
    }

    /// Kernel names of a bank built from named kernels, by multiplier slot.
    func kernelNames(_ plan: ConvolutionPlan) -> [String]? {
        (try? bank.spec(channels: plan.input.channels))?.kernelNames
    }

    /// The contact sheet's title: input file, bank, mapping.
    func montageTitle(_ prepared: PreparedInput) -> String {
        let bankName: String
        switch bank {
        case let .kernels(_, name): bankName = name ?? (kernelNames(prepared.plan)?.joined(separator: ", ") ?? "kernels")
        default: bankName = (try? bank.spec(channels: prepared.inputShape.channels))?.name ?? prepared.plan.bank.kind.rawValue + " bank"
        }
        var map = "map " + mapping.mode.rawValue
        if mapping.mode.needsStatistics && mapping.scope != .channel { map += " (\(mapping.scope.rawValue))" }
        if mapping.scale != 1 || mapping.offset != 0 { map += ", scale \(mapping.scale), offset \(mapping.offset)" }
        return "\(PathText.basename(prepared.path)) · \(bankName) · \(map)"
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

    /// The mode each output channel gets (`auto` resolved by its weights' signs).
    func channelModes(_ prepared: PreparedInput) -> [MappingMode] {
        let mode = mapping.mode
        guard mode == .auto else { return Array(repeating: mode, count: prepared.outputShape.channels) }
        return prepared.plan.bank.signedOutputs.map { mode.resolved(signed: $0) }
    }

    /// The channel maps of each image (`[n][k]`, every k; those not selected
    /// unused): measured first (a statistics pass that runs the convolution
    /// once more, holding nothing but the statistics) when a channel's mode
    /// needs a range and the scope is the image or the channel.
    func channelMappings(for prepared: PreparedInput, passes: [OutputSelection],
                         inputs: PassInputs) throws(FileError) -> [[ChannelMapping]] {
        let shape = prepared.outputShape
        let mapping = self.mapping
        let modes = channelModes(prepared)
        func map(_ k: Int, _ statistics: ChannelStatistics?) -> ChannelMapping {
            ChannelMapping(mode: modes[k], statistics: statistics, userScale: mapping.scale, userOffset: mapping.offset)
        }
        guard prepared.selected.contains(where: { modes[$0].needsStatistics }) else {
            return Array(repeating: (0..<shape.channels).map { map($0, nil) }, count: shape.batch)
        }
        switch mapping.scope {
        case .batch:
            guard let runStatistics = mapping.runStatistics else {
                throw FileError(path: prepared.path, message: "\(names.batchScope) needs the whole run's statistics first")
            }
            return Array(repeating: (0..<shape.channels).map { map($0, runStatistics) }, count: shape.batch)
        case .image, .channel:
            let perChannel = mapping.scope == .channel
            return try measure(prepared, passes: passes, inputs: inputs).map { measured in
                if perChannel { return measured.indices.map { map($0, measured[$0]) } }
                var all = ChannelStatistics()
                for k in prepared.selected { all.merge(measured[k]) }
                return measured.indices.map { map($0, all) }
            }
        }
    }

    /// Statistics of every selected output channel of every image of `path`
    /// (`[n][k]`; channels not selected are empty), from passes that compute
    /// the convolution and keep only the statistics.
    public func measure(input path: String) throws(FileError) -> [[ChannelStatistics]] {
        let prepared = try prepare(input: path)
        let passes = try self.passes(for: prepared)
        return try measure(prepared, passes: passes, inputs: PassInputs(prepared, job: self, reads: passes.count))
    }

    func measure(_ prepared: PreparedInput, passes: [OutputSelection], inputs: PassInputs) throws(FileError) -> [[ChannelStatistics]] {
        let shape = prepared.outputShape
        var result = Array(repeating: Array(repeating: ChannelStatistics(), count: shape.channels), count: shape.batch)
        for pass in passes {
            let source = try inputs.source(for: pass, writing: false)
            let runner = BandedConvolution(engine: try engine(for: pass, prepared: prepared))
            let outputs = pass.outputs, count = outputs.count
            for n in 0..<shape.batch {
                var channels = outputs.map { result[n][$0] }
                try runner.run(fill: { (rows, destination) throws(FileError) in try source.readRows(rows, into: destination) },
                               consume: { (rows, values) throws(FileError) in
                                   for i in 0..<count {
                                       channels[i].add(values + i, stride: count, count: rows.count * shape.width)
                                   }
                               })
                for (i, k) in outputs.enumerated() { result[n][k] = channels[i] }
            }
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
