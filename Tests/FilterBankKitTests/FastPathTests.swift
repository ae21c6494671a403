import Testing
import FilterBankKit

/// A random case sized to reach every branch of the fast kernels: rows wider
/// than the 32- and 48-float blocks (with tails), multipliers that take the
/// broadcast path (8, 16) or the expanded one, periods that do and do not
/// divide 24, rank-1 kernels (outer products), separable banks wide enough to
/// span several pointwise tiles, and every border mode.
struct FastCase: CustomStringConvertible {
    let bank: FilterBank
    let input: Tensor
    let seed: UInt64

    init(seed: UInt64, rank1: Bool) throws {
        var rng = SplitMix64(seed: seed)
        self.seed = seed
        let kh = Int.random(in: 1...6, using: &rng), kw = Int.random(in: 1...6, using: &rng)
        let c = [1, 2, 3, 4, 5].randomElement(using: &rng)!
        let m = [1, 1, 2, 3, 8, 16].randomElement(using: &rng)!
        let stride = HeightWidth(Int.random(in: 1...2, using: &rng), [1, 1, 2, 3].randomElement(using: &rng)!)
        let dilation = HeightWidth(Int.random(in: 1...2, using: &rng), Int.random(in: 1...2, using: &rng))
        let padding: Padding
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: padding = .same
        case 1: padding = .valid
        default:
            padding = .explicit(top: Int.random(in: 0...5, using: &rng), bottom: Int.random(in: 0...5, using: &rng),
                                left: Int.random(in: 0...9, using: &rng), right: Int.random(in: 0...9, using: &rng))
        }
        let effH = (kh - 1) * dilation.height + 1, effW = (kw - 1) * dilation.width + 1
        let h = Int.random(in: effH...(effH + 9), using: &rng)
        let w = Int.random(in: effW...(effW + 90), using: &rng)
        let n = Int.random(in: 1...2, using: &rng)
        let shape = TensorShape(batch: n, height: h, width: w, channels: c)
        input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        var values = [Float](repeating: 0, count: kh * kw * c * m)
        for k in 0..<(c * m) {
            let column = (0..<kh).map { _ in Float.random(in: -1...1, using: &rng) }
            let row = (0..<kw).map { _ in Float.random(in: -1...1, using: &rng) }
            for i in 0..<kh {
                for j in 0..<kw {
                    values[(i * kw + j) * c * m + k] = rank1 ? column[i] * row[j] : Float.random(in: -1...1, using: &rng)
                }
            }
        }
        let dw = try DepthwiseFilter(shape: [kh, kw, c, m], values: values)
        var pw: PointwiseFilter? = nil
        if Int.random(in: 0..<3, using: &rng) == 0 {
            let o = [1, 3, 8, 16, 19, 35].randomElement(using: &rng)!
            pw = try PointwiseFilter(shape: [1, 1, c * m, o],
                                     values: (0..<(c * m * o)).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        let outputs = pw?.outputChannels ?? c * m
        let bias = Bool.random(using: &rng) ? (0..<outputs).map { _ in Float.random(in: -1...1, using: &rng) } : nil
        bank = try FilterBank(depthwise: dw, pointwise: pw, strides: stride, dilations: dilation, padding: padding,
                              bias: bias, border: BorderMode.allCases.randomElement(using: &rng)!)
    }

    var description: String {
        "seed \(seed): input \(input.shape), filter \(bank.depthwise.shape), pointwise \(bank.pointwise?.shape ?? []), strides \(bank.strides), dilations \(bank.dilations), \(bank.padding), border \(bank.border), bias \(bank.bias != nil)"
    }
}

@Suite struct FastPathTests {
    /// Every path the engine can take, forced, serial and threaded, against
    /// the plain reference loop; with rank-1 kernels half the time, so that
    /// the two-pass path really runs. On every instruction-set level the CPU has.
    @Test(arguments: InstructionSet.available, 0..<48)
    func everyPathMatchesTheReference(_ level: InstructionSet, _ seed: Int) throws {
        let c = try FastCase(seed: UInt64(seed) + 1000, rank1: seed % 2 == 0)
        let want = try ReferenceConvolution.apply(c.bank, to: c.input)
        let plan = try ConvolutionPlan(input: c.input.shape, bank: c.bank)
        var ran: Set<ConvolutionEngine.Path> = []
        for path in [nil, ConvolutionEngine.Path.direct, .broadcast, .rank1] {
            let engine = ConvolutionEngine(plan: plan, path: path, instructionSet: level)
            #expect(engine.instructionSet == level)
            ran.insert(engine.path)
            expectClose(engine.apply(to: c.input, parallel: false), want, "\(c) \(engine.path) serial")
            expectClose(engine.apply(to: c.input, parallel: true), want, "\(c) \(engine.path) threaded")
            var into = Tensor(zeros: plan.output)
            engine.apply(to: c.input, into: &into)
            expectClose(into, want, "\(c) \(engine.path) into")
            #expect(bandedApply(engine, c.input, seed: UInt64(seed)) == engine.apply(to: c.input, parallel: false).values,
                    "\(c) \(engine.path) banded")
        }
        if seed % 2 == 0 && c.bank.depthwise.kernelHeight * c.bank.depthwise.kernelWidth > 1 {
            #expect(ran.contains(.rank1), "\(c): rank-1 kernels must be able to take the rank-1 path")
        }
        if c.bank.depthwise.multiplier % 8 == 0 && seed % 2 == 1 {
            #expect(ran.contains(.broadcast), "\(c)")
        }
    }

