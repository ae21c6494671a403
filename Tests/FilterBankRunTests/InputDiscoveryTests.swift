import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
@testable import FilterBankRun

/// Small trees of files for the batch tests: tiny gray PNGs and other files.
enum BatchFixtures {
    /// Writes an 8-bit gray PNG (`seed` varies the pixels) at `path`, creating its folder.
    static func png(_ path: String, width: Int = 8, height: Int = 6, seed: Int = 0) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let samples = (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ seed &* 11) }
        try samples.withUnsafeBufferPointer { try PNGEncoder.writeGray($0, width: width, height: height, to: path) }
    }

    static func text(_ path: String, _ contents: String = "not an image\n") throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// The files under `directory` (hidden ones included), relative to it, sorted.
    static func files(under directory: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var files: [String] = []
        while let next = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + next, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(next)
            }
        }
        return files.sorted()
    }
}

@Suite("InputDiscovery: files, folders, patterns, lists")
struct InputDiscoveryTests {
    /// in/ with a.png, b.JPG (really a PNG), notes.txt, .hidden.png, sub/c.png, sub/deep/d.npy-named PNG, .git/e.png.
    static func tree() throws -> String {
        let root = try CodecFixtures.temporaryDirectory()
        try BatchFixtures.png(root + "/in/a.png")
        try BatchFixtures.png(root + "/in/b.JPG")
        try BatchFixtures.text(root + "/in/notes.txt")
        try BatchFixtures.png(root + "/in/.hidden.png")
        try BatchFixtures.png(root + "/in/sub/c.png")
        try BatchFixtures.png(root + "/in/sub/deep/d.png")
        try BatchFixtures.png(root + "/in/.git/e.png")
        return root
    }

    static func summary(_ items: [BatchItem]) -> [String] {
        items.map { item in
            let kind = switch item.kind {
            case .input: "input"
            case let .skipped(reason): "skipped(\(reason))"
            case let .failed(reason): "failed(\(reason))"
            }
            return "\(item.key) -> [\(item.outputFolder)] \(kind)"
        }
    }

