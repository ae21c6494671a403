import Foundation
import Testing
import FilterBankIO

/// `-` as the input and as the output folder (helpers from EndToEndTests.swift).
@Suite(.serialized) struct StandardStreamsTests {
    /// Runs the binary with `stdin` (a file) as standard input; standard output as bytes.
    static func run(_ arguments: [String], stdin: String?) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = arguments
        let out = Pipe()
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("filterbank-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errPath.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errPath) }
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errPath)
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin)) }
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = try Data(contentsOf: errPath)
        return (process.terminationStatus, outData, String(decoding: errData, as: UTF8.self))
    }

    /// The example: a JPEG through stdin, one channel out as PNG on stdout, the same
    /// bytes a file run writes.
    @Test func aJpegInAPngOut() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = sample("jpeg-baseline-444-rocket.jpg")
        let piped = try Self.run(["apply", "-", "-o", "-", "--kernel", "log:2", "--gray"], stdin: photo)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stderr.isEmpty, "\(piped.stderr)")
        #expect(piped.stdout.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let file = try runFilterbank(["apply", photo, "-o", dir.path, "--kernel", "log:2", "--gray", "-q"])
        #expect(file.status == 0)
        let written = try Data(contentsOf: dir.appendingPathComponent("jpeg-baseline-444-rocket_c0.png"))
        #expect(piped.stdout == written)
    }

    @Test func standardInputToAFolderIsNamedStdin() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Self.run(["apply", "-", "-o", dir.path], stdin: sample("png-rgb8-coffee.png"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
                == (0..<6).map { "stdin_c\($0).png" })
        let named = try Self.run(["apply", "-", "-o", dir.path + "/n", "--name", "cup_{channel}", "--format", "jpeg"],
                                 stdin: sample("png-rgb8-coffee.png"))
        #expect(named.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/n").sorted().first == "cup_0.jpg")
        // A .npy on standard input is told by its bytes too.
        let npy = packageRoot.appendingPathComponent("Tests/Fixtures/weights/input_7x9x3.npy").path
        let array = try Self.run(["apply", "-", "-o", "-", "--format", "npy"], stdin: npy)
        #expect(array.status == 0 && array.stdout.starts(with: [0x93] + Array("NUMPY".utf8)), "\(array.stderr)")
    }

    /// A contact sheet is one output; several channels are a usage error that counts them;
    /// a TIFF on standard input fails like a named TIFF.
    @Test func oneOutputOrAUsageError() throws {
        let photo = sample("png-rgb8-coffee.png")
        let sheet = try Self.run(["apply", "-", "-o", "-", "--montage", "sheet.png"], stdin: photo)
        #expect(sheet.status == 0, "\(sheet.stderr)")
        #expect(sheet.stdout.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let many = try Self.run(["apply", photo, "-o", "-"], stdin: nil)
        #expect(many.status == 64)
        #expect(many.stderr == "filterbank: error: \(photo): would write 6 files (6 output channels of 1 image); "
                + "-o - writes exactly one: a bank with one output, or a contact sheet\n", "\(many.stderr)")
        #expect(many.stdout.isEmpty)
        let two = try Self.run(["apply", photo, photo, "-o", "-"], stdin: nil)
        #expect(two.status == 64 && two.stderr.contains("-o - writes one output to standard output: give one input file"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tiff = dir.appendingPathComponent("x.tif").path
        try Data(Array("MM\u{0}*".utf8) + [UInt8](repeating: 0, count: 12)).write(to: URL(fileURLWithPath: tiff))
        let wrong = try Self.run(["apply", "-", "-o", dir.path + "/out"], stdin: tiff)
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "filterbank: error: standard input: a TIFF image by its first bytes: only PNG, JPEG and .npy are read\n")
        // No folder named "-" is ever made, and no temporary folder is left behind.
        #expect(!FileManager.default.fileExists(atPath: "-"))
    }
}
