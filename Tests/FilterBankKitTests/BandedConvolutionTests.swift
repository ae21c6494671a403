import Testing
import FilterBankKit

/// Streaming in bands must give exactly what the whole-image engine gives, for
/// any band height and slice count, while pulling every input row once, in order.
@Suite struct BandedConvolutionTests {
    @Test(arguments: InstructionSet.available, 200..<240)
    func bandsStreamLikeTheWholeImage(_ level: InstructionSet, _ seed: Int) throws {
        let c = try RandomCase(seed: UInt64(seed))
        let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: c.input.shape, bank: c.bank), instructionSet: level)
        let whole = engine.apply(to: c.input, parallel: false)
        var rng = SplitMix64(seed: UInt64(seed) &* 31)
        let runner = BandedConvolution(engine: engine, bandRows: Int.random(in: 1...5, using: &rng),
                                       slices: Int.random(in: 1...3, using: &rng))
        let input = c.input.shape, out = engine.plan.output
        var streamed: [Float] = []
        for n in 0..<input.batch {
            var nextRow = 0
            var expectedOutputRow = 0
            try c.input.values.withUnsafeBufferPointer { values in
                try runner.run(fill: { (count: Int, into: UnsafeMutablePointer<Float>) throws(TestFailure) in
                    guard nextRow + count <= input.height else { throw TestFailure("row \(nextRow + count) past the end") }
                    into.update(from: values.baseAddress! + n * input.imageCount + nextRow * input.rowCount,
                                count: count * input.rowCount)
                    nextRow += count
                }, consume: { (rows: Range<Int>, band: UnsafePointer<Float>) throws(TestFailure) in
                    guard rows.lowerBound == expectedOutputRow else { throw TestFailure("rows out of order: \(rows)") }
                    streamed.append(contentsOf: UnsafeBufferPointer(start: band, count: rows.count * out.rowCount))
                    expectedOutputRow = rows.upperBound
                })
            }
            #expect(nextRow == input.height, "\(c): pulled \(nextRow) of \(input.height) input rows")
            #expect(expectedOutputRow == out.height)
        }
        #expect(streamed == whole.values, "\(c), band \(runner.bandRows), slices \(runner.slices)")
        #expect(runner.windowRows <= input.height)
    }

    /// The window, not the image height, bounds what is held: a tall image
    /// with a 3x3 kernel never holds more than one band plus its halo.
    @Test func windowIsBandPlusHalo() throws {
        let bank = try edgesBank(channels: 1)
        let engine = try ConvolutionEngine(input: TensorShape(batch: 1, height: 10_000, width: 4, channels: 1), bank: bank)
        #expect(BandedConvolution(engine: engine, bandRows: 64).windowRows == 66)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every border mode streams like the whole image, `wrap` included (it holds
/// the whole image: its top rows read the bottom ones).
@Suite struct BandedBorderTests {
    @Test(arguments: BorderMode.allCases)
    func borderModesStreamLikeTheWholeImage(_ border: BorderMode) throws {
        var rng = SplitMix64(seed: 99)
        let shape = TensorShape(batch: 1, height: 23, width: 9, channels: 2)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let dw = try DepthwiseFilter(shape: [5, 3, 2, 1], values: (0..<30).map { _ in Float.random(in: -1...1, using: &rng) })
        let bank = try FilterBank(depthwise: dw, padding: .explicit(top: 6, bottom: 4, left: 2, right: 1), border: border)
        let engine = try ConvolutionEngine(input: shape, bank: bank)
        let runner = BandedConvolution(engine: engine, bandRows: 4, slices: 2)
        #expect(runner.holdsWholeImage == (border == .wrap))
        var next = 0
        var streamed: [Float] = []
        try input.values.withUnsafeBufferPointer { values in
            try runner.run(fill: { (count: Int, into: UnsafeMutablePointer<Float>) throws(TestFailure) in
                into.update(from: values.baseAddress! + next * shape.rowCount, count: count * shape.rowCount)
                next += count
            }, consume: { (rows: Range<Int>, band: UnsafePointer<Float>) throws(TestFailure) in
                streamed.append(contentsOf: UnsafeBufferPointer(start: band, count: rows.count * engine.plan.output.rowCount))
            })
        }
        let want = try ReferenceConvolution.apply(bank, to: input)
        #expect(streamed.count == want.values.count)
        for (g, w) in zip(streamed, want.values) { #expect(abs(g - w) <= 1e-5 * max(1, abs(w)), "\(border)") }
    }
}
