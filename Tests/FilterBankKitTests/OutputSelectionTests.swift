import Testing
import FilterBankKit

@Suite struct OutputSelectionTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int(state % 2001) - 1000) / 1000
        }
    }

    /// Channel `c` of every pixel of `t`, for channels `channels`, as a new tensor.
    static func channels(_ t: Tensor, _ channels: [Int]) -> Tensor {
        let s = t.shape
        var values: [Float] = []
        for p in 0..<(s.count / s.channels) { for c in channels { values.append(t.values[p * s.channels + c]) } }
        return Tensor(shape: TensorShape(batch: s.batch, height: s.height, width: s.width, channels: channels.count), values: values)
    }

    @Test(arguments: [[0, 3, 5, 6, 7], [1], [4, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8], [2, 5, 8], [0, 2, 6, 8]])
    func aDepthwiseSubsetComputesExactlyThoseOutputs(_ outputs: [Int]) throws {
        let dw = try DepthwiseFilter(shape: [3, 3, 3, 3], values: Self.random(81, seed: 1))
        let bank = try FilterBank(depthwise: dw, bias: Self.random(9, seed: 2), border: .reflect)
        let input = Tensor(shape: TensorShape(batch: 2, height: 7, width: 9, channels: 3), values: Self.random(378, seed: 3))
        let full = try ReferenceConvolution.apply(bank, to: input)
        let selection = try bank.selecting(outputs: outputs)
        #expect(selection.outputs == outputs)
        #expect(selection.bank.outputChannels == outputs.count)
        // No more filters than outputs.
        #expect(selection.bank.depthwise.outputChannels == outputs.count)
        let part = try ReferenceConvolution.apply(selection.bank, to: Self.channels(input, selection.inputChannels))
        #expect(part.values == Self.channels(full, outputs).values)
        // The engine agrees bit for bit with its own full run, on the full bank's path (as a job's passes run).
        let fullPlan = try ConvolutionPlan(input: input.shape, bank: bank)
        let engineFull = ConvolutionEngine(plan: fullPlan).apply(to: input)
        let partPlan = try ConvolutionPlan(input: part.shape.with(channels: selection.inputChannels.count, of: input.shape),
                                           bank: selection.bank)
        let enginePart = ConvolutionEngine(plan: partPlan, path: ConvolutionEngine.automaticPath(for: fullPlan))
            .apply(to: Self.channels(input, selection.inputChannels))
        #expect(enginePart.values == Self.channels(engineFull, outputs).values)
    }

    @Test func rectangularSubsetsKeepTheMultiplier() throws {
        let dw = try DepthwiseFilter(shape: [1, 1, 4, 3], values: Self.random(12, seed: 4))
        let bank = try FilterBank(depthwise: dw)
        let s = try bank.selecting(outputs: [3, 5, 9, 11])  // c1 and c3, kernels 0 and 2
        #expect(s.bank.depthwise.shape == [1, 1, 2, 2] && s.inputChannels == [1, 3])
        let d = try bank.selecting(outputs: [3, 7])  // c1 m0 and c2 m1: one channel each
        #expect(d.bank.depthwise.shape == [1, 1, 2, 1] && d.inputChannels == [1, 2])
        #expect(try bank.selecting(outputs: Array(0..<12)).bank == bank)
    }

    @Test func aSeparableSubsetKeepsTheNeededPointwiseColumnsAndRows() throws {
        let dw = try DepthwiseFilter(shape: [3, 3, 2, 2], values: Self.random(36, seed: 5))
        var pwValues = Self.random(4 * 5, seed: 6)
        for o in 0..<5 { pwValues[1 * 5 + o] = o == 4 ? 0.5 : 0 }  // depthwise channel 1 feeds output 4 only
        let pw = try PointwiseFilter(shape: [1, 1, 4, 5], values: pwValues)
        let bank = try FilterBank(depthwise: dw, pointwise: pw, bias: Self.random(5, seed: 7))
        let input = Tensor(shape: TensorShape(batch: 1, height: 6, width: 5, channels: 2), values: Self.random(60, seed: 8))
        let full = try ReferenceConvolution.apply(bank, to: input)
        let s = try bank.selecting(outputs: [0, 3])
        #expect(s.bank.pointwise?.shape == [1, 1, 3, 2])  // depthwise channel 1 is not computed
        #expect(s.bank.depthwise.outputChannels == 3)
        let part = try ReferenceConvolution.apply(s.bank, to: Self.channels(input, s.inputChannels))
        for (a, b) in zip(part.values, Self.channels(full, [0, 3]).values) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
    }

    @Test func channelLists() throws {
        let list = try ChannelList(parsing: "0,3,5-7, 3")
        #expect(try list.indices(count: 8) == [0, 3, 5, 6, 7])
        #expect(list.distinctCount == 5 && list.largest == 7)
        #expect(throws: ChannelListError.self) { try list.indices(count: 7) }
        for bad in ["", "1,", "a", "3-1", "-2", "1-2-3", "1.5"] {
            #expect(throws: ChannelListError.self, "\(bad)") { try ChannelList(parsing: bad) }
        }
        #expect(try ChannelList(parsing: "0-999999999").distinctCount == 1_000_000_000)
    }

    @Test func autoMappingFollowsTheSignsOfTheWeights() throws {
        // Sobel x (both signs), a box blur (non-negative), a negative-only kernel.
        let kernels: [[Float]] = [[-1, 0, 1, -2, 0, 2, -1, 0, 1], [Float](repeating: 1.0 / 9, count: 9),
                                  [0, 0, 0, 0, -1, 0, 0, 0, 0]]
        let bank = try FilterBank(depthwise: DepthwiseFilter(kernels: kernels, height: 3, width: 3, channels: 2))
        #expect(bank.signedOutputs == [true, false, true, true, false, true])
        let biased = try FilterBank(depthwise: bank.depthwise, bias: [0, -0.1, 0, 0, 0.2, 0])
        #expect(biased.signedOutputs == [true, true, true, true, false, true])
        // Separable: the combined kernel's signs (blur - 2 blur < 0; blur - blur = 0 is not negative).
        let dw = try DepthwiseFilter(kernels: [kernels[1], kernels[1]], height: 3, width: 3, channels: 1)
        let pw = try PointwiseFilter(shape: [1, 1, 2, 3], values: [1, 1, 1, 0, -2, -1])
        #expect(try FilterBank(depthwise: dw, pointwise: pw).signedOutputs == [false, true, false])

        #expect(MappingMode.auto.resolved(signed: true) == .symmetric)
        #expect(MappingMode.auto.resolved(signed: false) == .clamp)
        #expect(MappingMode.abs.resolved(signed: true) == .abs)
        var s = ChannelStatistics()
        [Float(-0.5), 2].withUnsafeBufferPointer { s.add($0.baseAddress!, stride: 1, count: 2) }
        let signed = ChannelMapping(mode: .auto, statistics: s, signed: true)
        #expect(signed == ChannelMapping(mode: .symmetric, statistics: s))
        #expect(PixelMapping.plane(Tensor(shape: TensorShape(batch: 1, height: 1, width: 3, channels: 1), values: [0, 2, -2]),
                                   batch: 0, channel: 0, mapping: signed) == [128, 255, 0])  // 0 is mid-grey
        #expect(ChannelMapping(mode: .auto, statistics: s, signed: false) == ChannelMapping())
    }
}

extension TensorShape {
    /// This shape's batch, height and width from `input`, with `channels` channels.
    fileprivate func with(channels: Int, of input: TensorShape) -> TensorShape {
        TensorShape(batch: input.batch, height: input.height, width: input.width, channels: channels)
    }
}
