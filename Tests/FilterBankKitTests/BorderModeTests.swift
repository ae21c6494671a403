import Foundation
import Testing
import FilterBankKit

/// `Tests/Fixtures/borders/borders.json`, written by `make_fixtures.py` there
/// with numpy.pad and scipy.ndimage (see its README).
struct BorderFixtures: Decodable, Sendable {
    struct Array: Decodable, Sendable {
        let shape: [Int]
        let values: [Double]
        var floats: [Float] { values.map { Float($0) } }
        var tensor: Tensor {
            Tensor(shape: TensorShape(batch: shape[0], height: shape[1], width: shape[2], channels: shape[3]),
                   values: floats)
        }
    }
    struct IndexCase: Decodable, Sendable {
        let size: Int, before: Int, after: Int
        let mode: String
        let numpy_mode: String
        let indices: [Int]
    }
    struct ConvolutionCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let mode: String
        let input: Array
        let depthwise: Array
        let pads: [Int]?
        let strides: [Int]?
        let dilations: [Int]?
        let expected: Array
        var testDescription: String { name }

        var bank: FilterBank {
            get throws {
                let padding: Padding = pads.map { .explicit(top: $0[0], bottom: $0[1], left: $0[2], right: $0[3]) } ?? .same
                return try FilterBank(depthwise: DepthwiseFilter(shape: depthwise.shape, values: depthwise.floats),
                                      strides: strides.map { HeightWidth($0[0], $0[1]) } ?? .one,
                                      dilations: dilations.map { HeightWidth($0[0], $0[1]) } ?? .one,
                                      padding: padding, border: BorderMode(name: mode)!)
            }
        }
    }
    let indices: [IndexCase]
    let convolutions: [ConvolutionCase]
    let scipy: [ConvolutionCase]

    static let shared: BorderFixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/borders/borders.json")
        do {
            return try JSONDecoder().decode(BorderFixtures.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error)")
        }
    }()
}

func expectMatches(_ got: Tensor, _ want: Tensor, _ context: String) {
    #expect(got.shape == want.shape, "\(context)")
    guard got.shape == want.shape else { return }
    for (i, (g, w)) in zip(got.values, want.values).enumerated() where abs(g - w) > 1e-5 * max(1, abs(w)) {
        Issue.record("\(context): element \(i) is \(g), expected \(w)")
        return
    }
}

@Suite struct BorderModeTests {
    @Test func everyAliasParsesCaseAndDashInsensitively() {
        #expect(BorderMode(name: "zero") == .zero)
        #expect(BorderMode(name: "CONSTANT") == .zero)
        #expect(BorderMode(name: "edge") == .replicate)
        #expect(BorderMode(name: "nearest") == .replicate)
        #expect(BorderMode(name: "BORDER_REPLICATE") == .replicate)
        #expect(BorderMode(name: "reflect") == .reflect)
        #expect(BorderMode(name: "reflect101") == .reflect)
        #expect(BorderMode(name: "REFLECT_101") == .reflect)
        #expect(BorderMode(name: "BORDER_REFLECT_101") == .reflect)
        #expect(BorderMode(name: "BORDER_DEFAULT") == .reflect)
        #expect(BorderMode(name: "mirror") == .reflect)
        #expect(BorderMode(name: "symmetric") == .symmetric)
        #expect(BorderMode(name: "BORDER_REFLECT") == .symmetric)  // OpenCV's REFLECT repeats the edge
        #expect(BorderMode(name: "grid-mirror") == .symmetric)
        #expect(BorderMode(name: "wrap") == .wrap)
        #expect(BorderMode(name: "circular") == .wrap)
        #expect(BorderMode(name: "periodic") == .wrap)
        #expect(BorderMode(name: "grid-wrap") == .wrap)
        #expect(BorderMode(name: "BORDER_WRAP") == .wrap)
        #expect(BorderMode(name: "bogus") == nil)
        #expect(BorderMode(name: "") == nil)
        for mode in BorderMode.allCases { #expect(BorderMode(name: mode.rawValue) == mode) }
        let names = BorderMode.aliases.map(\.name)
        #expect(Set(names).count == names.count, "an alias listed twice")
        for alias in BorderMode.aliases { #expect(BorderMode(name: alias.name) == alias.mode, "\(alias.name)") }
    }

    /// `sourceIndex` against numpy.pad of 0..<n, pads up to 13 on axes of 1 to 5.
    @Test func indexMappingMatchesNumpyPad() {
        let cases = BorderFixtures.shared.indices
        #expect(cases.count == 175)
        for c in cases {
            let mode = BorderMode(name: c.mode)!
            let got = (-c.before..<(c.size + c.after)).map { mode.sourceIndex($0, size: c.size) ?? -1 }
            #expect(got == c.indices, "\(c.mode) (numpy \(c.numpy_mode)) n=\(c.size) pads (\(c.before), \(c.after))")
        }
    }

    @Test(arguments: BorderFixtures.shared.convolutions, InstructionSet.available)
    func engineAndReferenceMatchNumpy(_ c: BorderFixtures.ConvolutionCase, _ level: InstructionSet) throws {
        let bank = try c.bank
        let input = c.input.tensor
        expectMatches(try ReferenceConvolution.apply(bank, to: input), c.expected.tensor, "\(c.name) reference")
        for path in [ConvolutionEngine.Path.direct, .rank1, .broadcast] {
            let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: input.shape, bank: bank), path: path,
                                           instructionSet: level)
            expectMatches(engine.apply(to: input, parallel: false), c.expected.tensor, "\(c.name) \(engine.path) \(level)")
            expectMatches(engine.apply(to: input, parallel: true), c.expected.tensor, "\(c.name) \(engine.path) parallel")
        }
    }

