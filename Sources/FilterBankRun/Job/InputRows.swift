import FilterBankIO
import FilterBankKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An input's rows, delivered top to bottom, image after image, as Float
/// samples: what a streaming job reads.
protocol RowSource: AnyObject {
    /// `[N, H, W, C]` of everything the source will deliver.
    var shape: TensorShape { get }
    /// The next `count` rows of the current image (`count * W * C` Floats).
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError)
    /// What the codec warned about (empty for arrays).
    var warnings: [String] { get }
}

enum InputRows {
    /// Opens `path` for streaming: images row band by row band through their
    /// codec, `.npy` arrays (loaded whole, used as they are) row by row.
    ///
    /// An image whose EXIF orientation is not 1 is decoded whole and turned
    /// upright first (when `transforms.orient`); the channel transforms
    /// (alpha, gray) apply row by row. A JPEG that ends early is accepted
    /// only with `allowTruncated` (its missing rows are libjpeg's grey).
    static func open(path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                     transforms: InputTransforms = InputTransforms(),
                     allowTruncated: Bool = false) throws(FileError) -> any RowSource {
        try open(path: path, maxPixels: maxPixels, transforms: transforms, allowTruncated: allowTruncated,
                 maxMemory: 0, maxScans: ImageDecoder.defaultMaxScans, names: SettingNames()).source
    }

    /// `open`, within a memory budget (`MemoryBudget`; 0: none): what the
    /// decoder buffers and what turning the image upright holds are checked
    /// from the header, before either is allocated, and returned as the
    /// first parts of the input's need.
    static func open(path: String, maxPixels: Int, transforms: InputTransforms, allowTruncated: Bool,
                     maxMemory: Int, maxScans: Int,
                     names: SettingNames) throws(FileError) -> (source: any RowSource, need: MemoryBudget.Need) {
        var need = MemoryBudget.Need()
        if InputFile.isArray(path) {
            if maxMemory > 0, let shape = try? NpyFile.shape(ofFileAt: path) {
                let (count, overflow) = shape.reduce((1, false)) { partial, n in
                    let (p, o) = partial.0.multipliedReportingOverflow(by: n)
                    return (p, partial.1 || o)
                }
                need.decoding = overflow ? Int.max / 2 : count * MemoryLayout<Float>.stride
                try MemoryBudget.check(need, budget: maxMemory, input: path, names: names)
            }
            return (TensorRowSource(try NpyFile.readTensor(path: path)), need)
        }
        let reader: ImageRowReader
        do {
            reader = try ImageRowReader(path: path, maxPixels: maxPixels, allowTruncated: allowTruncated,
                                        maxMemory: maxMemory, maxScans: maxScans)
        } catch {
            var error = FileError(error)
            if error.message.hasSuffix("memory budget of \(maxMemory) bytes") {
                error = FileError(path: error.path, message: error.message + " (\(names.maxMemory))")
            }
            throw error
        }
        need.decoding = reader.bufferedBytes
        let cmyk = reader.format == .jpeg && reader.channels == 4
        var source: any RowSource = ImageRowSource(reader)
        if transforms.orient && ImageOrientation.values.contains(reader.orientation) && reader.orientation != 1 {
            // Rotations and flips need every row: held whole as raw samples, then served turned.
            need.orientation = reader.height * reader.rawRowBytes
            if maxMemory > 0 { try MemoryBudget.check(need, budget: maxMemory, input: path, names: names) }
            source = OrientedRowSource(reader)
        }
        if transforms.changes(channels: reader.channels, cmyk: cmyk) {
            source = TransformedRowSource(source, transforms: transforms, cmyk: cmyk)
        }
        return (source, need)
    }
}

/// An image whose EXIF orientation is not 1, served upright: its stored rows
/// are decoded on the first read into one buffer of raw 8- or 16-bit samples
/// (`malloc`ed, so pages are touched only as rows arrive: a file that ends
/// early fails having used little, and an allocation that fails is this
/// input's error, not the process's end), then each displayed row is
/// gathered from it and widened to Float as `ImageRowReader` does.
final class OrientedRowSource: RowSource {
    let reader: ImageRowReader
    let shape: TensorShape
    private var samples: UnsafeMutableRawPointer?
    private var row = 0

    init(_ reader: ImageRowReader) {
        self.reader = reader
        shape = ImageOrientation.displayedShape(
            reader.orientation, of: TensorShape(batch: 1, height: reader.height, width: reader.width, channels: reader.channels))
    }

    deinit { free(samples) }

    var warnings: [String] { reader.warnings }

    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let (h, w, c) = (reader.height, reader.width, reader.channels)
        if samples == nil {
            let bytes = max(1, h * reader.rawRowBytes)
            guard let buffer = malloc(bytes) else {
                throw FileError(path: reader.path, message: "cannot allocate \(MemoryBudget.describe(bytes)) to turn the image upright")
            }
            samples = buffer
            // Bands of stored rows, so that an error stops the decode early.
            var done = 0
            while done < h {
                let rows = min(256, h - done)
                do { try reader.readRawRows(rows, into: buffer + done * reader.rawRowBytes) } catch { throw FileError(error) }
                done += rows
            }
        }
        let (origin, stepY, stepX) = ImageOrientation.steps(reader.orientation, height: h, width: w)
        let outWidth = shape.width
        for i in 0..<count {
            let y = row + i
            let out = destination + i * outWidth * c
            if reader.bitDepth == 16 {
                let source = samples!.assumingMemoryBound(to: UInt16.self)
                for x in 0..<outWidth {
                    let p = (origin + y * stepY + x * stepX) * c
                    for k in 0..<c { out[x * c + k] = Float(source[p + k]) / 65535 }
                }
            } else {
                let source = samples!.assumingMemoryBound(to: UInt8.self)
                for x in 0..<outWidth {
                    let p = (origin + y * stepY + x * stepX) * c
                    for k in 0..<c { out[x * c + k] = Float(source[p + k]) / 255 }
                }
            }
        }
        row += count
    }
}

