import FilterBankIO
import FilterBankKit

/// A contact sheet per image (`ContactSheet`): every selected output channel
/// shrunk by area averaging (`AreaResampler`) as its rows arrive, mapped with
/// its channel's `ChannelMapping` to 8-bit levels and kept as a tile; at the
/// end, drawn with labels, title and colour bar, and written as an RGB PNG a
/// band of rows at a time.
///
/// Memory: the tiles' levels (one byte per tile pixel, so a sheet of at most
/// 4096 pixels wide by default whatever the image size) and one band of the
/// sheet's RGB rows; no float plane is kept. Passes (see `ApplyJob.execute`)
/// fill different tiles of the same sheets.
final class MontageSink: OutputSink {
    let layout: SheetLayout
    let sourceWidth: Int
    let sourceHeight: Int
    let colormap: Colormap
    let title: String
    /// Each tile's label without its range, in the order of `selected`.
    let labels: [String]
    let selected: [Int]
    let mappings: [[ChannelMapping]]
    /// Image `n`'s sheet is `paths[n]`.
    let paths: [String]
    let staged: StagedFiles
    let compression: PNGCompression
    private let tileOf: [Int: Int]
    private var levels: [UnsafeMutablePointer<UInt8>?]
    private var resamplers = Slots<AreaResampler?>([])
    private var outputs: [Int] = []
    private var image = 0

    /// - Parameters:
    ///   - inputChannelNames: names for the input channels in labels (`R`, `G`, `B`...), or nil for `in<c>`.
    init(montage: ApplyJob.Montage, plan: ConvolutionPlan, selected: [Int], kernelNames: [String]?,
         inputChannelNames: [String]?, title: String, staged: StagedFiles, compression: PNGCompression,
         mappings: [[ChannelMapping]], paths: [String]) {
        let bank = plan.bank
        let m = bank.depthwise.multiplier
        let grid = SheetLayout.arrangement(outputs: selected, multiplier: bank.pointwise == nil ? m : nil,
                                           columns: montage.columns)
        let shape = plan.output
        layout = SheetLayout(sourceWidth: shape.width, sourceHeight: shape.height, columns: grid.columns, rows: grid.rows,
                             cells: grid.cells, tileWidth: montage.tileWidth)
        sourceWidth = shape.width
        sourceHeight = shape.height
        colormap = montage.colormap
        self.title = title
        let width = String(max(0, shape.channels - 1)).count
        func padded(_ k: Int) -> String { String(repeating: "0", count: max(0, width - String(k).count)) + String(k) }
        let kernelNames = kernelNames.map(SheetLayout.shortKernelNames)
        labels = selected.map { k in
            guard bank.pointwise == nil else { return "o" + padded(k) }
            let c = k / m, slot = k % m
            let input = inputChannelNames.flatMap { c < $0.count ? $0[c] : nil } ?? "in\(c)"
            let kernel = kernelNames.flatMap { slot < $0.count ? $0[slot] : nil } ?? "k\(slot)"
            return "c" + padded(k) + " · " + input + " · " + kernel
        }
        self.selected = selected
        self.mappings = mappings
        self.paths = paths
        self.staged = staged
        self.compression = compression
        var tileOf: [Int: Int] = [:]
        for (i, k) in selected.enumerated() { tileOf[k] = i }
        self.tileOf = tileOf
        levels = Array(repeating: nil, count: shape.batch)
    }

    deinit { for p in levels { p?.deallocate() } }

    private var tileBytes: Int { layout.tileWidth * layout.tileHeight }

