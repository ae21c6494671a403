import Foundation
import Testing
import FilterBankKit

/// The 19 cases TensorFlow 2.21 computed with `tf.nn.depthwise_conv2d` and
/// `tf.nn.separable_conv2d` (Tests/Fixtures/golden, made by scripts/make-golden-cases).
struct GoldenCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Array: Decodable, Sendable {
        let shape: [Int]
        let values: [Double]  // shortest round-trip decimals of float32: parse as Double, then Float
        var floats: [Float] { values.map { Float($0) } }
    }
    let name: String
    let op: String
    let input: Array
    let depthwise_filter: Array
    let pointwise_filter: Array?
    let strides: [Int]
    let dilations: [Int]
    let padding: String
    let expected: Array

    var testDescription: String { name }

    var bank: FilterBank {
        get throws {
            try FilterBank(
                depthwise: DepthwiseFilter(shape: depthwise_filter.shape, values: depthwise_filter.floats),
                pointwise: pointwise_filter.map { try PointwiseFilter(shape: $0.shape, values: $0.floats) },
                strides: HeightWidth(strides[0], strides[1]),
                dilations: HeightWidth(dilations[0], dilations[1]),
                padding: padding == "SAME" ? .same : .valid)
        }
    }

    var inputTensor: Tensor {
        let s = input.shape
        return Tensor(shape: TensorShape(batch: s[0], height: s[1], width: s[2], channels: s[3]), values: input.floats)
    }

    /// Exactly representable cases: integers in, integers out.
    var isExact: Bool { name == "worked_example" || name.hasSuffix("integer_exact") }

    static let all: [GoldenCase] = {
        struct File: Decodable { let cases: [GoldenCase] }
        let url = fixtures.appendingPathComponent("golden/tf_cases.json")
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        } catch {
            fatalError("cannot read \(url.path): \(error)")
        }
    }()
}

let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite struct GoldenTests {
    @Test func allNineteenCasesArePresent() {
        #expect(GoldenCase.all.count == 19)
        #expect(GoldenCase.all.contains { $0.name == "worked_example" })
    }

    @Test(arguments: GoldenCase.all)
    func engineMatchesTensorFlow(_ golden: GoldenCase) throws {
        let bank = try golden.bank
        for parallel in [false, true] {
            let got = try Convolution.apply(bank, to: golden.inputTensor, parallel: parallel)
            #expect(got.shape.dimensions == golden.expected.shape)
            try #require(got.values.count == golden.expected.values.count)
            for (i, (g, e)) in zip(got.values, golden.expected.floats).enumerated() {
                if golden.isExact {
                    #expect(g == e, "\(golden.name)[\(i)]: got \(g), TensorFlow \(e)")
                } else {
                    #expect(abs(g - e) <= 1e-4 * max(1, abs(e)), "\(golden.name)[\(i)]: got \(g), TensorFlow \(e)")
                }
            }
        }
    }

    @Test(arguments: GoldenCase.all)
    func referenceMatchesTensorFlow(_ golden: GoldenCase) throws {
        let got = try ReferenceConvolution.apply(try golden.bank, to: golden.inputTensor)
        #expect(got.shape.dimensions == golden.expected.shape)
        for (i, (g, e)) in zip(got.values, golden.expected.floats).enumerated() {
            #expect(abs(g - e) <= 1e-4 * max(1, abs(e)), "\(golden.name)[\(i)]: got \(g), TensorFlow \(e)")
        }
    }

    /// The hand-checked worked example, spelled out so that a reader sees what
    /// `c*M + m` means: 4x4x2 input, 3x3x2x2 filter, VALID -> 2x2x4.
    @Test func workedExampleIsExact() throws {
        let worked = try #require(GoldenCase.all.first { $0.name == "worked_example" })
        let got = try Convolution.apply(try worked.bank, to: worked.inputTensor)
        #expect(got.values == worked.expected.floats)
        #expect(got.shape == TensorShape(batch: 1, height: 2, width: 2, channels: 4))
    }
}