    @Test(arguments: BorderFixtures.shared.scipy)
    func engineMatchesScipyCorrelate(_ c: BorderFixtures.ConvolutionCase) throws {
        let bank = try c.bank
        expectMatches(try Convolution.apply(bank, to: c.input.tensor), c.expected.tensor, c.name)
    }

    /// Rank-1 kernels under every mode (the two-pass path pads rows before the
    /// vertical pass), against the reference, with pads larger than the image.
    @Test(arguments: BorderMode.allCases, InstructionSet.available)
    func rank1PathUnderEveryMode(_ mode: BorderMode, _ level: InstructionSet) throws {
        var rng = SplitMix64(seed: 99)
        let shape = TensorShape(batch: 2, height: 4, width: 3, channels: 2)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let column: [Float] = [1, 2, 1, -1, 0.5], row: [Float] = [0.25, -1, 3]
        let kernel = column.flatMap { c in row.map { c * $0 } }
        let dw = try DepthwiseFilter(kernels: [kernel, kernel.map { -$0 }], height: 5, width: 3, channels: 2)
        for padding in [Padding.same, .explicit(top: 6, bottom: 9, left: 5, right: 4)] {
            let bank = try FilterBank(depthwise: dw, padding: padding, border: mode)
            let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: shape, bank: bank), path: .rank1,
                                           instructionSet: level)
            #expect(engine.path == .rank1)
            expectMatches(engine.apply(to: input), try ReferenceConvolution.apply(bank, to: input), "\(mode) \(padding)")
        }
    }

    /// The rows a band needs include the rows the border maps to.
    @Test func inputRowsIncludeMappedRows() throws {
        let dw = try DepthwiseFilter(shape: [3, 1, 1, 1], values: [1, 1, 1])
        let shape = TensorShape(batch: 1, height: 10, width: 4, channels: 1)
        func plan(_ mode: BorderMode, _ padding: Padding = .same) throws -> ConvolutionPlan {
            try ConvolutionPlan(input: shape, bank: FilterBank(depthwise: dw, padding: padding, border: mode))
        }
        #expect(try plan(.zero).inputRows(forOutputRows: 0..<1) == 0..<2)
        #expect(try plan(.replicate).inputRows(forOutputRows: 0..<1) == 0..<2)
        #expect(try plan(.reflect).inputRows(forOutputRows: 0..<1) == 0..<2)    // row -1 -> 1
        #expect(try plan(.symmetric).inputRows(forOutputRows: 0..<1) == 0..<2)  // row -1 -> 0
        #expect(try plan(.wrap).inputRows(forOutputRows: 0..<1) == 0..<10)      // row -1 -> 9
        #expect(try plan(.wrap).inputRows(forOutputRows: 9..<10) == 0..<10)     // row 10 -> 0
        #expect(try plan(.wrap).inputRows(forOutputRows: 3..<5) == 2..<6)
        #expect(try plan(.reflect, .explicit(top: 3, bottom: 0, left: 0, right: 0)).inputRows(forOutputRows: 0..<1) == 1..<4)  // -3, -2, -1 -> 3, 2, 1
        #expect(try plan(.zero).streamable)
        #expect(try plan(.reflect).streamable)
        #expect(try !plan(.wrap).streamable)
        #expect(try plan(.wrap, .valid).streamable)
        #expect(try !plan(.reflect, .explicit(top: 10, bottom: 0, left: 0, right: 0)).streamable)
    }

    /// What `streamable` promises: every output row's rows lie within its own
    /// window widened by twice the largest vertical pad.
    @Test(arguments: 0..<200)
    func streamableMeansBandLocal(_ seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 777)
        let h = Int.random(in: 1...12, using: &rng)
        let kh = Int.random(in: 1...5, using: &rng)
        let padding = Padding.explicit(top: Int.random(in: 0...14, using: &rng), bottom: Int.random(in: 0...14, using: &rng),
                                       left: 0, right: 0)
        let bank = try FilterBank(depthwise: DepthwiseFilter(shape: [kh, 1, 1, 1], values: Array(repeating: 1, count: kh)),
                                  strides: HeightWidth(Int.random(in: 1...3, using: &rng), 1),
                                  dilations: HeightWidth(Int.random(in: 1...3, using: &rng), 1),
                                  padding: padding, border: BorderMode.allCases.randomElement(using: &rng)!)
        guard let plan = try? ConvolutionPlan(input: TensorShape(batch: 1, height: h, width: 1, channels: 1), bank: bank),
              plan.streamable else { return }
        let pad = max(plan.rows.padBefore, plan.rows.padAfter)
        for y in 0..<plan.output.height {
            let first = plan.rows.inputIndex(output: y, tap: 0)
            let last = plan.rows.inputIndex(output: y, tap: kh - 1)
            let need = plan.inputRows(forOutputRows: y..<(y + 1))
            #expect(need.isEmpty || (need.lowerBound >= first - 2 * pad && need.upperBound - 1 <= last + 2 * pad),
                    "\(bank.border) H \(h) \(padding) row \(y): needs \(need), window \(first)...\(last)")
        }
    }

    /// Streaming a non-zero mode: each band given only `inputRows` gives the
    /// same rows as the whole image, for every mode, on random shapes.
    @Test(arguments: InstructionSet.available, 300..<340)
    func bandsUnderRandomModes(_ level: InstructionSet, _ seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let base = try RandomCase(seed: UInt64(seed))
        let mode = BorderMode.allCases.randomElement(using: &rng)!
        let b = base.bank
        let bank = try FilterBank(depthwise: b.depthwise, pointwise: b.pointwise, strides: b.strides,
                                  dilations: b.dilations, padding: b.padding, bias: b.bias, border: mode)
        let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: base.input.shape, bank: bank), instructionSet: level)
        let want = try ReferenceConvolution.apply(bank, to: base.input)
        expectClose(engine.apply(to: base.input), want, "\(base) \(mode)")
        let banded = bandedApply(engine, base.input, seed: UInt64(seed))
        #expect(banded == engine.apply(to: base.input, parallel: false).values, "\(base) \(mode) banded")
    }
}

