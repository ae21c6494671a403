import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

private typealias S = BankIOTestSupport

@Suite struct NpyFileTests {
    static let f32Values = (0..<24).map { Float($0) * 0.5 - 3 }

    @Test(arguments: ["f32_2x3x4.npy", "f32_v2_2x3x4.npy", "f32_v3_2x3x4.npy"])
    func readsFloat32InEveryHeaderVersion(_ name: String) throws {
        let array = try NpyFile.readArray(path: S.npy(name))
        #expect(array.shape == [2, 3, 4])
        #expect(array.values == Self.f32Values)
    }

    @Test func readsFloat64ConvertingToFloat() throws {
        let array = try NpyFile.readArray(path: S.npy("f64_2x2x3x1.npy"))
        #expect(array.shape == [2, 2, 3, 1])
        #expect(array.values == (0..<12).map { Float(Double($0) / 3 - 1) })
    }

    @Test func readsUInt8WithoutScaling() throws {
        let array = try NpyFile.readArray(path: S.npy("u8_4x5x3.npy"))
        #expect(array.shape == [4, 5, 3])
        let expected: [Float] = (0..<60).map { (i: Int) -> Float in Float((i * 37 + 5) % 256) }
        #expect(array.values == expected)
    }

    @Test func readTensorAddsTheBatchAxisToRank3() throws {
        let tensor = try NpyFile.readTensor(path: S.npy("f32_2x3x4.npy"))
        #expect(tensor.shape == TensorShape(batch: 1, height: 2, width: 3, channels: 4))
        #expect(tensor.values == Self.f32Values)
        let batch = try NpyFile.readTensor(path: S.npy("f64_2x2x3x1.npy"))
        #expect(batch.shape == TensorShape(batch: 2, height: 2, width: 3, channels: 1))
    }

    @Test func readTensorRejectsOtherRanks() {
        let path = S.npy("f32_3x4.npy")
        S.expectFileError("shape [3, 4]", "expected [H, W, C] or [N, H, W, C]", path: path) {
            _ = try NpyFile.readTensor(path: path)
        }
        #expect(throws: Never.self) { _ = try NpyFile.readArray(path: path) }
    }

    @Test(arguments: [
        ("f32_be_2x2x1.npy", "big-endian float32 is not supported; save with dtype '<f4'"),
        ("f32_fortran_2x3x2.npy", "fortran_order is True"),
        ("i4_2x2x1.npy", "unsupported dtype '<i4'"),
        ("README.md", "not a .npy file"),
        ("missing.npy", "no such file"),
    ])
    func rejectsUnsupportedFixtures(_ name: String, _ fragment: String) {
        let path = S.npy(name)
        S.expectFileError(fragment, path: path) { _ = try NpyFile.readArray(path: path) }
    }

    /// A version 1.0 file with `header` (padded like NumPy's) followed by `dataBytes` zero bytes.
    static func crafted(_ header: String, dataBytes: Int, version: UInt8 = 1) -> Data {
        var dict = Array(header.utf8)
        let prefix = version == 1 ? 10 : 12
        while (prefix + dict.count + 1) % 64 != 0 { dict.append(0x20) }
        dict.append(0x0A)
        let n = dict.count
        var bytes = NpyFile.magic + [version, 0, UInt8(n & 0xFF), UInt8(n >> 8)]
        if version != 1 { bytes += [0, 0] }
        return Data(bytes + dict + [UInt8](repeating: 0, count: dataBytes))
    }

    static let goodHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

    @Test func craftedGoodHeaderParses() throws {
        let array = try NpyFile.decode(Self.crafted(Self.goodHeader, dataBytes: 24), path: "x.npy")
        #expect(array.shape == [2, 3])
        #expect(array.values == [Float](repeating: 0, count: 6))
        // Python 2 longs, double quotes, any key order, no trailing comma, 0-d and 1-d shapes.
        let odd = "{\"shape\": (2L, 1L), 'fortran_order': False, 'descr': '<f8'}"
        #expect(try NpyFile.decode(Self.crafted(odd, dataBytes: 16), path: "x.npy").shape == [2, 1])
        let scalar = "{'descr': '|u1', 'fortran_order': False, 'shape': (), }"
        #expect(try NpyFile.decode(Self.crafted(scalar, dataBytes: 1), path: "x.npy").shape == [])
        let vector = "{'descr': '<u1', 'fortran_order': False, 'shape': (5,), }"
        #expect(try NpyFile.decode(Self.crafted(vector, dataBytes: 5), path: "x.npy").shape == [5])
    }

    @Test(arguments: [
        (goodHeader, 20, "truncated data: shape [2, 3] float32 needs 24 bytes, file has 20"),
        (goodHeader, 28, "4 unexpected bytes after the 24 data bytes"),
        ("{'descr': '<f4', 'fortran_order': False}", 0, "missing key 'shape'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 4, "unexpected key 'extra'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 0, "non-negative integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24, "'shape' must be a tuple"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8, "'shape' must be a tuple"),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 8, "'fortran_order' must be True or False"),
        ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", 8, "malformed .npy header: expected '}', found 'f' at offset 17"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", 8, "unexpected 'j' after the dictionary"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", 8, "duplicate key 'shape'"),
        ("{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", 8, "expected '}'"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "structured dtypes"),
        ("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16, "big-endian float64"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", 0,
         "too large (element count overflows)"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 0,
         "too large (byte count overflows)"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 0, "integer too large"),
        ("[1, 2]", 0, "expected a dictionary"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 40), 0, "nesting too deep"),
    ] as [(String, Int, String)])
    func rejectsCraftedHeaders(_ header: String, _ dataBytes: Int, _ fragment: String) {
        S.expectFileError(fragment, path: "crafted.npy") {
            _ = try NpyFile.decode(Self.crafted(header, dataBytes: dataBytes), path: "crafted.npy")
        }
    }

