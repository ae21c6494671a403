import FilterBankIO
import FilterBankKit

/// A contact sheet per image: every output channel mapped to 8-bit levels and
/// placed as a tile (see `MontageLayout`), then written as one PNG, grayscale
/// or coloured with a `Colormap`, with white separators.
///
/// The tiles are held as 8-bit levels (one byte per output sample) until the
/// image is complete: the sheet's rows mix channels whose rows arrive together,
/// so it cannot be written band by band. That is the least it needs; no float
/// plane is kept.
final class MontageSink: OutputSink {
    let layout: MontageLayout
    let colormap: Colormap
    let outputWidth: Int
    let channels: Int
    let mappings: (_ n: Int) -> [ChannelMapping]
    /// Image `n`'s sheet is `paths[n]`.
    let paths: [String]
    let staged: StagedFiles
    let compression: PNGCompression
    private var levels: [UInt8] = []
    private var current: [ChannelMapping] = []
    private var image = 0

    init(layout: MontageLayout, colormap: Colormap, outputWidth: Int, staged: StagedFiles, compression: PNGCompression,
         mappings: @escaping (_ n: Int) -> [ChannelMapping], paths: [String]) {
        self.layout = layout
        self.colormap = colormap
        self.outputWidth = outputWidth
        self.channels = layout.count
        self.staged = staged
        self.compression = compression
        self.mappings = mappings
        self.paths = paths
    }

    func beginImage(_ n: Int) throws(FileError) {
        image = n
        current = mappings(n)
        levels = [UInt8](repeating: 255, count: layout.width * layout.height)  // separators and empty cells: white
    }

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        let sheetWidth = layout.width
        levels.withUnsafeMutableBufferPointer { sheet in
            for k in 0..<channels {
                let origin = layout.origin(of: k)
                for (i, y) in rows.enumerated() {
                    let destination = sheet.baseAddress! + (origin.y + y) * sheetWidth + origin.x
                    current[k].map(values + i * outputWidth * channels + k, stride: channels, count: outputWidth,
                                   into: destination)
                }
            }
        }
    }

    func endImage() throws(FileError) {
        let target = paths[image]
        let width = layout.width, height = layout.height, colorType: PNGColorType = colormap == .gray ? .gray : .rgb
        let compression = self.compression
        let writer = try staged.create(target) { (temporary) throws(FileError) in
            do throws(ImageError) {
                return try PNGRowWriter(path: temporary, width: width, height: height, bitDepth: 8,
                                        colorType: colorType, compression: compression)
            } catch {
                throw FileError(path: target, message: error.message)
            }
        }
        do throws(ImageError) {
            if colormap == .gray {
                try levels.withUnsafeBufferPointer { (sheet) throws(ImageError) in
                    try writer.writeRows(sheet.baseAddress!, rowStride: width, rows: layout.height)
                }
            } else {
                let table = colormap.table
                var row = [UInt8](repeating: 0, count: width * 3)
                for y in 0..<layout.height {
                    for x in 0..<width {
                        let t = Int(levels[y * width + x]) * 3
                        let isTile = layout.tile(at: x, y) != nil
                        row[x * 3] = isTile ? table[t] : 255
                        row[x * 3 + 1] = isTile ? table[t + 1] : 255
                        row[x * 3 + 2] = isTile ? table[t + 2] : 255
                    }
                    try row.withUnsafeBufferPointer { (r) throws(ImageError) in
                        try writer.writeRows(r.baseAddress!, rowStride: width * 3, rows: 1)
                    }
                }
            }
            try writer.finish()
        } catch {
            throw FileError(path: target, message: error.message)
        }
        levels = []
    }
}
