import Foundation
import Synchronization
import Testing
import FilterBankTestSupport
@testable import FilterBankIO

private typealias S = BankIOTestSupport

/// `TemporaryFiles`: what an interrupted run removes before it exits.
@Suite struct TemporaryFilesTests {
    private static func hidden(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.sorted()
    }

    private static func createFile(_ staged: StagedFiles, _ final: String, bytes: [UInt8] = [1, 2, 3]) throws(FileError) {
        let file = try staged.createFile(final)
        try file.write(bytes)
        try file.close()
    }

    @Test func stagedFilesAreRecordedUntilCommittedOrDiscarded() throws {
        try S.withTemporaryDirectory { dir throws in
            let registry = TemporaryFiles()
            let kept = StagedFiles(registry: registry), dropped = StagedFiles(registry: registry)
            try Self.createFile(kept, dir + "/a.bin")
            try Self.createFile(dropped, dir + "/b.bin")
            #expect(registry.paths.count == 2)
            #expect(Set(try Self.hidden(dir).map { dir + "/" + $0 }) == registry.paths)
            #expect(try kept.commit() == [dir + "/a.bin"])
            #expect(registry.paths.count == 1)
            dropped.discard()
            #expect(registry.paths.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
        }
    }

    @Test func removeAllRemovesTheFilesAndRefusesNewOnes() throws {
        try S.withTemporaryDirectory { dir throws in
            let registry = TemporaryFiles()
            let staged = StagedFiles(registry: registry)
            try Self.createFile(staged, dir + "/a.bin")
            try Self.createFile(staged, dir + "/b.bin")
            #expect(registry.removeAll() == 2)
            #expect(try Self.hidden(dir).isEmpty)
            S.expectFileError("not created: the run was interrupted", path: nil) {
                try Self.createFile(StagedFiles(registry: registry), dir + "/c.bin")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    /// A removal that comes while a file is being created waits for it and
    /// removes it: creating and recording are one step.
    @Test func removeAllWaitsForACreationInProgress() throws {
        try S.withTemporaryDirectory { dir throws in
            let registry = TemporaryFiles()
            let inside = Atomic<Bool>(false), removing = Atomic<Bool>(false)
            let removed = Atomic<Bool>(false), done = Atomic<Bool>(false)
            Thread {
                defer { done.store(true, ordering: .releasing) }
                let staged = StagedFiles(registry: registry)
                _ = try? staged.create(dir + "/slow.bin") { (temporary) throws(FileError) in
                    let file = try OpenFile.createNew(temporary)
                    inside.store(true, ordering: .releasing)
                    while !removing.load(ordering: .acquiring) { usleep(100) }
                    usleep(50_000)   // the removal has started meanwhile, and waits
                    return file
                }
                // Kept until the removal is over: discarding it would remove the file too.
                while !removed.load(ordering: .acquiring) { usleep(100) }
                withExtendedLifetime(staged) {}
            }.start()
            while !inside.load(ordering: .acquiring) { usleep(100) }
            removing.store(true, ordering: .releasing)
            #expect(registry.removeAll() == 1)
            #expect(try Self.hidden(dir).isEmpty)
            removed.store(true, ordering: .releasing)
            while !done.load(ordering: .acquiring) { usleep(100) }
        }
    }

    /// Workers keep creating files while `removeAll()` runs: none is left
    /// behind, whatever the timing (a listing of the folder taken at the
    /// moment of the removal would miss the files created just after it).
    @Test(arguments: 0..<8)
    func noFileOutlivesRemoveAllWhileWorkersCreate(_ round: Int) throws {
        try S.withTemporaryDirectory { dir throws in
            let registry = TemporaryFiles()
            let created = Atomic<Int>(0), finished = Atomic<Int>(0)
            // Threads of their own: pool threads could all be busy with other tests.
            for worker in 0..<3 {
                Thread {
                    defer { finished.add(1, ordering: .releasing) }
                    for n in 0... {
                        let staged = StagedFiles(registry: registry)
                        do {
                            try Self.createFile(staged, dir + "/w\(worker)-\(n).bin")
                            created.add(1, ordering: .relaxed)
                            try Self.createFile(staged, dir + "/w\(worker)-\(n)-second.bin")
                            created.add(1, ordering: .relaxed)
                            if n % 2 == 0 { _ = try staged.commit() }
                        } catch {
                            return   // the registry refuses: the run is over
                        }
                    }
                }.start()
            }
            while created.load(ordering: .relaxed) < 20 + round * 10 && finished.load(ordering: .acquiring) == 0 {
                usleep(100)
            }
            #expect(finished.load(ordering: .acquiring) == 0, "a worker stopped before the removal")
            registry.removeAll()
            while finished.load(ordering: .acquiring) < 3 { usleep(100) }
            #expect(try Self.hidden(dir).isEmpty, "temporary files left behind")
        }
    }
}

/// Temporary names nobody can predict, created without following links, and
/// the removal of those that killed runs left behind.
@Suite struct TemporaryNameTests {
    /// A process id that is not running: a child that has exited and been reaped.
    private static func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    private static func stale(_ dir: String, _ final: String, pid: Int32, host: String = TemporaryName.host) -> String {
        dir + "/.\(final).tmp-\(host)-\(pid)-0123456789abcdef"
    }

    @Test func namesAreRandomHiddenAndParseBack() {
        let a = TemporaryName.make(for: "/x/out.png"), b = TemporaryName.make(for: "/x/out.png")
        #expect(a != b)
        #expect(a.hasPrefix("/x/.out.png.tmp-\(TemporaryName.host)-\(getpid())-"))
        let parsed = TemporaryName.parse(String(a.dropFirst(3)))
        #expect(parsed?.final == "out.png" && parsed?.pid == getpid() && parsed?.host == TemporaryName.host)
        // Names that are not of the form are never taken for temporary files.
        for name in ["out.png", ".out.png.tmp-1-2", ".out.png.tmp-4049c22c-12-xyz", ".tmp-4049c22c-12-0123456789abcdef",
                     ".a.tmp-4049c22c--5-0123456789abcdef", ".a.tmp-4049c22c-0-0123456789abcdef"] {
            #expect(TemporaryName.parse(name) == nil, "\(name)")
        }
    }

    @Test func creationNeverFollowsALinkAndNeverReplacesAFile() throws {
        try S.withTemporaryDirectory { dir throws in
            let victim = dir + "/victim.txt"
            try Data("secret".utf8).write(to: URL(fileURLWithPath: victim))
            try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: victim)
            S.expectFileError("cannot create", "exists", path: dir + "/link") { _ = try OpenFile.createNew(dir + "/link") }
            S.expectFileError("cannot create", path: dir + "/link") { _ = try OpenFile.createOrTruncate(dir + "/link") }
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret")
            // The public encoders, given a path, refuse a link there too.
            let pixels: [UInt8] = [1, 2, 3, 4]
            #expect(throws: ImageError.self) {
                try pixels.withUnsafeBufferPointer { try PNGEncoder.writeGray($0, width: 2, height: 2, to: dir + "/link") }
            }
            #expect(throws: ImageError.self) {
                try pixels.withUnsafeBufferPointer { try JPEGEncoder.writeGray($0, width: 2, height: 2, to: dir + "/link") }
            }
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret")
        }
    }

