import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// `--montage`/`--colormap`, `--format jpeg`, EXIF orientation, `--alpha`, `--gray`, run through the binary.
@Suite(.serialized) struct ImageOptionsTests {
    /// A 4x3 two-channel input and a 1x1 bank with kernels 1 and 0.5: output
    /// k = c*2 + m is input channel c times (1, 0.5)[m], known exactly.
    static func smallCase(in dir: URL) throws -> (input: String, bank: String, values: Tensor) {
        let shape = TensorShape(batch: 1, height: 4, width: 3, channels: 2)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { Float($0) / Float(shape.count) })
        let path = dir.appendingPathComponent("small.npy").path
        try NpyFile.write(input, to: path)
        let bank = dir.appendingPathComponent("bank.json").path
        try #"{"depthwise": {"shape": [1, 1, 2, 2], "values": [1, 0.5, 1, 0.5]}}"#
            .write(toFile: bank, atomically: true, encoding: .utf8)
        return (path, bank, input)
    }

    /// The sheet of the small case at full tile size, as `SheetLayout` places it.
    static func smallLayout(tileWidth: Int? = nil) -> SheetLayout {
        SheetLayout(sourceWidth: 3, sourceHeight: 4, columns: 2, rows: 2, cells: [0, 1, 2, 3], tileWidth: tileWidth)
    }

    static func rgb(_ image: DecodedImage, _ x: Int, _ y: Int) -> RGB {
        func level(_ c: Int) -> UInt8 { UInt8((image.tensor[0, y, x, c] * 255).rounded()) }
        return RGB(level(0), level(1), level(2))
    }

    @Test func montageGeometryAndPixels() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, bank, values) = try Self.smallCase(in: dir)
        let sheet = dir.appendingPathComponent("sheet-{stem}.png").path  // absolute: taken as given
        let r = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("out").path, "--bank", bank,
                                   "--montage", sheet, "--map", "clamp"])
        #expect(r.status == 0, "\(r.stderr)")
        let image = try ImageDecoder.decode(path: dir.appendingPathComponent("sheet-small.png").path)
        // 2 rows (input channels) x 2 columns (kernels) of 3x4 tiles, with labels, title and colour bar.
        let layout = Self.smallLayout()
        #expect(layout.tileWidth == 3 && layout.tileHeight == 4)
        #expect(image.tensor.shape == TensorShape(batch: 1, height: layout.height, width: layout.width, channels: 3))
        let weights: [Float] = [1, 0.5]
        for k in 0..<4 {
            let (c, m) = (k / 2, k % 2)
            let origin = layout.tileOrigin(k)
            for y in 0..<4 { for x in 0..<3 {
                let level = PixelMapping.clampToUInt8(values[0, y, x, c] * weights[m])
                #expect(Self.rgb(image, origin.x + x, origin.y + y) == RGB(level, level, level), "tile \(k) at (\(y), \(x))")
            } }
            // Left of each tile: separator or margin, never data.
            #expect(Self.rgb(image, origin.x - 1, origin.y) == ContactSheet.background)
        }
        // Each label line holds text.
        for k in 0..<4 {
            let o = layout.cellOrigin(k)
            var text = 0
            for y in o.y..<(o.y + layout.labelHeight) { for x in o.x..<(o.x + layout.cellWidth) where Self.rgb(image, x, y) == ContactSheet.text { text += 1 } }
            #expect(text > 15, "label of tile \(k)")
        }
        // The colour bar: black to white under clamp.
        let bar = layout.bar
        #expect(Self.rgb(image, bar.x, bar.y + 1) == RGB(0, 0, 0))
        #expect(Self.rgb(image, bar.x + bar.width - 1, bar.y + 1) == RGB(255, 255, 255))
    }

    @Test func montagePathsResolveUnderOutdirAndItsFoldersAreCreated() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, bank, values) = try Self.smallCase(in: dir)
        // The help's own example: a folder under OUTDIR, created.
        let r = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("out").path, "--bank", bank,
                                   "--montage", "sheets/{stem}.png", "--colormap", "viridis", "--map", "clamp"])
        #expect(r.status == 0, "\(r.stderr)")
        let image = try ImageDecoder.decode(path: dir.appendingPathComponent("out/sheets/small.png").path)
        #expect(image.tensor.shape.channels == 3)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/small_c0.png").path))
        let level = PixelMapping.clampToUInt8(values[0, 2, 1, 0])
        let (red, green, blue) = Colormap.viridis.rgb(level)
        let origin = Self.smallLayout().tileOrigin(0)
        #expect(Self.rgb(image, origin.x + 1, origin.y + 2) == RGB(red, green, blue))
        // A bad montage path is refused before any work: nothing is written.
        let bad = try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("bad").path, "--bank", bank,
                                     "--montage", "{stem}/{c}.png"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("has an unknown field {c}"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path))
    }

    @Test func jpegOutputsDecodeBack() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        let input = sample("png-gray8-camera.png")
        let r = try runFilterbank(["apply", input, "-o", out.path, "--format", "jpeg", "--quality", "95", "--map", "abs"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["png-gray8-camera_c0.jpg", "png-gray8-camera_c1.jpg"])
        let pngOut = dir.appendingPathComponent("png")
        #expect(try runFilterbank(["apply", input, "-o", pngOut.path, "--map", "abs"]).status == 0)
        for k in 0..<2 {
            let jpeg = try ImageDecoder.decode(path: out.appendingPathComponent(names[k]).path)
            let png = try ImageDecoder.decode(path: pngOut.appendingPathComponent("png-gray8-camera_c\(k).png").path)
            #expect(jpeg.format == .jpeg && jpeg.tensor.shape == png.tensor.shape)
            var error = 0.0
            for (a, b) in zip(jpeg.tensor.values, png.tensor.values) { error += Double(abs(a - b)) }
            #expect(error / Double(png.tensor.values.count) < 4.0 / 255, "quality 95 stays close to the PNG")
        }
    }

    /// Orientation 6 (rotate 90 clockwise): outputs have the displayed size
    /// unless --no-orient keeps the stored one.
    @Test func exifOrientationIsAppliedByDefault() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = packageRoot.appendingPathComponent("Tests/Fixtures/images/jpeg-exif-orientation6-testrotate.jpg").path
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("a").path, "--gray"]).status == 0)
        #expect(try runFilterbank(["apply", input, "-o", dir.appendingPathComponent("b").path, "--gray", "--no-orient"]).status == 0)
        let upright = try ImageDecoder.decode(path: dir.appendingPathComponent("a/jpeg-exif-orientation6-testrotate_c0.png").path)
        let stored = try ImageDecoder.decode(path: dir.appendingPathComponent("b/jpeg-exif-orientation6-testrotate_c0.png").path)
        #expect(upright.tensor.shape.height == 640 && upright.tensor.shape.width == 428)
        #expect(stored.tensor.shape.height == 428 && stored.tensor.shape.width == 640)
    }

    @Test func alphaDropAndGrayChangeTheChannelCount() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rgba = sample("png-rgba8-cutout-earth.png")
        func outputs(_ extra: [String], _ name: String) throws -> Int {
            let out = dir.appendingPathComponent(name)
            let r = try runFilterbank(["apply", rgba, "-o", out.path] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return try FileManager.default.contentsOfDirectory(atPath: out.path).count
        }
        #expect(try outputs([], "keep") == 8)                        // RGBA x (sobel x, y)
        #expect(try outputs(["--alpha", "drop"], "drop") == 6)      // RGB
        #expect(try outputs(["--gray"], "gray") == 4)               // luma + alpha
        #expect(try outputs(["--gray", "--alpha", "drop"], "luma") == 2)
        // Luma is BT.601: check one pixel through a 1x1 identity bank written as npy.
        let bank = dir.appendingPathComponent("id.json").path
        try #"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1]}}"#.write(toFile: bank, atomically: true, encoding: .utf8)
        let r = try runFilterbank(["apply", rgba, "-o", dir.appendingPathComponent("npy").path, "--gray", "--alpha", "drop",
                                   "--bank", bank, "--format", "npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let luma = try NpyFile.readTensor(path: dir.appendingPathComponent("npy/png-rgba8-cutout-earth.npy").path)
        let original = try ImageDecoder.decode(path: rgba).tensor
        for (y, x) in [(0, 0), (92, 100), (150, 60)] {
            let expected = 0.299 * original[0, y, x, 0] + 0.587 * original[0, y, x, 1] + 0.114 * original[0, y, x, 2]
            #expect(abs(luma[0, y, x, 0] - expected) < 1e-6)
        }
    }

    /// `--border` takes other libraries' names: OpenCV's BORDER_REFLECT repeats
    /// the edge, so it is our `symmetric`; checked against the reference loop.
    @Test func borderAliasesReachTheEngine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _, values) = try Self.smallCase(in: dir)
        for (alias, mode) in [("BORDER_REFLECT", BorderMode.symmetric), ("edge", .replicate), ("circular", .wrap)] {
            let out = dir.appendingPathComponent(alias)
            let r = try runFilterbank(["apply", input, "-o", out.path, "--border", alias, "--format", "npy"])
            #expect(r.status == 0, "\(r.stderr)")
            let got = try NpyFile.readTensor(path: out.appendingPathComponent("small.npy").path)
            let want = try ReferenceConvolution.apply(
                try FilterBank(depthwise: NamedBank.edges.depthwise(channels: 2), border: mode), to: values)
            #expect(got.shape == want.shape)
            for (g, w) in zip(got.values, want.values) { #expect(abs(g - w) <= 1e-5, "\(alias)") }
        }
        let inspect = try runFilterbank(["inspect", "--input-shape", "4x3x2", "--border", "mirror"])
        #expect(inspect.stdout.contains("border:           reflect"), "\(inspect.stdout)")
        #expect(try runFilterbank(["apply", input, "-o", dir.path, "--border", "sideways"]).status == 64)
    }
}
