import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

private typealias S = BankIOTestSupport

/// `.npz` archives (`numpy.savez`, `numpy.savez_compressed`) and the zip reader under them.
@Suite struct NpzTests {
    /// Values printed by NumPy from the fixture script (Tests/Fixtures/banks/README.md).
    static let dwFirstKernel: [Float] = [-0.95684475, -0.1355264, -0.76224244, 0.43514812, -0.05634663,
                                         -0.39563626, 0.05369896, -0.36206022, 0.7461461]
    static let pwFirstRow: [Float] = [-0.18553807, -0.342676, 0.00279802, 0.61968404]
    static let bias: [Float] = [0.5, -0.25, 0, 1]

    static func spec(_ name: String, layout: WeightLayout = .tf) throws -> BankSpec {
        try BankFile.loadNpz(path: S.bank(name), layout: layout).spec(channels: 3)
    }

    @Test func readsStoredAndDeflatedArchivesAlike() throws {
        let stored = try NpzFile.readArrays(path: S.bank("bank_savez.npz"))
        let deflated = try NpzFile.readArrays(path: S.bank("keras_separable.npz"))
        #expect(stored.map(\.name) == ["depthwise", "pointwise", "bias"])
        #expect(deflated.map(\.name) == ["depthwise_kernel", "pointwise_kernel", "bias"])
        #expect(stored.map(\.array) == deflated.map(\.array))
        #expect(stored[0].array.shape == [3, 3, 3, 2] && stored[1].array.shape == [1, 1, 6, 4] && stored[2].array.shape == [4])
    }

