/// Where everything goes on a contact sheet of feature maps: a title line,
/// a grid of cells (each a label line above a tile), and a colour bar with
/// its values underneath.
///
/// **Grid.** For a depthwise bank whose tiles come from two or more input
/// channels: one row per input channel, one column per kernel (cells of
/// outputs not shown stay empty). Otherwise (a separable bank, a single
/// input channel, or `columns` given): a near-square grid, `ceil(sqrt(n))`
/// columns, filled row by row.
///
/// **Size.** Tiles keep the outputs' aspect ratio. By default they are as
/// wide as fits a sheet of `maxWidth` pixels (never enlarged); a tile width
/// can be given instead, 0 meaning full size.
///
/// **Text** is the built-in `BitmapFont` at an integer `scale` that grows
/// with the tile (1 below 256 pixels, up to 4); margins, gaps and the bar
/// grow with it.
public struct SheetLayout: Sendable, Equatable {
    /// Default most sheet width, in pixels.
    public static let defaultMaxWidth = 4096

    public let columns: Int
    public let rows: Int
    /// The cell of each tile, `row * columns + column`, in the order given.
    public let cells: [Int]
    public let tileWidth: Int
    public let tileHeight: Int
    /// Text scale: each font pixel is `scale x scale`.
    public let scale: Int
    public let width: Int
    public let height: Int

    public var margin: Int { 6 * scale }
    public var gap: Int { 4 * scale }
    /// A cell is at least six characters wide, so that short labels show.
    public var cellWidth: Int { max(tileWidth, BitmapFont.width(of: "c000 ·", scale: scale)) }
    public var labelHeight: Int { (BitmapFont.lineHeight + 3) * scale }
    public var titleHeight: Int { (BitmapFont.lineHeight + 6) * scale }
    public var cellHeight: Int { labelHeight + tileHeight }
    public var gridTop: Int { margin + titleHeight }
    public var gridHeight: Int { rows * cellHeight + (rows - 1) * gap }

    /// The colour bar's rectangle (its labels are the text line under it).
    public var bar: (x: Int, y: Int, width: Int, height: Int) {
        (margin, gridTop + gridHeight + 3 * gap, max(1, min(width - 2 * margin, 256 * scale)), 10 * scale)
    }

    /// Grid shape and cells for tiles of `outputs` (sorted output channels):
    /// `multiplier` is `M` for a depthwise bank (nil for a separable one);
    /// `columns` forces a near-square-style grid of that many columns.
    public static func arrangement(outputs: [Int], multiplier: Int?, columns: Int? = nil)
        -> (columns: Int, rows: Int, cells: [Int]) {
        precondition(!outputs.isEmpty)
        if let m = multiplier, columns == nil {
            var inputs: [Int] = [], slots: [Int] = []
            for k in outputs {
                if inputs.last != k / m { inputs.append(k / m) }
                if !slots.contains(k % m) { slots.append(k % m) }
            }
            slots.sort()
            if inputs.count >= 2 {
                let cells = outputs.map { k in inputs.firstIndex(of: k / m)! * slots.count + slots.firstIndex(of: k % m)! }
                return (slots.count, inputs.count, cells)
            }
        }
        let n = outputs.count
        var c = 1
        while c * c < n { c += 1 }
        if let columns { c = max(1, min(columns, n)) }
        return (c, (n + c - 1) / c, Array(0..<n))
    }

