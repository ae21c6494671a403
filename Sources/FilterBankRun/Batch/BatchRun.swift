import Dispatch
import Foundation
import FilterBankIO
import FilterBankKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a batch run goes through its inputs (the command line's Batch options).
public struct BatchConfiguration: Sendable {
    /// Search directory arguments' subdirectories too.
    public var recursive = false
    /// A file listing one input path per line (`-`: standard input).
    public var listFile: String?
    /// Inputs processed at once (see `BatchRun` for how this shares the cores).
    public var jobs = BatchRun.defaultJobs
    public var progress: ProgressMode = .automatic
    /// Where to write one JSON line per input (`-`: standard output).
    public var reportPath: String?
    /// Start no new input after the first failure.
    public var failFast = false
    /// Skip an input whose outputs all exist; redo one with only some of
    /// them (a run killed while renaming them into place), replacing those.
    public var skipExisting = false
    /// Process only this share of the inputs.
    public var shard: Shard?
    /// Catch SIGINT and SIGTERM: remove the temporary files of the inputs in
    /// flight, then exit with 128 + the signal (see `Interruption`). For the
    /// command line; off by default, since it sets process-wide handlers.
    public var handlesSignals = false
    /// Write the run's one output to standard output (see `StandardStreams`);
    /// an input named `-` is standard input whatever this says.
    public var standardOutput = false
    /// Refuse, as a usage error, an input that would write other than one file.
    var singleOutput = false
    /// How messages and reports name some inputs (a copy of standard input).
    var displayNames: [String: String] = [:]

    public init() {}
}

/// A whole batch run: finds the inputs, refuses a run whose outputs would
/// collide, then processes its share of the inputs on several workers,
/// reporting each, and returns the summary (and exit status).
///
/// **Cores.** Each image's convolution already spreads over every core
/// (`BandedConvolution` runs its slices with `Parallel.forEach`), and so does
/// its PNG encoding. The workers that take inputs are themselves a
/// `Parallel.forEach` of `min(jobs, cores, inputs)` workers, so the engines'
/// loops are nested inside it and share the cores with it: files in flight
/// times threads per file stays at the core count (checked: 2 workers on 2
/// cores run on 2 threads, where 2 plain threads each running a parallel loop
/// used 5). `jobs` above the core count therefore means the core count.
/// The default, one file per core, keeps every core busy through the serial
/// parts of a file (decoding, the `.npy` read) with no thread contention, and
/// a single input still gets every core. The cost: the width is fixed for the
/// run, so the last large file of a batch runs on its share of the cores.
///
/// **Memory.** Inputs are listed up front (paths only, about a hundred bytes
/// each, plus an inode and, per output, a 64-bit hash to catch collisions),
/// but an input is opened only when a worker takes it: at most `workers`
/// images are open at once, each streamed in bands (see `ApplyJob.execute`),
/// whatever the number of files.
///
/// **Nothing lost.** Each input's outputs are written under hidden temporary
/// names and renamed into place together (`ApplyJob.execute`), so a killed run
/// leaves complete files under final names, and `skipExisting` resumes it. An
/// input that fails (including one refused by `--fail-on warning`) leaves
/// nothing under a final name.
public final class BatchRun: Sendable {
    /// The cores the process may use.
    public static var defaultJobs: Int { ProcessInfo.processInfo.activeProcessorCount }

    public let job: ApplyJob
    public let arguments: [String]
    public let configuration: BatchConfiguration
    let console: Console

    public init(job: ApplyJob, arguments: [String], configuration: BatchConfiguration = BatchConfiguration(),
                console: Console = .standardError(program: "filterbank")) {
        self.job = job
        self.arguments = arguments
        self.configuration = configuration
        self.console = console
    }

    /// Runs everything; returns the summary (its `exitStatus` is the tool's).
    public func run() -> BatchSummary {
        if configuration.standardOutput || arguments.contains(StandardStreams.input) {
            return StandardStreams.run(self)
        }
        let started = ContinuousClock.now
        let progress = BatchProgress(console: console, mode: configuration.progress)
        var summary = BatchSummary()
        func finish(_ summary: BatchSummary) -> BatchSummary {
            var summary = summary
            summary.seconds = BatchProgress.seconds(ContinuousClock.now - started)
            progress.end(summary, names: self.job.names)
            return summary
        }

        if let problem = Preflight.outputDirectory(job.output.directory) ?? Preflight.nameTemplate(job) {
            progress.error(problem)
            summary.refused = problem
            return finish(summary)
        }
        var listed: [String] = []
        if let listFile = configuration.listFile {
            do {
                listed = try InputDiscovery.readList(listFile)
            } catch {
                progress.error(error.description)
                summary.failed += 1
                return finish(summary)
            }
        }
        // An output folder inside an input folder is left out of discovery (excludedDirectory); one
        // that is an input folder itself would make the next run take these outputs for inputs.
        for argument in arguments + listed where FilePaths.sameFile(argument, job.output.directory) {
            if let status = FileTree.status(argument), status.kind == .directory {
                let refusal = "the output folder \(job.output.directory) is the input folder \(argument): a later run "
                    + "would take its outputs for inputs; choose another output folder (one inside it is fine)"
                progress.error(refusal)
                summary.refused = refusal
                return finish(summary)
            }
        }
        let found = InputDiscovery(recursive: configuration.recursive, excludedDirectory: job.output.directory)
            .discover(arguments: arguments, listed: listed)
        let all = found.items
        if let conflict = OutputConflicts.check(all, job: job, reportPath: configuration.reportPath) {
            progress.error(conflict)
            summary.refused = conflict
            return finish(summary)
        }
        // Indices into `all`: output claims are keyed by them, so every shard numbers inputs alike.
        let selected = all.indices.filter { configuration.shard?.contains(key: all[$0].key) ?? true }
        let items = selected.map { all[$0] }
        summary.notes = Self.notes(items: items, all: all, found: found, shard: configuration.shard, names: job.names)

        var report: RunReport?
        if let path = configuration.reportPath {
            do {
                report = try RunReport(path: path)
            } catch {
                progress.error(error.description)
                summary.failed += 1
                return finish(summary)
            }
        }
        defer { report?.close() }

        var job = self.job
        if job.mapping.mode.needsStatistics && job.mapping.scope == .batch && job.mapping.runStatistics == nil {
            // Every input of the run, not only this shard's, so that shards map alike.
            job.mapping.runStatistics = measure(all.filter(\.isInput), job: job, progress: progress)
        }
        let stop = StopSignal()
        let names = job.names
        var interruption: Interruption?
        if configuration.handlesSignals {
            let report = report
            interruption = Interruption { number in
                stop.stop()
                TemporaryFiles.process.removeAll()
                progress.interrupted("interrupted by \(Interruption.name(number)): the outputs of the inputs in progress were "
                               + "removed; \(names.skipExisting) resumes the run")
                report?.close()
                _exit(128 + number)
            }
        }
        defer { interruption?.cancel() }
        summary = process(items, indices: selected, allItems: all, job: job, progress: progress, report: report,
                          stop: stop, summary: summary)
        return finish(summary)
    }

    // MARK: - Workers

    private func workers(for inputs: Int) -> Int {
        max(1, min(configuration.jobs, Self.defaultJobs, inputs))
    }

    /// `--map-scope batch`: the statistics of every output channel of every
    /// input (a first pass, in parallel). Inputs that fail here are left out;
    /// the main pass reports them.
    private func measure(_ inputs: [BatchItem], job: ApplyJob, progress: BatchProgress) -> ChannelStatistics? {
        progress.begin("measuring", total: inputs.count, weight: inputs.reduce(0) { $0 + max($1.size, 1) })
        let merged = Mutex<ChannelStatistics?>(nil)
        Parallel.forEach(inputs.count, workers: workers(for: inputs.count)) { index, slot in
            progress.started(slot: slot, weight: inputs[index].size)
            if let images = try? job.measure(input: inputs[index].path) {
                merged.withLock { total in
                    for channels in images {
                        for channel in channels {
                            if total == nil { total = ChannelStatistics() }
                            total?.merge(channel)
                        }
                    }
                }
            }
            progress.finished(slot: slot, worked: true)
        }
        return merged.withLock { $0 }
    }

    private func process(_ items: [BatchItem], indices indexInAll: [Int], allItems: [BatchItem], job: ApplyJob,
                         progress: BatchProgress, report: RunReport?, stop: StopSignal,
                         summary: BatchSummary) -> BatchSummary {
        let inputCount = items.count(where: \.isInput)
        progress.begin("", total: inputCount, weight: items.reduce(0) { $0 + ($1.isInput ? max($1.size, 1) : 0) })
        let claims = OutputClaims(items: allItems)
        let totals = Mutex(summary)
        let reportFailed = Atomic<Bool>(false)
        let failFast = configuration.failFast
        let append: @Sendable (InputOutcome) -> Void = { outcome in
            guard let report else { return }
            do throws(FileError) {
                try report.append(outcome)
            } catch {
                if !reportFailed.exchange(true, ordering: .relaxed) { progress.error(error.description) }
            }
        }
        let record: @Sendable (InputOutcome, String?, Int?, Bool) -> Void = { outcome, errorLine, slot, usage in
            totals.withLock { s in
                switch outcome.status {
                case .ok:
                    s.processed += 1
                    s.outputsWritten += outcome.outputs.count
                case .failed: s.failed += 1
                case .skipped: s.skipped += 1
                }
                if usage { s.usageErrors += 1 }
            }
            if let errorLine { progress.error(errorLine) }
            // A usage error is the same for the inputs to come: stop there.
            if outcome.status == .failed && (failFast || usage) { stop.stop() }
            if let slot { progress.finished(slot: slot, worked: outcome.status != .skipped) }
            append(outcome)
        }
        let taken = Parallel.forEach(items.count, workers: workers(for: inputCount), stop: stop) { index, slot in
            let item = items[index]
            switch item.kind {
            case let .skipped(reason):
                record(InputOutcome(path: item.path, status: .skipped, message: reason,
                                    size: FileTree.status(item.path)?.size), nil, nil, false)
            case let .failed(reason):
                record(InputOutcome(path: item.path, status: .failed, message: reason),
                       FileError(path: item.path, message: reason).description, nil, false)
            case .input:
                progress.started(slot: slot, weight: item.size)
                let (outcome, error) = self.apply(item, index: indexInAll[index], of: allItems, job: job,
                                                  claims: claims) { fraction in
                    progress.advanced(slot: slot, fraction: fraction)
                }
                record(outcome, error?.description, slot, error?.isUsageError ?? false)
            }
        }
        for item in items[taken...] {
            append(InputOutcome(path: item.path, status: .skipped, message: "not started (\(job.names.failFast))"))
        }
        return totals.withLock { s in
            var s = s
            s.notStarted = items.count - taken
            return s
        }
    }

    // MARK: - One input

    /// Prepares, checks and runs one input; returns its outcome and, when it
    /// failed, the error to print.
    private func apply(_ item: BatchItem, index: Int, of items: [BatchItem], job: ApplyJob, claims: OutputClaims,
                       progress: @escaping (Double) -> Void) -> (InputOutcome, FileError?) {
        let started = ContinuousClock.now
        let size = FileTree.status(item.path).flatMap { $0.kind == .file ? $0.size : nil }
        var shape: [Int]?
        var warnings: [String] = []
        func milliseconds() -> Int { Int((BatchProgress.seconds(ContinuousClock.now - started) * 1000).rounded()) }
        // A copy of standard input is called that, not by its temporary path.
        let shown = configuration.displayNames[item.path] ?? item.path
        do throws(FileError) {
            try Self.checkArraySize(item.path, maxPixels: job.input.maxPixels, names: job.names)
            let folder = item.outputFolder.isEmpty ? job.output.directory : PathText.join(job.output.directory, item.outputFolder)
            let prepared = try job.prepare(input: item.path, outputDirectory: folder)
            let input = prepared.inputShape
            shape = [input.batch, input.height, input.width, input.channels]
            let outputs = prepared.outputs.all
            if configuration.singleOutput && outputs.count != 1 {
                throw FileError(path: item.path, message: "would write \(outputs.count) files (\(prepared.outputShape.channels) output "
                                + "channel\(prepared.outputShape.channels == 1 ? "" : "s") of \(prepared.outputShape.batch) "
                                + "image\(prepared.outputShape.batch == 1 ? "" : "s")); \(job.names.standardOutput) writes exactly one: "
                                + "a bank with one output, or a contact sheet", isUsageError: true)
            }
            if let problem = claims.claim(outputs, for: index, of: items) {
                throw FileError(path: item.path, message: problem)
            }
            var job = job
            if configuration.skipExisting {
                let present = outputs.count(where: FilePaths.exists)
                if present == outputs.count {
                    return (InputOutcome(path: shown, status: .skipped, message: "outputs exist (\(job.names.skipExisting))",
                                         outputs: outputs, size: size, shape: shape, milliseconds: milliseconds()), nil)
                }
                // Some but not all: a run killed while renaming this input's outputs into place. Redo it.
                if present > 0 { job.output.existing = .overwrite }
            }
            let result = try job.execute(prepared.reading(through: ProgressRowSource(prepared.source, progress: progress)))
            warnings = result.warnings
            return (InputOutcome(path: shown, status: .ok, outputs: result.outputs, size: size, shape: shape,
                                 milliseconds: milliseconds(), warnings: result.warnings), nil)
        } catch {
            let error = shown == item.path ? error
                : FileError(path: error.path == item.path ? shown : error.path, message: error.message.replacing(item.path, with: shown),
                            isUsageError: error.isUsageError)
            let message = error.path == shown ? error.message : error.description
            return (InputOutcome(path: shown, status: .failed, message: message, size: size, shape: shape,
                                 milliseconds: milliseconds(), warnings: warnings), error)
        }
    }

    /// `--max-pixels` for `.npy` inputs, from the header, before the array is
    /// read (images are checked by their codec the same way). The limit
    /// counts every element of the array, the whole batch included.
    static func checkArraySize(_ path: String, maxPixels: Int, names: SettingNames) throws(FileError) {
        guard InputFile.isArray(path) else { return }
        // A file that cannot be read, or is no .npy file, is reported when the input is opened.
        guard let shape = try? NpyFile.shape(ofFileAt: path), let channels = shape.last, channels > 0 else { return }
        // Pixels: every element but the channel axis (N x H x W of [N, H, W, C]); the header
        // check has made sure the element count fits in an Int.
        let pixels = shape.dropLast().reduce(1, *)
        guard pixels > maxPixels else { return }
        throw FileError(path: path, message: "array too large: shape \(shape) holds \(pixels) "
                        + "pixels, over the limit of \(maxPixels) (\(names.maxPixels))")
    }

    /// The summary's notes: what discovery passed over, and the shard.
    static func notes(items: [BatchItem], all: [BatchItem], found: DiscoveredInputs, shard: Shard?,
                      names: SettingNames) -> [String] {
        var notes: [String] = []
        var skippedByReason: [(reason: String, count: Int, first: String)] = []
        for item in items {
            guard case let .skipped(reason) = item.kind else { continue }
            if let i = skippedByReason.firstIndex(where: { $0.reason == reason }) {
                skippedByReason[i].count += 1
            } else {
                skippedByReason.append((reason, 1, item.path))
            }
        }
        for group in skippedByReason where group.reason == InputDiscovery.notAnImage {
            notes.append("skipped \(group.count) file\(group.count == 1 ? "" : "s") that \(group.count == 1 ? "is" : "are") not PNG, JPEG or .npy "
                         + "(\(names.report) lists \(group.count == 1 ? "it" : "them"))")
        }
        for group in skippedByReason where group.reason != InputDiscovery.notAnImage {
            notes.append("skipped \(group.count) file\(group.count == 1 ? "" : "s"): \(group.reason) "
                         + "(\(group.count == 1 ? "" : "first: ")\(group.first))")
        }
        if found.unsearchedDirectories > 0 {
            let n = found.unsearchedDirectories
            notes.append("\(n) subfolder\(n == 1 ? " was" : "s were") not searched (use \(names.recursive))")
        }
        if let shard {
            notes.append("shard \(shard): \(items.count(where: \.isInput)) of \(all.count(where: \.isInput)) inputs")
        }
        return notes
    }
}

/// An input's rows on their way to the engine, counted for the progress
/// display.
final class ProgressRowSource: RowSource {
    let inner: any RowSource
    let progress: (Double) -> Void
    private let totalRows: Int
    private var rowsRead = 0

    init(_ inner: any RowSource, progress: @escaping (Double) -> Void) {
        self.inner = inner
        self.progress = progress
        totalRows = max(1, inner.shape.batch * inner.shape.height)
    }

    var shape: TensorShape { inner.shape }
    var warnings: [String] { inner.warnings }

    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        try inner.readRows(count, into: destination)
        rowsRead += count
        progress(Double(rowsRead) / Double(totalRows))
    }
}
