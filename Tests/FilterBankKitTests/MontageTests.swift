import Testing
import FilterBankKit

@Suite struct MontageTests {
    @Test func depthwiseGridIsInputChannelsByKernels() throws {
        let bank = try FilterBank(depthwise: DepthwiseFilter(shape: [3, 3, 3, 4], values: [Float](repeating: 0, count: 108)))
        let layout = MontageLayout(bank: bank, tileWidth: 10, tileHeight: 7)
        #expect(layout.rows == 3 && layout.columns == 4 && layout.count == 12)
        #expect(layout.width == 4 * 10 + 3 * 2)
        #expect(layout.height == 3 * 7 + 2 * 2)
        #expect(layout.origin(of: 0) == (0, 0))
        #expect(layout.origin(of: 5) == (12, 9))            // c = 1, m = 1
        #expect(layout.tile(at: 12, 9)! == (5, 0, 0))
        #expect(layout.tile(at: 10, 0) == nil)              // separator
        #expect(layout.tile(at: 45, 24)! == (11, 9, 6))     // last pixel of the last tile
    }

    @Test func separableGridIsNearSquare() throws {
        let dw = try DepthwiseFilter(shape: [1, 1, 3, 1], values: [1, 1, 1])
        let pw = try PointwiseFilter(shape: [1, 1, 3, 5], values: [Float](repeating: 0, count: 15))
        let layout = MontageLayout(bank: try FilterBank(depthwise: dw, pointwise: pw), tileWidth: 4, tileHeight: 4)
        #expect(layout.columns == 3 && layout.rows == 2)
        #expect(layout.tile(at: 12, 7) == nil)              // cell 6 of 6 is empty (5 outputs)
        #expect(layout.tile(at: 6, 6)! == (4, 0, 0))
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
