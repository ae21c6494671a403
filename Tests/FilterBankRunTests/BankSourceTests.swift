import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
@testable import FilterBankRun
import FilterBankKit

private typealias S = BankIOTestSupport

/// Bank sources and `BankReport`. (The bank options' rules are tested with
/// the command line's parser, in FilterbankCLITests.)
@Suite struct BankSourceTests {
    /// Kernels from specs, as `--kernel` gives them.
    static func kernels(_ specs: String...) throws -> BankSource {
        .kernels(try specs.map { try KernelSpec(parsing: $0).kernel }, name: nil)
    }

    // MARK: - Sources

    @Test func edgesKernelListsAndNamedBanksAgree() throws {
        let edges = try BankSource.edges.spec(channels: 3)
        let named = try BankSource.named(NamedBank(parsing: "edges")).spec(channels: 3)
        let listed = try Self.kernels("sobel-x", "3x3: -1,-2,-1, 0,0,0, 1,2,1").spec(channels: 3)
        #expect(edges.depthwise == named.depthwise && named.depthwise == listed.depthwise)
        #expect(edges.kernelNames == ["sobel-x", "sobel-y"])
        #expect(listed.kernelNames == ["sobel-x", "3x3:-1,-2,-1,0,0,0,1,2,1"])
    }

    @Test func kernelListsAdaptToTheChannelCount() throws {
        let source = try Self.kernels("roberts-x", "gaussian:sigma=1", "sobel-y")
        #expect(source.fixedChannels == nil)
        let one = try source.spec(channels: 1), four = try source.spec(channels: 4)
        #expect(one.depthwise.shape == [7, 7, 1, 3] && four.depthwise.shape == [7, 7, 4, 3])
        let bank = try source.resolve(channels: 2, strides: HeightWidth(2), dilations: nil, padding: .valid)
        #expect(bank.strides == HeightWidth(2) && bank.padding == .valid && bank.outputChannels == 6)
    }

    @Test func normalizeAndBias() throws {
        let source = try Self.kernels("3x3: 1,1,1, 1,1,1, 1,1,1", "sobel-x").adjusted(normalize: true, bias: -0.25)
        let spec = try source.spec(channels: 2)
        #expect(spec.depthwise.kernel(channel: 1, slot: 0).allSatisfy { abs($0 - 1.0 / 9) < 1e-7 })
        #expect(spec.depthwise.kernel(channel: 0, slot: 1) == [-1, 0, 1, -2, 0, 2, -1, 0, 1])   // Sobel x, sum 0: unchanged
        #expect(spec.bias == [-0.25, -0.25, -0.25, -0.25])
        // A bias replaces a file's own bias, one value for every output.
        let keras = try BankFile.source(path: S.bank("keras_separable.npz"))
        #expect(try keras.adjusted(normalize: false, bias: 2).spec(channels: 3).bias == [2, 2, 2, 2])
        #expect(try keras.spec(channels: 3).bias == [0.5, -0.25, 0, 1])
        #expect(BankSource.edges.adjusted(normalize: false, bias: nil) == .edges)
    }

    @Test func jsonBankFilesMayCarryABias() throws {
        let json = #"{"depthwise": {"shape": [1, 1, 2, 2], "values": [1, 2, 3, 4]}, "bias": [0.5, 0, -1, 2]}"#
        let spec = try BankFile.parse(data: Data(json.utf8), path: "b.json")
        #expect(spec.bias == [0.5, 0, -1, 2])
        #expect(try spec.resolve(strides: nil, dilations: nil, padding: nil).bias == [0.5, 0, -1, 2])
        let wrong = #"{"depthwise": {"shape": [1, 1, 2, 2], "values": [1, 2, 3, 4]}, "bias": [0.5]}"#
        S.expectFileError("bias has 1 values, but the bank has 4 output channels", path: "b.json") {
            _ = try BankFile.parse(data: Data(wrong.utf8), path: "b.json")
        }
        let text = #"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1]}, "bias": ["x"]}"#
        S.expectFileError("bias[0] must be a number, got a string (\"x\")", path: "b.json") {
            _ = try BankFile.parse(data: Data(text.utf8), path: "b.json")
        }
    }