    /// The automatic choice: rank 1 for rank-1 kernels of 3x3 (portable
    /// level) or larger than 3x3 (unless M is a multiple of 8: broadcast),
    /// direct otherwise.
    @Test(arguments: InstructionSet.available)
    func pathChoice(_ level: InstructionSet) throws {
        let g: [Float] = [1, 4, 6, 4, 1]
        let gauss = g.flatMap { a in g.map { a * $0 / 256 } }
        let shape = TensorShape(batch: 1, height: 9, width: 9, channels: 3)
        func path(_ kernel: [Float], _ size: Int, m: Int = 1) throws -> ConvolutionEngine.Path {
            let dw = try DepthwiseFilter(kernels: Array(repeating: kernel, count: m), height: size, width: size, channels: 3)
            let plan = try ConvolutionPlan(input: shape, bank: FilterBank(depthwise: dw))
            return ConvolutionEngine(plan: plan, instructionSet: level).path
        }
        #expect(try path(gauss, 5) == .rank1)
        // 3x3: direct with AVX2 or AVX-512 (memory-bound either way), rank 1 on the portable level
        // (measured faster there).
        let threeByThree = ConvolutionEngine.prefersRank1(kernelHeight: 3, kernelWidth: 3, multiplier: 1,
                                                          instructionSet: level)
        #expect(threeByThree == (level == .portable))
        #expect(try path(sobelX, 3) == (threeByThree ? .rank1 : .direct))
        #expect(try path(sobelX, 3, m: 8) == .broadcast)
        #expect(try path([0, -1, 0, -1, 5, -1, 0, -1, 0], 3) == .direct)  // a sharpening kernel has rank 2
        var noisy = gauss
        noisy[7] += 1e-3  // no longer rank 1 within 1e-6
        #expect(try path(noisy, 5) == .direct)
    }

