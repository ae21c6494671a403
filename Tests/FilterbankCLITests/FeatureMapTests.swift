import Foundation
import Testing
import FilterBankIO
import FilterBankTestSupport
import FilterBankKit
#if canImport(Glibc)
import Glibc
#endif

/// The default `--map auto`, `--channels`, `--colormap` on channel files,
/// `--max-outputs`, many outputs in bounded files and memory, and contact
/// sheet sizes, run through the binary.
@Suite(.serialized) struct FeatureMapTests {
    static func write(_ tensor: Tensor, _ dir: URL, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try NpyFile.write(tensor, to: path)
        return path
    }

    static func random(_ shape: TensorShape, seed: UInt64) -> Tensor {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return Tensor(shape: shape, values: (0..<shape.count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state % 1000) / 1000
        })
    }

    static func files(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func aFlatRegionIsMidGreyUnderTheDefaultMapAndSmoothingIsClamped() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flat = try Self.write(Tensor(shape: TensorShape(batch: 1, height: 12, width: 12, channels: 1),
                                         values: [Float](repeating: 0.4, count: 144)), dir, "flat.npy")
        let out = dir.appendingPathComponent("out")
        let r = try runFilterbank(["apply", flat, "-o", out.path, "--kernel", "sobel-x", "--kernel", "gaussian", "--stats"])
        #expect(r.status == 0, "\(r.stderr)")
        let sobel = try ImageDecoder.decode(path: out.appendingPathComponent("flat_c0.png").path).tensor
        let blur = try ImageDecoder.decode(path: out.appendingPathComponent("flat_c1.png").path).tensor
        // Away from the zero-padded border, the gradient is 0: mid-grey; the blur stays 0.4 (clamp).
        for y in 4..<8 { for x in 4..<8 {
            #expect(UInt8((sobel[0, y, x, 0] * 255).rounded()) == 128)
            #expect(UInt8((blur[0, y, x, 0] * 255).rounded()) == 102)
        } }
        // The border's fall to zero padding shows in both directions.
        #expect(sobel[0, 6, 0, 0] > 0.75 && sobel[0, 6, 11, 0] < 0.25)
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("flat.json"))) as! [String: Any]
        #expect((stats["channels"] as! [[String: Any]]).map { $0["mode"] as! String } == ["symmetric", "clamp"])
        // The old default is still there when asked for.
        let clamp = dir.appendingPathComponent("clamp")
        #expect(try runFilterbank(["apply", flat, "-o", clamp.path, "--kernel", "sobel-x", "--map", "clamp"]).status == 0)
        let clamped = try ImageDecoder.decode(path: clamp.appendingPathComponent("flat_c0.png").path).tensor
        #expect(clamped[0, 6, 6, 0] == 0 && clamped[0, 6, 11, 0] == 0)
    }

    @Test func aChannelSubsetWritesExactlyTheFullRunsFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.write(Self.random(TensorShape(batch: 1, height: 19, width: 23, channels: 3), seed: 1), dir, "x.npy")
        let full = dir.appendingPathComponent("full"), part = dir.appendingPathComponent("part")
        let bank = ["--kernel", "sobel-x", "--kernel", "log", "--kernel", "gaussian:2"]
        #expect(try runFilterbank(["apply", input, "-o", full.path, "--stats"] + bank).status == 0)
        let r = try runFilterbank(["apply", input, "-o", part.path, "--channels", "1,4-5,8", "--stats"] + bank)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.files(part) == ["x.json", "x_c1.png", "x_c4.png", "x_c5.png", "x_c8.png"])
        for k in [1, 4, 5, 8] {
            let name = "x_c\(k).png"
            #expect(try Data(contentsOf: part.appendingPathComponent(name)) == Data(contentsOf: full.appendingPathComponent(name)), "\(name)")
        }
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: part.appendingPathComponent("x.json"))) as! [String: Any]
        #expect((stats["channels"] as! [[String: Any]]).map { $0["channel"] as! Int } == [1, 4, 5, 8])

        // Separable: pointwise outputs 0 and 2 of a random bank, as .npy and as images.
        let dw = Self.random(TensorShape(batch: 1, height: 3, width: 3, channels: 6), seed: 2).values.map { $0 - 0.5 }
        let pw = Self.random(TensorShape(batch: 1, height: 1, width: 6, channels: 4), seed: 3).values.map { $0 - 0.5 }
        let sep = dir.appendingPathComponent("sep.json").path
        try #"{"depthwise": {"shape": [3, 3, 3, 2], "values": \#(dw)}, "pointwise": {"shape": [1, 1, 6, 4], "values": \#(pw)}}"#
            .write(toFile: sep, atomically: true, encoding: .utf8)
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("sf").path, "--bank", sep]).status == 0)
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("sp").path, "--bank", sep, "--channels", "0,2"]).status == 0)
        #expect(try Self.files(dir.appendingPathComponent("sp")) == ["x_c0.png", "x_c2.png"])
        for name in ["x_c0.png", "x_c2.png"] {
            #expect(try Data(contentsOf: dir.appendingPathComponent("sp/" + name)) == Data(contentsOf: dir.appendingPathComponent("sf/" + name)))
        }
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("nf").path, "--bank", sep, "--format", "npy"]).status == 0)
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("np").path, "--bank", sep, "--format", "npy",
                                   "--channels", "1-2"]).status == 0)
        let whole = try NpyFile.readTensor(path: dir.appendingPathComponent("nf/x.npy").path)
        let some = try NpyFile.readTensor(path: dir.appendingPathComponent("np/x.npy").path)
        #expect(some.shape == TensorShape(batch: 1, height: 19, width: 23, channels: 2))
        for p in 0..<(19 * 23) { for j in 0..<2 { #expect(some.values[p * 2 + j] == whole.values[p * 4 + j + 1]) } }

        // A channel past the bank's outputs: this input fails with one line; a fixed bank is refused up front.
        let over = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("o").path, "--channels", "9"] + bank)
        #expect(over.status == 1)
        #expect(over.stderr.contains("channel list '9' names channel 9, but there are 9 output channels (0-8) (--channels)"), "\(over.stderr)")
        let fixed = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("f").path, "--bank", sep, "--channels", "4"])
        #expect(fixed.status == 64)
        #expect(fixed.stderr.contains("--channels '4' names channel 4, but the bank has 4 output channels (0-3)"), "\(fixed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("f").path))
    }

    @Test func colormapsApplyToChannelFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.write(Self.random(TensorShape(batch: 1, height: 9, width: 11, channels: 1), seed: 4), dir, "y.npy")
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("gray").path]).status == 0)
        let r = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("rgb").path, "--colormap", "coolwarm"])
        #expect(r.status == 0, "\(r.stderr)")
        for k in 0..<2 {
            let gray = try ImageDecoder.decode(path: dir.appendingPathComponent("gray/y_c\(k).png").path).tensor
            let rgb = try ImageDecoder.decode(path: dir.appendingPathComponent("rgb/y_c\(k).png").path).tensor
            #expect(rgb.shape.channels == 3)
            for y in 0..<9 { for x in 0..<11 {
                let (r, g, b) = Colormap.coolwarm.rgb(UInt8((gray[0, y, x, 0] * 255).rounded()))
                #expect([r, g, b] == (0..<3).map { UInt8((rgb[0, y, x, $0] * 255).rounded()) })
            } }
        }
        let jpeg = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("jpg").path, "--colormap", "magma", "--format", "jpeg"])
        #expect(jpeg.status == 0, "\(jpeg.stderr)")
        #expect(try ImageDecoder.decode(path: dir.appendingPathComponent("jpg/y_c0.jpg").path).tensor.shape.channels == 3)
    }

    @Test func maxOutputsIsCheckedBeforeAnyWork() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.write(Self.random(TensorShape(batch: 1, height: 5, width: 5, channels: 3), seed: 5), dir, "z.npy")
        let bank = dir.appendingPathComponent("b.json").path
        try #"{"depthwise": {"shape": [1, 1, 3, 2], "values": [1, 2, 3, 4, 5, 6]}}"#.write(toFile: bank, atomically: true, encoding: .utf8)
        // A bank file's output count is known: refused before any input, exit 64.
        let fixed = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("a").path, "--bank", bank, "--max-outputs", "4"])
        #expect(fixed.status == 64)
        #expect(fixed.stderr == "filterbank: error: the bank has 6 output channels, over the limit of 4 (--max-outputs; or --channels)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a").path))
        // Kernels adapt to the input: its header decides, one line, nothing written.
        let adaptive = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("b").path, "--max-outputs", "4"])
        #expect(adaptive.status == 1)
        #expect(adaptive.stderr.contains("\(input): 6 outputs (3 input channels x 2 kernels), over the limit of 4 (--max-outputs)"),
                "\(adaptive.stderr)")
        #expect(((try? Self.files(dir.appendingPathComponent("b"))) ?? []).isEmpty)
        // A batch counts every image's outputs; a wide array is refused before its bank is built.
        let batch = try Self.write(Self.random(TensorShape(batch: 2, height: 1, width: 1, channels: 3000), seed: 8), dir, "batch.npy")
        let twice = try runFilterbank(["apply", batch, "-o", dir.appendingPathComponent("d").path])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("12000 outputs (6000 output channels x 2 images), over the limit of 4096 (--max-outputs)"),
                "\(twice.stderr)")
        // A subset within the limit runs.
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("c").path, "--max-outputs", "4",
                                   "--channels", "0-3"]).status == 0)
        #expect(try Self.files(dir.appendingPathComponent("c")).count == 4)
    }

    /// Runs `arguments` in a child with a soft limit of `openFiles` file
    /// descriptors; returns its exit status and peak RSS in bytes (measured
    /// by GNU time: see `HostileFiles.run`).
    static func runLimited(_ arguments: [String], openFiles: Int) throws -> (status: Int32, peakBytes: Int) {
        let result = try HostileFiles.run(try filterbankBinary().path, arguments, openFiles: openFiles)
        return (result.status, result.peakRSS)
    }

    /// A 20 KB `(1, 1, 5000)` array through 2 kernels: 10,000 files, written
    /// in passes of 64 open files, under a 1024 open-files limit and in well
    /// under 1 GiB.
    @Test func tenThousandOutputsInBoundedFilesAndMemory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.write(Self.random(TensorShape(batch: 1, height: 1, width: 1, channels: 5000), seed: 6), dir, "wide.npy")
        let out = dir.appendingPathComponent("out")
        // The default cap refuses it before any work...
        let refused = try runFilterbank(["apply", input, "-o", out.path])
        #expect(refused.status == 1 && refused.stderr.contains("10000 outputs (5000 input channels x 2 kernels), over the limit of 4096"))
        // ...and a raised one runs it within the limits.
        let (status, peak) = try Self.runLimited(["apply", input, "-o", out.path, "--max-outputs", "10000", "--quiet"],
                                                 openFiles: 1024)
        #expect(status == 0)
        // Under AddressSanitizer the shadow memory and quarantine alone exceed the limit.
        if !HostileFilesTests.sanitized { #expect(peak < 1 << 30, "peak RSS \(peak / (1 << 20)) MiB") }
        let names = try Self.files(out)
        #expect(names.count == 10_000)
        #expect(names.first == "wide_c0000.png" && names.last == "wide_c9999.png")
        // The last pass's files are right: channel 9999 is input channel 4999 through Sobel y on a 1x1 image (0).
        let last = try ImageDecoder.decode(path: out.appendingPathComponent("wide_c9999.png").path).tensor
        #expect(last.shape == TensorShape(batch: 1, height: 1, width: 1, channels: 1) && UInt8((last.values[0] * 255).rounded()) == 128)
    }

    @Test func contactSheetsStayWithinTheDefaultWidth() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A long, thin 3-channel input: 3 rows x 2 columns of 3000 x 40 tiles at full size.
        let input = try Self.write(Self.random(TensorShape(batch: 1, height: 40, width: 3000, channels: 3), seed: 7), dir, "long.npy")
        let out = dir.appendingPathComponent("out")
        let r = try runFilterbank(["apply", input, "-o", out.path, "--montage", "{stem}-sheet.png", "--colormap", "coolwarm"])
        #expect(r.status == 0, "\(r.stderr)")
        let sheet = try ImageDecoder.decode(path: out.appendingPathComponent("long-sheet.png").path).tensor
        let layout = SheetLayout(sourceWidth: 3000, sourceHeight: 40, columns: 2, rows: 3, cells: Array(0..<6))
        #expect(layout.width <= 4096 && layout.tileWidth < 3000)
        #expect(sheet.shape == TensorShape(batch: 1, height: layout.height, width: layout.width, channels: 3))
        // Tiles are the channel files shrunk: a tile's mean is close to its channel file's mean.
        for k in [0, 5] {
            let file = try ImageDecoder.decode(path: out.appendingPathComponent("long_c\(k).png").path).tensor
            let o = layout.tileOrigin(k)
            var tileRed = 0.0, fileRed = 0.0
            for y in 0..<layout.tileHeight { for x in 0..<layout.tileWidth { tileRed += Double(sheet[0, o.y + y, o.x + x, 0]) } }
            for v in file.values { fileRed += Double(Colormap.coolwarm.rgb(UInt8((v * 255).rounded())).0) / 255 }
            #expect(abs(tileRed / Double(layout.tileWidth * layout.tileHeight) - fileRed / Double(file.values.count)) < 0.05)
        }
        // --tile-width 0 keeps full size; --columns reshapes the grid.
        let full = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("full").path, "--montage", "s.png",
                                      "--tile-width", "0", "--columns", "3"])
        #expect(full.status == 0, "\(full.stderr)")
        let big = try ImageDecoder.decode(path: dir.appendingPathComponent("full/s.png").path).tensor
        let fullLayout = SheetLayout(sourceWidth: 3000, sourceHeight: 40, columns: 3, rows: 2, cells: Array(0..<6), tileWidth: 0)
        #expect(big.shape.width == fullLayout.width && big.shape.height == fullLayout.height && fullLayout.tileWidth == 3000)
    }
}
