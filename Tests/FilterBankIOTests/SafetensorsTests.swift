import Foundation
import Testing
import FilterBankIO
import FilterBankKit
import FilterBankTestSupport

private typealias S = BankIOTestSupport

/// `.safetensors` files: the fixtures written by the `safetensors` package
/// (Tests/Fixtures/weights/make_fixtures.py), and damaged headers built here.
@Suite struct SafetensorsTests {
    /// A file of `header` (JSON text) and `data`, its length field as given or true.
    static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil, in dir: String, name: String = "t.safetensors") throws -> String {
        var bytes: [UInt8] = []
        let json = Array(header.utf8)
        let n = length ?? UInt64(json.count)
        for i in 0..<8 { bytes.append(UInt8((n >> (8 * UInt64(i))) & 0xFF)) }
        bytes += json + data
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsTheHeaderOfARealFile() throws {
        let file = try SafetensorsFile.open(path: S.weights("model.safetensors"))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.entries.count == 8)
        let dw = try #require(file.entry(named: "features.1.dw.weight"))
        #expect(dw.dtype == "F32" && dw.shape == [6, 1, 3, 3] && dw.bytes.count == 216)
        #expect(file.entry(named: "features.1.pw.weight")?.dtype == "F16")
        #expect(file.entry(named: "bn.num_batches_tracked")?.isReadable == false)
    }

    /// F32 and F16 tensors read to the values numpy wrote (the .npy copies are float32).
    @Test func readsF32AndF16LikeNumpy() throws {
        let file = try SafetensorsFile.open(path: S.weights("model.safetensors"))
        for (tensor, npy) in [("features.1.dw.weight", "features_1_dw_weight.npy"),
                              ("features.1.pw.weight", "features_1_pw_weight.npy"),
                              ("features.2.weight", "features_2_weight.npy")] {
            let got = try file.read(tensor)
            let expected = try NpyFile.readArray(path: S.weights(npy))
            #expect(got == expected, "\(tensor)")
        }
    }

    @Test func refusesOtherDtypesByName() throws {
        let path = S.weights("model.safetensors")
        let file = try SafetensorsFile.open(path: path)
        S.expectFileError("tensor 'bn.num_batches_tracked' has dtype I64: only F32, F16 and BF16 are read", path: path) {
            _ = try file.read("bn.num_batches_tracked")
        }
    }

    @Test func widensBF16AndHalfFloatsExactly() throws {
        try S.withTemporaryDirectory { dir in
            // BF16 1.5 = 0x3FC0, -2 = 0xC000; F16 1.5 = 0x3E00, smallest subnormal 0x0001, -inf 0xFC00.
            let path = try Self.file(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[3],"data_offsets":[4,10]}}"#,
                                     data: [0xC0, 0x3F, 0x00, 0xC0, 0x00, 0x3E, 0x01, 0x00, 0x00, 0xFC], in: dir)
            let file = try SafetensorsFile.open(path: path)
            #expect(try file.read("a").values == [1.5, -2])
            let b = try file.read("b").values
            #expect(b[0] == 1.5 && b[1] == Float(sign: .plus, exponent: -24, significand: 1) && b[2] == -.infinity)
        }
    }

    /// Every check happens on the header, before any data is read.
    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, nil as UInt64?, "lie outside the 4 bytes of data"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, nil, "shape [3] of F32 needs 12 bytes, data_offsets give 8"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, nil, "data_offsets [8, 0] lie outside"),
        (#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, nil, "shape must be a list of non-negative integers"),
        (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, 8, nil, "holds more elements than the file has bytes"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}"#, 8, nil, "unknown key \"x\""),
        (#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, 8, nil, "has no dtype string"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, 8, nil, "data_offsets must be two integers"),
        (#"{"__metadata__":{"k":1}}"#, 0, nil, "__metadata__ \"k\" must be a string"),
        (#"[1,2]"#, 0, nil, "does not start with '{'"),
        (#"{"a":"#, 0, nil, "not valid JSON"),
        (#"{}"#, 0, 1 << 40, "over the limit of 100000000 bytes"),
        (#"{}"#, 0, 1000, "runs past the end of the"),
    ])
    func refusesDamagedHeaders(header: String, dataBytes: Int, length: UInt64?, fragment: String) throws {
        try S.withTemporaryDirectory { dir in
            let path = try Self.file(header, data: [UInt8](repeating: 0, count: dataBytes), length: length, in: dir)
            S.expectFileError(fragment, path: path) { _ = try SafetensorsFile.open(path: path) }
        }
    }

    /// A kernel over the bank limit is refused from the header's shape.
    @Test func kernelsOverTheLimitAreRefusedFromTheHeader() throws {
        try S.withTemporaryDirectory { dir in
            let count = 3 * 300 * 2
            let path = try Self.file(#"{"big.weight":{"dtype":"F16","shape":[3,1,300,2],"data_offsets":[0,\#(count * 2)]}}"#,
                                     data: [UInt8](repeating: 0, count: count * 2), in: dir)
            S.expectFileError("'big.weight': [3, 1, 300, 2] holds 300x2 kernels, larger than 255x255", path: path) {
                _ = try BankFile.source(path: path, layout: nil, layers: LayerChoice(layer: "big"))
            }
        }
    }

    @Test func aShortFileIsNotSafetensors() throws {
        try S.withTemporaryDirectory { dir in
            let path = dir + "/short.safetensors"
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
            S.expectFileError("not a .safetensors file: 3 bytes", path: path) { _ = try SafetensorsFile.open(path: path) }
        }
    }
}

/// Which arrays of a weight file make the bank: Keras positional names,
/// PyTorch state_dict names (chosen or found), and the layout each implies.
@Suite struct WeightArchiveTests {
    static func spec(_ source: BankSource, channels: Int = 3) throws -> BankSpec { try source.spec(channels: channels) }

    @Test func kerasPositionalEntriesAreKerasOrder() throws {
        let named = try BankFile.source(path: S.weights("keras_separable_named.npz"), layout: nil)
        let positional = try BankFile.source(path: S.weights("keras_separable_positional.npz"), layout: nil)
        #expect(try Self.spec(positional) == Self.spec(named))
        #expect(try Self.spec(positional).pointwise?.shape == [1, 1, 6, 4])
        let depthwiseOnly = try Self.spec(BankFile.source(path: S.weights("keras_depthwise_positional.npz"), layout: nil))
        #expect(depthwiseOnly.pointwise == nil && depthwiseOnly.bias?.count == 6 && depthwiseOnly.depthwise.shape == [3, 3, 3, 2])
    }

    /// The safetensors file and the numpy.savez state_dict give the same bank; the
    /// depthwise layer's bias is folded through the pointwise weight.
    @Test func stateDictLayersFromSafetensorsAndNpz() throws {
        let layers = LayerChoice(layer: "features.1.dw", pointwiseLayer: "features.1.pw")
        let st = try Self.spec(BankFile.source(path: S.weights("model.safetensors"), layout: nil, layers: layers))
        let npz = try Self.spec(BankFile.source(path: S.weights("model_state_dict.npz"), layout: nil, layers: layers))
        #expect(st == npz)
        #expect(st.depthwise.shape == [3, 3, 3, 2] && st.pointwise?.shape == [1, 1, 6, 4])
        // b = W_pw * b_dw + b_pw, from the arrays themselves.
        let file = try SafetensorsFile.open(path: S.weights("model.safetensors"))
        let (w, b1, b2) = (try file.read("features.1.pw.weight").values, try file.read("features.1.dw.bias").values,
                           try file.read("features.1.pw.bias").values)
        let expected = (0..<4).map { o in b2[o] + (0..<6).reduce(Float(0)) { $0 + w[o * 6 + $1] * b1[$1] } }
        let bias = try #require(st.bias)
        for o in 0..<4 { #expect(abs(bias[o] - expected[o]) <= 1e-6) }
        // A layer alone keeps its own bias (none for features.2).
        let alone = try Self.spec(BankFile.source(path: S.weights("model.safetensors"), layout: nil,
                                                  layers: LayerChoice(layer: "features.2")))
        #expect(alone.depthwise.shape == [5, 5, 3, 4] && alone.bias == nil && alone.pointwise == nil)
    }

    @Test func severalLayersWithoutAChoiceListTheCandidates() {
        let path = S.weights("model.safetensors")
        S.expectFileError("holds 2 depthwise weights: pick the layer by its prefix",
                          "features.1.dw.weight [6, 1, 3, 3], features.2.weight [12, 1, 5, 5]",
                          "1x1: features.1.pw.weight [4, 6, 1, 1]", path: path) {
            _ = try BankFile.source(path: path, layout: nil)
        }
        S.expectFileError("no tensor 'features.9.weight'", path: path) {
            _ = try BankFile.source(path: path, layout: nil, layers: LayerChoice(layer: "features.9"))
        }
    }

    @Test func listsEveryCandidateWithItsReading() throws {
        let archive = try WeightArchive.open(path: S.weights("model.safetensors"))
        let list = archive.candidates(layout: .torch)
        #expect(list.map(\.name) == ["features.1.dw.weight", "features.1.pw.weight", "features.2.weight"])
        #expect(list.map(\.role) == [.depthwise, .pointwise, .depthwise])
        #expect(list[2].reading == "5x5 kernels, C*M = 12 (PyTorch [C*M, 1, kh, kw])")
    }

    /// `[6, 1, 3, 3]` reads as TensorFlow's 6x1 kernels (C = 3, M = 3) and as
    /// PyTorch's 3x3 kernels (C*M = 6): refused for 3 channels, the only fitting
    /// reading for others, and as stated when the layout is given.
    @Test func aLayoutThatReadsBothWaysIsRefusedForTheInputAtHand() throws {
        let source = try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: nil, layout: nil)
        guard case .eitherLayout = source else { Issue.record("expected both readings, got \(source)"); return }
        let error = #expect(throws: FilterBankError.self) { _ = try source.spec(channels: 3) }
        guard case let .ambiguousLayout(shape, channels, tf, torch)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(shape == [6, 1, 3, 3] && channels == 3)
        #expect(tf == "6x1 kernels, C = 3, M = 3: 9 outputs" && torch == "3x3 kernels, C = 3, M = 2: 6 outputs")
        #expect(try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: nil, layout: .torch).spec(channels: 3).depthwise.shape == [3, 3, 3, 2])
        #expect(try BankFile.loadNpy(depthwise: S.bank("torch_dw.npy"), pointwise: nil, layout: .tf).spec(channels: 3).depthwise.shape == [6, 1, 3, 3])
        // A TensorFlow shape that cannot be PyTorch's stays a plain bank.
        guard case .file = try BankFile.loadNpy(depthwise: S.bank("separable_dw.npy"), pointwise: nil, layout: nil) else {
            Issue.record("separable_dw.npy should read in one layout only"); return
        }
    }
}
