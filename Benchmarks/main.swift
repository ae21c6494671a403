// The engine benchmark: the convolution engine alone (no decoding, no encoding) on a real photo.
//
//   swift run -c release Benchmarks [--image PATH] [--runs N] [--only TEXT] [--serial] [--all]
//                                   [--levels sse2,avx2,avx512|all] [--tsv] [--streaming on|off]
//
// The kernels run at the instruction-set level chosen for this CPU (`InstructionSet.current`;
// FILTERBANK_ISA forces one); `--levels` measures each row at several levels in the same
// interleaved rounds, for A/B comparisons in one process. `--streaming on|off` forces the
// non-temporal stores of `apply(to:into:)` either way (by default: on above
// `ConvolutionEngine.streamingThreshold` with more than one worker). `--tsv` adds one tab-separated
// line per row and level with every timed run (scripts/bench-peers --engine reads them).
//
// For each row: the median (and fastest) of N runs writing into a preallocated
// output (as peers such as OpenCV are measured), in interleaved rounds (every row once
// per round, so that a slow spell on a shared machine hurts all rows alike);
// the median of 3 runs of the allocating `apply(to:)` (which also first-touches
// the output's pages); GMAC/s from the median; the peak RSS of the row's first
// allocating run alone (`VmHWM`, reset through /proc/self/clear_refs; input and
// output included); and the worst relative deviation of 12 sampled output rows
// from `ReferenceConvolution` (the plain Double loop), computed in the same
// run. A deviation above 1e-5 makes the exit status 1.
//
// The photo is SampleImages/large/jpeg-large-16mp-baseline-seeding.jpg
// (5312x2988) decoded with FilterBankIO, cropped to its left 4008 columns:
// 4008x2988x3, 11.98 MP, about the size of a 12 MP camera photo.
//
// To compare two builds row by row, interleaved: scripts/bench-compare.
//
//   swift run -c release Benchmarks --png [--image PATH] [--width W] [--runs N]
//
// instead times the default job's stages (decode, convolution, mapping, PNG encoding) and the
// PNG encoders' throughput per core on the edge maps of the photo (PNGBenchmark.swift).
import FilterBankIO
import FilterBankKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: options

var imagePath = "SampleImages/large/jpeg-large-16mp-baseline-seeding.jpg"
var runs = 7
var only: [String] = []
var parallel = true
var extraRows = false
var cropWidth = 4008
var pngMode = false
var levels: [InstructionSet] = [InstructionSet.current]
var tsv = false
var streaming: Bool? = nil
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--image": imagePath = arguments.next() ?? imagePath
    case "--runs": runs = Int(arguments.next() ?? "") ?? runs
    case "--only": only.append(arguments.next() ?? "")
    case "--serial": parallel = false
    case "--all": extraRows = true
    case "--width": cropWidth = Int(arguments.next() ?? "") ?? cropWidth
    case "--png": pngMode = true
    case "--tsv": tsv = true
    case "--streaming": streaming = ["on": true, "off": false][arguments.next() ?? ""] ?? nil
    case "--levels":
        let list = arguments.next() ?? ""
        if list == "all" {
            levels = InstructionSet.available
        } else {
            levels = []
            for name in list.split(separator: ",") {
                guard let level = InstructionSet(name: String(name)), InstructionSet.available.contains(level) else {
                    print("Benchmarks: --levels: \(name) is not a level this CPU has (\(InstructionSet.available))")
                    exit(64)
                }
                levels.append(level)
            }
        }
    case "-h", "--help":
        print("usage: Benchmarks [--image PATH] [--runs N] [--only TEXT]... [--serial] [--all] [--width W] [--levels LIST] [--tsv] [--png]")
        print("  --all   also the comparison rows (forced paths: direct vs rank-1, broadcast vs expanded)")
        print("  --png   the default job's stages and the PNG encoders' MB/s per core on the photo's edge maps")
        exit(0)
    default:
        print("Benchmarks: unknown argument \(argument)")
        exit(64)
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Peak resident set of this process so far, MiB.
func peakRSS() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)  // bytes on Darwin
    #endif
}

