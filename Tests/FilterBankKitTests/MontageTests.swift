import Testing
import FilterBankKit

@Suite struct MontageTests {
    // MARK: - Grid

    @Test func depthwiseGridIsInputChannelsByKernels() {
        let g = SheetLayout.arrangement(outputs: Array(0..<12), multiplier: 4)
        #expect(g.columns == 4 && g.rows == 3)
        #expect(g.cells == Array(0..<12))
        // A subset keeps its rows and columns: outputs 1 (c0 m1), 6 (c1 m2), 9 (c2 m1).
        let subset = SheetLayout.arrangement(outputs: [1, 6, 9], multiplier: 4)
        #expect(subset.columns == 2 && subset.rows == 3)
        #expect(subset.cells == [0, 3, 4])  // c1 m2 is row 1 column 1; c2 m1 row 2 column 0
    }

    @Test func oneInputChannelSeparableOrColumnsGiveANearSquareGrid() {
        // An 8-kernel bank on a gray image: 3 x 3, not a strip of 8.
        let gray = SheetLayout.arrangement(outputs: Array(0..<8), multiplier: 8)
        #expect(gray.columns == 3 && gray.rows == 3 && gray.cells == Array(0..<8))
        let separable = SheetLayout.arrangement(outputs: Array(0..<5), multiplier: nil)
        #expect(separable.columns == 3 && separable.rows == 2)
        let forced = SheetLayout.arrangement(outputs: Array(0..<6), multiplier: 2, columns: 4)
        #expect(forced.columns == 4 && forced.rows == 2)
        #expect(SheetLayout.arrangement(outputs: [0, 1], multiplier: nil, columns: 9).columns == 2)
    }

    @Test func sheetsFitTheDefaultWidthAndTilesKeepTheirAspect() {
        // The 16 MP sample photo through the edges bank: 3 rows x 2 columns of 5312 x 2988 outputs.
        let l = SheetLayout(sourceWidth: 5312, sourceHeight: 2988, columns: 2, rows: 3, cells: Array(0..<6))
        #expect(l.width <= SheetLayout.defaultMaxWidth && l.width >= SheetLayout.defaultMaxWidth - l.columns)
        #expect(abs(Double(l.tileHeight) / Double(l.tileWidth) - 2988.0 / 5312.0) < 0.002)
        #expect(l.scale == 4)  // text grows with the tiles
        #expect(l.width == 4096 && l.height == 3798 && l.tileWidth == 2016 && l.tileHeight == 1134)
        let full = SheetLayout(sourceWidth: 5312, sourceHeight: 2988, columns: 2, rows: 3, cells: Array(0..<6), tileWidth: 0)
        #expect(full.tileWidth == 5312 && full.tileHeight == 2988)
        let given = SheetLayout(sourceWidth: 400, sourceHeight: 200, columns: 2, rows: 1, cells: [0, 1], tileWidth: 100)
        #expect(given.tileWidth == 100 && given.tileHeight == 50 && given.scale == 1)
        // Never enlarged.
        let small = SheetLayout(sourceWidth: 20, sourceHeight: 10, columns: 2, rows: 1, cells: [0, 1], tileWidth: 500)
        #expect(small.tileWidth == 20 && small.tileHeight == 10)
        #expect(small.width == 2 * small.margin + 2 * small.cellWidth + small.gap)
    }

    // MARK: - Drawing