/// Computes every image of `input` band by band (bands of 1 to 3 output rows),
/// each band from a copy of only `plan.inputRows(forOutputRows:)`, with one
/// workspace for all bands or a new one for each.
func bandedApply(_ engine: ConvolutionEngine, _ input: Tensor, seed: UInt64, freshWorkspaces: Bool = false) -> [Float] {
    let plan = engine.plan
    var rng = SplitMix64(seed: seed ^ 0xBA4D)
    let out = plan.output
    var banded = [Float](repeating: .nan, count: out.count)
    var workspace = ConvolutionEngine.Workspace(engine: engine)
    for n in 0..<out.batch {
        var start = 0
        while start < out.height {
            let end = min(out.height, start + Int.random(in: 1...3, using: &rng))
            let need = plan.inputRows(forOutputRows: start..<end)
            let rowFloats = plan.input.rowCount
            let first = n * plan.input.imageCount + need.lowerBound * rowFloats
            let band = Array(input.values[first..<(first + need.count * rowFloats)])
            if freshWorkspaces { workspace = ConvolutionEngine.Workspace(engine: engine) }
            band.withUnsafeBufferPointer { b in
                banded.withUnsafeMutableBufferPointer { o in
                    engine.computeRows(start..<end,
                                       from: InputBand(rows: b.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                       firstRow: need.lowerBound, rowCount: need.count),
                                       into: o.baseAddress! + n * out.imageCount + start * out.rowCount,
                                       workspace: workspace)
                }
            }
            start = end
        }
    }
    return banded
}
