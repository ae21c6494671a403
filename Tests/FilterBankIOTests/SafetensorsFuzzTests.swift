import Foundation
import Testing
import FilterBankIO
import FilterBankKit

/// The fuzz test's treatment (FuzzTests.swift: `FuzzRun`, `ByteMutations`,
/// `JSONMutations`) for `.safetensors`: the fixture's bytes, its length field
/// and its JSON header mutated; every case must give a value or a one-line
/// `FileError` naming the file, read every tensor it can and make the banks
/// its layers make, within the time limit and without leaving a file open.
@Suite struct SafetensorsFuzzTests {
    static let file = "Tests/Fixtures/weights/model.safetensors"

    static func cases(of original: [UInt8], count: Int) -> [FuzzCase] {
        var rng = FuzzRandom(seed: FuzzCorpus.seed(file))
        var out: [FuzzCase] = []
        let length = Int(original[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = Array(original[8..<(8 + length)]), data = Array(original[(8 + length)...])
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
        for value: UInt64 in [0, 1, 2, UInt64(length) - 1, UInt64(length) + 1, UInt64(original.count), 100_000_001, 1 << 63, .max] {
            out.append(FuzzCase(name: "length \(value)", bytes: le64(value) + header + data))
        }
        for cut in [0, 4, 8, 9, 8 + length / 2, 8 + length, original.count - 1] {
            out.append(FuzzCase(name: "truncate at \(cut)", bytes: Array(original[..<cut])))
        }
        for mutation in JSONMutations.cases(of: header, file: file, count: count / 2) {
            out.append(FuzzCase(name: "header: " + mutation.name, bytes: le64(UInt64(mutation.bytes.count)) + mutation.bytes + data))
        }
        while out.count < count {
            let (name, bytes) = ByteMutations.random(original, &rng)
            out.append(FuzzCase(name: "bytes: \(name)", bytes: bytes))
        }
        return out
    }

    @Test func mutatedSafetensorsFailWithOneLine() throws {
        let original = try FuzzCorpus.bytes(Self.file)
        var run = try FuzzRun(file: Self.file)
        defer { run.finish() }
        let choices = [LayerChoice(), LayerChoice(layer: "features.1.dw", pointwiseLayer: "features.1.pw"),
                       LayerChoice(layer: "features.2")]
        for mutation in Self.cases(of: original, count: 240) {
            let path = run.path
            let (opened, tensors, banks) = run.run(mutation.bytes, name: mutation.name) {
                let opened = Result { () throws(FileError) in try SafetensorsFile.open(path: path) }
                let tensors = (try? opened.get()).map { file in file.entries.map { entry in Result { () throws(FileError) in try file.read(entry) } } } ?? []
                let banks = choices.map { choice in Result { () throws(FileError) in try BankFile.source(path: path, layout: nil, layers: choice) } }
                return (opened, tensors, banks)
            }
            switch opened {
            case .success: run.successes += 1
            case let .failure(e):
                run.failures += 1
                run.checkError(mutation.name, mutation.bytes, path: e.path, message: e.message, description: e.description)
            }
            let errors = tensors.compactMap { r -> FileError? in if case let .failure(e) = r { e } else { nil } }
                + banks.compactMap { r -> FileError? in if case let .failure(e) = r { e } else { nil } }
            for e in errors {
                run.checkError(mutation.name, mutation.bytes, path: e.path, message: e.message, description: e.description)
            }
            for case let .success(source) in banks {
                for channels in [1, 3] { _ = try? source.spec(channels: channels) }
            }
        }
    }
}