    @Test func aKerasSeparableExportIsASeparableBankWithBias() throws {
        let keras = try Self.spec("keras_separable.npz")
        #expect(keras == (try Self.spec("bank_savez.npz")))
        #expect(keras.depthwise.shape == [3, 3, 3, 2] && keras.pointwise?.shape == [1, 1, 6, 4])
        // NumPy prints the shortest digits that identify a float32 in *its* repr; compare to 1 ulp-ish.
        for (got, want) in zip(keras.depthwise.kernel(channel: 0, slot: 0), Self.dwFirstKernel) { #expect(abs(got - want) < 1e-7) }
        for (got, want) in zip(keras.pointwise!.values.prefix(4), Self.pwFirstRow) { #expect(abs(got - want) < 1e-7) }
        #expect(keras.bias == Self.bias)
        #expect(keras.strides == nil && keras.padding == nil && keras.dilations == nil)
        let bank = try keras.resolve(strides: nil, dilations: nil, padding: nil)
        #expect(bank.kind == .separable && bank.bias == Self.bias)
    }

    @Test func aKerasDepthwiseExportHasOneBiasPerDepthwiseChannel() throws {
        let spec = try Self.spec("keras_depthwise.npz")
        #expect(spec.pointwise == nil)
        #expect(spec.bias == [0, 0.1, 0.2, 0.3, 0.4, 0.5].map { Float($0) })
    }

    @Test func zip64RecordsAreUnderstood() throws {
        #expect(try Self.spec("zip64.npz") == (try Self.spec("keras_depthwise.npz")))
    }

    @Test(arguments: [
        ("bad_truncated.npz", ["truncated or damaged zip archive: no end-of-central-directory record at its end"]),
        ("bad_crc.npz", ["entry 'depthwise.npy' fails its CRC-32 check (stored 0x", "the archive is corrupt"]),
        ("bad_deflate.npz", ["entry 'depthwise_kernel.npy': invalid block type"]),
        ("bad_method.npz", ["entry 'depthwise.npy' uses compression method 12; supported: 0 (stored, numpy.savez) and 8 (deflate, numpy.savez_compressed)"]),
        ("bad_dtype.npz", ["entry 'depthwise.npy': unsupported dtype '<i8'"]),
        ("bad_big_endian.npz", ["entry 'depthwise.npy': big-endian float32 is not supported"]),
        ("bad_truncated_entry.npz", ["entry 'depthwise.npy': truncated data: shape [6, 1, 3, 3] float32 needs 216 bytes, file has 208"]),
        ("bad_missing_depthwise.npz", ["missing the depthwise filter: expected an array named 'depthwise' or 'depthwise_kernel' (found: pointwise, bias)"]),
        ("bad_unknown_array.npz", ["unknown array 'weights' (allowed: depthwise, depthwise_kernel, pointwise, pointwise_kernel, bias, arr_0, arr_1, arr_2 (Keras get_weights order)"]),
        ("bad_bias_rank.npz", ["'bias': the bias must have rank 1 [outputs], got shape [2, 2]"]),
        ("bad_nan.npz", ["'depthwise': value at flat index 5 is not finite (NaN or infinity)"]),
        ("separable.json", ["not a zip archive (.npz): it does not start with a zip signature"]),
    ] as [(String, [String])])
    func malformedArchivesFailWithOneLineNamingTheFile(_ name: String, _ fragments: [String]) {
        let path = S.bank(name)
        let error = #expect(throws: FileError.self) { _ = try BankFile.loadNpz(path: path, layout: .tf) }
        guard let error else { return }
        #expect(error.path == path)
        #expect(!error.description.contains("\n"))
        for fragment in fragments { #expect(error.description.contains(fragment), "\(error.description)") }
    }

    // MARK: - Damage made here, byte by byte

    static func savezBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: S.bank("bank_savez.npz")))) }

    static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xFF) }
    }

    static func get32(_ bytes: [UInt8], _ offset: Int) -> Int {
        (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }

    /// `bank_savez.npz` with `change` applied; the end record is its last 22 bytes and the
    /// first central directory entry starts where the end record says.
    static func damaged(_ change: (inout [UInt8], _ eocd: Int, _ firstEntry: Int) -> Void) throws -> [UInt8] {
        var bytes = try savezBytes()
        let eocd = bytes.count - 22
        change(&bytes, eocd, get32(bytes, eocd + 16))
        return bytes
    }

    static func expectDamage(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: FileError.self, sourceLocation: sourceLocation) {
            _ = try NpzFile.decode(bytes: bytes, path: "made.npz")
        }
        #expect(error?.path == "made.npz", sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
    }

    @Test func everyOffsetAndSizeIsChecked() throws {
        Self.expectDamage([], "not a zip archive")
        Self.expectDamage(Array("PK\u{3}\u{4} and nothing else".utf8), "no end-of-central-directory record")
        Self.expectDamage(try Self.damaged { b, eocd, _ in Self.put32(&b, eocd + 16, 0xFFFF_FF00) },
                          "the central directory (offset 4294967040, 172 bytes) runs past its end record at 1068")
        Self.expectDamage(try Self.damaged { b, eocd, _ in b[eocd + 8] = 0xFF; b[eocd + 9] = 0xFF; b[eocd + 10] = 0xFF; b[eocd + 11] = 0xFF },
                          "the zip archive claims 65535 entries, more than the 10000 accepted")
        Self.expectDamage(try Self.damaged { b, eocd, _ in b[eocd + 10] = 4; b[eocd + 8] = 4 },
                          "central directory entry 3")
        Self.expectDamage(try Self.damaged { b, _, p in Self.put32(&b, p + 20, 0x7FFF_FFFF); Self.put32(&b, p + 24, 0x7FFF_FFFF) },
                          "entry 'depthwise.npy' claims 2147483647 bytes, more than the 1073741824 accepted")
        Self.expectDamage(try Self.damaged { b, _, p in Self.put32(&b, p + 20, 100_000); Self.put32(&b, p + 24, 100_000) },
                          "entry 'depthwise.npy' claims 100000 compressed bytes, more than the file holds (1090)")
        Self.expectDamage(try Self.damaged { b, _, p in Self.put32(&b, p + 24, 345) },
                          "stored entry 'depthwise.npy' has compressed size 344 but size 345")
        Self.expectDamage(try Self.damaged { b, _, p in Self.put32(&b, p + 42, 5) },
                          "entry 'depthwise.npy' has no local header at offset 5")
        Self.expectDamage(try Self.damaged { b, _, p in Self.put32(&b, p + 42, 1080) },
                          "truncated zip archive: the local header of 'depthwise.npy' at offset 1080 runs past the end of the file (1090 bytes)")
        Self.expectDamage(try Self.damaged { b, _, p in b[p + 8] |= 1 }, "entry 'depthwise.npy' is encrypted")
        Self.expectDamage(try Self.damaged { b, _, p in b[p] = 0 }, "central directory entry 0 at offset")
        Self.expectDamage(try Self.damaged { b, _, p in b[p + 46] = UInt8(ascii: "D") },
                          "the local header of 'Depthwise.npy' names another file")
        Self.expectDamage(try Self.damaged { b, _, p in
            // Name the second entry like the first.
            let second = p + 46 + 13 + (Int(b[p + 30]) | Int(b[p + 31]) << 8) + (Int(b[p + 32]) | Int(b[p + 33]) << 8)
            for (i, c) in "depthwise".utf8.enumerated() { b[second + 46 + i] = c }
        }, "holds two entries named 'depthwise.npy'")
    }

    /// Random damage never traps: every mutated or cut archive either still decodes or throws a
    /// one-line error naming it.
    @Test(arguments: ["bank_savez.npz", "keras_separable.npz", "zip64.npz"])
    func randomDamageIsAlwaysAnErrorNeverACrash(_ name: String) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: S.bank(name))))
        var rng = SystemRandomNumberGenerator()
        var failures = 0
        for trial in 0..<400 {
            var bytes = original
            if trial % 4 == 0 {
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            do {
                _ = try NpzFile.decode(bytes: bytes, path: "fuzz.npz")
            } catch {
                failures += 1
                #expect(error.path == "fuzz.npz" && !error.description.contains("\n"))
            }
        }
        #expect(failures > 100)
    }
}