    @Test func aFolderGivesItsFilesAndCountsTheSubfoldersItDidNotSearch() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let found = InputDiscovery().discover(arguments: [root + "/in"])
        #expect(Self.summary(found.items) == [
            "a.png -> [] input",
            "b.JPG -> [] input",
            "notes.txt -> [] skipped(not a PNG, JPEG or .npy file)",
        ])
        #expect(found.items.map(\.path) == [root + "/in/a.png", root + "/in/b.JPG", root + "/in/notes.txt"])
        #expect(found.unsearchedDirectories == 1)  // sub (hidden .git is not counted)
    }

    @Test func recursiveMirrorsSubfoldersAndPassesOverHiddenOnes() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let found = InputDiscovery(recursive: true).discover(arguments: [root + "/in/"])
        #expect(Self.summary(found.items) == [
            "a.png -> [] input",
            "b.JPG -> [] input",
            "notes.txt -> [] skipped(not a PNG, JPEG or .npy file)",
            "sub/c.png -> [sub] input",
            "sub/deep/d.png -> [sub/deep] input",
        ])
        #expect(found.unsearchedDirectories == 0)
    }

    @Test func theOutputFolderIsNeverSearched() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        // OUTDIR inside the input folder, holding an earlier run's output.
        try BatchFixtures.png(root + "/in/out/a_c0.png")
        let found = InputDiscovery(recursive: true, excludedDirectory: root + "/in/out").discover(arguments: [root + "/in"])
        #expect(!found.items.contains { $0.key.hasPrefix("out/") })
        #expect(found.items.contains { $0.key == "sub/deep/d.png" })
        let pattern = InputDiscovery(excludedDirectory: root + "/in/out").discover(arguments: [root + "/in/**/*.png"])
        #expect(!pattern.items.contains { $0.key.hasPrefix("out/") })
    }

    @Test func symbolicLinksToFoldersAreNotFollowed() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/in/sub/loop", withDestinationPath: root + "/in")
        try FileManager.default.createSymbolicLink(atPath: root + "/in/sub/alias.png", withDestinationPath: root + "/in/a.png")
        let found = InputDiscovery(recursive: true).discover(arguments: [root + "/in"])
        #expect(found.items.map(\.key) == ["a.png", "b.JPG", "notes.txt", "sub/alias.png", "sub/c.png", "sub/deep/d.png"])
        let pattern = InputDiscovery().discover(arguments: [root + "/in/**/*.png"])
        #expect(pattern.items.map(\.key) == ["a.png", "sub/alias.png", "sub/c.png", "sub/deep/d.png"])
    }

    @Test func patternsExpandRelativeToTheirLiteralBase() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let discovery = InputDiscovery()
        // ** matches zero or more folders, never hidden ones; * never matches a leading dot.
        #expect(discovery.discover(arguments: [root + "/in/**/*.png"]).items.map(\.key)
                == ["a.png", "sub/c.png", "sub/deep/d.png"])
        #expect(discovery.discover(arguments: [root + "/in/**/*.png"]).items.map(\.outputFolder)
                == ["", "sub", "sub/deep"])
        #expect(discovery.discover(arguments: [root + "/in/*/*.png"]).items.map(\.key) == ["sub/c.png"])
        #expect(discovery.discover(arguments: [root + "/in/[ab].*"]).items.map(\.key) == ["a.png", "b.JPG"])
        #expect(discovery.discover(arguments: [root + "/in/?.png"]).items.map(\.key) == ["a.png"])
        #expect(discovery.discover(arguments: [root + "/in/.*.png"]).items.map(\.key) == [".hidden.png"])
        // A trailing ** is **/*: every file below.
        #expect(discovery.discover(arguments: [root + "/in/sub/**"]).items.map(\.key) == ["c.png", "deep/d.png"])
        // A folder matched by a pattern without ** is searched like a folder argument.
        #expect(discovery.discover(arguments: [root + "/in/s*"]).items.map(\.key) == ["sub/c.png"])
        #expect(InputDiscovery(recursive: true).discover(arguments: [root + "/in/s*"]).items.map(\.key)
                == ["sub/c.png", "sub/deep/d.png"])
    }

    @Test func aPatternThatMatchesNothingIsAFailedItem() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let found = InputDiscovery().discover(arguments: [root + "/in/**/*.tiff"])
        #expect(found.items.count == 1)
        #expect(found.items.first?.kind == .failed("no file matches this pattern"))
        #expect(found.items.first?.path == root + "/in/**/*.tiff")
    }

    @Test func aMissingFileIsAnInputSoThatProcessingSaysWhy() throws {
        let found = InputDiscovery().discover(arguments: ["/no/such/dir/x.png"])
        #expect(Self.summary(found.items) == ["x.png -> [] input"])
    }

    @Test func namedFilesGoStraightToOUTDIRAndDuplicatesAreDropped() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        let found = InputDiscovery().discover(arguments: [root + "/in/sub/c.png", root + "/in/sub/./c.png",
                                                          root + "/in/notes.txt"],
                                              listed: [root + "/in/a.png", root + "/in/sub/c.png"])
        #expect(Self.summary(found.items) == [
            "c.png -> [] input",
            // Named as an argument: an error that says what it is.
            "notes.txt -> [] failed(a text file by its first bytes: only PNG, JPEG and .npy files are read)",
            "a.png -> [] input",
        ])
    }

    @Test func listLinesAreLiteralPaths() throws {
        let root = try Self.tree()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.text(root + "/list.txt", "\(root)/in/a.png\r\n\n\(root)/in/*.png\n")
        let lines = try InputDiscovery.readList(root + "/list.txt")
        #expect(lines == ["\(root)/in/a.png", "\(root)/in/*.png"])
        let found = InputDiscovery().discover(arguments: [], listed: lines)
        // The second line is not a pattern: a path that does not exist.
        #expect(found.items.map(\.key) == ["a.png", "*.png"])
        #expect(found.items.allSatisfy { $0.isInput })
        #expect(throws: FileError.self) { try InputDiscovery.readList(root + "/no-such-list.txt") }
    }

    @Test func contentDecidesForFilesWithoutAnImageExtension() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/scan")                 // a PNG without extension
        let jpeg = CodecFixtures.path(CodecFixtures.jpegSuite + "/testorig.jpg")
        try FileManager.default.copyItem(atPath: jpeg, toPath: root + "/photo.bin")
        try BatchFixtures.text(root + "/image.png.txt")
        try BatchFixtures.text(root + "/empty.dat", "")
        let found = InputDiscovery().discover(arguments: [root])
        #expect(Self.summary(found.items) == [
            "empty.dat -> [] skipped(not a PNG, JPEG or .npy file)",
            "image.png.txt -> [] skipped(not a PNG, JPEG or .npy file)",
            "photo.bin -> [] input",
            "scan -> [] input",
        ])
    }

    @Test(arguments: [
        ("**/*.jpg", "a.jpg", true), ("**/*.jpg", "x/y/a.jpg", true), ("**/*.jpg", ".x/a.jpg", false),
        ("**/*.jpg", "x/.a.jpg", false), ("*.jpg", "x/a.jpg", false), ("*/a.jpg", "x/a.jpg", true),
        ("a/**/b/*.png", "a/b/c.png", true), ("a/**/b/*.png", "a/x/y/b/c.png", true),
        ("a/**/b/*.png", "a/x/c.png", false), ("[!a]*.png", "b.png", true), ("[!a]*.png", "a.png", false),
        ("x\\*.png", "x*.png", true), ("x\\*.png", "xy.png", false), ("?.png", "ab.png", false),
    ])
    func patternMatching(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(GlobPattern(pattern).matches(relativePath: path) == expected, "\(pattern) vs \(path)")
    }

    @Test func patternBase() {
        #expect(GlobPattern("photos/2019/**/*.jpg").base == "photos/2019")
        #expect(GlobPattern("/data/*/x.png").base == "/data")
        #expect(GlobPattern("*.png").base == "")
        #expect(GlobPattern("a\\ b/*.png").base == "a b")
        #expect(GlobPattern.hasWildcards("a[1].png") && !GlobPattern.hasWildcards("a\\[1].png"))
    }

    @Test func pathText() {
        #expect(PathText.normalize("./a//b/../c/") == "a/c")
        #expect(PathText.normalize("/../a") == "/a")
        #expect(PathText.normalize("../a") == "../a")
        #expect(PathText.normalize("") == ".")
        #expect(PathText.dirname("a/b/c.png") == "a/b")
        #expect(PathText.dirname("c.png") == "")
        #expect(PathText.dirname("/c.png") == "/")
        #expect(PathText.basename("a/b/") == "b")
        #expect(PathText.join("", "x") == "x" && PathText.join("a/", "x") == "a/x" && PathText.join("a", "x") == "a/x")
    }
}

