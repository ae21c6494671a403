import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// Runs the built `filterbank` binary as a user would and checks what it wrote.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// The `filterbank` executable next to this test bundle (SwiftPM builds it
/// because this test target depends on it).
func filterbankBinary() throws -> URL {
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let binary = me.deletingLastPathComponent().appendingPathComponent("filterbank")
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no filterbank binary at \(binary.path)")
    return binary
}

func runFilterbank(_ arguments: [String]) throws -> RunResult {
    let process = Process()
    process.executableURL = try filterbankBinary()
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large output cannot fill the pipe and stall the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("filterbank-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func sample(_ name: String) -> String { packageRoot.appendingPathComponent("SampleImages/\(name)").path }

@Suite(.serialized) struct EndToEndTests {
    /// The README's quick start: the default `edges` bank on an RGB photo gives
    /// six grayscale PNGs, mapped by the default `--map auto`: Sobel kernels
    /// have both signs, so each channel is symmetric around 0 (mid-grey),
    /// pixel = round(clamp(0.5 + 0.5 * sobel / max|sobel|, 0, 1) * 255), with
    /// max|sobel| the channel's own (read back from the `--stats` sidecar).
    @Test func defaultBankOnARealPhoto() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let input = sample("jpeg-baseline-444-rocket.jpg")
        let result = try runFilterbank(["apply", input, "-o", out.path, "--stats"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty)

        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().filter { $0.hasSuffix(".png") }
        #expect(names == (0..<6).map { "jpeg-baseline-444-rocket_c\($0).png" })
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("jpeg-baseline-444-rocket.json"))) as! [String: Any]
        #expect((stats["mapping"] as! [String: Any])["mode"] as? String == "auto")
        let channels = stats["channels"] as! [[String: Any]]
        var maxMagnitude: [Double] = []
        for channel in channels {
            #expect(channel["mode"] as? String == "symmetric")
            let (lo, hi) = (channel["min"] as! Double, channel["max"] as! Double)
            #expect(lo < 0 && hi > 0, "a gradient has both signs")
            let m = max(-lo, hi)
            maxMagnitude.append(m)
            #expect(abs(channel["scale"] as! Double - 0.5 / m) <= 1e-6 * (0.5 / m))
            #expect(channel["offset"] as? Double == 0.5)
        }

        // Independent check: Sobel computed here, at sampled pixels, from the decoded input.
        let image = try ImageDecoder.decode(path: input).tensor
        let (h, w) = (image.shape.height, image.shape.width)
        func px(_ y: Int, _ x: Int, _ c: Int) -> Double {
            (0..<h).contains(y) && (0..<w).contains(x) ? Double(image[0, y, x, c]) : 0
        }
        let sobelX: [[Double]] = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
        var checked = 0
        for k in 0..<6 {
            let written = try ImageDecoder.decode(path: out.appendingPathComponent(names[k]).path)
            #expect(written.tensor.shape == TensorShape(batch: 1, height: h, width: w, channels: 1))
            #expect(written.bitDepth == 8)
            let (c, m) = (k / 2, k % 2)
            var rng = SystemRandomNumberGenerator()
            // Corners and edges (zero padding) plus random interior points.
            var points = [(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1), (h / 2, 0), (0, w / 2)]
            for _ in 0..<200 { points.append((Int.random(in: 0..<h, using: &rng), Int.random(in: 0..<w, using: &rng))) }
            for (y, x) in points {
                var v = 0.0
                for i in 0..<3 { for j in 0..<3 {
                    let weight = m == 0 ? sobelX[i][j] : sobelX[j][i]
                    v += weight * px(y + i - 1, x + j - 1, c)
                } }
                #expect(abs(v) <= maxMagnitude[k] * (1 + 1e-5))
                let expected = Int((min(max(0.5 + 0.5 * v / maxMagnitude[k], 0), 1) * 255).rounded())
                let got = Int((written.tensor[0, y, x, 0] * 255).rounded())
                // +-1: float32 summation order can move an exact .5 tie.
                #expect(abs(got - expected) <= 1, "\(names[k]) at (\(y), \(x)): got \(got), expected \(expected)")
                checked += 1
            }
        }
        #expect(checked == 6 * 206)
    }

    /// A batch from NumPy through a separable bank, written as a float tensor;
    /// compared with the reference loop. Also checks `_n<i>_c<k>` naming.
    @Test func separableBankOnANpyBatch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        let shape = TensorShape(batch: 2, height: 9, width: 7, channels: 3)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let inputPath = dir.appendingPathComponent("batch.npy").path
        try NpyFile.write(input, to: inputPath)
        let dw = (0..<(3 * 3 * 3 * 2)).map { _ in Float.random(in: -1...1, using: &rng) }
        let pw = (0..<(6 * 4)).map { _ in Float.random(in: -1...1, using: &rng) }
        let bankJSON = """
            {"depthwise": {"shape": [3, 3, 3, 2], "values": \(dw)},
             "pointwise": {"shape": [1, 1, 6, 4], "values": \(pw)},
             "strides": [1, 1], "padding": "SAME", "dilations": [1, 1]}
            """
        let bankPath = dir.appendingPathComponent("sep.json").path
        try bankJSON.write(toFile: bankPath, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out").path

        // The command line overrides the file's strides and padding.
        let result = try runFilterbank(["apply", inputPath, "-o", out, "--bank", bankPath,
                                        "--strides", "2,1", "--padding", "valid", "--format", "npy"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let got = try NpyFile.readTensor(path: out + "/batch.npy")
        let bank = try FilterBank(depthwise: DepthwiseFilter(shape: [3, 3, 3, 2], values: dw),
                                  pointwise: PointwiseFilter(shape: [1, 1, 6, 4], values: pw),
                                  strides: HeightWidth(2, 1), padding: .valid)
        let want = try ReferenceConvolution.apply(bank, to: input)
        #expect(got.shape == TensorShape(batch: 2, height: 4, width: 5, channels: 4))
        #expect(got.shape == want.shape)
        for (g, e) in zip(got.values, want.values) { #expect(abs(g - e) <= 1e-5 * max(1, abs(e))) }

        let pngOut = dir.appendingPathComponent("png").path
        let png = try runFilterbank(["apply", inputPath, "-o", pngOut, "--bank", bankPath])
        #expect(png.status == 0, "stderr: \(png.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: pngOut).sorted()
        #expect(names == ["batch_n0_c0.png", "batch_n0_c1.png", "batch_n0_c2.png", "batch_n0_c3.png",
                          "batch_n1_c0.png", "batch_n1_c1.png", "batch_n1_c2.png", "batch_n1_c3.png"])
    }

    /// One bad file costs one error line naming it; the good inputs still complete.
    @Test func aCorruptInputFailsAloneWithOneLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corrupt = packageRoot.appendingPathComponent("Tests/Fixtures/conformance/pngsuite/xcsn0g01.png").path
        let missing = dir.appendingPathComponent("no-such.png").path
        let good = sample("png-gray8-camera.png")
        let out = dir.appendingPathComponent("out").path
        let result = try runFilterbank(["apply", corrupt, missing, good, "-o", out])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 2, "stderr: \(result.stderr)")
        #expect(lines.first { $0.contains("xcsn0g01.png") }?.contains("CRC") == true, "stderr: \(result.stderr)")
        #expect(lines.contains { $0.contains("no-such.png") }, "stderr: \(result.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["png-gray8-camera_c0.png", "png-gray8-camera_c1.png"])
    }

    @Test func aBankThatDoesNotFitTheInputNamesTheShapes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bankPath = dir.appendingPathComponent("gray.json").path
        try #"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1]}}"#.write(toFile: bankPath, atomically: true, encoding: .utf8)
        let input = sample("png-rgb8-coffee.png")
        let result = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("out").path, "--bank", bankPath])
        #expect(result.status == 1)
        #expect(result.stderr.contains("png-rgb8-coffee.png"))
        #expect(result.stderr.contains("[1, 1, 1, 1]") && result.stderr.contains("[1, 400, 600, 3]"),
                "stderr: \(result.stderr)")
    }

    @Test(arguments: [
        ["apply", "-o", "x"],                                           // no inputs
        ["apply", "a.png"],                                             // no -o
        ["apply", "a.png", "-o", "x", "--bank", "b.json", "--depthwise", "d.npy"],
        ["apply", "a.png", "-o", "x", "--pointwise", "p.npy"],
        ["apply", "a.png", "-o", "x", "--padding", "sideways"],
        ["apply", "a.png", "-o", "x", "--strides", "0,1"],
        ["apply", "a.png", "-o", "x", "--dilations", "1,2,3"],
        ["apply", "a.png", "-o", "x", "--format", "tiff"],
        ["apply", "a.png", "-o", "x", "--no-such-option"],
    ])
    func usageErrorsExit64(_ arguments: [String]) throws {
        let result = try runFilterbank(arguments)
        #expect(result.status == 64, "\(arguments): status \(result.status), stderr \(result.stderr)")
        #expect(result.stderr.contains("Error") || result.stderr.contains("error"))
    }

    @Test func helpExplainsEveryOption() throws {
        let top = try runFilterbank(["--help"])
        #expect(top.status == 0)
        #expect(top.stdout.contains("apply"))
        let help = try runFilterbank(["apply", "--help"])
        #expect(help.status == 0)
        for option in ["--output", "--bank", "--depthwise", "--pointwise", "--strides", "--padding",
                       "--dilations", "--format", "edges", "Examples"] {
            #expect(help.stdout.contains(option), "apply --help does not mention \(option)")
        }
    }
}
