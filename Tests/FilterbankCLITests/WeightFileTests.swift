import Foundation
import Testing
import FilterBankIO

/// Weights as people have them, through the binary: `.safetensors` and
/// state_dict `.npz` layers, Keras positional `.npz`, and the refusal of
/// arrays whose layout reads both ways (helpers from EndToEndTests.swift).
@Suite(.serialized) struct WeightFileTests {
    static func weights(_ name: String) -> String { packageRoot.appendingPathComponent("Tests/Fixtures/weights/\(name)").path }

    /// The depthwise-separable block of a real safetensors file (F32 depthwise,
    /// F16 bias and pointwise) against the same block computed by numpy in
    /// make_fixtures.py; the state_dict .npz gives the same.
    @Test func aSafetensorsLayerComputesWhatNumpyComputes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = try NpyFile.readArray(path: Self.weights("expected_features1.npy"))
        for bank in ["model.safetensors", "model_state_dict.npz"] {
            let out = dir.appendingPathComponent(bank).path
            let result = try runFilterbank(["apply", Self.weights("input_7x9x3.npy"), "-o", out, "--bank", Self.weights(bank),
                                            "--layer", "features.1.dw", "--pointwise-layer", "features.1.pw", "--format", "npy"])
            #expect(result.status == 0, "\(bank): \(result.stderr)")
            let got = try NpyFile.readArray(path: out + "/input_7x9x3.npy")
            #expect(got.shape == expected.shape)
            let worst = zip(got.values, expected.values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(bank): largest difference \(worst)")
        }
    }

