import ArgumentParser
import FilterBankIO
import FilterBankRun

/// How a run goes through its inputs: where they come from, how many run at
/// once, what it shows and records, and what it refuses to clobber. The work
/// itself is `FilterBankIO.BatchRun`.
struct BatchOptions: ParsableArguments {
    @Flag(name: [.customShort("r"), .long],
          help: "Also search the subfolders of folder inputs (outputs mirror them under OUTDIR).")
    var recursive = false

    @Option(help: ArgumentHelp("Read more input paths from FILE, one per line, taken literally; - reads standard input.",
                               valueName: "file"))
    var from: String?

    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("""
        Files processed at once (default: the number of cores; more means the cores). Files in flight \
        share the cores with each file's own parallel convolution: never more threads than cores.
        """, valueName: "n"))
    var jobs: Int?

    @Flag(help: "Show progress even when standard error is not a terminal (then a line a second).")
    var progress = false

    @Flag(name: [.short, .long], help: "Print nothing but errors: no progress bar, no summary.")
    var quiet = false

    @Option(help: ArgumentHelp("""
        Append one JSON line per input to FILE (kept across reruns; - for standard output): path, status (ok, failed, skipped), \
        error or reason, outputs, size, shape, ms, warnings.
        """, valueName: "file.jsonl"))
    var report: String?

    @Flag(name: .customLong("fail-fast"), help: "Start no new input after the first failure.")
    var failFast = false

    @Flag(help: "Replace existing outputs (by default an input whose output exists fails).")
    var overwrite = false

    @Flag(name: .customLong("skip-existing"),
          help: "Resume an interrupted run: skip inputs whose outputs all exist, redo those with only some.")
    var skipExisting = false

    @Option(help: ArgumentHelp("""
        Process only share K of N (0 <= K < N), chosen by a stable hash of each input's relative path: \
        N runs with K = 0..N-1 together do the whole run once.
        """, valueName: "k/n"))
    var shard: String?

    @Option(name: .customLong("max-pixels"), help: ArgumentHelp("""
        Refuse images of more than N pixels (width x height; for .npy, N x H x W), from the header, \
        before any pixel memory is allocated, and inputs whose padded outputs would be larger; \
        2^28 (268 million) by default.
        """, valueName: "n"))
    var maxPixels: Int = ImageDecoder.defaultMaxPixels

    @Option(name: .customLong("max-memory"), help: ArgumentHelp("""
        The memory budget of one input: what its decoding, EXIF rotation, padding, convolution and \
        encoders may hold together, checked from its header before any of it is allocated (an input \
        that needs more fails, naming both numbers). A number of bytes with an optional K, M, G \
        (powers of 1024); 1G by default. With --jobs N, N inputs may each use that much at once.
        """, valueName: "size"))
    var maxMemory: String = "1G"

    @Option(name: .customLong("max-scans"), help: ArgumentHelp("""
        Refuse JPEGs with more than N scans (each costs a pass over the whole image); real files have \
        at most about 20. 100 by default.
        """, valueName: "n"))
    var maxScans: Int = ImageDecoder.defaultMaxScans

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("""
        What fails a file: error (a truncated JPEG passes, padded with grey), truncated (errors and \
        truncated files), warning (any codec warning too). Warnings always go to --report.
        """, valueName: "level"))
    var failOn: FailurePolicy = .truncated

    /// Whether inputs can come from somewhere other than the argument list.
    var providesInputs: Bool { from != nil }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be at least 1, got \(maxPixels)") }
        guard let bytes = MemoryBudget.parse(maxMemory), bytes >= MemoryBudget.minimumBytes else {
            throw ValidationError("--max-memory must be a size of at least 16M (bytes, or a number with K, M or G), got '\(maxMemory)'")
        }
        _ = bytes
        if maxScans < 1 { throw ValidationError("--max-scans must be at least 1, got \(maxScans)") }
        if let shard {
            do { _ = try Shard(shard) } catch {
                throw ValidationError("--shard must be \(ShardError.rule), got '\(error.text)'")
            }
        }
        if progress && quiet { throw ValidationError("--progress and --quiet cannot be used together") }
        if let from, from.isEmpty { throw ValidationError("--from needs a file name, or - for standard input") }
        if let report, report.isEmpty { throw ValidationError("--report needs a file name, or - for standard output") }
    }

    /// Runs `job` on every input; returns the exit status (0 all succeeded,
    /// 1 some failed, 64 a run refused because outputs would collide).
    func run(_ job: ApplyJob, inputs: [String]) -> Int32 {
        var job = job
        job.output.existing = overwrite ? .overwrite : .refuse
        job.input.maxPixels = maxPixels
        job.input.maxMemory = MemoryBudget.parse(maxMemory) ?? MemoryBudget.defaultBytes
        job.input.maxScans = maxScans
        job.input.failOn = failOn
        var configuration = BatchConfiguration()
        configuration.recursive = recursive
        configuration.listFile = from
        if let jobs { configuration.jobs = jobs }
        configuration.progress = quiet ? .never : progress ? .always : .automatic
        configuration.reportPath = report
        configuration.failFast = failFast
        configuration.skipExisting = skipExisting
        configuration.shard = shard.flatMap { try? Shard($0) }
        configuration.handlesSignals = true
        configuration.standardOutput = job.output.directory == "-"
        return BatchRun(job: job, arguments: inputs, configuration: configuration).run().exitStatus
    }
}

extension FailurePolicy: ExpressibleByArgument {}