func format(_ value: Double, _ decimals: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if decimals == 0, text.hasSuffix(".0") { text.removeLast(2) }
    return text
}

// MARK: the photo

/// The photo's left `cropWidth` columns (the whole decoded image is freed on return).
func loadCropped(_ imagePath: String, _ cropWidth: Int) -> Tensor {
    let decoded: DecodedImage
    do {
        decoded = try ImageDecoder.decode(path: imagePath)
    } catch {
        print("Benchmarks: \(error)")
        exit(1)
    }
    let full = decoded.tensor.shape
    let width = min(cropWidth, full.width)
    let shape = TensorShape(batch: 1, height: full.height, width: width, channels: full.channels)
    var cropped = [Float](repeating: 0, count: shape.count)
    for y in 0..<full.height {
        for i in 0..<(width * full.channels) {
            cropped[y * width * full.channels + i] = decoded.tensor.values[y * full.width * full.channels + i]
        }
    }
    return Tensor(shape: shape, values: cropped)
}
let input = loadCropped(imagePath, cropWidth)
let shape = input.shape
if pngMode { runPNGBenchmark(imagePath: imagePath, input: input, runs: runs) }

// MARK: the banks

/// A fixed pseudo-random kernel (not rank 1), so results are reproducible.
func kernel(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int((state >> 33) % 2001) - 1000) / 1000
    }
}

func gaussian(_ size: Int, sigma: Double) -> [Float] {
    let c = Double(size - 1) / 2
    let g = (0..<size).map { exp(-(Double($0) - c) * (Double($0) - c) / (2 * sigma * sigma)) }
    let total = g.reduce(0, +)
    return g.flatMap { a in g.map { Float(a * $0 / (total * total)) } }
}

struct Row {
    let name: String
    let bank: FilterBank
    let path: ConvolutionEngine.Path?
}

let c = input.shape.channels
var rows: [Row] = []
do {
    let sharpen: [Float] = [0, -1, 0, -1, 5, -1, 0, -1, 0]
    let k3 = try DepthwiseFilter(kernels: [sharpen], height: 3, width: 3, channels: c)
    let k3m8 = try DepthwiseFilter(kernels: (0..<8).map { kernel(9, seed: UInt64($0) + 1) }, height: 3, width: 3, channels: c)
    let k7 = try DepthwiseFilter(kernels: [kernel(49, seed: 77)], height: 7, width: 7, channels: c)
    let g7 = try DepthwiseFilter(kernels: [gaussian(7, sigma: 1.5)], height: 7, width: 7, channels: c)
    let g5 = try DepthwiseFilter(kernels: [gaussian(5, sigma: 1.0)], height: 5, width: 5, channels: c)
    let sobel = try DepthwiseFilter(kernels: [NamedBank.edges.kernels[0].values], height: 3, width: 3, channels: c)
    let dw = try DepthwiseFilter(kernels: [kernel(9, seed: 5)], height: 3, width: 3, channels: c)
    let pw = try PointwiseFilter(shape: [1, 1, c, 16], values: kernel(c * 16, seed: 9))
    let edges = try FilterBank(depthwise: NamedBank.edges.depthwise(channels: c))
    rows.append(Row(name: "depthwise 3x3, M=1", bank: try FilterBank(depthwise: k3), path: nil))
    rows.append(Row(name: "depthwise 3x3, M=8", bank: try FilterBank(depthwise: k3m8), path: nil))
    rows.append(Row(name: "depthwise 7x7, M=1, general", bank: try FilterBank(depthwise: k7), path: nil))
    rows.append(Row(name: "depthwise 7x7 gaussian (rank 1)", bank: try FilterBank(depthwise: g7), path: nil))
    rows.append(Row(name: "separable 3x3, M=1, pointwise 16", bank: try FilterBank(depthwise: dw, pointwise: pw), path: nil))
    rows.append(Row(name: "edges (Sobel x, y; M=2), the default bank", bank: edges, path: nil))
    if extraRows {
        rows.append(Row(name: "3x3 Sobel x, direct", bank: try FilterBank(depthwise: sobel), path: .direct))
        rows.append(Row(name: "3x3 Sobel x, rank-1", bank: try FilterBank(depthwise: sobel), path: .rank1))
        rows.append(Row(name: "5x5 gaussian, direct", bank: try FilterBank(depthwise: g5), path: .direct))
        rows.append(Row(name: "5x5 gaussian, rank-1", bank: try FilterBank(depthwise: g5), path: .rank1))
        rows.append(Row(name: "7x7 gaussian, direct", bank: try FilterBank(depthwise: g7), path: .direct))
        rows.append(Row(name: "3x3 M=8, expanded (direct)", bank: try FilterBank(depthwise: k3m8), path: .direct))
        rows.append(Row(name: "3x3 M=1, reflect border", bank: try FilterBank(depthwise: k3, border: .reflect), path: nil))
        rows.append(Row(name: "edges (M=2), direct", bank: edges, path: .direct))
        rows.append(Row(name: "edges (M=2), rank-1", bank: edges, path: .rank1))
    }
} catch {
    print("Benchmarks: \(error)")
    exit(1)
}

