#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import FilterBankKit

/// Receives a job's output rows band by band and turns them into files,
/// staged under temporary names until `commit`.
protocol OutputSink: AnyObject {
    func beginImage(_ n: Int) throws(FileError)
    /// Output rows `rows` of the current image: `rows.count * W_out * K` Floats, NHWC.
    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError)
    func endImage() throws(FileError)
    /// Moves every file into place and returns the final paths.
    func commit() throws(FileError) -> [String]
}

/// One 8-bit grayscale PNG per output channel, `round(clamp(v, 0, 1) * 255)`,
/// each written row band by row band through its own libpng writer. Channels
/// are mapped and encoded on all cores (one writer per channel, so no writer
/// is shared between threads).
final class ChannelPNGSink: OutputSink {
    let shape: TensorShape  // the output: [N, H_out, W_out, K]
    let paths: (_ n: Int, _ k: Int) -> String
    let compression: PNGCompression
    let staged: StagedFiles
    private var writers: [PNGRowWriter] = []
    private var image = 0
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchRows = 0

    init(shape: TensorShape, compression: PNGCompression, staged: StagedFiles,
         paths: @escaping (_ n: Int, _ k: Int) -> String) {
        self.shape = shape
        self.compression = compression
        self.staged = staged
        self.paths = paths
        scratch = .allocate(capacity: 1)
    }

    deinit { scratch.deallocate() }

    func beginImage(_ n: Int) throws(FileError) {
        image = n
        writers = []
        for k in 0..<shape.channels {
            let temporary = try staged.stage(paths(n, k))
            do {
                writers.append(try PNGRowWriter(path: temporary, width: shape.width, height: shape.height,
                                                bitDepth: 8, compression: compression))
            } catch {
                throw FileError(path: paths(n, k), message: error.message)
            }
        }
    }

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        let width = shape.width, channels = shape.channels, count = rows.count
        if scratchRows < count {
            scratch.deallocate()
            scratch = .allocate(capacity: count * width * channels)
            scratchRows = count
        }
        // Channel k maps into its own slice of the scratch and feeds its own writer.
        let source = SendablePointer(UnsafeMutablePointer(mutating: values))
        let planes = SendablePointer(scratch)
        let sendableWriters = SendableWriters(writers)
        let failures = FailureSlots(count: channels)
        DispatchQueue.concurrentPerform(iterations: channels) { k in
            let plane = planes.pointer + k * count * width
            PixelMapping.clampChannel(source.pointer, channel: k, channels: channels, count: count * width,
                                      into: plane)
            do throws(ImageError) {
                try sendableWriters.items[k].writeRows(plane, rowStride: width, rows: count)
            } catch {
                failures.set(k, error)
            }
        }
        if let (k, error) = failures.first { throw FileError(path: paths(image, k), message: error.message) }
    }

    func endImage() throws(FileError) {
        for (k, writer) in writers.enumerated() {
            do { try writer.finish() } catch { throw FileError(path: paths(image, k), message: error.message) }
        }
        writers = []
    }

    func commit() throws(FileError) -> [String] { try staged.commit() }
}

/// The whole float32 output tensor `[N, H_out, W_out, K]` as one `.npy` file,
/// written band by band after its header.
final class TensorNpySink: OutputSink {
    let final: String
    let staged: StagedFiles
    let rowBytes: Int
    private var fd: Int32 = -1
    private var temporary = ""

    init(shape: TensorShape, path: String, staged: StagedFiles) throws(FileError) {
        final = path
        self.staged = staged
        rowBytes = shape.rowCount * MemoryLayout<Float>.size
        temporary = try staged.stage(path)
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw FileError(path: path, message: "cannot create: \(AtomicFile.errnoDescription())")
        }
        let header = NpyFile.header(shape: shape.dimensions)
        var failure: FileError?
        header.withUnsafeBytes { bytes in
            do throws(FileError) { try writeAll(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    deinit { if fd >= 0 { close(fd) } }

    func beginImage(_ n: Int) throws(FileError) {}

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        // .npy is little-endian; so is every host this builds for (x86_64, arm64).
        try writeAll(UnsafeRawBufferPointer(start: values, count: rows.count * rowBytes))
    }

    func endImage() throws(FileError) {}

    func commit() throws(FileError) -> [String] {
        guard close(fd) == 0 else {
            fd = -1
            throw FileError(path: final, message: "cannot write: \(AtomicFile.errnoDescription())")
        }
        fd = -1
        return try staged.commit()
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) throws(FileError) {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: final, message: "cannot write: \(AtomicFile.errnoDescription())")
            }
            offset += n
        }
    }
}

/// Writers indexed by channel: task `k` only touches `items[k]`.
private struct SendableWriters: @unchecked Sendable {
    let items: [PNGRowWriter]
    init(_ items: [PNGRowWriter]) { self.items = items }
}

/// A raw pointer handed to concurrent tasks that touch disjoint parts of it.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}

/// First error per concurrent task. Each task writes only its own slot of a
/// fixed buffer (never the array machinery, which is not thread-safe), and the
/// slots are read after `concurrentPerform` returns.
private final class FailureSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<ImageError?>
    init(count: Int) { slots = .allocate(capacity: count); slots.initialize(repeating: nil) }
    deinit { slots.deinitialize(); slots.deallocate() }
    func set(_ k: Int, _ error: ImageError) { slots[k] = error }
    var first: (Int, ImageError)? {
        for k in slots.indices { if let e = slots[k] { return (k, e) } }
        return nil
    }
}
