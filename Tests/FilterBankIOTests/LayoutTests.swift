import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

private typealias S = BankIOTestSupport

/// PyTorch layout (`--layout torch`) against TensorFlow layout on the same weights.
@Suite struct LayoutTests {
    static func tfSpec() throws -> BankSpec { try BankFile.loadNpz(path: S.bank("bank_savez.npz"), layout: .tf).spec(channels: 3) }

    /// The fixtures' PyTorch arrays were made from the TF ones with NumPy transposes.
    @Test func torchNpyFiltersEqualTheTensorFlowOnes() throws {
        let torch = try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: S.bank("torch_pw.npy"), layout: .torch)
        let spec = try torch.spec(channels: 3)
        let tf = try Self.tfSpec()
        #expect(spec.depthwise == tf.depthwise)
        #expect(spec.pointwise == tf.pointwise)
        #expect(spec.bias == nil)
        #expect(torch.fixedChannels == nil)
    }

    @Test func torchNpzEqualsTheKerasExportBiasIncluded() throws {
        let torch = try BankFile.loadNpz(path: S.bank("torch_separable.npz"), layout: .torch)
        let keras = try BankFile.loadNpz(path: S.bank("keras_separable.npz"), layout: .tf)
        #expect(try torch.spec(channels: 3) == keras.spec(channels: 3))
    }

    /// Same weights, two layouts: the convolution results are identical.
    @Test func bothLayoutsConvolveToTheSameResult() throws {
        var rng = SystemRandomNumberGenerator()
        let shape = TensorShape(batch: 1, height: 6, width: 5, channels: 3)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: 0...1, using: &rng) })
        let torch = try BankFile.loadNpz(path: S.bank("torch_separable.npz"), layout: .torch)
            .resolve(channels: 3, strides: HeightWidth(2, 1), dilations: nil, padding: .same)
        let tf = try BankFile.loadNpz(path: S.bank("keras_separable.npz"), layout: .tf)
            .resolve(channels: 3, strides: HeightWidth(2, 1), dilations: nil, padding: .same)
        let a = try ReferenceConvolution.apply(torch, to: input), b = try ReferenceConvolution.apply(tf, to: input)
        #expect(a.shape == TensorShape(batch: 1, height: 3, width: 5, channels: 4))
        #expect(a == b)
    }

    /// TF -> PyTorch here (an independent loop), written as .npy, read back with --layout torch.
    @Test func roundTripThroughThePyTorchLayout() throws {
        let tf = try Self.tfSpec()
        let d = tf.depthwise, p = tf.pointwise!
        let (kh, kw, c, m, o) = (d.kernelHeight, d.kernelWidth, d.inputChannels, d.multiplier, p.outputChannels)
        var dwTorch = [Float](), pwTorch = [Float]()
        for ci in 0..<c { for mi in 0..<m { for i in 0..<kh { for j in 0..<kw { dwTorch.append(d.weight(i, j, ci, mi)) } } } }
        for oi in 0..<o { for k in 0..<(c * m) { pwTorch.append(p.values[k * o + oi]) } }
        try S.withTemporaryDirectory { dir in
            // NpyFile.write takes a 4-D tensor; its NHWC dims are written as the array's shape.
            try NpyFile.write(Tensor(shape: TensorShape(batch: c * m, height: 1, width: kh, channels: kw), values: dwTorch), to: dir + "/dw.npy")
            try NpyFile.write(Tensor(shape: TensorShape(batch: o, height: c * m, width: 1, channels: 1), values: pwTorch), to: dir + "/pw.npy")
            #expect(try NpyFile.readArray(path: dir + "/dw.npy").shape == [6, 1, 3, 3])
            let back = try BankFile.loadNpy(depthwise: dir + "/dw.npy", pointwise: dir + "/pw.npy", layout: .torch).spec(channels: c)
            #expect(back.depthwise == d)
            #expect(back.pointwise == p)
            // The torch fixture is what NumPy made of the same weights.
            #expect(try NpyFile.readArray(path: S.bank("torch_dw.npy")).values == dwTorch)
            #expect(try NpyFile.readArray(path: S.bank("torch_pw.npy")).values == pwTorch)
        }
    }

    /// `[C*M, 1, kh, kw]` does not say C: it is split for each input.
    @Test func theChannelSplitFollowsTheInput() throws {
        let torch = try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: nil, layout: .torch)
        #expect(try torch.spec(channels: 1).depthwise.shape == [3, 3, 1, 6])
        #expect(try torch.spec(channels: 2).depthwise.shape == [3, 3, 2, 3])
        #expect(try torch.spec(channels: 6).depthwise.shape == [3, 3, 6, 1])
        // Whatever the split, channel k = c*M + m keeps torch's filter k.
        let raw = try NpyFile.readArray(path: S.bank("torch_dw.npy")).values
        let two = try torch.spec(channels: 2).depthwise
        for k in 0..<6 { #expect(two.kernel(channel: k / 3, slot: k % 3) == Array(raw[(k * 9)..<(k * 9 + 9)])) }
        let error = #expect(throws: FilterBankError.self) { _ = try torch.spec(channels: 4) }
        #expect(error?.description == "PyTorch depthwise filter shape [6, 1, 3, 3] is invalid: expected [C*M, 1, kh, kw] with C*M a multiple of the input's 4 channels")
    }

    @Test func wrongShapesForTheLayoutSaySo() throws {
        S.expectFileError("a PyTorch depthwise weight must be [C*M, 1, kh, kw] (Conv2d with groups = C), got shape [3, 3, 3, 1]",
                          path: S.bank("separable_dw.npy")) {
            _ = try BankFile.loadNpy(depthwise: S.bank("separable_dw.npy"), pointwise: nil, layout: .torch)
        }
        S.expectFileError("a PyTorch pointwise weight must be [O, C*M, 1, 1], got shape [1, 1, 3, 4]; this looks like TensorFlow's [1, 1, C*M, O]: read it in the tf layout",
                          path: S.bank("separable_pw.npy")) {
            _ = try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: S.bank("separable_pw.npy"), layout: .torch)
        }
        S.expectFileError("pointwise filter shape [4, 6, 1, 1] is invalid: expected [1, 1, C*M, O]; this looks like PyTorch's [O, C*M, 1, 1]: read it in the torch layout",
                          path: S.bank("torch_pw.npy")) {
            _ = try BankFile.source(depthwise: (try NpyFile.readArray(path: S.bank("separable_dw.npy")), ArrayOrigin(path: "dw", entry: nil)),
                                    pointwise: (try NpyFile.readArray(path: S.bank("torch_pw.npy")), ArrayOrigin(path: S.bank("torch_pw.npy"), entry: nil)),
                                    bias: nil, layout: .tf)
        }
        // C*M of the pointwise weight must follow the depthwise weight's.
        try S.withTemporaryDirectory { dir in
            try NpyFile.write(Tensor(shape: TensorShape(batch: 4, height: 5, width: 1, channels: 1), values: [Float](repeating: 1, count: 20)),
                              to: dir + "/pw5.npy")
            S.expectFileError("the PyTorch pointwise weight [4, 5, 1, 1] must have C*M = 6 input channels to follow the depthwise weight [6, 1, 3, 3]",
                              path: dir + "/pw5.npy") {
                _ = try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: dir + "/pw5.npy", layout: .torch)
            }
        }
        // The bias must fit the outputs: 4 values for a depthwise-only torch bank of 6 channels.
        let error = #expect(throws: FileError.self) {
            _ = try BankFile.source(depthwise: (try NpyFile.readArray(path: S.bank("torch_dw.npy")), ArrayOrigin(path: "b.npz", entry: "depthwise")),
                                    pointwise: nil,
                                    bias: (NpyArray(shape: [4], values: [1, 2, 3, 4]), ArrayOrigin(path: "b.npz", entry: "bias")), layout: .torch)
        }
        #expect(error?.description == "b.npz: 'bias': bias has 4 values, but the bank has 6 output channels")
    }
}