    /// The rank-1 path computes output rows in blocks of
    /// `EngineKernels.blockRows` (then 2, then 1 at the end of a band):
    /// every image height from 1 to 13 (so every remainder, and blocks whose
    /// rows read zero padding above and below), widths whose rows end in
    /// every tail of the 24-float blocks, grey, RGB and a multiplier of 2
    /// (rows expanded into the ring, which must hold a whole block's rows),
    /// each border mode, against the reference loop, on every level.
    @Test(arguments: InstructionSet.available, [(1, 1), (3, 1), (3, 2), (4, 1)])
    func rank1BlocksOfEveryHeight(_ level: InstructionSet, _ cm: (Int, Int)) throws {
        let (channels, multiplier) = cm
        var rng = SplitMix64(seed: UInt64(channels * 10 + multiplier))
        for height in 1...13 {
            let kh = [2, 3, 5, 7].randomElement(using: &rng)!, kw = [2, 3, 7].randomElement(using: &rng)!
            let width = Int.random(in: 1...60, using: &rng)
            let shape = TensorShape(batch: 1, height: height, width: width, channels: channels)
            let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
            let kernels = (0..<(channels * multiplier)).map { _ in
                let column = (0..<kh).map { _ in Float.random(in: -1...1, using: &rng) }
                let row = (0..<kw).map { _ in Float.random(in: -1...1, using: &rng) }
                return column.flatMap { a in row.map { a * $0 } }
            }
            var values = [Float](repeating: 0, count: kh * kw * channels * multiplier)
            for (k, kernel) in kernels.enumerated() {
                for tap in 0..<(kh * kw) { values[tap * channels * multiplier + k] = kernel[tap] }
            }
            let dw = try DepthwiseFilter(shape: [kh, kw, channels, multiplier], values: values)
            let border = BorderMode.allCases.randomElement(using: &rng)!
            let bank = try FilterBank(depthwise: dw, padding: .same, border: border)
            let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: shape, bank: bank), path: .rank1,
                                           instructionSet: level)
            #expect(engine.path == .rank1)
            let want = try ReferenceConvolution.apply(bank, to: input)
            let context = "height \(height), width \(width), \(kh)x\(kw), C \(channels), M \(multiplier), \(border)"
            expectClose(engine.apply(to: input, parallel: false), want, context)
            expectClose(engine.apply(to: input, parallel: true), want, context + " threaded")
        }
    }

    /// Rows expanded to `C * M` values a pixel (`RowGatherer`, with a loop of
    /// its own for each small multiplier): every multiplier from 1 to 17,
    /// widths that end in every tail of the four-float shuffles, padding
    /// columns on both sides and every border mode, the direct path forced,
    /// against the reference loop, on every level.
    @Test(arguments: InstructionSet.available, 1...17)
    func expandedRowsForEveryMultiplier(_ level: InstructionSet, _ multiplier: Int) throws {
        var rng = SplitMix64(seed: UInt64(700 + multiplier))
        for width in [1, 2, 3, 4, 5, 7, 9, 33] {
            let channels = Int.random(in: 1...4, using: &rng)
            let shape = TensorShape(batch: 1, height: 4, width: width, channels: channels)
            let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
            let count = 3 * 3 * channels * multiplier
            let dw = try DepthwiseFilter(shape: [3, 3, channels, multiplier],
                                         values: (0..<count).map { _ in Float.random(in: -1...1, using: &rng) })
            let border = BorderMode.allCases.randomElement(using: &rng)!
            let bank = try FilterBank(depthwise: dw, padding: .explicit(top: 1, bottom: 1, left: 2, right: 1), border: border)
            let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: shape, bank: bank), path: .direct,
                                           instructionSet: level)
            #expect(engine.path == .direct)
            expectClose(engine.apply(to: input, parallel: false), try ReferenceConvolution.apply(bank, to: input),
                        "width \(width), C \(channels), M \(multiplier), \(border)")
        }
    }

    /// The block kernels' widest blocks (AVX-512: four rows by six 16-lane
    /// vectors, 96 floats a row, for the direct path and the rank-1 vertical
    /// pass): rows whose floats end in every remainder of 96 and of 48, every
    /// period that divides 24, against the reference loop, and each row the
    /// same bits as the whole image's when computed in a band of its own.
    @Test(arguments: InstructionSet.available, [1, 2, 3, 4, 6, 8])
    func widestBlocksEndInEveryRemainder(_ level: InstructionSet, _ channels: Int) throws {
        var rng = SplitMix64(seed: UInt64(900 + channels))
        for floats in stride(from: 90, through: 300, by: 7) {
            let width = max(1, floats / channels)
            let k = [3, 5].randomElement(using: &rng)!
            let shape = TensorShape(batch: 1, height: 11, width: width, channels: channels)
            let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
            let column = (0..<k).map { _ in Float.random(in: -1...1, using: &rng) }
            let general = try DepthwiseFilter(shape: [k, k, channels, 1],
                                              values: (0..<(k * k * channels)).map { _ in Float.random(in: -1...1, using: &rng) })
            let rank1 = try DepthwiseFilter(shape: [k, k, channels, 1], values: (0..<(k * k * channels)).map {
                column[$0 / (k * channels)] * Float(1 + ($0 / channels) % k) * 0.25
            })
            for (filter, path) in [(general, ConvolutionEngine.Path.direct), (rank1, .rank1)] {
                let bank = try FilterBank(depthwise: filter, padding: .same)
                let plan = try ConvolutionPlan(input: shape, bank: bank)
                let engine = ConvolutionEngine(plan: plan, path: path, instructionSet: level)
                #expect(engine.path == path)
                let whole = engine.apply(to: input, parallel: false)
                expectClose(whole, try ReferenceConvolution.apply(bank, to: input),
                            "\(level) \(path), width \(width), C \(channels), \(k)x\(k)")
                // Output row 5 alone: a step of one row instead of a block of four.
                let workspace = ConvolutionEngine.Workspace(engine: engine)
                var row = [Float](repeating: .nan, count: plan.output.rowCount)
                input.values.withUnsafeBufferPointer { source in
                    row.withUnsafeMutableBufferPointer { out in
                        engine.computeRows(5..<6, from: InputBand(rows: source.baseAddress!, firstRow: 0, rowCount: 11),
                                           into: out.baseAddress!, workspace: workspace)
                    }
                }
                let start = 5 * plan.output.rowCount
                #expect(row == Array(whole.values[start..<(start + plan.output.rowCount)]),
                        "\(level) \(path), width \(width), C \(channels): row 5 alone differs from the block")
            }
        }
    }

    /// Non-temporal stores (`apply(to:into:streaming:)`) write the same bits
    /// as ordinary ones, on every level: outputs that start at every offset
    /// from a 64-byte boundary, row lengths whose alignment changes from row
    /// to row, periods that divide 24, serial and threaded.
    @Test(arguments: InstructionSet.available, 0..<16)
    func streamingStoresWriteTheSameBits(_ level: InstructionSet, _ offset: Int) throws {
        var rng = SplitMix64(seed: UInt64(1700 + offset))
        let channels = [1, 2, 3, 4, 6, 8].randomElement(using: &rng)!
        let k = [3, 5].randomElement(using: &rng)!
        let shape = TensorShape(batch: Int.random(in: 1...2, using: &rng), height: Int.random(in: 1...13, using: &rng),
                                width: Int.random(in: 20...90, using: &rng), channels: channels)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let dw = try DepthwiseFilter(shape: [k, k, channels, 1],
                                     values: (0..<(k * k * channels)).map { _ in Float.random(in: -1...1, using: &rng) })
        let bank = try FilterBank(depthwise: dw, padding: .same, border: BorderMode.allCases.randomElement(using: &rng)!)
        let plan = try ConvolutionPlan(input: shape, bank: bank)
        let engine = ConvolutionEngine(plan: plan, path: .direct, instructionSet: level)
        let count = plan.output.count
        // An output buffer `offset` floats past a 64-byte boundary.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (count + 16) * 4, alignment: 64)
        defer { raw.deallocate() }
        let out = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: count + 16) + offset,
                                             count: count)
        let parallel = Bool.random(using: &rng)
        input.values.withUnsafeBufferPointer { engine.apply(to: $0, into: out, parallel: parallel, streaming: true) }
        let plain = engine.apply(to: input, parallel: false)
        #expect(Array(out).map(\.bitPattern) == plain.values.map(\.bitPattern),
                "\(level), offset \(offset), input \(shape), \(k)x\(k)")
        expectClose(plain, try ReferenceConvolution.apply(bank, to: input), "\(level) \(shape)")
    }

    /// One larger image across many bands and both threads, each path, each level.
    @Test(arguments: InstructionSet.available)
    func widerImageEveryPath(_ level: InstructionSet) throws {
        var rng = SplitMix64(seed: 4242)
        let shape = TensorShape(batch: 3, height: 41, width: 157, channels: 3)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: 0...1, using: &rng) })
        let column: [Float] = [1, 6, 15, 20, 15, 6, 1], row: [Float] = [-1, -2, 0, 2, 1, 0.5, 0.25]
        let k7 = column.flatMap { c in row.map { c * $0 / 64 } }
        let dw = try DepthwiseFilter(kernels: [k7, k7.reversed()], height: 7, width: 7, channels: 3)
        let dw8 = try DepthwiseFilter(shape: [3, 3, 3, 8], values: (0..<216).map { _ in Float.random(in: -1...1, using: &rng) })
        let pw = try PointwiseFilter(shape: [1, 1, 24, 16], values: (0..<384).map { _ in Float.random(in: -1...1, using: &rng) })
        for bank in [try FilterBank(depthwise: dw, border: .reflect), try FilterBank(depthwise: dw8, pointwise: pw),
                     try FilterBank(depthwise: dw8, border: .wrap)] {
            let want = try ReferenceConvolution.apply(bank, to: input)
            for path in [ConvolutionEngine.Path.direct, .broadcast, .rank1] {
                let engine = ConvolutionEngine(plan: try ConvolutionPlan(input: shape, bank: bank), path: path,
                                               instructionSet: level)
                expectClose(engine.apply(to: input), want, "\(bank.depthwise.shape) \(engine.path) \(level)")
            }
        }
    }
}