    /// The layout of tiles from `sourceWidth x sourceHeight` outputs.
    /// - Parameters:
    ///   - tileWidth: nil: fit `maxWidth`; 0: full size; else that width (never enlarged).
    public init(sourceWidth: Int, sourceHeight: Int, columns: Int, rows: Int, cells: [Int],
                tileWidth requested: Int? = nil, maxWidth: Int = SheetLayout.defaultMaxWidth) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && columns > 0 && rows > 0)
        precondition(cells.allSatisfy { $0 >= 0 && $0 < columns * rows })
        func textScale(_ tile: Int) -> Int { max(1, min(4, tile / 256)) }
        var tile: Int, scale: Int
        if let requested {
            tile = requested == 0 ? sourceWidth : min(max(1, requested), sourceWidth)
            scale = textScale(tile)
        } else {
            scale = 1
            tile = sourceWidth
            for _ in 0..<3 {  // the chrome grows with the scale, which follows the tile
                let available = (maxWidth - 12 * scale - (columns - 1) * 4 * scale) / columns
                tile = max(1, min(sourceWidth, available))
                scale = textScale(tile)
            }
        }
        let size = AreaResampler.fit(sourceWidth: sourceWidth, sourceHeight: sourceHeight, width: tile)
        self.columns = columns
        self.rows = rows
        self.cells = cells
        self.scale = scale
        tileWidth = size.width
        tileHeight = size.height
        let cell = max(size.width, BitmapFont.width(of: "c000 ·", scale: scale))
        width = 2 * 6 * scale + columns * cell + (columns - 1) * 4 * scale
        let grid = rows * ((BitmapFont.lineHeight + 3) * scale + size.height) + (rows - 1) * 4 * scale
        // margin, title, grid, gap before the bar, bar, its labels, margin
        height = 6 * scale + (BitmapFont.lineHeight + 6) * scale + grid + 3 * 4 * scale + 10 * scale
            + (BitmapFont.lineHeight + 2) * scale + 6 * scale
    }

    /// Top-left corner of cell `cell` (its label line).
    public func cellOrigin(_ cell: Int) -> (x: Int, y: Int) {
        (margin + (cell % columns) * (cellWidth + gap), gridTop + (cell / columns) * (cellHeight + gap))
    }

    /// Top-left corner of the tile in cell `cell` (centred in the cell's width).
    public func tileOrigin(_ cell: Int) -> (x: Int, y: Int) {
        let o = cellOrigin(cell)
        return (o.x + (cellWidth - tileWidth) / 2, o.y + labelHeight)
    }
}

extension SheetLayout {
    /// Kernel names for tile labels, shortened to what tells them apart: of
    /// kernels with the same base name, the `key=value` parameters they all
    /// share are left out (`gabor:8`'s `gabor:theta=22.5,sigma=2,...` becomes
    /// `gabor:theta=22.5`). Names without parameters, literals and a kernel
    /// alone of its kind stay whole.
    public static func shortKernelNames(_ names: [String]) -> [String] {
        func parts(_ name: String) -> (base: Substring, parameters: [Substring])? {
            guard let colon = name.firstIndex(of: ":") else { return nil }
            let parameters = name[name.index(after: colon)...].split(separator: ",")
            guard !parameters.isEmpty, parameters.allSatisfy({ $0.contains("=") }) else { return nil }
            return (name[..<colon], parameters)
        }
        let parsed = names.map(parts)
        return names.indices.map { i in
            guard let (base, parameters) = parsed[i] else { return names[i] }
            let kin = parsed.compactMap { $0 }.filter { $0.base == base }
            guard kin.count > 1 else { return names[i] }
            let kept = parameters.filter { p in !kin.allSatisfy { $0.parameters.contains(p) } }
            return kept.isEmpty ? names[i] : base + ":" + kept.joined(separator: ",")
        }
    }
}

/// What the colour bar says: the values at its ends and where 0 falls.
public struct ColorBarLabels: Sendable, Equatable {
    public var low: String
    public var high: String
    /// Where 0 is along the bar (0...1) and its text, when it is inside.
    public var zero: (position: Float, text: String)?

    public init(low: String, high: String, zero: (position: Float, text: String)?) {
        self.low = low
        self.high = high
        self.zero = zero
    }

    public static func == (a: ColorBarLabels, b: ColorBarLabels) -> Bool {
        a.low == b.low && a.high == b.high && a.zero?.position == b.zero?.position && a.zero?.text == b.zero?.text
    }

    /// The labels for tiles mapped with `mappings`. One map for all: the
    /// values at pixel 0 and at full scale, and 0 where it falls. Maps that
    /// differ (each channel scaled by its own range): `-max` / `+max` or
    /// `min` / `max`, each tile's label then carries its own range
    /// (`ChannelMapping.rangeText`); 0 is marked when every map puts it at
    /// the same place.
    public init(mappings: [ChannelMapping]) {
        precondition(!mappings.isEmpty)
        let first = mappings[0]
        let zeros = Set(mappings.map { $0.absolute ? 0 : $0.offset })
        let zero = zeros.count == 1 ? zeros.first! : nil
        let zeroMark: (Float, String)? = zero.flatMap { $0 > 0.02 && $0 < 0.98 ? ($0, "0") : nil }
        if mappings.allSatisfy({ $0 == first }) && first.scale != 0 {
            let prefix = first.absolute ? "|v| " : ""
            self.init(low: prefix + ChannelMapping.compact((0 - first.offset) / first.scale),
                      high: ChannelMapping.compact((1 - first.offset) / first.scale), zero: zeroMark)
        } else if zero == 0.5 {
            self.init(low: "-max", high: "+max", zero: zeroMark)
        } else {
            self.init(low: "min", high: "max", zero: zeroMark)
        }
    }
}

