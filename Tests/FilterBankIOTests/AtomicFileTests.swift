import Foundation
import Synchronization
import Testing
import FilterBankTestSupport
@testable import FilterBankIO

private typealias S = BankIOTestSupport

private struct BodyFailure: Error, CustomStringConvertible {
    var description: String { "the body failed" }
}

private func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

private func listing(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
}

@Suite struct AtomicFileTests {
    @Test func writesBytesAndDataLeavingNoTemporaryFile() throws {
        try S.withTemporaryDirectory { dir throws in
            try AtomicFile.write([1, 2, 3], to: dir + "/a.bin")
            try AtomicFile.write(Data([4, 5]), to: dir + "/b.bin")
            try AtomicFile.write([UInt8](), to: dir + "/empty.bin")
            #expect(contents(dir + "/a.bin") == [1, 2, 3])
            #expect(contents(dir + "/b.bin") == [4, 5])
            #expect(contents(dir + "/empty.bin") == [])
            #expect(try listing(dir) == ["a.bin", "b.bin", "empty.bin"])
        }
    }

    @Test func temporaryFileIsHiddenBesideTheTarget() throws {
        try S.withTemporaryDirectory { dir throws in
            var seen: [String] = []
            for _ in 0..<2 {
                try AtomicFile.write(to: dir + "/out.png") { temporary in
                    seen.append(temporary)
                    try Data([9]).write(to: URL(fileURLWithPath: temporary))
                }
            }
            #expect(seen.count == 2 && seen[0] != seen[1])
            for temporary in seen {
                #expect(temporary.hasPrefix(dir + "/.out.png.tmp-\(TemporaryName.host)-\(getpid())-"))
                #expect(TemporaryName.parse(String(temporary.dropFirst(dir.count + 1)))?.final == "out.png")
            }
            #expect(try listing(dir) == ["out.png"])
        }
    }

    @Test func throwingBodyLeavesNeitherTemporaryNorFinalFile() throws {
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/out.bin"
            S.expectFileError("the body failed", path: path) {
                try AtomicFile.write(to: path) { temporary in
                    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: temporary))
                    throw BodyFailure()
                }
            }
            #expect(try listing(dir) == [])
        }
    }

    @Test func existingFileIsReplacedOnlyOnSuccess() throws {
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/out.bin"
            try AtomicFile.write([1], to: path)
            S.expectFileError("the body failed", path: path) {
                try AtomicFile.write(to: path) { temporary in
                    try Data([2, 2]).write(to: URL(fileURLWithPath: temporary))
                    throw BodyFailure()
                }
            }
            #expect(contents(path) == [1])
            try AtomicFile.write([3, 3, 3], to: path)
            #expect(contents(path) == [3, 3, 3])
            #expect(try listing(dir) == ["out.bin"])
        }
    }

    @Test func errorsNamingTheTemporaryFileNameTheFinalOne() throws {
        try S.withTemporaryDirectory { dir throws in
            let path = dir + "/out.png"
            S.expectFileError("libpng says no", path: path) {
                try AtomicFile.write(to: path) { temporary in
                    throw FileError(path: temporary, message: "libpng says no")
                }
            }
            S.expectFileError("cannot move the temporary file into place", path: path) {
                try AtomicFile.write(to: path) { _ in }   // never creates the file
            }
            #expect(try listing(dir) == [])
        }
    }

    @Test func failuresNameTheFinalPath() throws {
        try S.withTemporaryDirectory { dir throws in
            let missing = dir + "/missing/out.bin"
            S.expectFileError("cannot create temporary file", path: missing) { try AtomicFile.write([1], to: missing) }
            try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: false)
            S.expectFileError("cannot move the temporary file into place", path: dir + "/sub") {
                try AtomicFile.write([1], to: dir + "/sub")
            }
            S.expectFileError("not a file path", path: dir + "/") { try AtomicFile.write([1], to: dir + "/") }
            #expect(try listing(dir) == ["sub"])
            #expect(try listing(dir + "/sub") == [])
        }
    }

    @Test func concurrentWritersUseDistinctTemporaryFiles() throws {
        try S.withTemporaryDirectory { dir throws in
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 64) { i in
                let payload = [UInt8](repeating: UInt8(i), count: 4096)
                do {
                    try AtomicFile.write(payload, to: dir + "/own-\(i).bin")
                    try AtomicFile.write(payload, to: dir + "/shared.bin")
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            let names = try listing(dir)
            #expect(names.count == 65)
            #expect(!names.contains { $0.hasPrefix(".") })
            let shared = try #require(contents(dir + "/shared.bin"))
            #expect(shared.count == 4096 && Set(shared).count == 1)   // one writer's complete content
        }
    }

    @Test func createDirectory() throws {
        try S.withTemporaryDirectory { dir throws in
            let nested = dir + "/a/b/c"
            try AtomicFile.createDirectory(nested)
            try AtomicFile.createDirectory(nested)   // existing directory: fine
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory) && isDirectory.boolValue)
            try AtomicFile.write([1], to: dir + "/file")
            S.expectFileError("exists and is not a directory", path: dir + "/file") {
                try AtomicFile.createDirectory(dir + "/file")
            }
            S.expectFileError("cannot create directory: \(dir)/file is not a directory", path: dir + "/file/below/more") {
                try AtomicFile.createDirectory(dir + "/file/below/more")
            }
            // Relative paths and repeated or trailing slashes.
            let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
            let relative = String(repeating: "../", count: depth) + dir.dropFirst()
            try AtomicFile.createDirectory(relative + "//rel/x/")
            #expect(FileManager.default.fileExists(atPath: dir + "/rel/x"))
            // Many threads creating overlapping trees at once.
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 16) { i in
                do { try AtomicFile.createDirectory(dir + "/par/\(i % 4)/\(i)") } catch { failures.withLock { $0 += 1 } }
            }
            #expect(failures.withLock { $0 } == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/par").count == 4)
        }
    }
}

