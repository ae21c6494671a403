import Testing
import FilterBankKit

/// Parameter and multiply-accumulate counts (`BankCost`), starting with a worked example.
@Suite struct KernelBankCostTests {
    static func separable(c: Int, m: Int, o: Int, k: Int) throws -> FilterBank {
        try FilterBank(depthwise: DepthwiseFilter(shape: [k, k, c, m], values: [Float](repeating: 1, count: k * k * c * m)),
                       pointwise: PointwiseFilter(shape: [1, 1, c * m, o], values: [Float](repeating: 1, count: c * m * o)))
    }

    /// 5x5x3 input, 3x3 kernels, 4 outputs: standard 108, depthwise 27, pointwise 12, separable 39.
    @Test func theSeedExample() throws {
        let bank = try Self.separable(c: 3, m: 1, o: 4, k: 3)
        let plan = try ConvolutionPlan(input: TensorShape(batch: 1, height: 5, width: 5, channels: 3), bank: bank)
        let cost = BankCost(plan: plan)
        #expect(cost.standard == .init(parameters: 108, multiplyAccumulates: 25 * 108))
        #expect(cost.depthwise == .init(parameters: 27, multiplyAccumulates: 675))
        #expect(cost.pointwise == .init(parameters: 12, multiplyAccumulates: 300))
        #expect(cost.separable == .init(parameters: 39, multiplyAccumulates: 975))
        #expect(abs(cost.parameterRatio - 39.0 / 108) < 1e-12)
        #expect(cost.separable.multiplyAccumulates == plan.multiplyAccumulatesPerImage)
        #expect(cost.biasParameters == 0)
    }

    @Test func withoutAnInputOnlyParametersAreCounted() throws {
        let cost = BankCost(bank: try Self.separable(c: 3, m: 1, o: 4, k: 3), outputPixels: nil)
        #expect(cost.separable == .init(parameters: 39, multiplyAccumulates: nil))
    }

    @Test func aDepthwiseBankHasNoPointwiseStep() throws {
        // C = 3, M = 2: the equivalent standard convolution maps 3 channels to 6.
        let bank = try FilterBank(depthwise: DepthwiseFilter(kernels: [sobelX, sobelY], height: 3, width: 3, channels: 3),
                                  bias: [Float](repeating: 0.5, count: 6))
        // VALID on 6x7 with stride 2: output 2x3 = 6 pixels.
        let plan = try ConvolutionPlan(input: TensorShape(batch: 2, height: 6, width: 7, channels: 3),
                                       bank: FilterBank(depthwise: bank.depthwise, strides: HeightWidth(2), padding: .valid, bias: bank.bias))
        let cost = BankCost(plan: plan)
        #expect(cost.standard == .init(parameters: 9 * 3 * 6, multiplyAccumulates: 6 * 9 * 3 * 6))
        #expect(cost.depthwise == .init(parameters: 54, multiplyAccumulates: 6 * 54))
        #expect(cost.pointwise == .init(parameters: 0, multiplyAccumulates: 0))
        #expect(cost.separable == cost.depthwise)
        #expect(cost.biasParameters == 6)
    }

    /// A MobileNet-like layer: 3x3, 32 -> 64 channels: ratio 1/64 + 1/9.
    @Test func theClassicRatio() throws {
        let cost = BankCost(bank: try Self.separable(c: 32, m: 1, o: 64, k: 3), outputPixels: 112 * 112)
        #expect(abs(cost.parameterRatio - (1.0 / 64 + 1.0 / 9)) < 1e-12)
        #expect(cost.standard.multiplyAccumulates == 112 * 112 * 9 * 32 * 64)
    }
}
