/// What a bank costs, against a standard convolution with the same input and
/// output channels: parameters (weights, bias not included) and
/// multiply-accumulates per image.
///
/// With `kh x kw` kernels, `C` input channels, multiplier `M` and `O` outputs
/// (`O = C * M` for a depthwise bank), and `P = H_out * W_out` output pixels:
///
/// | step | parameters | multiply-accumulates |
/// |---|---|---|
/// | standard convolution | `kh*kw*C*O` | `P*kh*kw*C*O` |
/// | depthwise step | `kh*kw*C*M` | `P*kh*kw*C*M` |
/// | pointwise step (separable banks; else 0) | `C*M*O` | `P*C*M*O` |
/// | separable = depthwise + pointwise | sum | sum |
///
/// Example: a 5x5x3 input, 3x3 kernels, M = 1, 4 outputs:
/// standard 108 parameters, depthwise 27, pointwise 12, separable 39 (ratio
/// 0.361); with SAME padding, 2700, 675, 300 and 975 multiply-accumulates.
public struct BankCost: Sendable, Equatable {
    /// One row of the table.
    public struct Step: Sendable, Equatable {
        public let parameters: Int
        /// Per image; `nil` when the output size is not known (no input).
        public let multiplyAccumulates: Int?

        public init(parameters: Int, multiplyAccumulates: Int?) {
            self.parameters = parameters
            self.multiplyAccumulates = multiplyAccumulates
        }
    }

    public let standard: Step
    public let depthwise: Step
    public let pointwise: Step
    /// Depthwise plus pointwise.
    public let separable: Step
    /// Bias values (one per output channel, 0 without bias); not counted above.
    public let biasParameters: Int

    /// The cost of `bank` producing `outputPixels` (`H_out * W_out`) pixels per
    /// image, or only the parameters when `outputPixels` is `nil`.
    public init(bank: FilterBank, outputPixels: Int?) {
        let d = bank.depthwise
        let taps = d.kernelHeight * d.kernelWidth
        let (c, m, o) = (d.inputChannels, d.multiplier, bank.outputChannels)
        func step(_ parameters: Int, perPixel: Int) -> Step {
            Step(parameters: parameters, multiplyAccumulates: outputPixels.map { $0 * perPixel })
        }
        let pw = bank.pointwise.map { $0.inputDepth * $0.outputChannels } ?? 0
        standard = step(taps * c * o, perPixel: taps * c * o)
        depthwise = step(taps * c * m, perPixel: taps * c * m)
        pointwise = step(pw, perPixel: pw)
        separable = step(taps * c * m + pw, perPixel: taps * c * m + pw)
        biasParameters = bank.bias?.count ?? 0
    }

    /// The cost of the bank of `plan` on its input.
    public init(plan: ConvolutionPlan) {
        self.init(bank: plan.bank, outputPixels: plan.rows.outputSize * plan.columns.outputSize)
    }

    /// `separable / standard` parameters.
    public var parameterRatio: Double { Double(separable.parameters) / Double(standard.parameters) }
}