// MARK: checking sampled rows against the reference

/// Output row `y` of the engine's result, recomputed by `ReferenceConvolution`
/// from a strip holding exactly the input rows that row reads (rows the border
/// maps to copied in, zero rows for zero padding) with VALID vertical padding
/// and the original horizontal pads and border mode.
func referenceRow(_ y: Int, plan: ConvolutionPlan) throws -> [Float] {
    let bank = plan.bank
    let kh = plan.rows.effectiveKernel
    let rowFloats = plan.input.rowCount
    var strip = [Float](repeating: 0, count: kh * rowFloats)
    for i in 0..<kh {
        guard let r = plan.sourceRow(y * plan.rows.stride - plan.rows.padBefore + i) else { continue }
        for k in 0..<rowFloats { strip[i * rowFloats + k] = input.values[r * rowFloats + k] }
    }
    let stripShape = TensorShape(batch: 1, height: kh, width: plan.input.width, channels: plan.input.channels)
    let stripBank = try FilterBank(depthwise: bank.depthwise, pointwise: bank.pointwise,
                                   strides: HeightWidth(1, bank.strides.width), dilations: bank.dilations,
                                   padding: .explicit(top: 0, bottom: 0, left: plan.columns.padBefore,
                                                      right: plan.columns.padAfter),
                                   bias: bank.bias, border: bank.border)
    return try ReferenceConvolution.apply(stripBank, to: Tensor(shape: stripShape, values: strip)).values
}

/// Worst `|got - want| / max(1, |want|)` over 12 sampled rows (first, last, spread between).
func check(_ output: Tensor, plan: ConvolutionPlan) throws -> Float {
    let h = plan.output.height
    let sample = Set([0, 1, h - 1, h - 2] + (1...8).map { $0 * h / 9 }).filter { $0 >= 0 && $0 < h }
    var worst: Float = 0
    let rowFloats = plan.output.rowCount
    for y in sample.sorted() {
        let want = try referenceRow(y, plan: plan)
        for k in 0..<rowFloats {
            let g = output.values[y * rowFloats + k], w = want[k]
            let deviation = g.isNaN ? .infinity : abs(g - w) / max(1, abs(w))
            worst = max(worst, deviation)
        }
    }
    return worst
}

// MARK: run

/// Resets the kernel's record of this process's peak RSS (`VmHWM`), so that
/// the next `highWaterMark()` is the peak of what follows alone.
func resetHighWaterMark() {
    if let file = fopen("/proc/self/clear_refs", "w") {
        fputs("5", file)
        fclose(file)
    }
}

/// `VmHWM` from /proc/self/status, MiB (peak RSS since the last reset).
func highWaterMark() -> Double {
    guard let file = fopen("/proc/self/status", "r") else { return .nan }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            let digits = text.filter { $0.isNumber }
            return (Double(digits) ?? .nan) / 1024
        }
    }
    return .nan
}