    @Test func rejectsBrokenPreambles() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: S.npy("f32_2x3x4.npy"))))
        let cases: [([UInt8], String)] = [
            ([], "not a .npy file"),
            (Array(good[0..<5]), "not a .npy file"),
            (Array(good[0..<9]), "truncated .npy header"),
            ([0x93] + Array("NUMPZ".utf8) + Array(good[6...]), "not a .npy file"),
            (Array(good[0..<6]) + [4, 0] + Array(good[8...]), "unsupported .npy format version 4.0"),
            (Array(good[0..<6]) + [2, 0, 0x76], "truncated .npy header"),
            (Array(good[0..<40]), "truncated .npy header: needs 128 bytes, file has 40"),
            (Array(good[0..<6]) + [2, 0, 0, 0, 0, 0x10], "implausibly large"),
        ]
        for (bytes, fragment) in cases {
            S.expectFileError(fragment, path: "broken.npy") { _ = try NpyFile.decode(Data(bytes), path: "broken.npy") }
        }
    }

    @Test(arguments: ["f32_2x3x4.npy", "f32_v3_2x3x4.npy", "f64_2x2x3x1.npy", "u8_4x5x3.npy", "f32_3x4.npy"])
    func fileReaderAgreesWithInMemoryDecoder(_ name: String) throws {
        let path = S.npy(name)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try NpyFile.readArray(path: path) == NpyFile.decode(data, path: path))
    }

    /// More elements than one read chunk (131072), with a partial last chunk.
    @Test(arguments: [("<f8", 8), ("|u1", 1), ("<f4", 4)])
    func fileReaderConvertsInChunks(_ descr: String, _ size: Int) throws {
        let count = 300_001
        var bytes = [UInt8](Self.crafted("{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(count),), }", dataBytes: 0))
        var expected: [Float] = []
        for i in 0..<count {
            switch size {
            case 8: let v = Double(i) * 0.5 - 7; bytes += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init); expected.append(Float(v))
            case 4: let v = Float(i) * 0.25; bytes += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init); expected.append(v)
            default: bytes.append(UInt8(i % 251)); expected.append(Float(i % 251))
            }
        }
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/big.npy"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let array = try NpyFile.readArray(path: path)
            #expect(array.shape == [count])
            #expect(array.values == expected)
            try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: path))
            S.expectFileError("truncated data", path: path) { _ = try NpyFile.readArray(path: path) }
        }
    }

    @Test func fileReaderRejectsDirectoriesAndShortFiles() throws {
        try S.withTemporaryDirectory { dir throws in
            S.expectFileError("is a directory", path: dir) { _ = try NpyFile.readArray(path: dir) }
            let path = dir + "/short.npy"
            for (bytes, fragment) in [([UInt8](), "not a .npy file"), (NpyFile.magic + [1, 0], "truncated .npy header"),
                                      (NpyFile.magic + [1, 0, 0x76, 0, 0x7B], "truncated .npy header: needs 128 bytes, file has 11")] {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                S.expectFileError(fragment, path: path) { _ = try NpyFile.readArray(path: path) }
            }
        }
    }

    @Test func writeMatchesNumpySaveByteForByte() throws {
        let expected = try Data(contentsOf: URL(fileURLWithPath: S.npy("numpy_saved_1x2x3x4.npy")))
        let tensor = Tensor(shape: TensorShape(batch: 1, height: 2, width: 3, channels: 4),
                            values: (0..<24).map { Float($0) / 8 - 1 })
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/out.npy"
            try NpyFile.write(tensor, to: path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == expected)
            #expect(try NpyFile.readTensor(path: path) == tensor)
        }
    }

    @Test func headerBytesAreNumpys() {
        let header = NpyFile.header(shape: [1, 2, 3, 4])
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }"
        let expected = NpyFile.magic + [1, 0, 118, 0] + Array(dict.utf8)
            + [UInt8](repeating: 0x20, count: 117 - dict.utf8.count) + [0x0A]
        #expect(header == expected)
        #expect(header.count == 128)
    }

    @Test(arguments: [[1, 1, 1, 1], [1, 4000, 3000, 3], [123456, 7, 8, 9], [], [5], [Int.max, 1, 1, 1]])
    func headerIsAlignedAndParsesBack(_ shape: [Int]) throws {
        let header = NpyFile.header(shape: shape)
        #expect(header.count % 64 == 0)
        #expect(header.last == 0x0A)
        #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
        let parsed = try NpyFile.Header.parse(Array(header[10...]))
        #expect(parsed.shape == shape)
        #expect(parsed.dtype == .float32)
    }

    @Test func writeReadRoundTrip() throws {
        let shape = TensorShape(batch: 2, height: 5, width: 7, channels: 3)
        var rng = SystemRandomNumberGenerator()
        let values = (0..<shape.count).map { _ in Float.random(in: -1e6...1e6, using: &rng) }
        let tensor = Tensor(shape: shape, values: values)
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/round.npy"
            try NpyFile.write(tensor, to: path)
            #expect(try NpyFile.readTensor(path: path) == tensor)
            let array = try NpyFile.readArray(path: path)
            #expect(array.shape == [2, 5, 7, 3])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["round.npy"])
        }
    }

    @Test func writeIntoMissingDirectoryNamesTheFile() throws {
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/no/such/dir/out.npy"
            S.expectFileError("temporary", path: path) {
                try NpyFile.write(Tensor(zeros: TensorShape(batch: 1, height: 1, width: 1, channels: 1)), to: path)
            }
        }
    }
}
