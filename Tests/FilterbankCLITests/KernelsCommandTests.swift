import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// `filterbank kernels`, and `apply` with kernels and built-in banks instead of a bank file.
@Suite(.serialized) struct KernelsCommandTests {
    @Test func listsEveryKernelAndBank() throws {
        let result = try runFilterbank(["kernels"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for definition in KernelLibrary.all {
            // Lines wrap at 80 columns: the summary's start is on the name's line.
            #expect(result.stdout.contains("\n\(definition.name)  \(definition.summary.prefix(30))"), "missing \(definition.name)")
            for p in definition.parameters {
                #expect(result.stdout.contains("    \(p.name)=\(p.defaultText)  "), "missing \(definition.name) \(p.name)")
            }
        }
        for entry in NamedBank.catalog { #expect(result.stdout.contains("\n\(entry.usage)  "), "missing \(entry.usage)") }
        // A preview of the default kernel.
        #expect(result.stdout.contains("    sobel-x (3x3):\n      -1  0  1\n      -2  0  2\n      -1  0  1\n"))
        #expect(result.stdout.contains("    gaussian:sigma=1,size=7 (7x7):"))
    }

    @Test func printsGivenSpecsInFull() throws {
        let result = try runFilterbank(["kernels", "binomial:5", "2x1: -1, 1"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == """
            binomial:size=5: 5x5, sum 1
              0.0039 0.0156 0.0234 0.0156 0.0039
              0.0156 0.0625 0.0938 0.0625 0.0156
              0.0234 0.0938 0.1406 0.0938 0.0234
              0.0156 0.0625 0.0938 0.0625 0.0156
              0.0039 0.0156 0.0234 0.0156 0.0039

            2x1:-1,1: 2x1, sum 0
              -1  1

            """)
        let bad = try runFilterbank(["kernels", "sobelx"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("'sobelx': unknown kernel 'sobelx' (did you mean 'sobel-x'?)"), "\(bad.stderr)")
        let help = try runFilterbank(["kernels", "--help"])
        #expect(help.stdout.contains("Spec grammar") && help.stdout.contains("3x3: 1,0,-1, 2,0,-2, 1,0,-1"))
    }

    /// A 4x5x2 ramp: value y*10 + x + c*100 (scaled by 1/255 so that PNG outputs are exact).
    static func ramp(_ dir: URL) throws -> String {
        let shape = TensorShape(batch: 1, height: 4, width: 5, channels: 2)
        var t = Tensor(zeros: shape)
        for y in 0..<4 { for x in 0..<5 { for c in 0..<2 { t[0, y, x, c] = Float(y * 10 + x + c * 100) / 255 } } }
        let path = dir.appendingPathComponent("ramp.npy").path
        try NpyFile.write(t, to: path)
        return path
    }

    @Test func applyWithSeveralKernels() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.ramp(dir)
        let kernels = ["--kernel", "sobel-x", "--kernel", "2x2: 1,0,0,-1", "--kernel", "identity"]

        // Float outputs: [1, 4, 5, C*M = 6], channel c*3 + m.
        let npyOut = dir.appendingPathComponent("npy").path
        let npy = try runFilterbank(["apply", input, "-o", npyOut, "--format", "npy"] + kernels)
        #expect(npy.status == 0, "stderr: \(npy.stderr)")
        let out = try NpyFile.readTensor(path: npyOut + "/ramp.npy")
        #expect(out.shape == TensorShape(batch: 1, height: 4, width: 5, channels: 6))
        // Interior sobel-x of a ramp of slope 1/255 along x: (1 + 2 + 1) * 2 / 255.
        #expect(abs(out[0, 1, 2, 0] - 8.0 / 255) < 1e-6)
        // The 2x2 kernel (anchor top-left, padded to the bottom-right of 3x3): in[y, x] - in[y+1, x+1] = -11/255.
        #expect(abs(out[0, 1, 2, 4] - -11.0 / 255) < 1e-6)
        // At the last row the 2x2 kernel reads SAME's zero row: in[3, 4] itself.
        #expect(abs(out[0, 3, 4, 4] - 134.0 / 255) < 1e-6)
        #expect(abs(out[0, 2, 3, 5] - 123.0 / 255) < 1e-6)

        // PNG outputs: one file per output channel; the identity channel of c = 1 holds the input.
        let pngOut = dir.appendingPathComponent("png").path
        let png = try runFilterbank(["apply", input, "-o", pngOut] + kernels)
        #expect(png.status == 0, "stderr: \(png.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: pngOut).sorted()
        #expect(names == (0..<6).map { "ramp_c\($0).png" })
        let identity = try ImageDecoder.decode(path: pngOut + "/ramp_c5.png").tensor
        #expect(identity.shape == TensorShape(batch: 1, height: 4, width: 5, channels: 1))
        #expect(Int((identity[0, 2, 3, 0] * 255).rounded()) == 123)
    }

    @Test func applyWithABuiltinBankAMatrixAndNormalize() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.ramp(dir)
        let gabor = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("g").path, "--bank", "gabor:3", "--format", "npy"])
        #expect(gabor.status == 0, "stderr: \(gabor.stderr)")
        #expect(try NpyFile.readTensor(path: dir.appendingPathComponent("g/ramp.npy").path).shape.channels == 6)

        // offset_sobel.mat: sobel-x / 4 + 0.5; interior of the ramp: 8/255/4 + 0.5.
        let mat = packageRoot.appendingPathComponent("Tests/Fixtures/banks/offset_sobel.mat").path
        let m = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("m").path, "--bank", mat, "--format", "npy"])
        #expect(m.status == 0, "stderr: \(m.stderr)")
        let mo = try NpyFile.readTensor(path: dir.appendingPathComponent("m/ramp.npy").path)
        #expect(abs(mo[0, 1, 2, 1] - (2.0 / 255 + 0.5)) < 1e-6)

        // --normalize makes "3x3: 1 1 1 ..." a mean; --bias shifts it.
        let b = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("b").path, "--kernel", "3x3: 1 1 1 1 1 1 1 1 1",
                                   "--normalize", "--bias", "-0.25", "--format", "npy"])
        #expect(b.status == 0, "stderr: \(b.stderr)")
        let bo = try NpyFile.readTensor(path: dir.appendingPathComponent("b/ramp.npy").path)
        #expect(abs(bo[0, 1, 2, 0] - (12.0 / 255 - 0.25)) < 1e-6)
    }

    @Test func applyWithPyTorchWeightsEqualsKerasWeights() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        let shape = TensorShape(batch: 1, height: 5, width: 6, channels: 3)
        let input = dir.appendingPathComponent("x.npy").path
        try NpyFile.write(Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: 0...1, using: &rng) }), to: input)
        let banks = packageRoot.appendingPathComponent("Tests/Fixtures/banks").path
        let torch = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("t").path, "--format", "npy",
                                       "--depthwise", banks + "/torch_dw.npy", "--pointwise", banks + "/torch_pw.npy", "--layout", "torch",
                                       "--bias", "0"])
        #expect(torch.status == 0, "stderr: \(torch.stderr)")
        let keras = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("k").path, "--format", "npy",
                                       "--bank", banks + "/keras_separable.npz", "--bias", "0"])
        #expect(keras.status == 0, "stderr: \(keras.stderr)")
        let a = try NpyFile.readTensor(path: dir.appendingPathComponent("t/x.npy").path)
        let b = try NpyFile.readTensor(path: dir.appendingPathComponent("k/x.npy").path)
        #expect(a.shape == TensorShape(batch: 1, height: 5, width: 6, channels: 4))
        #expect(a == b)
    }
}
