import Testing
import FilterBankKit

/// Output sizes and pads, checked against TensorFlow's documented formulas
/// (SAME: out = ceil(in / s), total pad = max((out-1)*s + (k-1)*d + 1 - in, 0),
/// odd pixel bottom/right; VALID: out = ceil((in - (k-1)*d) / s)).
@Suite struct GeometryTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let input, kernel, stride, dilation: Int
        let padding: Padding
        let output, before, after: Int
        var testDescription: String { "in \(input) k \(kernel) s \(stride) d \(dilation) \(padding)" }
    }

    // Worked by hand from the formulas above; the golden cases' shapes below
    // check the same formulas against TensorFlow itself.
    static let table: [Row] = [
        Row(input: 7, kernel: 3, stride: 1, dilation: 1, padding: .same, output: 7, before: 1, after: 1),
        Row(input: 7, kernel: 5, stride: 2, dilation: 1, padding: .same, output: 4, before: 2, after: 2),
        Row(input: 9, kernel: 5, stride: 2, dilation: 1, padding: .same, output: 5, before: 2, after: 2),
        Row(input: 6, kernel: 2, stride: 1, dilation: 1, padding: .same, output: 6, before: 0, after: 1),
        Row(input: 5, kernel: 4, stride: 1, dilation: 1, padding: .same, output: 5, before: 1, after: 2),
        Row(input: 8, kernel: 3, stride: 2, dilation: 1, padding: .same, output: 4, before: 0, after: 1),
        Row(input: 10, kernel: 3, stride: 2, dilation: 1, padding: .same, output: 5, before: 0, after: 1),
        Row(input: 5, kernel: 2, stride: 2, dilation: 1, padding: .same, output: 3, before: 0, after: 1),
        Row(input: 7, kernel: 3, stride: 3, dilation: 1, padding: .same, output: 3, before: 1, after: 1),
        Row(input: 9, kernel: 3, stride: 1, dilation: 2, padding: .same, output: 9, before: 2, after: 2),
        Row(input: 5, kernel: 5, stride: 1, dilation: 2, padding: .same, output: 5, before: 4, after: 4),
        Row(input: 6, kernel: 5, stride: 1, dilation: 2, padding: .same, output: 6, before: 4, after: 4),
        Row(input: 6, kernel: 3, stride: 1, dilation: 1, padding: .valid, output: 4, before: 0, after: 0),
        Row(input: 7, kernel: 4, stride: 2, dilation: 1, padding: .valid, output: 2, before: 0, after: 0),
        Row(input: 9, kernel: 4, stride: 2, dilation: 1, padding: .valid, output: 3, before: 0, after: 0),
        Row(input: 11, kernel: 3, stride: 3, dilation: 1, padding: .valid, output: 3, before: 0, after: 0),
        Row(input: 6, kernel: 3, stride: 1, dilation: 2, padding: .valid, output: 2, before: 0, after: 0),
        Row(input: 5, kernel: 3, stride: 1, dilation: 2, padding: .valid, output: 1, before: 0, after: 0),
        Row(input: 5, kernel: 1, stride: 2, dilation: 1, padding: .valid, output: 3, before: 0, after: 0),
        // stride and dilation together (TensorFlow cannot): effective kernel 5
        Row(input: 10, kernel: 3, stride: 2, dilation: 2, padding: .same, output: 5, before: 1, after: 2),
        Row(input: 10, kernel: 3, stride: 2, dilation: 2, padding: .valid, output: 3, before: 0, after: 0),
        // explicit pads: out = floor((in + t + b - eff) / s) + 1
        Row(input: 4, kernel: 3, stride: 1, dilation: 1, padding: .explicit(top: 2, bottom: 0, left: 2, right: 0),
            output: 4, before: 2, after: 0),
        Row(input: 7, kernel: 3, stride: 2, dilation: 1, padding: .explicit(top: 1, bottom: 2, left: 1, right: 2),
            output: 4, before: 1, after: 2),
        Row(input: 2, kernel: 5, stride: 1, dilation: 1, padding: .explicit(top: 3, bottom: 3, left: 3, right: 3),
            output: 4, before: 3, after: 3),
    ]

    @Test(arguments: table)
    func outputSizeAndPads(_ row: Row) throws {
        for axis in [Axis.height, .width] {
            let g = try AxisGeometry.resolve(axis: axis, inputSize: row.input, kernelSize: row.kernel,
                                             stride: row.stride, dilation: row.dilation, padding: row.padding)
            #expect(g.outputSize == row.output)
            #expect(g.padBefore == row.before)
            #expect(g.padAfter == row.after)
            #expect(g.effectiveKernel == (row.kernel - 1) * row.dilation + 1)
        }
    }

    @Test(arguments: GoldenCase.all)
    func goldenShapesFollowTheFormulas(_ golden: GoldenCase) throws {
        let plan = try ConvolutionPlan(input: golden.inputTensor.shape, bank: try golden.bank)
        #expect(plan.output.dimensions == golden.expected.shape)
    }

    @Test func validKernelLargerThanInputStatesTheShapes() throws {
        let filter = try DepthwiseFilter(shape: [3, 3, 1, 1], values: [Float](repeating: 1, count: 9))
        let bank = try FilterBank(depthwise: filter, dilations: HeightWidth(2, 1), padding: .valid)
        let input = TensorShape(batch: 1, height: 4, width: 8, channels: 1)
        #expect {
            _ = try ConvolutionPlan(input: input, bank: bank)
        } throws: { error in
            guard let e = error as? FilterBankError,
                  case .kernelLargerThanInput(.height, 4, 5, 3, 2, .valid) = e else { return false }
            return e.description.contains("effective kernel height 5") && e.description.contains("input height 4")
        }
    }

    @Test func channelMismatchStatesBothShapes() throws {
        let bank = try edgesBank(channels: 3)
        let input = TensorShape(batch: 1, height: 5, width: 5, channels: 4)
        let error = try #require(throws: FilterBankError.self) { try ConvolutionPlan(input: input, bank: bank) }
        #expect(error == .channelMismatch(input: input, filterShape: [3, 3, 3, 2]))
        #expect(error.description.contains("[3, 3, 3, 2]") && error.description.contains("[1, 5, 5, 4]"))
    }

    @Test func pointwiseDepthMustBeCTimesM() throws {
        let dw = try DepthwiseFilter(shape: [3, 3, 3, 2], values: [Float](repeating: 0, count: 54))
        let pw = try PointwiseFilter(shape: [1, 1, 5, 4], values: [Float](repeating: 0, count: 20))
        let error = try #require(throws: FilterBankError.self) { try FilterBank(depthwise: dw, pointwise: pw) }
        #expect(error.description.contains("C*M = 6"))
        #expect(error.description.contains("[1, 1, 5, 4]"))
    }

    @Test func filterValidation() {
        #expect(throws: FilterBankError.invalidFilterShape(filter: "depthwise", shape: [3, 3, 3],
                                                           expected: "[kh, kw, C, M]")) {
            try DepthwiseFilter(shape: [3, 3, 3], values: [Float](repeating: 0, count: 27))
        }
        #expect(throws: FilterBankError.valueCountMismatch(filter: "depthwise", shape: [3, 3, 1, 1], count: 8)) {
            try DepthwiseFilter(shape: [3, 3, 1, 1], values: [Float](repeating: 0, count: 8))
        }
        #expect(throws: FilterBankError.nonFiniteValue(filter: "depthwise", index: 4)) {
            try DepthwiseFilter(shape: [3, 3, 1, 1], values: [0, 0, 0, 0, .nan, 0, 0, 0, 0])
        }
        #expect(throws: FilterBankError.invalidFilterShape(filter: "pointwise", shape: [3, 1, 2, 2],
                                                           expected: "[1, 1, C*M, O]")) {
            try PointwiseFilter(shape: [3, 1, 2, 2], values: [Float](repeating: 0, count: 12))
        }
        #expect(throws: FilterBankError.self) {
            try DepthwiseFilter(shape: [Int.max, 2, 1, 1], values: [])
        }
    }

    @Test func stepsAndPadsMustBeSane() throws {
        let filter = try DepthwiseFilter(shape: [1, 1, 1, 1], values: [1])
        #expect(throws: FilterBankError.invalidStep(name: "strides", value: HeightWidth(0, 1))) {
            try FilterBank(depthwise: filter, strides: HeightWidth(0, 1))
        }
        #expect(throws: FilterBankError.invalidStep(name: "dilations", value: HeightWidth(1, -2))) {
            try FilterBank(depthwise: filter, dilations: HeightWidth(1, -2))
        }
        #expect(throws: FilterBankError.negativePadding(.explicit(top: 0, bottom: -1, left: 0, right: 0))) {
            try FilterBank(depthwise: filter, padding: .explicit(top: 0, bottom: -1, left: 0, right: 0))
        }
    }

    @Test func biasNeedsOneFiniteValuePerOutputChannel() throws {
        let filter = try DepthwiseFilter(shape: [1, 1, 2, 2], values: [1, 1, 1, 1])
        #expect(throws: FilterBankError.biasCountMismatch(expected: 4, got: 2)) {
            try FilterBank(depthwise: filter, bias: [0, 1])
        }
        #expect(throws: FilterBankError.nonFiniteValue(filter: "bias", index: 1)) {
            try FilterBank(depthwise: filter, bias: [0, .infinity, 0, 0])
        }
    }

    @Test func inputRowsNeededByABand() throws {
        let filter = try DepthwiseFilter(shape: [3, 3, 1, 1], values: [Float](repeating: 1, count: 9))
        let bank = try FilterBank(depthwise: filter, strides: HeightWidth(2, 1), dilations: HeightWidth(2, 1))
        let plan = try ConvolutionPlan(input: TensorShape(batch: 1, height: 20, width: 4, channels: 1), bank: bank)
        // SAME, in 20, s 2, eff 5: out 10, total pad (9*2 + 5 - 20) = 3 -> top 1, bottom 2.
        #expect(plan.rows.padBefore == 1)
        #expect(plan.inputRows(forOutputRows: 0..<1) == 0..<4)    // rows -1, 1, 3
        #expect(plan.inputRows(forOutputRows: 3..<5) == 5..<12)   // rows 5..11
        #expect(plan.inputRows(forOutputRows: 9..<10) == 17..<20) // rows 17, 19, (21 is padding)
    }
}