extension ChannelMapping {
    /// A number in at most three significant digits: `0.842`, `-12.5`, `3e+04`.
    public static func compact(_ v: Float) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == 0 { return "0" }
        var exponent = 0
        var m = Double(Swift.abs(v))
        while m >= 1000 { m /= 10; exponent += 1 }
        while m < 100 { m *= 10; exponent -= 1 }
        let digits = Int(m.rounded())
        let sign = v < 0 ? "-" : ""
        if exponent > 0 {
            return exponent > 3 || digits == 1000 ? sign + "\(Double(digits) / 100)e+\(exponent + 2)"
                : sign + String(digits * Int(pow10(exponent)))
        }
        var text = String(digits)
        let point = -exponent  // digits after the decimal point
        if point >= text.count { text = String(repeating: "0", count: point - text.count + 1) + text }
        let cut = text.index(text.endIndex, offsetBy: -point)
        var whole = String(text[..<cut]), fraction = String(text[cut...])
        while fraction.last == "0" { fraction.removeLast() }
        if whole.isEmpty { whole = "0" }
        return sign + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    private static func pow10(_ e: Int) -> Double {
        var p = 1.0
        for _ in 0..<e { p *= 10 }
        return p
    }

    /// The values this map shows from black to full scale, for a tile's
    /// label: `±0.84` (0 in the middle), else `0..1`; `|v|` ranges start with `|v|`.
    public var rangeText: String {
        guard scale != 0 else { return "const" }
        let low = (0 - offset) / scale, high = (1 - offset) / scale
        if !absolute, Swift.abs(low + high) <= 1e-6 * Swift.max(1, Swift.abs(high)) { return "±" + Self.compact(high) }
        return (absolute ? "|v| " : "") + Self.compact(low) + ".." + Self.compact(high)
    }
}

/// A contact sheet ready to draw: its layout, text and colours. Rendered a
/// band of rows at a time (`render`), so that only the tiles' 8-bit levels
/// and one band of RGB need to exist.
public struct ContactSheet: Sendable {
    /// Separators, margins and the label area: a dark slate no colour map
    /// uses, so that the grid never looks like data.
    public static let background = RGB(34, 38, 46)
    public static let text = RGB(236, 238, 242)
    /// Empty cells: stripes of the background and this.
    public static let emptyStripe = RGB(70, 75, 88)

    public let layout: SheetLayout
    public let title: String
    /// One per tile (in the order of `layout.cells`).
    public let labels: [String]
    public let colormap: Colormap
    public let bar: ColorBarLabels
    private let table: [UInt8]
    private let tileOfCell: [Int]

    public init(layout: SheetLayout, title: String, labels: [String], colormap: Colormap, bar: ColorBarLabels) {
        precondition(labels.count == layout.cells.count)
        self.layout = layout
        self.title = title
        self.labels = labels
        self.colormap = colormap
        self.bar = bar
        table = colormap.table
        var tileOfCell = [Int](repeating: -1, count: layout.columns * layout.rows)
        for (i, cell) in layout.cells.enumerated() { tileOfCell[cell] = i }
        self.tileOfCell = tileOfCell
    }

