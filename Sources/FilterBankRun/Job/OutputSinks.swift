import FilterBankIO
import FilterBankKit

/// Receives a job's output rows band by band and turns them into files,
/// staged under temporary names until `commit`.
protocol OutputSink: AnyObject {
    /// Image `n` of one pass, whose values hold the output channels `outputs`
    /// (indices into the bank's K outputs, sorted) in that order.
    func beginImage(_ n: Int, outputs: [Int]) throws(FileError)
    /// Output rows `rows` of the current image: `rows.count * W_out * outputs.count` Floats, NHWC.
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
    func beginImage(_ n: Int, outputs: [Int]) throws(FileError) { for s in sinks { try s.beginImage(n, outputs: outputs) } }
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

/// One image per selected output channel, each written band by band through
/// its own encoder, each channel mapped with its own `ChannelMapping`:
/// grayscale, or 8-bit RGB through a `Colormap`. Channels are mapped and
/// encoded on all cores (`Parallel.forEach`, one writer per channel, so no
/// writer is shared between threads), which measured faster than one after
/// another (docs/performance.md). Only the current pass's channels are open.
/// Optionally measures each channel's statistics on the way (for the
/// statistics sidecar).
final class ChannelImageSink: OutputSink {
    let shape: TensorShape  // the bank's output: [N, H_out, W_out, K]
    let format: OutputFormat
    let encoding: ApplyJob.ImageEncoding
    let colormap: Colormap
    /// The output channels written, sorted; image `n`'s channel `selected[i]` is `paths[n * selected.count + i]`.
    let selected: [Int]
    let paths: [String]
    let staged: StagedFiles
    /// `mappings[n][k]`: the map of image n's channel k.
    let mappings: [[ChannelMapping]]
    /// Statistics of each image's channels (`[n][k]`), filled while writing when `measure` is set.
    private(set) var statistics: [[ChannelStatistics]]
    let measure: Bool
    /// Where each channel's path sits in `paths` (per image), -1 when not selected.
    private let position: [Int]
    /// The current pass's writers, its channel `i`'s in slot `i`.
    private var writers = Slots<any ChannelWriter>([])
    private var outputs: [Int] = []
    private var image = 0
    private var scratch = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
    private var scratchBytes = 1

    init(shape: TensorShape, format: OutputFormat, encoding: ApplyJob.ImageEncoding, colormap: Colormap, selected: [Int],
         paths: [String], staged: StagedFiles, measure: Bool, mappings: [[ChannelMapping]]) {
        precondition(format != .npy && paths.count == shape.batch * selected.count)
        precondition(colormap == .gray || encoding.bitDepth == 8)
        self.shape = shape
        self.format = format
        self.encoding = encoding
        self.colormap = colormap
        self.selected = selected
        self.paths = paths
        self.staged = staged
        self.measure = measure
        self.mappings = mappings
        var position = [Int](repeating: -1, count: shape.channels)
        for (i, k) in selected.enumerated() { position[k] = i }
        self.position = position
        statistics = measure ? Array(repeating: Array(repeating: ChannelStatistics(), count: shape.channels), count: shape.batch) : []
    }

    deinit { scratch.deallocate() }

    private func path(_ k: Int) -> String { paths[image * selected.count + position[k]] }

    /// Opens channel `k`'s writer on a temporary file (`StagedFiles.createFile`:
    /// `O_EXCL | O_NOFOLLOW`, an unpredictable name); the encoder writes to that descriptor.
    private func openWriter(_ k: Int) throws(FileError) -> any ChannelWriter {
        let final = path(k)
        let rgb = colormap != .gray
        let file = try staged.createFile(final)
        defer { try? file.close() }   // the encoder keeps its own duplicate
        do throws(ImageError) {
            switch format {
            case .png:
                // Fewer channels than cores: each channel's bands are cut over the spare cores.
                return try PNGRowWriter(file: file, width: shape.width, height: shape.height,
                                        bitDepth: encoding.bitDepth, colorType: rgb ? .rgb : .gray,
                                        compression: encoding.pngCompression,
                                        threads: max(1, Parallel.cores / selected.count))
            default:
                // Optimal Huffman tables would hold every coefficient (about 2 bytes a
                // sample) until the end: not while streaming K planes at once.
                return try JPEGRowWriter(file: file, width: shape.width, height: shape.height,
                                         quality: encoding.jpegQuality, colorType: rgb ? .rgb : .gray,
                                         optimizeCoding: false)
            }
        } catch {
            throw FileError(path: final, message: error.message)
        }
    }

    func beginImage(_ n: Int, outputs: [Int]) throws(FileError) {
        image = n
        self.outputs = outputs
        var opened: [any ChannelWriter] = []
        for k in outputs { opened.append(try openWriter(k)) }
        writers = Slots(opened)
    }

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        let width = shape.width, channels = outputs.count, count = rows.count, pixels = count * width
        let rgb = colormap != .gray
        let sampleBytes = format == .png ? encoding.bitDepth / 8 : 1
        // Gray: the plane itself. RGB: the RGB plane, then the levels it is made from.
        let planeBytes = rgb ? pixels * 4 : pixels * sampleBytes
        if scratchBytes < planeBytes * channels {
            scratch.deallocate()
            scratchBytes = planeBytes * channels
            scratch = .allocate(byteCount: scratchBytes, alignment: 16)
        }
        // Channel i maps into its own plane of the scratch and feeds its own writer.
        let source = SharedMemory(values), planes = SharedMemory(scratch.assumingMemoryBound(to: UInt8.self))
        let mappings = outputs.map { self.mappings[image][$0] }, writers = self.writers
        let table = rgb ? colormap.table : []
        let failures = Slots<ImageError?>(count: channels) { _ in nil }
        let measured = measure ? Slots(count: channels) { statistics[image][outputs[$0]] } : nil
        Parallel.forEach(channels) { i, _ in
            let plane = planes.pointer + i * planeBytes
            let values = UnsafePointer(source.pointer + i)
            if sampleBytes == 2 {
                mappings[i].map(values, stride: channels, count: pixels,
                                into: UnsafeMutableRawPointer(plane).assumingMemoryBound(to: UInt16.self))
            } else if rgb {
                let levels = plane + 3 * pixels
                mappings[i].map(values, stride: channels, count: pixels, into: levels)
                table.withUnsafeBufferPointer { table in
                    for p in 0..<pixels {
                        let t = Int(levels[p]) &* 3
                        plane[3 &* p] = table[t]
                        plane[3 &* p &+ 1] = table[t &+ 1]
                        plane[3 &* p &+ 2] = table[t &+ 2]
                    }
                }
            } else {
                mappings[i].map(values, stride: channels, count: pixels, into: plane)
            }
            measured?[i].add(values, stride: channels, count: pixels)
            do throws(ImageError) {
                try writers[i].writeRows(UnsafeRawPointer(plane), rowStride: rgb ? width * 3 : width, rows: count)
            } catch {
                failures[i] = error
            }
        }
        if let measured { for (i, k) in outputs.enumerated() { statistics[image][k] = measured[i] } }
        if let i = failures.all.firstIndex(where: { $0 != nil }), let error = failures[i] {
            throw FileError(path: path(outputs[i]), message: error.message)
        }
    }

    func endImage() throws(FileError) {
        for i in 0..<writers.count {
            do { try writers[i].finish() } catch { throw FileError(path: path(outputs[i]), message: error.message) }
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

    func beginImage(_ n: Int, outputs: [Int]) throws(FileError) {}

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
