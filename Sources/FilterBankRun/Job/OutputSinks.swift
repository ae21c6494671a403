import FilterBankIO
import FilterBankKit

/// Receives a job's output rows band by band and turns them into files,
/// staged under temporary names until `commit`.
protocol OutputSink: AnyObject {
    func beginImage(_ n: Int) throws(FileError)
    /// Output rows `rows` of the current image: `rows.count * W_out * K` Floats, NHWC.
    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError)
    func endImage() throws(FileError)
    /// Completes the sink's files after the last image (they are then staged,
    /// complete, waiting for the job to move them into place).
    func finish() throws(FileError)
}

extension OutputSink {
    func finish() throws(FileError) {}
}

/// Feeds the same rows to several sinks (per-channel files and a montage).
final class SinkGroup: OutputSink {
    let sinks: [any OutputSink]
    init(_ sinks: [any OutputSink]) { self.sinks = sinks }
    func beginImage(_ n: Int) throws(FileError) { for s in sinks { try s.beginImage(n) } }
    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        for s in sinks { try s.write(rows: rows, values: values) }
    }
    func endImage() throws(FileError) { for s in sinks { try s.endImage() } }
    func finish() throws(FileError) { for s in sinks { try s.finish() } }
}

/// A grayscale image file written a band of rows at a time.
protocol ChannelWriter: AnyObject {
    /// 8 or 16.
    var bitDepth: Int { get }
    /// Rows of samples (`UInt8` or host-order `UInt16`), `rowStride` samples apart.
    func writeRows(_ samples: UnsafeRawPointer, rowStride: Int, rows: Int) throws(ImageError)
    func finish() throws(ImageError)
}

extension PNGRowWriter: ChannelWriter {
    func writeRows(_ samples: UnsafeRawPointer, rowStride: Int, rows: Int) throws(ImageError) {
        if bitDepth == 16 {
            try writeRows(samples.assumingMemoryBound(to: UInt16.self), rowStride: rowStride, rows: rows)
        } else {
            try writeRows(samples.assumingMemoryBound(to: UInt8.self), rowStride: rowStride, rows: rows)
        }
    }
}

/// One grayscale image per output channel, each written band by band through
/// its own encoder, each channel mapped with its own `ChannelMapping`.
/// Channels are mapped and encoded on all cores (`Parallel.forEach`, one
/// writer per channel, so no writer is shared between threads), which
/// measured faster than one after another (docs/performance.md). Optionally
/// measures each channel's statistics on the way (for the statistics sidecar).
final class ChannelImageSink: OutputSink {
    let shape: TensorShape  // the output: [N, H_out, W_out, K]
    let format: OutputFormat
    let encoding: ApplyJob.ImageEncoding
    /// Image `n`'s channel `k` is `paths[n * K + k]`.
    let paths: [String]
    let staged: StagedFiles
    /// `mappings(n)`: the K channel maps of image n.
    let mappings: (_ n: Int) -> [ChannelMapping]
    /// Statistics of each image's channels, filled while writing when `measure` is set.
    private(set) var statistics: [[ChannelStatistics]] = []
    let measure: Bool
    /// The current image's writers, channel `k`'s in slot `k`.
    private var writers = Slots<any ChannelWriter>([])
    private var currentMappings: [ChannelMapping] = []
    private var image = 0
    private var scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    private var scratchBytes = 1

    init(shape: TensorShape, format: OutputFormat, encoding: ApplyJob.ImageEncoding, paths: [String],
         staged: StagedFiles, measure: Bool, mappings: @escaping (_ n: Int) -> [ChannelMapping]) {
        precondition(format != .npy && paths.count == shape.batch * shape.channels)
        self.shape = shape
        self.format = format
        self.encoding = encoding
        self.paths = paths
        self.staged = staged
        self.measure = measure
        self.mappings = mappings
    }

    deinit { scratch.deallocate() }

    private func path(_ k: Int) -> String { paths[image * shape.channels + k] }

