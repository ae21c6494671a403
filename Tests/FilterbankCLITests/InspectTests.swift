import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// `filterbank inspect`, run as a user would (helpers from EndToEndTests.swift).
@Suite(.serialized) struct InspectTests {
    static func bank(_ name: String) -> String { packageRoot.appendingPathComponent("Tests/Fixtures/banks/\(name)").path }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try runFilterbank(["inspect", "--json"] + arguments)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func step(_ json: [String: Any], _ name: String) -> (Int?, Int?) {
        let cost = json["cost"] as? [String: Any]
        let step = cost?[name] as? [String: Any]
        return (step?["parameters"] as? Int, step?["multiplyAccumulates"] as? Int)
    }

    /// A worked example: a 5x5x3 input, 3x3 kernels, 4 outputs.
    @Test func workedExampleAsJSON() throws {
        let json = try Self.json(["--bank", Self.bank("separable.json"), "--input-shape", "5x5x3"])
        #expect(json["kind"] as? String == "separable")
        #expect(json["input"] as? [Int] == [1, 5, 5, 3])
        #expect(json["output"] as? [Int] == [1, 5, 5, 4])
        #expect(json["depthwiseShape"] as? [Int] == [3, 3, 3, 1])
        #expect(json["pointwiseShape"] as? [Int] == [1, 1, 3, 4])
        #expect(json["padding"] as? String == "explicit")
        #expect(json["pads"] as? [String: Int] == ["top": 1, "bottom": 1, "left": 1, "right": 1])
        #expect(Self.step(json, "standard") == (108, 2700))
        #expect(Self.step(json, "depthwise") == (27, 675))
        #expect(Self.step(json, "pointwise") == (12, 300))
        #expect(Self.step(json, "separable") == (39, 975))
        let ratio = (json["cost"] as? [String: Any])?["ratio"] as? Double
        #expect(ratio.map { abs($0 - 39.0 / 108) < 1e-9 } == true)
        let outputs = json["outputs"] as? [[String: Any]]
        #expect(outputs?.compactMap { $0["file"] as? String } == ["<stem>_c0.png", "<stem>_c1.png", "<stem>_c2.png", "<stem>_c3.png"])
        let kernels = json["kernels"] as? [[String: Any]]
        #expect(kernels?.count == 1 && kernels?[0]["separable"] as? Bool == true)
        #expect(kernels?[0]["channels"] as? [Int] == [0, 1, 2])
    }

