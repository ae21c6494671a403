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