@Suite("OutputConflicts: inputs that would write the same files, or over an input")
struct OutputConflictTests {
    static func items(_ arguments: [String], recursive: Bool = false) -> [BatchItem] {
        InputDiscovery(recursive: recursive).discover(arguments: arguments).items
    }

    @Test func sameStemInDifferentFoldersMirrorsApartButCollidesWhenNamed() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/a/x.png")
        try BatchFixtures.png(root + "/in/b/x.png")
        let job = ApplyJob(outputDirectory: root + "/out")
        #expect(OutputConflicts.check(Self.items([root + "/in"], recursive: true), job: job) == nil)
        let message = OutputConflicts.check(Self.items([root + "/in/a/x.png", root + "/in/b/x.png"]), job: job)
        #expect(message?.contains(root + "/in/a/x.png") == true && message?.contains(root + "/in/b/x.png") == true,
                "\(message ?? "nil")")
        #expect(message?.contains(root + "/out/x_c{channel}.png") == true, "\(message ?? "nil")")
    }

    @Test func twoExtensionsOfOneStemCollide() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/x.png")
        try BatchFixtures.png(root + "/in/x.jpeg")
        var job = ApplyJob(outputDirectory: root + "/out")
        job.output.format = .npy
        let message = OutputConflicts.check(Self.items([root + "/in"]), job: job)
        #expect(message?.contains("/out/x.npy") == true, "\(message ?? "nil")")
    }

    @Test func aTemplateWithoutTheStemPutsEveryInputOfAFolderTogether() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/a/x.png")
        try BatchFixtures.png(root + "/in/b/y.png")
        try BatchFixtures.png(root + "/in/b/z.png")
        var job = ApplyJob(outputDirectory: root + "/out")
        job.output.nameTemplate = try NameTemplate("channel{channel}")
        let message = OutputConflicts.check(Self.items([root + "/in"], recursive: true), job: job)
        #expect(message?.contains("y.png") == true && message?.contains("z.png") == true && message?.contains("{stem}") == true,
                "\(message ?? "nil")")
        #expect(OutputConflicts.check(Self.items([root + "/in/a", root + "/in/b/y.png"]), job: job) != nil)
        #expect(OutputConflicts.check(Self.items([root + "/in/a/x.png"]), job: job) == nil)
    }

    @Test func anOutputFolderThatWouldOverwriteAnInputIsRefused() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/x.png")
        try BatchFixtures.png(root + "/in/x_c1.png")   // what x.png's second channel would be called
        try BatchFixtures.png(root + "/in/y.png")
        let inPlace = ApplyJob(outputDirectory: root + "/in")
        let message = OutputConflicts.check(Self.items([root + "/in"]), job: inPlace)
        #expect(message == "the outputs of \(root)/in/x.png would overwrite the input \(root)/in/x_c1.png: "
                + "choose another output directory")
        // Spelled differently, still the same folder.
        let spelled = ApplyJob(outputDirectory: root + "/in/../in/")
        #expect(OutputConflicts.check(Self.items([root + "/in"]), job: spelled) != nil)
        // Outputs beside the inputs are fine when no name meets an input.
        #expect(OutputConflicts.check(Self.items([root + "/in/y.png"]), job: inPlace) == nil)
        // A batch .npy named x writes x_n0_c0.png, which x_n0.png would write too.
        try BatchFixtures.png(root + "/b/x_n0.png")
        try BatchFixtures.text(root + "/b/x.npy")
        let batch = OutputConflicts.check(Self.items([root + "/b"]), job: ApplyJob(outputDirectory: root + "/out"))
        #expect(batch?.contains("x_n0.png") == true && batch?.contains("x.npy") == true, "\(batch ?? "nil")")
    }

    @Test func montageSheetsDoNotMirrorFolders() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/2019/IMG_1.png")
        try BatchFixtures.png(root + "/in/2020/IMG_1.png")
        try BatchFixtures.png(root + "/in/2020/IMG_2.png")
        var job = ApplyJob(outputDirectory: root + "/out")
        #expect(OutputConflicts.check(Self.items([root + "/in"], recursive: true), job: job) == nil)
        job.output.montage = ApplyJob.Montage(path: root + "/sheets/{stem}.png")
        let message = OutputConflicts.check(Self.items([root + "/in"], recursive: true), job: job)
        #expect(message == "\(root)/in/2019/IMG_1.png and \(root)/in/2020/IMG_1.png would both write the montage "
                + "\(root)/sheets/IMG_1.png: an absolute output.montage.path does not mirror folders; run them separately")
        #expect(OutputConflicts.check(Self.items([root + "/in/2020"]), job: job) == nil)
        job.output.montage = ApplyJob.Montage(path: root + "/sheet.png")
        #expect(OutputConflicts.check(Self.items([root + "/in/2020"]), job: job)?.hasSuffix("put {stem} in output.montage.path") == true)
        // A relative path lies under each input's output folder, which mirrors the input folders.
        job.output.montage = ApplyJob.Montage(path: "sheets/{stem}.png")
        #expect(OutputConflicts.check(Self.items([root + "/in"], recursive: true), job: job) == nil)
        job.output.montage = ApplyJob.Montage(path: "sheet.png")
        let clash = OutputConflicts.check(Self.items([root + "/in/2020"]), job: job)
        #expect(clash?.contains("\(root)/out/sheet.png") == true && clash?.hasSuffix("put {stem} in output.montage.path") == true,
                "\(clash ?? "nil")")
    }

    @Test func templateCaptures() throws {
        let standard = NameTemplate.standard.pieces
        #expect(OutputPattern.captures("x_c1", standard) == ["x"])
        #expect(OutputPattern.captures("x_c1_c2", standard) == ["x_c1"])
        #expect(OutputPattern.captures("x_cy", standard) == [])
        let odd = try NameTemplate("{stem}{channel}").pieces
        #expect(OutputPattern.captures("a10", odd) == ["a", "a1"])
        let kernel = try NameTemplate("{kernel}-{stem}").pieces
        #expect(OutputPattern.captures("sobel-x-photo", kernel) == ["x-photo", "photo"])
    }

    @Test func claimsCatchWhatTheCheckCannotSee() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        try BatchFixtures.png(root + "/in/a1.png")
        try BatchFixtures.png(root + "/in/a.png")
        let items = Self.items([root + "/in"])
        let claims = OutputClaims(items: items)
        #expect(claims.claim([root + "/out/a10.png", root + "/out/a11.png"], for: 1, of: items) == nil)
        let clash = claims.claim([root + "/out/./a10.png"], for: 0, of: items)
        #expect(clash == "output \(root)/out/./a10.png is also an output of \(root)/in/a1.png", "\(clash ?? "nil")")
        // An output that is another input of the run.
        let overInput = claims.claim([root + "/in/a1.png"], for: 0, of: items)
        #expect(overInput == "output \(root)/in/a1.png would overwrite the input \(root)/in/a1.png")
    }
}