    /// An F16 layer of the safetensors file and the same weights from .npy give
    /// the same files, byte for byte, on a real photo.
    @Test func safetensorsAndNpyGiveTheSameImages() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = sample("png-rgb8-coffee.png")
        let a = dir.appendingPathComponent("st").path, b = dir.appendingPathComponent("npy").path
        let r1 = try runFilterbank(["apply", photo, "-o", a, "--bank", Self.weights("model.safetensors"), "--layer", "features.2",
                                    "--map", "symmetric", "-q"])
        let r2 = try runFilterbank(["apply", photo, "-o", b, "--depthwise", Self.weights("features_2_weight.npy"),
                                    "--layout", "torch", "--map", "symmetric", "-q"])
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr) \(r2.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: a).sorted()
        #expect(files.count == 12)
        #expect(files == (try FileManager.default.contentsOfDirectory(atPath: b).sorted()))
        for file in files {
            #expect(FileManager.default.contentsEqual(atPath: a + "/" + file, andPath: b + "/" + file), "\(file)")
        }
    }

    /// `[6, 1, 3, 3]` on an RGB photo without --layout: exit 64, both readings, the flag to give.
    @Test func weightsThatReadBothWaysAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = sample("png-rgb8-coffee.png")
        let torchDw = packageRoot.appendingPathComponent("Tests/Fixtures/banks/torch_dw.npy").path
        let result = try runFilterbank(["apply", photo, "-o", dir.path, "--depthwise", torchDw])
        #expect(result.status == 64)
        #expect(result.stderr.contains("filterbank: error: \(photo): the weights [6, 1, 3, 3] read two ways for an input of 3 channels: "
                                       + "as TensorFlow's [kh, kw, C, M], 6x1 kernels, C = 3, M = 3: 9 outputs; "
                                       + "as PyTorch's [C*M, 1, kh, kw], 3x3 kernels, C = 3, M = 2: 6 outputs; "
                                       + "give --layout tf or --layout torch"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        // Stated, each layout runs.
        let torch = try runFilterbank(["apply", photo, "-o", dir.path + "/t", "--depthwise", torchDw, "--layout", "torch", "-q"])
        #expect(torch.status == 0)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/t").count) == 6)
        let tf = try runFilterbank(["apply", photo, "-o", dir.path + "/f", "--depthwise", torchDw, "--layout", "tf", "-q"])
        #expect(tf.status == 0)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/f").count) == 9)
        // On a gray image only PyTorch's reading fits: the mismatch says so.
        let gray = try runFilterbank(["apply", sample("png-gray8-camera.png"), "-o", dir.path + "/g", "--depthwise", torchDw])
        #expect(gray.status == 1)
        #expect(gray.stderr.contains("expects 3 input channels, but the input [1, 512, 512, 1] has 1; "
                                     + "read as PyTorch's [C*M, 1, kh, kw] the weights fit (--layout torch)"), "\(gray.stderr)")
        // inspect says the same, with the same status.
        let inspect = try runFilterbank(["inspect", "--depthwise", torchDw, "--input", photo])
        #expect(inspect.status == 64 && inspect.stderr.contains("give --layout tf or --layout torch"), "\(inspect.stderr)")
        // So does a positional .npz holding the same array.
        let npz = dir.appendingPathComponent("w.npz").path
        try writeNpz(["arr_0": try NpyFile.readArray(path: torchDw)], to: npz)
        let positional = try runFilterbank(["apply", photo, "-o", dir.path + "/p", "--bank", npz])
        #expect(positional.status == 64 && positional.stderr.contains("read two ways"), "\(positional.stderr)")
    }

    @Test func kerasPositionalNpzRuns() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = sample("png-rgb8-coffee.png")
        for (bank, outputs) in [("keras_separable_positional.npz", 4), ("keras_depthwise_positional.npz", 6)] {
            let out = dir.appendingPathComponent(bank).path
            let result = try runFilterbank(["apply", photo, "-o", out, "--bank", Self.weights(bank), "-q"])
            #expect(result.status == 0, "\(bank): \(result.stderr)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: out).count) == outputs)
        }
    }

    /// Without --layer, inspect lists what could serve, and says how to pick.
    @Test func inspectListsTheLayersOfAWeightFile() throws {
        let result = try runFilterbank(["inspect", "--bank", Self.weights("model.safetensors")])
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["(PyTorch layout; 5 other arrays not listed):",
                     "  metadata: format=pt",
                     "  depthwise  features.1.dw.weight  [6, 1, 3, 3] F32  3x3 kernels, C*M = 6 (PyTorch [C*M, 1, kh, kw])",
                     "  1x1        features.1.pw.weight  [4, 6, 1, 1] F16  1x1: C*M = 6 to 4 outputs (PyTorch [O, C*M, 1, 1])",
                     "  depthwise  features.2.weight     [12, 1, 5, 5] F16  5x5 kernels, C*M = 12 (PyTorch [C*M, 1, kh, kw])",
                     "holds 2 depthwise weights: pick one with --layer PREFIX"] {
            #expect(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)")
        }
        let chosen = try runFilterbank(["inspect", "--bank", Self.weights("model.safetensors"), "--layer", "features.2",
                                        "--input-shape", "8x8x3"])
        #expect(chosen.status == 0 && chosen.stdout.contains("depthwise filter: [5, 5, 3, 4]"), "\(chosen.stdout)\(chosen.stderr)")
        let json = try runFilterbank(["inspect", "--json", "--bank", Self.weights("model_state_dict.npz")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["candidates"] as? [[String: Any]])?.count == 3)
    }

    @Test func layerOptionsAreCheckedBeforeReading() throws {
        let cases: [([String], String)] = [
            (["--bank", "edges", "--layer", "x"], "--layer picks a layer of a .npz or .safetensors --bank"),
            (["--bank", "m.safetensors", "--pointwise-layer", "x"], "--pointwise-layer needs --layer"),
        ]
        for (arguments, message) in cases {
            let result = try runFilterbank(["inspect"] + arguments)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}

/// Writes a stored (uncompressed) .npz of float32 arrays, as numpy.savez does.
func writeNpz(_ arrays: [String: NpyArray], to path: String) throws {
    var archive: [UInt8] = [], central: [UInt8] = []
    func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    for (name, array) in arrays.sorted(by: { $0.key < $1.key }) {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(array.shape.map(String.init).joined(separator: ", "))\(array.shape.count == 1 ? "," : "")), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0] + le(header.utf8.count, 2) + Array(header.utf8)
        for v in array.values { npy += le(Int(v.bitPattern), 4) }
        let file = Array((name + ".npy").utf8)
        let crc = crc32(npy)
        let offset = archive.count
        let common = le(20, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(Int(crc), 4) + le(npy.count, 4) + le(npy.count, 4) + le(file.count, 2) + le(0, 2)
        archive += le(0x04034b50, 4) + common + file + npy
        central += le(0x02014b50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + file
    }
    let end = le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(arrays.count, 2) + le(arrays.count, 2) + le(central.count, 4) + le(archive.count, 4) + le(0, 2)
    try Data(archive + central + end).write(to: URL(fileURLWithPath: path))
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}
