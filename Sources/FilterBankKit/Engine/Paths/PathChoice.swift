extension ConvolutionEngine {
    /// Relative Frobenius error up to which a kernel runs as rank 1. At 1e-6
    /// the two-pass result differs from the direct sum by at most
    /// `1e-6 * ||K||_F * ||window||_2` plus float32 rounding (well inside the
    /// tests' 1e-5 relative tolerance against the Double reference).
    public static let rank1Tolerance = 1e-6

    /// Whether rank-1 kernels of this size and multiplier run as two passes,
    /// decided by measurement (`Benchmarks --all`; the figures are in
    /// docs/performance.md). With AVX2 or AVX-512 the direct 3x3 kernel is
    /// bound by memory and two passes gain nothing, so they start at 10 taps;
    /// on the portable level two passes measured faster from 3x3 (9 taps) on.
    /// On a second machine the portable build's 3x3 kernels with M = 1
    /// measure faster direct, while the default bank (M = 2) stays faster in
    /// two passes (docs/performance.md); the threshold is kept, so that results
    /// stay bit for bit what they were, until the choice is measured again on
    /// more than one machine. With M a multiple of 8 the broadcast path is
    /// kept: two passes would expand the rows to `C * M` channels, which
    /// measured slower. 1xN and Nx1 kernels gain nothing from two passes.
    public static func prefersRank1(kernelHeight kh: Int, kernelWidth kw: Int, multiplier m: Int,
                                    instructionSet level: InstructionSet = .current) -> Bool {
        let fewestTaps = level == .portable ? 9 : 10
        return kh > 1 && kw > 1 && kh * kw >= fewestTaps && m % 8 != 0
    }

    /// The path for `plan` (`requested` if it can compute the bank exactly,
    /// else the automatic choice), and for `rank1` every kernel's factors.
    /// The path `init(plan:)` chooses for `plan` by itself (at `instructionSet`,
    /// the engine's level by default). A bank cut down to some outputs
    /// (`FilterBank.selecting`) computed on the whole bank's path gives each
    /// output bit for bit as the whole bank does.
    public static func automaticPath(for plan: ConvolutionPlan, instructionSet level: InstructionSet = .current) -> Path {
        choosePath(for: plan, requested: nil, level: level).0
    }

    static func choosePath(for plan: ConvolutionPlan, requested: Path?,
                           level: InstructionSet) -> (Path, [KernelFactorization]) {
        let f = plan.bank.depthwise
        let cm = f.outputChannels
        let wantsRank1 = requested.map { $0 == .rank1 }
            ?? prefersRank1(kernelHeight: f.kernelHeight, kernelWidth: f.kernelWidth, multiplier: f.multiplier,
                            instructionSet: level)
        if wantsRank1 {
            var factors: [KernelFactorization] = []
            for k in 0..<cm {
                let kernel = (0..<(f.kernelHeight * f.kernelWidth)).map { f.values[$0 * cm + k] }
                let factor = KernelFactorization(kernel: kernel, height: f.kernelHeight, width: f.kernelWidth)
                guard factor.relativeError <= rank1Tolerance else { break }
                factors.append(factor)
            }
            if factors.count == cm { return (.rank1, factors) }
        }
        if f.multiplier % 8 == 0 && requested != .direct { return (.broadcast, []) }
        return (.direct, [])
    }
}