/// An image file's rows, straight from its codec.
final class ImageRowSource: RowSource {
    let reader: ImageRowReader
    init(_ reader: ImageRowReader) { self.reader = reader }
    var shape: TensorShape {
        TensorShape(batch: 1, height: reader.height, width: reader.width, channels: reader.channels)
    }
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        do { try reader.readRows(count, into: destination) } catch { throw FileError(error) }
    }
    var warnings: [String] { reader.warnings }
}

/// The rows of a tensor held in memory (an array file, or an image turned upright).
final class TensorRowSource: RowSource {
    let tensor: Tensor
    let warnings: [String]
    private var offset = 0
    init(_ tensor: Tensor, warnings: [String] = []) {
        self.tensor = tensor
        self.warnings = warnings
    }
    var shape: TensorShape { tensor.shape }
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let floats = count * tensor.shape.rowCount
        tensor.values.withUnsafeBufferPointer { values in
            destination.update(from: values.baseAddress! + offset, count: floats)
        }
        offset += floats
    }
}

/// Rows of another source with the channel transforms applied (`InputTransforms.apply`).
final class TransformedRowSource: RowSource {
    let base: any RowSource
    let transforms: InputTransforms
    let cmyk: Bool
    let shape: TensorShape
    private var scratch: [Float] = []

    init(_ base: any RowSource, transforms: InputTransforms, cmyk: Bool) {
        self.base = base
        self.transforms = transforms
        self.cmyk = cmyk
        var s = base.shape
        s.channels = transforms.outputChannels(s.channels, cmyk: cmyk)
        shape = s
    }

    var warnings: [String] { base.warnings }

    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let channels = base.shape.channels, pixels = count * shape.width
        if scratch.count < pixels * channels { scratch = [Float](repeating: 0, count: pixels * channels) }
        try scratch.withUnsafeMutableBufferPointer { (buffer) throws(FileError) in
            try base.readRows(count, into: buffer.baseAddress!)
            transforms.apply(buffer.baseAddress!, channels: channels, cmyk: cmyk, pixels: pixels, into: destination)
        }
    }
}

/// Some of another source's channels, in a given order (a channel may be
/// listed more than once): what a pass reads when its bank needs only those.
final class ChannelSelectingRowSource: RowSource {
    let base: any RowSource
    let channels: [Int]
    let shape: TensorShape
    private var scratch: [Float] = []

    init(_ base: any RowSource, channels: [Int]) {
        precondition(channels.allSatisfy { $0 >= 0 && $0 < base.shape.channels })
        self.base = base
        self.channels = channels
        var s = base.shape
        s.channels = channels.count
        shape = s
    }

    var warnings: [String] { base.warnings }

    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let from = base.shape.channels, to = channels.count, pixels = count * shape.width
        if scratch.count < pixels * from { scratch = [Float](repeating: 0, count: pixels * from) }
        try scratch.withUnsafeMutableBufferPointer { (buffer) throws(FileError) in
            let source = buffer.baseAddress!
            try base.readRows(count, into: source)
            channels.withUnsafeBufferPointer { channels in
                for p in 0..<pixels {
                    for j in 0..<to { destination[p * to + j] = source[p * from + channels[j]] }
                }
            }
        }
    }
}

/// Where each pass of a job over one input reads its rows: the prepared
/// source once (the first pass that writes), then the file opened again, or,
/// when the input is small (`cacheLimit`) and read more than once, a copy of
/// it in memory read once and shared by every pass.
final class PassInputs {
    /// Floats of input kept in memory to save decoding it again (64 MiB).
    static let cacheLimit = 16 << 20

    let prepared: ApplyJob.PreparedInput
    let job: ApplyJob
    let caches: Bool
    private var tensor: Tensor?
    private var preparedUsed = false

    init(_ prepared: ApplyJob.PreparedInput, job: ApplyJob, reads: Int) {
        self.prepared = prepared
        self.job = job
        caches = reads > 1 && prepared.inputShape.count <= Self.cacheLimit
    }

    /// What the codec warned about while the input was read.
    var warnings: [String] { prepared.source.warnings }

    /// The rows `pass` reads: the input channels its bank takes.
    func source(for pass: OutputSelection, writing: Bool) throws(FileError) -> any RowSource {
        let base: any RowSource
        if caches {
            if tensor == nil {
                let shape = prepared.inputShape
                var values = [Float](repeating: 0, count: shape.count)
                let source = prepared.source
                try values.withUnsafeMutableBufferPointer { (buffer) throws(FileError) in
                    for n in 0..<shape.batch {
                        try source.readRows(shape.height, into: buffer.baseAddress! + n * shape.imageCount)
                    }
                }
                try job.input.failOn.check(source.warnings, input: prepared.path, names: job.names)
                tensor = Tensor(shape: shape, values: values)
            }
            base = TensorRowSource(tensor!, warnings: prepared.source.warnings)
        } else if writing && !preparedUsed {
            preparedUsed = true
            base = prepared.source
        } else {
            base = try job.openRows(prepared.path)
        }
        return pass.readsAllChannels ? base : ChannelSelectingRowSource(base, channels: pass.inputChannels)
    }
}