    /// Draws sheet rows `rows` as packed RGB into `pixels` (`rows.count *
    /// layout.width * 3` bytes); `tile(i)` gives tile `i`'s levels,
    /// `tileWidth * tileHeight` bytes, row-major.
    public func render(rows: Range<Int>, tile: (Int) -> UnsafePointer<UInt8>, into pixels: UnsafeMutablePointer<UInt8>) {
        let l = layout, s = l.scale
        let canvas = RGBCanvas(pixels: pixels, width: l.width, firstRow: rows.lowerBound, rowCount: rows.count)
        canvas.fill(x: 0, y: rows.lowerBound, width: l.width, height: rows.count, color: Self.background)
        BitmapFont.draw(BitmapFont.fitting(title, width: l.width - 2 * l.margin, scale: s), x: l.margin, y: l.margin,
                        scale: s, color: Self.text, on: canvas)
        // Only the grid rows this band crosses.
        let pitch = l.cellHeight + l.gap
        let firstGridRow = max(0, (rows.lowerBound - l.gridTop) / pitch)
        let lastGridRow = min(l.rows - 1, max(0, (rows.upperBound - 1 - l.gridTop) / pitch))
        if rows.upperBound > l.gridTop, firstGridRow <= lastGridRow {
            for gridRow in firstGridRow...lastGridRow {
                for column in 0..<l.columns {
                    drawCell(gridRow * l.columns + column, canvas: canvas, tile: tile)
                }
            }
        }
        drawBar(canvas)
    }

    private func drawCell(_ cell: Int, canvas: RGBCanvas, tile: (Int) -> UnsafePointer<UInt8>) {
        let l = layout, s = l.scale
        let cellOrigin = l.cellOrigin(cell), origin = l.tileOrigin(cell)
        let index = tileOfCell[cell]
        guard index >= 0 else {
            // Empty: diagonal stripes over the tile area.
            let period = 4 * s
            for y in canvas.clip(y: origin.y, height: l.tileHeight) {
                var p = canvas.pixels + ((y - canvas.firstRow) * canvas.width + cellOrigin.x) * 3
                for x in cellOrigin.x..<(cellOrigin.x + l.cellWidth) {
                    let c = ((x + y) / period) % 2 == 0 ? Self.emptyStripe : Self.background
                    p[0] = c.r
                    p[1] = c.g
                    p[2] = c.b
                    p += 3
                }
            }
            return
        }
        BitmapFont.draw(BitmapFont.fitting(labels[index], width: l.cellWidth, scale: s), x: cellOrigin.x,
                        y: cellOrigin.y + s, scale: s, color: Self.text, on: canvas)
        let levels = tile(index)
        table.withUnsafeBufferPointer { table in
            for y in canvas.clip(y: origin.y, height: l.tileHeight) {
                let source = levels + (y - origin.y) * l.tileWidth
                let p = canvas.pixels + ((y - canvas.firstRow) * canvas.width + origin.x) * 3
                for x in 0..<l.tileWidth {
                    let t = Int(source[x]) &* 3
                    p[3 &* x] = table[t]
                    p[3 &* x &+ 1] = table[t &+ 1]
                    p[3 &* x &+ 2] = table[t &+ 2]
                }
            }
        }
    }

    private func drawBar(_ canvas: RGBCanvas) {
        let b = layout.bar, s = layout.scale
        table.withUnsafeBufferPointer { table in
            for y in canvas.clip(y: b.y, height: b.height) {
                let p = canvas.pixels + ((y - canvas.firstRow) * canvas.width + b.x) * 3
                for x in 0..<b.width {
                    let t = (b.width > 1 ? (x * 255 + (b.width - 1) / 2) / (b.width - 1) : 128) * 3
                    p[3 * x] = table[t]
                    p[3 * x + 1] = table[t + 1]
                    p[3 * x + 2] = table[t + 2]
                }
            }
        }
        let textY = b.y + b.height + 2 * s
        let lowWidth = BitmapFont.width(of: bar.low, scale: s), highWidth = BitmapFont.width(of: bar.high, scale: s)
        BitmapFont.draw(bar.low, x: b.x, y: textY, scale: s, color: Self.text, on: canvas)
        let highX = max(b.x + lowWidth + BitmapFont.advance * s, b.x + b.width - highWidth)
        BitmapFont.draw(bar.high, x: highX, y: textY, scale: s, color: Self.text, on: canvas)
        if let zero = bar.zero {
            let at = b.x + Int(zero.position * Float(b.width - 1))
            let w = BitmapFont.width(of: zero.text, scale: s)
            let x = at - w / 2
            // A tick on the bar, and the text when it does not run into the end labels.
            canvas.fill(x: at - s / 2, y: b.y + b.height, width: max(1, s), height: s, color: Self.text)
            if x > b.x + lowWidth + s, x + w + s < highX {
                BitmapFont.draw(zero.text, x: x, y: textY, scale: s, color: Self.text, on: canvas)
            }
        }
    }
}
