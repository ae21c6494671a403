import Testing
import FilterBankKit

@Suite struct NamedBankTests {
    static func names(_ bank: String) throws -> [String] { try NamedBank(parsing: bank).kernels.map(\.name) }

    @Test func edgesIsTheDefaultBankOfApply() throws {
        let bank = try NamedBank(parsing: "edges")
        #expect(bank.name == "edges")
        #expect(bank == NamedBank.edges)
        #expect(bank.kernels.map(\.values) == [sobelX, sobelY])
        // Output channel c*M + m: input channel c through kernel m.
        let filter = try bank.depthwise(channels: 3)
        #expect(filter.shape == [3, 3, 3, 2])
        for c in 0..<3 { #expect(filter.kernel(channel: c, slot: 0) == sobelX && filter.kernel(channel: c, slot: 1) == sobelY) }
    }

    @Test func eachBankHoldsItsKernels() throws {
        #expect(try Self.names("gradients") == ["sobel-x", "sobel-y", "laplacian:neighbours=4"])
        #expect(try Self.names("compass") == ["n", "ne", "e", "se", "s", "sw", "w", "nw"].map { "kirsch:direction=\($0)" })
        #expect(try Self.names("blur-pyramid") == ["gaussian:sigma=1,size=7", "gaussian:sigma=2,size=13",
                                                   "gaussian:sigma=4,size=25", "gaussian:sigma=8,size=49"])
        #expect(try Self.names("blur-pyramid:2") == ["gaussian:sigma=1,size=7", "gaussian:sigma=2,size=13"])
        let gabor = try NamedBank(parsing: " Gabor:8 ")
        #expect(gabor.name == "gabor:8")
        #expect(gabor.kernels.map(\.name) == ["0", "22.5", "45", "67.5", "90", "112.5", "135", "157.5"]
            .map { "gabor:theta=\($0),sigma=2,lambda=5,gamma=0.5,psi=0,size=25" })
        #expect(try NamedBank(parsing: "gabor").name == "gabor:4")
        // Different sizes share one filter, padded to the largest.
        #expect(try NamedBank(parsing: "blur-pyramid:3").depthwise(channels: 1).shape == [25, 25, 1, 3])
        #expect(try NamedBank(parsing: "compass").depthwise(channels: 3).shape == [3, 3, 3, 8])
    }

    @Test(arguments: [
        ("gabr:8", "unknown bank 'gabr:8' (did you mean 'gabor'?); built-in banks: edges, gradients, gabor:N, blur-pyramid:N, compass"),
        ("blur_pyramid", "unknown bank 'blur_pyramid' (did you mean 'blur-pyramid'?); built-in banks: edges, gradients, gabor:N, blur-pyramid:N, compass"),
        ("sobel", "unknown bank 'sobel'; built-in banks: edges, gradients, gabor:N, blur-pyramid:N, compass"),
        ("gabor:0", "bank gabor: the argument must be an integer from 1 to 64, got '0'"),
        ("gabor:eight", "bank gabor: the argument must be an integer from 1 to 64, got 'eight'"),
        ("blur-pyramid:7", "bank blur-pyramid: the argument must be an integer from 1 to 6, got '7'"),
        ("edges:2", "bank edges: the argument must be absent (edges takes no argument), got '2'"),
    ] as [(String, String)])
    func badNames(_ text: String, _ message: String) {
        let error = #expect(throws: KernelSpecError.self) { try NamedBank(parsing: text) }
        #expect(error?.description == message)
    }
}
