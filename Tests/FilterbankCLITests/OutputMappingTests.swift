import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// `--map`, `--map-scope`, `--scale/--offset`, `--bit-depth`, `--name` and `--stats`, run through the binary.
@Suite(.serialized) struct OutputMappingTests {
    /// A small signed input (as .npy) and the float output the edges bank gives, for reference.
    static func signedInput(in dir: URL) throws -> (path: String, output: Tensor) {
        let shape = TensorShape(batch: 1, height: 12, width: 10, channels: 2)
        var values = [Float]()
        for i in 0..<shape.count { values.append(Float((i * 37) % 23) / 11 - 1) }
        let input = Tensor(shape: shape, values: values)
        let path = dir.appendingPathComponent("signed.npy").path
        try NpyFile.write(input, to: path)
        return (path, try ReferenceConvolution.apply(try FilterBank(depthwise: NamedBank.edges.depthwise(channels: 2)), to: input))
    }

    static func decode(_ dir: URL, _ name: String) throws -> DecodedImage {
        try ImageDecoder.decode(path: dir.appendingPathComponent(name).path)
    }

    @Test func minmaxUsesTheFullRangeOfEveryChannel() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.signedInput(in: dir)
        let out = dir.appendingPathComponent("out")
        let r = try runFilterbank(["apply", input, "-o", out.path, "--map", "minmax"])
        #expect(r.status == 0, "\(r.stderr)")
        for k in 0..<4 {
            let v = try Self.decode(out, "signed_c\(k).png").tensor.values
            #expect(v.min() == 0 && v.max() == 1, "channel \(k)")
        }
    }

    /// With --stats the sidecar's scale and offset recover the float values from
    /// 16-bit pixels to within one level.
    @Test func statsSidecarRecoversTheValues() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, want) = try Self.signedInput(in: dir)
        let out = dir.appendingPathComponent("out")
        let r = try runFilterbank(["apply", input, "-o", out.path, "--map", "symmetric", "--map-scope", "image",
                                   "--bit-depth", "16", "--stats"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("signed.json"))) as! [String: Any]
        let mapping = json["mapping"] as! [String: Any]
        #expect(mapping["mode"] as? String == "symmetric")
        #expect(mapping["max_value"] as? Int == 65535)
        let channels = json["channels"] as! [[String: Any]]
        #expect(channels.count == 4)
        var scales = Set<Double>()
        for entry in channels {
            let k = entry["channel"] as! Int
            let source = entry["source"] as! [String: Any]
            #expect(source["input_channel"] as? Int == k / 2 && source["kernel"] as? Int == k % 2)
            let scale = entry["scale"] as! Double, offset = entry["offset"] as! Double
            scales.insert(scale)
            let image = try Self.decode(out, entry["file"] as! String)
            #expect(image.bitDepth == 16)
            var lo = Float.infinity, hi = -Float.infinity
            for y in 0..<12 { for x in 0..<10 {
                let truth = want[0, y, x, k]
                lo = min(lo, truth); hi = max(hi, truth)
                let recovered = (Double(image.tensor[0, y, x, 0]) - offset) / scale
                #expect(abs(recovered - Double(truth)) <= 1 / 65535 / scale + 1e-6, "c\(k) (\(y), \(x))")
            } }
            #expect(abs((entry["min"] as! Double) - Double(lo)) < 1e-6)
            #expect(abs((entry["max"] as! Double) - Double(hi)) < 1e-6)
        }
        #expect(scales.count == 1, "image scope: one mapping for all channels")
    }

    @Test func nameTemplateFields() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.signedInput(in: dir)
        let out = dir.appendingPathComponent("out")
        let r = try runFilterbank(["apply", input, "-o", out.path, "--name", "{stem}-in{c}-{kernel}"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        // The default bank is edges: its kernels are named sobel-x and sobel-y.
        #expect(names == ["signed-in0-sobel-x.png", "signed-in0-sobel-y.png", "signed-in1-sobel-x.png", "signed-in1-sobel-y.png"])
        let unnamed = dir.appendingPathComponent("unnamed")
        let bank = dir.appendingPathComponent("b.json").path
        try #"{"depthwise": {"shape": [1, 1, 2, 2], "values": [1, 2, 3, 4]}}"#.write(toFile: bank, atomically: true, encoding: .utf8)
        #expect(try runFilterbank(["apply", input, "-o", unnamed.path, "--bank", bank, "--name", "{stem}-{c}-{kernel}"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: unnamed.path).sorted()
                == ["signed-0-k0.png", "signed-0-k1.png", "signed-1-k0.png", "signed-1-k1.png"])

        let clash = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("o2").path, "--name", "{stem}-{c}"])
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("the same name"), "\(clash.stderr)")
        let bad = try runFilterbank(["apply", input, "-o", dir.path, "--name", "{stem}-{colour}"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("unknown field {colour}"), "\(bad.stderr)")
    }

    @Test func existingOutputsAreNotClobbered() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.signedInput(in: dir)
        let out = dir.appendingPathComponent("out")
        #expect(try runFilterbank(["apply", input, "-o", out.path]).status == 0)
        let second = try runFilterbank(["apply", input, "-o", out.path, "--map", "abs"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("already exists"), "\(second.stderr)")
        let contents = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(contents.sorted() == (0..<4).map { "signed_c\($0).png" }, "no temporary files left: \(contents)")
    }

    @Test func npyRejectsImageMappingOptions() throws {
        let r = try runFilterbank(["apply", "x.npy", "-o", "o", "--format", "npy", "--bit-depth", "16"])
        #expect(r.status == 64)
    }
}
