import Foundation
import Testing
import FilterBankIO

// What the test targets share: fixture paths, temporary directories, and the
// check that a failure is one clear `FileError` line.

/// Fixture paths and temporary files for the codec, discovery and batch suites.
public enum CodecFixtures {
    /// The package root: this file is `<root>/Tests/TestSupport/TestSupport.swift`.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Sorted names of the files in `directory` (relative to the root) ending in `suffix`.
    public static func names(in directory: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(directory))) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    public static let pngSuite = "Tests/Fixtures/conformance/pngsuite"
    public static let crashers = "Tests/Fixtures/conformance/libpng-crashers"
    public static let jpegSuite = "Tests/Fixtures/conformance/jpeg"
    public static let images = "Tests/Fixtures/images"

    /// A fresh empty directory under the system's temporary directory.
    public static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("filterbank-codec-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Removes a directory made by `temporaryDirectory()` (use in a `defer`).
    public static func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes the first `fraction` of `source`'s bytes to a new file in `directory`.
    public static func truncatedCopy(of source: String, fraction: Double, in directory: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let target = directory + "/truncated-" + URL(fileURLWithPath: source).lastPathComponent
        try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// Fixture paths, temporary directories and the error check shared by the
/// NpyFile, BankFile, OutputNaming and AtomicFile suites.
public enum BankIOTestSupport {
    public static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func npy(_ name: String) -> String { fixtures.appendingPathComponent("npy/\(name)").path }
    public static func bank(_ name: String) -> String { fixtures.appendingPathComponent("banks/\(name)").path }
    public static func weights(_ name: String) -> String { fixtures.appendingPathComponent("weights/\(name)").path }

    /// A fresh empty directory, removed after `body`.
    public static func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("bankio-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    /// Expects `body` to throw a `FileError` about `path` (when given) whose
    /// one-line description starts with the path and contains every fragment.
    public static func expectFileError(_ fragments: String..., path: String? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation,
                                _ body: () throws -> Void) {
        let error = #expect(throws: FileError.self, sourceLocation: sourceLocation) { try body() }
        guard let error else { return }
        if let path { #expect(error.path == path, sourceLocation: sourceLocation) }
        #expect(error.description.hasPrefix(error.path + ": "), sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "\(error.description)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "\(error.description)", sourceLocation: sourceLocation)
        }
    }
}
