// `Benchmarks --png`: where the default job's time goes, and the PNG encoders' speed on real
// edge maps (docs/performance.md, "PNG writing").
//
// The job's stages, one after another on the whole image: decode the photo (libjpeg-turbo,
// whole image), convolve it with the default bank (Sobel x and y of every channel, all cores),
// map the six output channels to 8-bit planes (one core, as `--map clamp` does), and encode
// each plane as a PNG in bands of 64 rows, on one core, with filterbank's encoder
// (`PNGCompression.fast`) and with zlib level 1, Z_RLE, Sub filter through libpng (`zlibFast`,
// the `fast` setting before filterbank had its own encoder, and OpenCV's default). Throughput
// is raw plane bytes per second of one core, by the wall clock and by the encoding thread's CPU
// time (CLOCK_THREAD_CPUTIME_ID: time the thread ran, so less disturbed by other processes on
// a shared machine than the wall clock). Median of `--runs` interleaved rounds.
import FilterBankIO
import FilterBankKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func runPNGBenchmark(imagePath: String, input: Tensor, runs: Int) -> Never {
    let edges: FilterBank
    let engine: ConvolutionEngine
    do {
        edges = try FilterBank(depthwise: NamedBank.edges.depthwise(channels: input.shape.channels))
        engine = ConvolutionEngine(plan: try ConvolutionPlan(input: input.shape, bank: edges))
    } catch {
        print("Benchmarks: \(error)")
        exit(1)
    }
    var output = Tensor(zeros: engine.plan.output)
    engine.apply(to: input, into: &output)
    let shape = output.shape
    let planeCount = shape.channels, planeBytes = shape.height * shape.width
    let mapping = ChannelMapping(mode: .clamp, statistics: nil)
    var planes = [[UInt8]](repeating: [UInt8](repeating: 0, count: planeBytes), count: planeCount)

    let directory = "/tmp/filterbank-png-benchmark-\(getpid())"
    mkdir(directory, 0o700)
    defer { rmdir(directory) }

    func threadTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Writes every plane with `compression` in bands of 64 rows, one core;
    /// returns (wall seconds, CPU seconds of this thread, bytes).
    func encodeAll(_ compression: PNGCompression) -> (Double, Double, Int) {
        var seconds = 0.0, cpu = 0.0, bytes = 0
        for (k, plane) in planes.enumerated() {
            let path = "\(directory)/c\(k).png"
            let t0 = now(), c0 = threadTime()
            do {
                let writer = try PNGRowWriter(path: path, width: shape.width, height: shape.height, bitDepth: 8,
                                              compression: compression, threads: 1)
                try plane.withUnsafeBufferPointer { buffer in
                    var y = 0
                    while y < shape.height {
                        let rows = min(64, shape.height - y)
                        try writer.writeRows(buffer.baseAddress! + y * shape.width, rowStride: shape.width, rows: rows)
                        y += rows
                    }
                }
                try writer.finish()
            } catch {
                print("Benchmarks: \(error)")
                exit(1)
            }
            seconds += now() - t0
            cpu += threadTime() - c0
            var status = stat()
            stat(path, &status)
            bytes += Int(status.st_size)
            unlink(path)
        }
        return (seconds, cpu, bytes)
    }

    var decode: [Double] = [], convolve: [Double] = [], map: [Double] = []
    var fast: [Double] = [], zlib: [Double] = [], fastCPU: [Double] = [], zlibCPU: [Double] = []
    var fastBytes = 0, zlibBytes = 0
    for round in 0...runs {
        var t0 = now()
        let decoded = try? ImageDecoder.decode(path: imagePath)
        let decodeTime = now() - t0
        precondition(decoded != nil)
        t0 = now()
        engine.apply(to: input, into: &output)
        let convolveTime = now() - t0
        t0 = now()
        output.values.withUnsafeBufferPointer { values in
            for k in 0..<planeCount {
                planes[k].withUnsafeMutableBufferPointer {
                    mapping.map(values.baseAddress! + k, stride: planeCount, count: planeBytes, into: $0.baseAddress!)
                }
            }
        }
        let mapTime = now() - t0
        let (fastTime, fastCPUTime, fastSize) = encodeAll(.fast)
        let (zlibTime, zlibCPUTime, zlibSize) = encodeAll(.zlibFast)
        if round > 0 {  // round 0 warms up
            decode.append(decodeTime)
            convolve.append(convolveTime)
            map.append(mapTime)
            fast.append(fastTime)
            zlib.append(zlibTime)
            fastCPU.append(fastCPUTime)
            zlibCPU.append(zlibCPUTime)
        }
        (fastBytes, zlibBytes) = (fastSize, zlibSize)
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let raw = Double(planeCount * planeBytes)
    let megabytes = raw / 1e6
    print("image \(imagePath), input \(input.shape), \(planeCount) output planes of \(shape.width)x\(shape.height) (\(format(megabytes)) MB raw)")
    print("\(runs) interleaved rounds; load average at end \(loadAverage())")
    print("")
    print("| stage | median | note |")
    print("|---|---|---|")
    print("| decode (whole image) | \(format(median(decode) * 1000)) ms | libjpeg-turbo / libpng through ImageDecoder |")
    print("| convolution (edges bank) | \(format(median(convolve) * 1000)) ms | \(ConvolutionEngine.activeCores) threads, into a preallocated output |")
    print("| mapping to 8-bit | \(format(median(map) * 1000)) ms | one core, \(planeCount) planes |")
    print("| PNG encoding, `fast` (filterbank's encoder) | \(format(median(fast) * 1000)) ms | one core, \(planeCount) planes |")
    print("| PNG encoding, `zlibFast` (zlib 1, Z_RLE, Sub) | \(format(median(zlib) * 1000)) ms | one core, \(planeCount) planes |")
    print("")
    print("| encoder | MB/s per core, wall clock (median) | MB/s per core, thread CPU time (median) | PNG bytes | bytes / raw |")
    print("|---|---|---|---|---|")
    print("| `fast` (filterbank's encoder) | \(format(megabytes / median(fast), 0)) | \(format(megabytes / median(fastCPU), 0)) | \(fastBytes) | \(format(Double(fastBytes) / raw, 3)) |")
    print("| `zlibFast` (zlib 1, Z_RLE, Sub filter, libpng) | \(format(megabytes / median(zlib), 0)) | \(format(megabytes / median(zlibCPU), 0)) | \(zlibBytes) | \(format(Double(zlibBytes) / raw, 3)) |")
    exit(0)
}