    @Test func bankFilesAreReadByExtension() throws {
        #expect(try BankFile.source(path: S.bank("separable.json")) == .file(BankFile.load(path: S.bank("separable.json"))))
        #expect(try BankFile.source(path: S.bank("bank_savez.npz")).fixedChannels == 3)
        #expect(try BankFile.source(path: S.bank("sharpen.mat")) == MatrixFile.source(path: S.bank("sharpen.mat")))
        #expect(try BankFile.source(path: S.bank("torch_separable.npz"), layout: .torch).spec(channels: 3)
            == BankFile.source(path: S.bank("keras_separable.npz")).spec(channels: 3))
        #expect(BankFile.Kind(path: "BANK.JSON") == .json)
        #expect(BankFile.Kind(path: "dir.v2/bank.Npz") == .npz)
        #expect(BankFile.Kind(path: "dir.v2/bank") == nil && BankFile.Kind(path: ".json") == nil)
        S.expectFileError("not a bank file: expected the extension .json, .npz, .safetensors or .mat", path: "b.txt") {
            _ = try BankFile.source(path: "b.txt")
        }
    }

    @Test func missingFilesNameThemselves() {
        S.expectFileError("no such file", path: "/no/such.npz") { _ = try BankFile.source(path: "/no/such.npz") }
        S.expectFileError("no such file", path: "/no/such.mat") { _ = try BankFile.source(path: "/no/such.mat") }
    }

    // MARK: - Reports

    /// A worked example: a 5x5x3 input, 3x3 kernels, 4 outputs.
    @Test func reportOfAWorkedExample() throws {
        let source = try BankFile.source(path: S.bank("separable.json"))
        let report = try BankReport(source: source, sourceName: "separable.json", input: BankReport.parseShape("5x5x3"),
                                    inputOrigin: "--input-shape", strides: nil, dilations: nil, padding: nil, stem: "img")
        #expect(report.kind == "separable")
        #expect(report.input == [1, 5, 5, 3] && report.output == [1, 5, 5, 4])
        #expect(report.depthwiseShape == [3, 3, 3, 1] && report.pointwiseShape == [1, 1, 3, 4])
        #expect(report.padding == "explicit" && report.pads == BankReport.Pads(top: 1, bottom: 1, left: 1, right: 1))
        #expect(report.cost.standard == .init(parameters: 108, multiplyAccumulates: 2700))
        #expect(report.cost.depthwise == .init(parameters: 27, multiplyAccumulates: 675))
        #expect(report.cost.pointwise == .init(parameters: 12, multiplyAccumulates: 300))
        #expect(report.cost.separable == .init(parameters: 39, multiplyAccumulates: 975))
        #expect(report.outputs.map(\.file) == ["img_c0.png", "img_c1.png", "img_c2.png", "img_c3.png"])
        #expect(report.kernels.count == 1 && report.kernels[0].separable && report.kernels[0].channels == [0, 1, 2])
        // The separable fixture's pointwise columns 1 and 2 have negative weights: --map auto gives them symmetric.
        #expect(report.outputs.map(\.map) == ["clamp", "symmetric", "symmetric", "clamp"])
        for fragment in ["standard convolution              108                   2,700",
                         "separable (dw + pw)                39                     975",
                         "separable / standard = 0.3611", "padding:          explicit: top 1, bottom 1, left 1, right 1"] {
            #expect(report.text.contains(fragment), "\(report.text)")
        }
    }

    @Test func reportOfAKernelListWithSamePadding() throws {
        let source = try Self.kernels("roberts-x", "laplacian", "sobel-y")
        let input = TensorShape(batch: 2, height: 10, width: 9, channels: 2)
        let report = try BankReport(source: source, sourceName: "k", input: input, inputOrigin: "x.npy",
                                    strides: HeightWidth(2, 3), dilations: HeightWidth(2), padding: nil, stem: "x")
        // SAME, k_eff 5: out ceil(10/2) = 5, ceil(9/3) = 3; pads (4*2+5-10 = 3 -> 1, 2), (2*3+5-9 = 2 -> 1, 1).
        #expect(report.effectiveKernel == [5, 5])
        #expect(report.pads == BankReport.Pads(top: 1, bottom: 2, left: 1, right: 1))
        #expect(report.output == [2, 5, 3, 6])
        #expect(report.depthwiseChannels.map(\.inputChannel) == [0, 0, 0, 1, 1, 1])
        #expect(report.depthwiseChannels.map(\.kernel) == ["roberts-x", "laplacian:neighbours=4", "sobel-y",
                                                           "roberts-x", "laplacian:neighbours=4", "sobel-y"])
        #expect(report.outputs[4].file == "x_n0_c4.png" && report.outputs[4].from == "input channel 1 * kernel 1 (laplacian:neighbours=4)")
        #expect(report.kernels.map(\.separable) == [false, false, true])
        #expect(abs(report.kernels[0].relativeError - 0.5.squareRoot()) < 1e-6)
        #expect(report.cost.separable.multiplyAccumulates == 15 * 9 * 2 * 3)
    }

    @Test func reportWithoutAnInput() throws {
        let report = try BankReport(source: .named(try NamedBank(parsing: "compass")), sourceName: "--bank compass", input: nil,
                                    inputOrigin: nil, strides: nil, dilations: nil, padding: nil, stem: "<stem>")
        #expect(report.channelsAssumed && report.input == nil && report.pads == nil && report.output == nil)
        #expect(report.cost.standard == .init(parameters: 9 * 8, multiplyAccumulates: nil))
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        #expect(json?["input"] == nil && json?["kind"] as? String == "depthwise")
        #expect(report.text.contains("none given"))
    }

    @Test func reportErrorsForAnInputThatDoesNotFit() throws {
        let source = try BankFile.source(path: S.bank("separable.json"))
        #expect(throws: FilterBankError.self) {
            _ = try BankReport(source: source, sourceName: "s", input: BankReport.parseShape("5x5x1"), inputOrigin: nil,
                               strides: nil, dilations: nil, padding: nil, stem: "s")
        }
    }

    @Test func inputShapes() throws {
        #expect(BankReport.parseShape("5x5x3") == TensorShape(batch: 1, height: 5, width: 5, channels: 3))
        #expect(BankReport.parseShape("2X4x6x1") == TensorShape(batch: 2, height: 4, width: 6, channels: 1))
        for bad in ["5x5", "5x0x3", "ax5x3", "5x5x3x1x1", ""] { #expect(BankReport.parseShape(bad) == nil, "\(bad)") }
        #expect(try BankReport.inputShape(of: S.npy("u8_4x5x3.npy")) == TensorShape(batch: 1, height: 4, width: 5, channels: 3))
        let png = S.fixtures.appendingPathComponent("images/png-rgba8-partial-alpha-duck.png").path
        #expect(try BankReport.inputShape(of: png).channels == 4)
        S.expectFileError(path: "/no/such.png") { _ = try BankReport.inputShape(of: "/no/such.png") }
    }
}