    /// Renders a whole sheet in bands of `band` rows.
    static func render(_ sheet: ContactSheet, tiles: [[UInt8]], band: Int = 7) -> [UInt8] {
        let l = sheet.layout
        let copies = tiles.map { t in
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: t.count)
            p.initialize(from: t, count: t.count)
            return p
        }
        defer { for p in copies { p.deallocate() } }
        var out = [UInt8](repeating: 0, count: l.width * l.height * 3)
        out.withUnsafeMutableBufferPointer { out in
            var y = 0
            while y < l.height {
                let rows = y..<min(y + band, l.height)
                sheet.render(rows: rows, tile: { UnsafePointer(copies[$0]) }, into: out.baseAddress! + y * l.width * 3)
                y = rows.upperBound
            }
        }
        return out
    }

    static func pixel(_ image: [UInt8], _ width: Int, _ x: Int, _ y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(image[i], image[i + 1], image[i + 2])
    }

    @Test func tilesLabelsEmptyCellsAndTheColourBarAreWhereTheLayoutSays() {
        let l = SheetLayout(sourceWidth: 40, sourceHeight: 30, columns: 2, rows: 2, cells: [0, 1, 2], tileWidth: 0)
        let midGrey: UInt8 = 128
        let tiles = [[UInt8](repeating: 0, count: 1200), [UInt8](repeating: midGrey, count: 1200), (0..<1200).map { UInt8($0 % 256) }]
        let maps = [ChannelMapping(mode: .symmetric, statistics: nil), ChannelMapping(mode: .symmetric, statistics: nil),
                    ChannelMapping(mode: .symmetric, statistics: nil)]
        let sheet = ContactSheet(layout: l, title: "photo.png · edges · map auto",
                                 labels: ["c0 · R · sobel-x", "c1 · R · sobel-y", "c2"], colormap: .gray,
                                 bar: ColorBarLabels(mappings: maps))
        let image = Self.render(sheet, tiles: tiles)
        let w = l.width
        // Tile pixels are the colour map's colours of their levels.
        let t1 = l.tileOrigin(1)
        #expect(Self.pixel(image, w, t1.x + 5, t1.y + 5) == RGB(midGrey, midGrey, midGrey))
        let t2 = l.tileOrigin(2)
        #expect(Self.pixel(image, w, t2.x + 7, t2.y + 1) == RGB(47, 47, 47))  // level (1 * 40 + 7) % 256
        // Separators and margins: the background, which no grey level equals.
        #expect(Self.pixel(image, w, t1.x - 1, t1.y + 5) == ContactSheet.background)
        #expect(Self.pixel(image, w, 0, 0) == ContactSheet.background)
        #expect(ContactSheet.background.r != ContactSheet.background.b)
        // The empty cell (3) is striped: two colours, neither a grey.
        let empty = l.tileOrigin(3)
        var colours = Set<[UInt8]>()
        for x in 0..<l.tileWidth { let p = Self.pixel(image, w, empty.x + x, empty.y + 3); colours.insert([p.r, p.g, p.b]) }
        #expect(colours == [[34, 38, 46], [70, 75, 88]])
        // Labels: text pixels in the label line of used cells, none in the empty cell's.
        func textPixels(x: Int, y: Int, width: Int, height: Int) -> Int {
            var n = 0
            for yy in y..<(y + height) { for xx in x..<(x + width) where Self.pixel(image, w, xx, yy) == ContactSheet.text { n += 1 } }
            return n
        }
        let label0 = l.cellOrigin(0), label3 = l.cellOrigin(3)
        #expect(textPixels(x: label0.x, y: label0.y, width: l.cellWidth, height: l.labelHeight) > 20)
        #expect(textPixels(x: label3.x, y: label3.y, width: l.cellWidth, height: l.labelHeight) == 0)
        // Title line.
        #expect(textPixels(x: 0, y: 0, width: w, height: l.gridTop) > 60)
        // The colour bar runs from the map's first colour to its last, with text under it.
        let bar = l.bar
        #expect(Self.pixel(image, w, bar.x, bar.y + 2) == RGB(0, 0, 0))
        #expect(Self.pixel(image, w, bar.x + bar.width - 1, bar.y + 2) == RGB(255, 255, 255))
        let middle = Self.pixel(image, w, bar.x + bar.width / 2, bar.y + 2)
        #expect(abs(Int(middle.r) - 128) <= 1)
        #expect(textPixels(x: bar.x, y: bar.y + bar.height, width: bar.width, height: l.height - bar.y - bar.height) > 20)
    }

    @Test func theBandHeightDoesNotChangeTheSheet() {
        let l = SheetLayout(sourceWidth: 30, sourceHeight: 20, columns: 3, rows: 2, cells: [0, 2, 4, 5], tileWidth: 0)
        let tiles = (0..<4).map { t in (0..<600).map { UInt8(($0 * 7 + t * 31) % 256) } }
        let sheet = ContactSheet(layout: l, title: "t", labels: ["a", "b", "c", "d"], colormap: .viridis,
                                 bar: ColorBarLabels(low: "-1", high: "1", zero: (0.5, "0")))
        #expect(Self.render(sheet, tiles: tiles, band: 1) == Self.render(sheet, tiles: tiles, band: 64))
    }

    @Test func colourBarLabelsFollowTheMappings() {
        let clamp = ChannelMapping(mode: .clamp, statistics: nil)
        let one = ColorBarLabels(mappings: [clamp, clamp])
        #expect(one.low == "0" && one.high == "1" && one.zero == nil)
        var s = ChannelStatistics()
        [Float(-2), 4].withUnsafeBufferPointer { s.add($0.baseAddress!, stride: 1, count: 2) }
        let symmetric = ChannelMapping(mode: .symmetric, statistics: s)
        let shared = ColorBarLabels(mappings: [symmetric, symmetric])
        #expect(shared.low == "-4" && shared.high == "4" && shared.zero?.position == 0.5)
        #expect(symmetric.rangeText == "±4")
        let other = ChannelMapping(mode: .symmetric, statistics: nil, userScale: 1)
        let mixed = ColorBarLabels(mappings: [symmetric, other])
        #expect(mixed.low == "-max" && mixed.high == "+max" && mixed.zero?.text == "0")
        #expect(ColorBarLabels(mappings: [clamp, symmetric]).zero == nil)
        #expect(clamp.rangeText == "0..1")
    }

    @Test func labelsKeepWhatTellsKernelsApart() {
        let gabor = (0..<3).map { "gabor:theta=\($0 * 60),sigma=2,lambda=5,gamma=0.5,psi=0,size=25" }
        #expect(SheetLayout.shortKernelNames(gabor + ["sobel-x", "3x3:1,0,-1,2,0,-2,1,0,-1"])
                == ["gabor:theta=0", "gabor:theta=60", "gabor:theta=120", "sobel-x", "3x3:1,0,-1,2,0,-2,1,0,-1"])
        let pyramid = ["gaussian:sigma=1,size=7", "gaussian:sigma=2,size=13"]
        #expect(SheetLayout.shortKernelNames(pyramid) == pyramid)
        #expect(SheetLayout.shortKernelNames([gabor[1]]) == [gabor[1]])
        #expect(SheetLayout.shortKernelNames([gabor[1], gabor[1]]) == [gabor[1], gabor[1]])
    }

    @Test func compactNumbers() {
        let cases: [(Float, String)] = [(0, "0"), (0.8421, "0.842"), (-12.54, "-12.5"), (3.96, "3.96"), (1, "1"),
                                        (255, "255"), (1234, "1230"), (0.001234, "0.00123"), (1e6, "1.0e+6")]
        for (v, text) in cases { #expect(ChannelMapping.compact(v) == text, "\(v)") }
    }

    // MARK: - Font

    @Test func theFontDrawsKnownGlyphsAndScales() {
        #expect(BitmapFont.glyph("A") == [0x0C, 0x12, 0x12, 0x1E, 0x12, 0x12, 0x00])
        #expect(BitmapFont.glyph("·") != BitmapFont.glyph("?"))
        #expect(BitmapFont.glyph("\u{263A}") == BitmapFont.glyph("?"))
        #expect(BitmapFont.width(of: "c3", scale: 1) == 11 && BitmapFont.width(of: "c3", scale: 2) == 22)
        #expect(BitmapFont.fitting("sobel-x", width: 17, scale: 1) == "sob")
        for scale in 1...3 {
            var pixels = [UInt8](repeating: 0, count: 12 * scale * 8 * scale * 3)
            pixels.withUnsafeMutableBufferPointer { p in
                let canvas = RGBCanvas(pixels: p.baseAddress!, width: 12 * scale, firstRow: 0, rowCount: 8 * scale)
                BitmapFont.draw("A", x: 0, y: 0, scale: scale, color: RGB(255, 0, 0), on: canvas)
            }
            // 'A' has 14 lit font pixels, each scale x scale.
            #expect(stride(from: 0, to: pixels.count, by: 3).filter { pixels[$0] == 255 }.count == 14 * scale * scale)
        }
    }

    // MARK: - Area averaging

    @Test func areaAveragingIsTheMeanOfTheCoveredArea() {
        // 6 x 4 -> 3 x 2: each output pixel the mean of a 2 x 2 block.
        let source: [Float] = (0..<24).map(Float.init)
        var r = AreaResampler(sourceWidth: 6, sourceHeight: 4, width: 3, height: 2)
        var out: [[Float]] = []
        source.withUnsafeBufferPointer { s in
            for y in 0..<4 {
                r.add(s.baseAddress! + y * 6, stride: 1) { row, values in
                    #expect(row == out.count)
                    out.append(Array(UnsafeBufferPointer(start: values, count: 3)))
                }
            }
        }
        #expect(out == [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]])
        // 5 -> 2 (fractional): [0 1 2.5*] covers 0, 1 and half of 2.
        var f = AreaResampler(sourceWidth: 5, sourceHeight: 1, width: 2, height: 1)
        var got: [Float] = []
        [Float(0), 1, 2, 3, 4].withUnsafeBufferPointer { s in
            f.add(s.baseAddress!, stride: 1) { _, v in got = Array(UnsafeBufferPointer(start: v, count: 2)) }
        }
        #expect(abs(got[0] - (0 + 1 + 1) / 2.5) < 1e-6 && abs(got[1] - (1 + 3 + 4) / 2.5) < 1e-6)
        // A constant stays that constant, whatever the factor; every output row is emitted once.
        for (sw, sh, w, h) in [(97, 53, 10, 7), (10, 10, 10, 10), (33, 1, 4, 1), (7, 29, 3, 5)] {
            var c = AreaResampler(sourceWidth: sw, sourceHeight: sh, width: w, height: h)
            let row = [Float](repeating: 0.25, count: sw)
            var rows = 0
            row.withUnsafeBufferPointer { s in
                for _ in 0..<sh {
                    c.add(s.baseAddress!, stride: 1) { _, v in
                        rows += 1
                        for x in 0..<w { #expect(abs(v[x] - 0.25) < 1e-5) }
                    }
                }
            }
            #expect(rows == h)
        }
        #expect(AreaResampler.fit(sourceWidth: 4928, sourceHeight: 3264, width: 1000) == (1000, 662))
    }

    @Test func colormapsHaveTheirEnds() {
        #expect(Colormap.gray.rgb(77) == (77, 77, 77))
        #expect(Colormap.viridis.rgb(0) == (68, 1, 84))     // matplotlib viridis(0) = (0.267, 0.005, 0.329)
        #expect(Colormap.viridis.rgb(255) == (253, 231, 37))
        #expect(Colormap.magma.rgb(0) == (0, 0, 4))
        let (r, g, b) = Colormap.coolwarm.rgb(128)          // the middle of a diverging map is light grey
        #expect(abs(Int(r) - Int(g)) < 10 && abs(Int(g) - Int(b)) < 10 && r > 200)
        #expect(Colormap.coolwarm.rgb(0).2 > Colormap.coolwarm.rgb(0).0)     // low end blue
        #expect(Colormap.coolwarm.rgb(255).0 > Colormap.coolwarm.rgb(255).2) // high end red
        for map in Colormap.allCases { #expect(map.table.count == 768) }
    }
}