func loadAverage() -> String {
    guard let file = fopen("/proc/loadavg", "r") else { return "?" }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return "?" }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(text.split(separator: " ").prefix(3).joined(separator: " "))
}

let build = "kernels: \(levels.map(\.description).joined(separator: ", ")) (this CPU has \(InstructionSet.available.map(\.description).joined(separator: ", ")); chosen: \(InstructionSet.current))"
let selected = rows.filter { row in only.isEmpty || only.contains(where: { row.name.contains($0) }) }
print("image \(imagePath), cropped to \(shape) (\(format(Double(shape.height * shape.width) / 1e6, 2)) MP)")
print("\(build); \(parallel ? "\(ConvolutionEngine.activeCores) threads" : "1 thread"); \(runs) interleaved rounds; load average at start \(loadAverage())")

// 1. Each row alone: the allocating apply (first touch of the output included),
//    its peak RSS, and the reference check of sampled rows.
struct Measured {
    var row: Row
    var engine: ConvolutionEngine
    var plan: ConvolutionPlan
    var deviation: Float = 0
    var peak: Double = 0
    var times: [Double] = []
    var allocating: [Double] = []
}
var measured: [Measured] = []
var failed = false
for row in selected {
    for level in levels {
    do {
        let plan = try ConvolutionPlan(input: shape, bank: row.bank)
        var m = Measured(row: row, engine: ConvolutionEngine(plan: plan, path: row.path, instructionSet: level), plan: plan)
        resetHighWaterMark()
        let t0 = now()
        let output = m.engine.apply(to: input, parallel: parallel)
        m.allocating.append(now() - t0)
        m.peak = highWaterMark()
        m.deviation = try check(output, plan: plan)
        if !(m.deviation <= 1e-5) { failed = true }
        measured.append(m)
    } catch {
        print("\(row.name): error: \(error)")
        exit(1)
    }
    }
}

// 2. Interleaved rounds (every row once per round, so a slow spell of a shared
//    machine hurts all rows alike): into a preallocated output, then allocating.
for round in 0...runs {
    for i in measured.indices {
        var output = Tensor(zeros: measured[i].plan.output)
        measured[i].engine.apply(to: input, into: &output, parallel: parallel, streaming: streaming)  // touches the pages
        let t0 = now()
        measured[i].engine.apply(to: input, into: &output, parallel: parallel, streaming: streaming)
        let t1 = now()
        if round > 0 { measured[i].times.append(t1 - t0) }  // round 0 warms up
    }
    if round > 0 && round <= 2 {
        for i in measured.indices {
            let t0 = now()
            let fresh = measured[i].engine.apply(to: input, parallel: parallel)
            measured[i].allocating.append(now() - t0)
            precondition(fresh.values.count == measured[i].plan.output.count)
        }
    }
}

print("load average at end \(loadAverage()); process peak RSS \(format(peakRSS(), 0)) MiB")
print("")
print("| work | level | path | into preallocated output: median (min) | GMAC/s (median) | allocating `apply(to:)`, median of 3 | peak RSS of the allocating run | max rel. deviation from reference (12 rows) |")
print("|---|---|---|---|---|---|---|---|")
for m in measured {
    let row = m.row
    let times = m.times.sorted(), allocating = m.allocating.sorted()
    let median = times[times.count / 2]
    let gmac = Double(m.plan.multiplyAccumulatesPerImage) / median / 1e9
    let ok = m.deviation <= 1e-5
    print("| \(row.name) | \(m.engine.instructionSet) | \(m.engine.path) | \(format(median * 1000)) ms (\(format(times[0] * 1000))) | \(format(gmac)) | \(format(allocating[allocating.count / 2] * 1000)) ms | \(format(m.peak, 0)) MiB | \(m.deviation)\(ok ? "" : " FAIL") |")
}
if tsv {
    for m in measured {
        let runs = m.times.map { format($0 * 1000, 3) }.joined(separator: ",")
        print("tsv\t\(m.row.name)\t\(m.engine.instructionSet)\t\(m.engine.path)\t\(runs)")
    }
}
exit(failed ? 1 : 0)
