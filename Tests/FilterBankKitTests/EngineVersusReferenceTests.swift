import Testing
import FilterBankKit

/// A small deterministic generator, so a failing case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random bank and input; shapes kept small because debug builds are slow.
struct RandomCase: CustomStringConvertible {
    let bank: FilterBank
    let input: Tensor
    let seed: UInt64

    init(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        self.seed = seed
        let kh = Int.random(in: 1...5, using: &rng), kw = Int.random(in: 1...5, using: &rng)
        let c = Int.random(in: 1...4, using: &rng), m = Int.random(in: 1...3, using: &rng)
        let stride = HeightWidth(Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng))
        let dilation = HeightWidth(Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng))
        let effH = (kh - 1) * dilation.height + 1, effW = (kw - 1) * dilation.width + 1
        let padding: Padding
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: padding = .same
        case 1: padding = .valid
        default:
            padding = .explicit(top: Int.random(in: 0...4, using: &rng), bottom: Int.random(in: 0...4, using: &rng),
                                left: Int.random(in: 0...4, using: &rng), right: Int.random(in: 0...4, using: &rng))
        }
        // VALID needs the kernel to fit; explicit pads help it fit.
        let h = Int.random(in: max(1, effH - 4)...(effH + 12), using: &rng)
        let w = Int.random(in: max(1, effW - 4)...(effW + 12), using: &rng)
        let fitH = padding == .valid ? max(h, effH) : max(h, effH + 0)
        let fitW = padding == .valid ? max(w, effW) : max(w, effW + 0)
        let n = Int.random(in: 1...2, using: &rng)
        let shape = TensorShape(batch: n, height: fitH, width: fitW, channels: c)
        input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let dw = try DepthwiseFilter(shape: [kh, kw, c, m],
                                     values: (0..<(kh * kw * c * m)).map { _ in Float.random(in: -1...1, using: &rng) })
        var pw: PointwiseFilter? = nil
        if Bool.random(using: &rng) {
            let o = Int.random(in: 1...5, using: &rng)
            pw = try PointwiseFilter(shape: [1, 1, c * m, o],
                                     values: (0..<(c * m * o)).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        let outputs = pw?.outputChannels ?? c * m
        let bias = Bool.random(using: &rng) ? (0..<outputs).map { _ in Float.random(in: -1...1, using: &rng) } : nil
        bank = try FilterBank(depthwise: dw, pointwise: pw, strides: stride, dilations: dilation, padding: padding,
                              bias: bias)
    }

    var description: String {
        "seed \(seed): input \(input.shape), filter \(bank.depthwise.shape), pointwise \(bank.pointwise?.shape ?? []), strides \(bank.strides), dilations \(bank.dilations), \(bank.padding), bias \(bank.bias != nil)"
    }
}

func expectClose(_ got: Tensor, _ want: Tensor, _ context: String) {
    #expect(got.shape == want.shape, "\(context)")
    guard got.shape == want.shape else { return }
    var worst: Float = 0
    for (g, w) in zip(got.values, want.values) { worst = max(worst, abs(g - w) / max(1, abs(w))) }
    #expect(worst <= 1e-5, "\(context): worst relative deviation \(worst)")
}

@Suite struct EngineVersusReferenceTests {
    @Test(arguments: InstructionSet.available, 0..<60)
    func randomBanksMatchTheReference(_ level: InstructionSet, _ seed: Int) throws {
        let c = try RandomCase(seed: UInt64(seed))
        let want = try ReferenceConvolution.apply(c.bank, to: c.input)
        let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: c.input.shape, bank: c.bank), instructionSet: level)
        expectClose(engine.apply(to: c.input, parallel: false), want, "\(c) \(level) serial")
        expectClose(engine.apply(to: c.input, parallel: true), want, "\(c) \(level) parallel")
    }

    /// Streaming computes output rows from a band that holds only the input
    /// rows they need (the halo included): cut the output at random places and
    /// give each piece only its own rows.
    @Test(arguments: InstructionSet.available, 100..<140)
    func bandsCutAnywhereMatchTheWholeImage(_ level: InstructionSet, _ seed: Int) throws {
        let c = try RandomCase(seed: UInt64(seed))
        let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: c.input.shape, bank: c.bank), instructionSet: level)
        let whole = engine.apply(to: c.input, parallel: false)
        // A new workspace for every band, as separate band decoders would use.
        let banded = bandedApply(engine, c.input, seed: UInt64(seed), freshWorkspaces: true)
        #expect(banded == whole.values, "\(c)")
    }

    @Test func largerImageAcrossManyBandsAndThreads() throws {
        var rng = SplitMix64(seed: 7)
        let shape = TensorShape(batch: 1, height: 67, width: 45, channels: 3)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: 0...1, using: &rng) })
        let dw = try DepthwiseFilter(shape: [5, 3, 3, 4], values: (0..<180).map { _ in Float.random(in: -1...1, using: &rng) })
        let pw = try PointwiseFilter(shape: [1, 1, 12, 7], values: (0..<84).map { _ in Float.random(in: -1...1, using: &rng) })
        for bank in [try FilterBank(depthwise: dw), try FilterBank(depthwise: dw, pointwise: pw, dilations: HeightWidth(2, 1))] {
            expectClose(try Convolution.apply(bank, to: input), try ReferenceConvolution.apply(bank, to: input), "67x45x3")
        }
    }

    /// Sobel x on a horizontal ramp: the interior response is the slope times 8.
    @Test func edgesBankOnARamp() throws {
        let shape = TensorShape(batch: 1, height: 5, width: 6, channels: 1)
        var input = Tensor(zeros: shape)
        for y in 0..<5 { for x in 0..<6 { input[0, y, x, 0] = Float(x) * 0.1 } }
        let out = try Convolution.apply(try edgesBank(channels: 1), to: input)
        #expect(out.shape == TensorShape(batch: 1, height: 5, width: 6, channels: 2))
        for y in 1..<4 {
            for x in 1..<5 {
                #expect(abs(out[0, y, x, 0] - 0.8) < 1e-6)  // d/dx: (1+2+1) * 2 * 0.1
                #expect(abs(out[0, y, x, 1]) < 1e-6)        // no vertical change
            }
        }
        // Zero padding: at the left border the missing column counts as 0.
        #expect(abs(out[0, 2, 0, 0] - 0.4) < 1e-6)  // (1+2+1) * 0.1
    }
}