    @Test func kernelsOnARealImage() throws {
        let input = sample("png-rgb8-coffee.png")
        let result = try runFilterbank(["inspect", "--kernel", "sobel-x", "--kernel", "laplacian:8", "--input", input,
                                        "--strides", "2", "--padding", "valid"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for line in ["bank:             --kernel sobel-x --kernel laplacian:8",
                     // The path goes on the next line when the line would pass 80 columns,
                     // which depends on where the checkout is.
                     "input:            [1, 400, 600, 3]", "(\(input))",
                     "depthwise filter: [3, 3, 3, 2]  [kh, kw, C, M]",
                     "padding:          VALID: top 0, bottom 0, left 0, right 0",
                     "output:           [1, 199, 299, 6]",
                     "    5  png-rgb8-coffee_c5.png  symmetric  input channel 2 * kernel 1",
                     "        (laplacian:neighbours=8)",
                     "  m=0 sobel-x (all channels): separable, relative error 0",
                     "  m=1 laplacian:neighbours=8 (all channels): not separable"] {
            #expect(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)")
        }
    }

    /// Lines fit 80 columns; large numbers have their digits grouped; each
    /// output says the mapping `--map auto` gives it.
    @Test func textFitsEightyColumns() throws {
        let result = try runFilterbank(["inspect", "--bank", "gabor:8", "--input-shape", "3000x4500x3", "--bias", "-0.5"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for line in result.stdout.split(separator: "\n") { #expect(line.count <= 80, "\(line.count): \(line)") }
        // 25 * 25 taps * 24 outputs * 13,500,000 pixels.
        #expect(result.stdout.contains("  depthwise step                 15,000         202,500,000,000"), "\(result.stdout)")
        #expect(result.stdout.contains("  0  <stem>_c00.png  symmetric  input channel 0 * kernel 0\n"
                                       + "        (gabor:theta=0,sigma=2,lambda=5,gamma=0.5,psi=0,size=25)"))
        let json = try Self.json(["--kernel", "sobel-x", "--kernel", "gaussian", "--input-shape", "8x8x1"])
        #expect((json["outputs"] as? [[String: Any]])?.compactMap { $0["map"] as? String } == ["symmetric", "clamp"])
        let kernels = try runFilterbank(["kernels"])
        #expect(kernels.status == 0)
        for line in kernels.stdout.split(separator: "\n") { #expect(line.count <= 80, "\(line.count): \(line)") }
        let big = try runFilterbank(["kernels", "gabor:theta=30", "gaussian:sigma=5"])
        for line in big.stdout.split(separator: "\n") { #expect(line.count <= 80, "\(line.count): \(line)") }
        // Zero-mean Gabor: the sum shows as 0.
        #expect(big.stdout.hasPrefix("gabor:theta=30,sigma=2,lambda=5,gamma=0.5,psi=0,size=25: 25x25, sum 0\n"), "\(big.stdout)")
    }

    @Test func torchAndKerasExportsReportTheSame() throws {
        let torch = try Self.json(["--bank", Self.bank("torch_separable.npz"), "--layout", "torch", "--input-shape", "4x4x3"])
        let keras = try Self.json(["--bank", Self.bank("keras_separable.npz"), "--input-shape", "4x4x3"])
        #expect(torch["cost"] as? NSDictionary == keras["cost"] as? NSDictionary)
        #expect(torch["kernels"] as? NSArray == keras["kernels"] as? NSArray)
        #expect(torch["bias"] as? [Double] == [0.5, -0.25, 0, 1])
    }

    @Test func withoutAnInput() throws {
        let result = try runFilterbank(["inspect", "--bank", "compass"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("input:            none given (--input IMAGE or --input-shape HxWxC for pads,\n"
                                       + "        output size and multiply-accumulates"))
        #expect(result.stdout.contains("depthwise filter: [3, 3, 1, 8]"))
        let json = try Self.json(["--bank", "blur-pyramid:2"])
        #expect(json["output"] == nil && json["channelsAssumed"] as? Bool == true)
        #expect(Self.step(json, "depthwise") == (338, nil))   // 13*13 * 1 * 2
    }

    @Test(arguments: [
        (["--input", "a.png", "--input-shape", "5x5x3"], "use either --input or --input-shape, not both"),
        (["--input-shape", "5x5"], "--input-shape"),
        (["--kernel", "sobelx"], "unknown kernel 'sobelx' (did you mean 'sobel-x'?)"),
        (["--kernel", "gaussian:sigma=0"], "gaussian: sigma must be a positive number, got '0'"),
        (["--bank", "bank.txt"], "--bank 'bank.txt' has the extension '.txt'"),
        (["--kernel", "sobel-x", "--layout", "torch"], "--layout torch applies to .npy filters"),
        (["--bank", "gabor:99"], "bank gabor: the argument must be an integer from 1 to 64, got '99'"),
    ] as [([String], String)])
    func usageErrorsExit64(_ arguments: [String], _ fragment: String) throws {
        let result = try runFilterbank(["inspect"] + arguments)
        #expect(result.status == 64, "\(arguments): status \(result.status), stderr \(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
    }

    /// A bank that does not load is the same whatever the input: a usage error (64), on one
    /// line; a bank that does not fit the input is a runtime error (1).
    @Test func runtimeErrorsAreOneLineAndExit1() throws {
        let missing = try runFilterbank(["inspect", "--bank", "/no/such/bank.json"])
        #expect(missing.status == 64)
        #expect(missing.stderr == "filterbank: error: /no/such/bank.json: no such file\n")
        let mismatch = try runFilterbank(["inspect", "--bank", Self.bank("separable.json"), "--input-shape", "5x5x1"])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("expects 3 input channels") && mismatch.stderr.split(separator: "\n").count == 1,
                "\(mismatch.stderr)")
        let corrupt = try runFilterbank(["inspect", "--bank", Self.bank("bad_crc.npz")])
        #expect(corrupt.status == 64)
        #expect(corrupt.stderr.hasPrefix("filterbank: error: \(Self.bank("bad_crc.npz")): entry 'depthwise.npy' fails its CRC-32 check"))
        let torch = try runFilterbank(["inspect", "--depthwise", Self.bank("torch_dw.npy"), "--layout", "torch", "--input-shape", "3x3x4"])
        #expect(torch.status == 1)
        #expect(torch.stderr.contains("with C*M a multiple of the input's 4 channels"), "\(torch.stderr)")
    }

    @Test func helpDescribesTheCommand() throws {
        let help = try runFilterbank(["inspect", "--help"])
        #expect(help.status == 0)
        for option in ["--input", "--input-shape", "--json", "--bank", "--kernel", "--layout", "--normalize", "--bias",
                       "multiply-accumulates", "Examples"] {
            #expect(help.stdout.contains(option), "inspect --help does not mention \(option)")
        }
        let top = try runFilterbank(["--help"])
        #expect(top.stdout.contains("inspect") && top.stdout.contains("kernels"))
    }
}