    @Test func staleFilesOfKilledRunsAreRemovedAndNothingElse() throws {
        try S.withTemporaryDirectory { dir throws in
            let victim = dir + "/victim.txt"
            try Data("secret".utf8).write(to: URL(fileURLWithPath: victim))
            let dead = try Self.deadPid()
            let staleFile = Self.stale(dir, "a.png", pid: dead)
            let staleLink = Self.stale(dir, "a.png", pid: dead).replacingOccurrences(of: "0123", with: "4567")
            let live = Self.stale(dir, "a.png", pid: getpid())             // this process: alive
            let otherHost = Self.stale(dir, "a.png", pid: dead, host: "00000000")
            let otherOutput = Self.stale(dir, "b.png", pid: dead)
            for file in [staleFile, live, otherHost, otherOutput] {
                try Data([1]).write(to: URL(fileURLWithPath: file))
            }
            try FileManager.default.createSymbolicLink(atPath: staleLink, withDestinationPath: victim)
            let staged = StagedFiles(registry: TemporaryFiles())
            let file = try staged.createFile(dir + "/a.png")
            try file.close()
            _ = try staged.commit()
            let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
            #expect(!left.contains(PathText.basename(staleFile)) && !left.contains(PathText.basename(staleLink)))
            for kept in [live, otherHost, otherOutput] { #expect(left.contains(PathText.basename(kept)), "\(kept)") }
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret")
        }
    }

    @Test func aLinkPlantedInPlaceOfATemporaryFileIsNeverMovedIntoPlace() throws {
        try S.withTemporaryDirectory { dir throws in
            let victim = dir + "/victim.txt"
            try Data("secret".utf8).write(to: URL(fileURLWithPath: victim))
            let registry = TemporaryFiles()
            let staged = StagedFiles(registry: registry)
            let file = try staged.createFile(dir + "/out.png")
            try file.close()
            let temporary = try #require(registry.paths.first)
            try FileManager.default.removeItem(atPath: temporary)
            try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: victim)
            S.expectFileError("was replaced by something else", path: dir + "/out.png") { _ = try staged.commit() }
            #expect(!FilePaths.exists(dir + "/out.png"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["victim.txt"])
        }
    }
}
