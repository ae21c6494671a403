import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

private typealias S = BankIOTestSupport

/// libvips matrix files (`.mat`).
@Suite struct MatTests {
    @Test func readsLibvipsSharpenExample() throws {
        let matrix = try MatrixFile.load(path: S.bank("sharpen.mat"))
        #expect(matrix.width == 3 && matrix.height == 3 && matrix.scale == 8 && matrix.offset == 0)
        #expect(matrix.values == [-1, -1, -1, -1, 16, -1, -1, -1, -1])
        let kernel = matrix.kernel(name: "sharpen.mat")
        #expect(kernel.values == [-1, -1, -1, -1, 16, -1, -1, -1, -1].map { Float($0) / 8 })
        // One kernel on every channel, no bias for offset 0.
        let source = try MatrixFile.source(path: S.bank("sharpen.mat"))
        let spec = try source.spec(channels: 3)
        #expect(spec.depthwise.shape == [3, 3, 3, 1])
        #expect(spec.bias == nil)
        #expect(spec.kernelNames == ["sharpen.mat"])
        #expect(source.fixedChannels == nil)
    }

    /// Quotes, commas and tabs separate numbers; the offset becomes the bias of every output.
    @Test func offsetIsTheBiasAndTheResultIsLibvipsFormula() throws {
        let source = try MatrixFile.source(path: S.bank("offset_sobel.mat"))
        let bank = try source.resolve(channels: 2, strides: nil, dilations: nil, padding: .valid)
        #expect(bank.bias == [0.5, 0.5])
        #expect(bank.depthwise.kernel(channel: 1, slot: 0) == [-1, 0, 1, -2, 0, 2, -1, 0, 1].map { Float($0) / 4 })
        // sum(pixel * mask) / scale + offset, mask not flipped: a ramp 0, 1, 2 ... along x gives
        // (1 + 2 + 1) * 2 / 4 + 0.5 = 2.5 everywhere.
        let shape = TensorShape(batch: 1, height: 3, width: 4, channels: 2)
        let ramp = Tensor(shape: shape, values: (0..<shape.count).map { Float(($0 / 2) % 4) })
        let out = try ReferenceConvolution.apply(bank, to: ramp)
        #expect(out.shape == TensorShape(batch: 1, height: 1, width: 2, channels: 2))
        #expect(out.values == [2.5, 2.5, 2.5, 2.5])
    }

    @Test func scaleAndOffsetAreOptional() throws {
        let m = try MatrixFile.parse(text: "\n\n2 1\n1 -1\n\n", path: "x.mat")
        #expect(m.scale == 1 && m.offset == 0 && m.values == [1, -1] && m.width == 2 && m.height == 1)
        let crlf = try MatrixFile.parse(text: "1 2 2\r\n3\r\n5\r\n", path: "x.mat")
        #expect(crlf.values == [3, 5] && crlf.height == 2 && crlf.scale == 2)
    }

    @Test(arguments: [
        ("", "empty matrix file: expected a first line 'width height [scale [offset]]'"),
        ("3\n1 2 3\n", "line 1: expected 'width height [scale [offset]]', got 1 numbers"),
        ("3 3 1 0 9\n", "line 1: expected 'width height [scale [offset]]', got 5 numbers"),
        ("3 3 0\n1 1 1\n1 1 1\n1 1 1\n", "line 1: scale must not be 0"),
        ("0 3\n", "line 1: width and height must be integers from 1 to 255, got 0 and 3"),
        ("2.5 3\n", "line 1: width and height must be integers from 1 to 255, got 2.5 and 3"),
        ("300 1\n", "line 1: width and height must be integers from 1 to 255, got 300 and 1"),
        ("3 2\n1 2 3\n4 5\n", "line 3: expected 3 numbers (the matrix width), got 2"),
        ("3 2\n1 2 3\n4 5 6 7\n", "line 3: expected 3 numbers (the matrix width), got 4"),
        ("3 3\n1 2 3\n4 5 6\n", "truncated matrix: expected 3 rows of 3 numbers, found 2"),
        ("2 1\n1 2\nextra text\n", "line 3: unexpected text after the 1 matrix rows"),
        ("2 1\n1 abc\n", "line 2: 'abc' is not a finite number"),
        ("2 1\n1 nan\n", "line 2: 'nan' is not a finite number"),
        ("2 1 inf\n1 1\n", "line 1: 'inf' is not a finite number"),
        ("2 1\n1 1e39\n", "line 2: 1e+39 does not fit in a Float32"),
    ] as [(String, String)])
    func malformedMatricesSayWhichLine(_ text: String, _ message: String) {
        let error = #expect(throws: FileError.self) { _ = try MatrixFile.parse(text: text, path: "m.mat") }
        #expect(error?.description == "m.mat: " + message)
    }

    @Test func missingAndBinaryFiles() throws {
        S.expectFileError("no such file", path: "/no/such/file.mat") { _ = try MatrixFile.load(path: "/no/such/file.mat") }
        try S.withTemporaryDirectory { dir in
            let path = dir + "/binary.mat"
            try Data([0xFF, 0xFE, 0x00, 0x80]).write(to: URL(fileURLWithPath: path))
            S.expectFileError("not a text file (invalid UTF-8)", path: path) { _ = try MatrixFile.load(path: path) }
        }
    }
}