    func beginImage(_ n: Int, outputs: [Int]) throws(FileError) {
        image = n
        self.outputs = outputs
        if levels[n] == nil {
            let bytes = max(1, tileBytes * selected.count)
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes)
            p.initialize(repeating: 0, count: bytes)
            levels[n] = p
        }
        let (w, h, tw, th) = (sourceWidth, sourceHeight, layout.tileWidth, layout.tileHeight)
        let same = tw == w && th == h
        resamplers = Slots(count: outputs.count) { _ in
            same ? nil : AreaResampler(sourceWidth: w, sourceHeight: h, width: tw, height: th)
        }
    }

    func write(rows: Range<Int>, values: UnsafePointer<Float>) throws(FileError) {
        let channels = outputs.count, width = sourceWidth, tileWidth = layout.tileWidth, tileBytes = self.tileBytes
        let tiles = outputs.map { tileOf[$0]! }
        let maps = outputs.map { mappings[image][$0] }
        let source = SharedMemory(values), sheet = SharedMemory(levels[image]!)
        let resamplers = self.resamplers
        // Each channel fills its own tile: channels on all cores.
        Parallel.forEach(channels) { i, _ in
            let tile = sheet.pointer + tiles[i] * tileBytes
            let map = maps[i]
            // Taken out of its slot while it works, so that its buffers are not copied on write.
            var resampler = resamplers[i]
            resamplers[i] = nil
            for (r, y) in rows.enumerated() {
                let row = UnsafePointer(source.pointer) + r * width * channels + i
                if resampler != nil {
                    resampler!.add(row, stride: channels) { ty, averaged in
                        map.map(averaged, stride: 1, count: tileWidth, into: tile + ty * tileWidth)
                    }
                } else {
                    map.map(row, stride: channels, count: width, into: tile + y * tileWidth)
                }
            }
            resamplers[i] = resampler
        }
    }

    func endImage() throws(FileError) {}

    func finish() throws(FileError) {
        for n in levels.indices {
            guard let tiles = levels[n] else { continue }
            try writeSheet(n, tiles: tiles)
        }
    }

    /// The sheet of image `n`: labels carry each tile's range when the tiles' maps differ.
    func sheet(_ n: Int) -> ContactSheet {
        let maps = selected.map { mappings[n][$0] }
        let uniform = maps.allSatisfy { $0 == maps[0] }
        let labels = uniform ? self.labels : zip(self.labels, maps).map { $0 + " " + $1.rangeText }
        return ContactSheet(layout: layout, title: title, labels: labels, colormap: colormap,
                            bar: ColorBarLabels(mappings: maps))
    }

    private func writeSheet(_ n: Int, tiles: UnsafeMutablePointer<UInt8>) throws(FileError) {
        let target = paths[n]
        let sheet = self.sheet(n)
        let width = layout.width, height = layout.height, compression = self.compression, tileBytes = self.tileBytes
        let file = try staged.createFile(target)
        defer { try? file.close() }   // the encoder keeps its own duplicate
        let writer: PNGRowWriter
        do throws(ImageError) {
            // The sheet is written after the channels: its bands may use every core.
            writer = try PNGRowWriter(file: file, width: width, height: height, bitDepth: 8, colorType: .rgb,
                                      compression: compression, threads: Parallel.cores)
        } catch {
            throw FileError(path: target, message: error.message)
        }
        let band = 64
        let strip = UnsafeMutablePointer<UInt8>.allocate(capacity: band * width * 3)
        defer { strip.deallocate() }
        do throws(ImageError) {
            var y = 0
            while y < height {
                let rows = y..<min(y + band, height)
                sheet.render(rows: rows, tile: { UnsafePointer(tiles + $0 * tileBytes) }, into: strip)
                try writer.writeRows(UnsafePointer<UInt8>(strip), rowStride: width * 3, rows: rows.count)
                y = rows.upperBound
            }
            try writer.finish()
        } catch {
            throw FileError(path: target, message: error.message)
        }
    }
}

extension MontageSink {
    /// Label names of an image's channels after the input transforms:
    /// `gray`, `gray A`, `R G B`, `R G B A`; nil for arrays (`in<c>`).
    static func inputChannelNames(path: String, channels: Int) -> [String]? {
        guard !InputFile.isArray(path) else { return nil }
        switch channels {
        case 1: return ["gray"]
        case 2: return ["gray", "A"]
        case 3: return ["R", "G", "B"]
        case 4: return ["R", "G", "B", "A"]
        default: return nil
        }
    }
}