    /// Opens channel `k`'s writer on a temporary name.
    private func openWriter(_ k: Int) throws(FileError) -> any ChannelWriter {
        let final = path(k)
        let (format, shape, encoding) = (format, shape, encoding)
        return try staged.create(final) { (temporary) throws(FileError) -> any ChannelWriter in
            do throws(ImageError) {
                switch format {
                case .png:
                    return try PNGRowWriter(path: temporary, width: shape.width, height: shape.height,
                                            bitDepth: encoding.bitDepth, compression: encoding.pngCompression)
                default:
                    // Optimal Huffman tables would hold every coefficient (about 2 bytes a
                    // sample) until the end: not while streaming K planes at once.
                    return try JPEGRowWriter(path: temporary, width: shape.width, height: shape.height,
                                             quality: encoding.jpegQuality, optimizeCoding: false)
                }
            } catch {
                throw FileError(path: final, message: error.message)
            }
        }
    }

    func beginImage(_ n: Int) throws(FileError) {
        image = n
        currentMappings = mappings(n)
        statistics.append(Array(repeating: ChannelStatistics(), count: shape.channels))
        var opened: [any ChannelWriter] = []
        for k in 0..<shape.channels { opened.append(try openWriter(k)) }
        writers = Slots(opened)
    }

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        let width = shape.width, channels = shape.channels, count = rows.count
        let sampleBytes = format == .png ? encoding.bitDepth / 8 : 1
        let planeBytes = count * width * sampleBytes
        if scratchBytes < planeBytes * channels {
            scratch.deallocate()
            scratchBytes = planeBytes * channels
            scratch = .allocate(byteCount: scratchBytes, alignment: 16)
        }
        // Channel k maps into its own plane of the scratch and feeds its own writer.
        let source = SharedMemory(values), planes = SharedMemory(scratch.assumingMemoryBound(to: UInt8.self))
        let mappings = currentMappings, writers = self.writers
        let failures = Slots<ImageError?>(count: channels) { _ in nil }
        let measured = measure ? Slots(count: channels) { statistics[image][$0] } : nil
        Parallel.forEach(channels) { k, _ in
            let plane = UnsafeMutableRawPointer(planes.pointer + k * planeBytes)
            let values = UnsafePointer(source.pointer + k)
            if sampleBytes == 2 {
                mappings[k].map(values, stride: channels, count: count * width, into: plane.assumingMemoryBound(to: UInt16.self))
            } else {
                mappings[k].map(values, stride: channels, count: count * width, into: plane.assumingMemoryBound(to: UInt8.self))
            }
            measured?[k].add(values, stride: channels, count: count * width)
            do throws(ImageError) {
                try writers[k].writeRows(UnsafeRawPointer(plane), rowStride: width, rows: count)
            } catch {
                failures[k] = error
            }
        }
        if let measured { statistics[image] = measured.all }
        if let k = failures.all.firstIndex(where: { $0 != nil }), let error = failures[k] {
            throw FileError(path: path(k), message: error.message)
        }
    }

    func endImage() throws(FileError) {
        for k in 0..<writers.count {
            do { try writers[k].finish() } catch { throw FileError(path: path(k), message: error.message) }
        }
        writers = Slots([])
    }
}

/// The whole float32 output tensor `[N, H_out, W_out, K]` as one `.npy` file,
/// written band by band after its header.
final class TensorNpySink: OutputSink {
    let final: String
    let rowBytes: Int
    private let file: OpenFile

    init(shape: TensorShape, path: String, staged: StagedFiles) throws(FileError) {
        final = path
        rowBytes = shape.rowCount * MemoryLayout<Float>.size
        do {
            file = try staged.createFile(path)
            try file.write(NpyFile.header(shape: shape.dimensions))
        } catch {
            throw FileError(path: path, message: error.message)
        }
    }

    func beginImage(_ n: Int) throws(FileError) {}

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        // .npy is little-endian; so is every host this builds for (x86_64, arm64).
        do {
            try file.write(UnsafeRawBufferPointer(start: values, count: rows.count * rowBytes))
        } catch {
            throw FileError(path: final, message: error.message)
        }
    }

    func endImage() throws(FileError) {}

    func finish() throws(FileError) {
        do { try file.close() } catch { throw FileError(path: final, message: error.message) }
    }
}

extension JPEGRowWriter: ChannelWriter {
    var bitDepth: Int { 8 }
    func writeRows(_ samples: UnsafeRawPointer, rowStride: Int, rows: Int) throws(ImageError) {
        try writeRows(samples.assumingMemoryBound(to: UInt8.self), rowStride: rowStride, rows: rows)
    }
}
