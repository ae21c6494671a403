import FilterBankIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One thing a batch run found among its inputs: a file to process, a file
/// it skips, or an argument it cannot use.
public struct BatchItem: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A PNG, JPEG or `.npy` file to process (or a named path that does
        /// not exist: processing it reports the error).
        case input
        /// Not processed, with the reason (e.g. "not a PNG, JPEG or .npy file").
        case skipped(String)
        /// Cannot be used (e.g. a pattern that matches nothing), with the reason.
        case failed(String)
    }

    /// The path to open, spelled from the argument it came from.
    public let path: String
    /// The path relative to what it was found in: under a directory
    /// argument or a pattern's base, the path below it (`2019/a.jpg`); for a
    /// file named by itself (an argument or a `--from` line), its file name.
    /// Shards hash this, and collisions are reported with it.
    public let key: String
    /// The folder under OUTDIR that receives the outputs: the key's folder
    /// (`2019`), so outputs mirror the tree they came from; "" for OUTDIR itself.
    public let outputFolder: String
    public let kind: Kind
    /// Device and inode of an existing input (to tell that an output would overwrite it).
    let identity: FileIdentity?
    /// Its size in bytes when found (0 when unknown): weighs it in the progress estimate.
    let size: Int

    init(path: String, key: String, outputFolder: String, kind: Kind, identity: FileIdentity? = nil, size: Int = 0) {
        self.path = path
        self.key = key
        self.outputFolder = outputFolder
        self.kind = kind
        self.identity = identity
        self.size = size
    }

    public var isInput: Bool { kind == .input }
}

/// What `InputDiscovery` found.
public struct DiscoveredInputs: Sendable {
    /// In the order found: arguments first (each directory or pattern in name
    /// order), then `--from` lines. A path found twice the same way is listed once.
    public var items: [BatchItem] = []
    /// Subdirectories of directory arguments that were not searched (no `--recursive`).
    public var unsearchedDirectories = 0
}

/// Turns a run's arguments and `--from` lines into the list of files to
/// process, without opening any image.
///
/// - A file argument is an input under its own name (outputs go straight into
///   OUTDIR). A `--from` line is the same, taken literally (no patterns).
/// - A directory argument gives the files in it (and, with `recursive`, in
///   its subdirectories); each keeps its path below the directory, and its
///   outputs go to the same subfolder of OUTDIR. Hidden files and folders
///   (names starting with `.`, which include the temporary files of an
///   interrupted run) are passed over, as are symbolic links to directories
///   and OUTDIR itself when it lies inside (so earlier outputs are never
///   taken for new inputs).
/// - An argument that does not exist but holds `*`, `?` or `[` is a pattern
///   (`GlobPattern`); its matches keep their path below the pattern's base. A
///   directory it matches is searched like a directory argument (except with
///   `**`, which descends by itself).
/// - A found file is an input when its extension is `.png`, `.jpg`, `.jpeg`
///   or `.npy` (any case), or when its first bytes are a PNG or JPEG
///   signature. Any other file is skipped, with a reason, when a folder, a
///   pattern or a `--from` list gave it; named as an argument, it fails,
///   saying what its first bytes say it is (a TIFF image, ...).
public struct InputDiscovery: Sendable {
    public var recursive: Bool
    /// Never searched when met inside a directory or pattern (the run's OUTDIR).
    public var excludedDirectory: String?

    public init(recursive: Bool = false, excludedDirectory: String? = nil) {
        self.recursive = recursive
        self.excludedDirectory = excludedDirectory
    }

    public func discover(arguments: [String], listed: [String] = []) -> DiscoveredInputs {
        var found = DiscoveredInputs()
        var seen = Set<String>()
        let excluded = excludedDirectory.flatMap { FileTree.status($0)?.identity }

        func add(_ item: BatchItem) {
            guard seen.insert(PathText.normalize(item.path) + "\u{0}" + item.key).inserted else { return }
            found.items.append(item)
        }
        func file(_ path: String, key: String, folder: String, status: FileStatus, named: Bool = false) {
            guard status.kind == .file else {
                add(BatchItem(path: path, key: key, outputFolder: folder, kind: .skipped("not a regular file")))
                return
            }
            // A file named as an argument is meant as an input: one that is not is an error.
            let kind: BatchItem.Kind = Self.isImageFile(path) ? .input
                : named ? .failed(Self.notAnInput(path)) : .skipped(Self.notAnImage)
            add(BatchItem(path: path, key: key, outputFolder: folder, kind: kind, identity: status.identity,
                          size: status.size))
        }
        func directory(_ path: String, relative: [String]) {
            for entry in FileTree.entries(of: path) where !entry.name.hasPrefix(".") {
                let child = PathText.join(path, entry.name)
                let names = relative + [entry.name]
                guard let linkStatus = FileTree.status(child, followLinks: false) else { continue }
                if linkStatus.kind == .directory {
                    if !recursive { found.unsearchedDirectories += 1; continue }
                    if linkStatus.identity != excluded { directory(child, relative: names) }
                    continue
                }
                guard let status = linkStatus.kind == .link ? FileTree.status(child) : linkStatus else { continue }
                if status.kind == .directory { continue }  // a link to a directory: not followed
                file(child, key: names.joined(separator: "/"), folder: relative.joined(separator: "/"), status: status)
            }
        }
        func named(_ path: String, patterns: Bool) {
            if let status = FileTree.status(path) {
                if status.kind == .directory {
                    directory(path, relative: [])
                } else {
                    file(path, key: PathText.basename(path), folder: "", status: status, named: patterns)
                }
            } else if patterns && GlobPattern.hasWildcards(path) {
                let pattern = GlobPattern(path)
                var matched = false
                pattern.expand(excluding: excluded) { match, relative, isDirectory in
                    matched = true
                    if isDirectory {
                        if !pattern.descends { directory(match, relative: relative.split(separator: "/").map(String.init)) }
                    } else if let status = FileTree.status(match) {
                        file(match, key: relative, folder: PathText.dirname(relative), status: status)
                    }
                }
                if !matched {
                    add(BatchItem(path: path, key: path, outputFolder: "", kind: .failed("no file matches this pattern")))
                }
            } else {
                // Missing or unreadable: processing it reports why, in the codec's words.
                add(BatchItem(path: path, key: PathText.basename(path), outputFolder: "", kind: .input))
            }
        }

        for argument in arguments { named(argument, patterns: true) }
        for line in listed { named(line, patterns: false) }
        return found
    }

    /// Reads a `--from` list: one path per line, `-` for standard input.
    /// Lines are taken literally (no patterns, no quoting), relative to the
    /// current directory; a trailing `\r` is dropped and empty lines are ignored.
    public static func readList(_ source: String) throws(FileError) -> [String] {
        let bytes: [UInt8]
        if source == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            bytes = try FileError.readContents(of: source)
        }
        return String(decoding: bytes, as: UTF8.self)
            // "\r\n" is one Character in Swift: split on either.
            .split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .filter { !$0.isEmpty }
    }

    /// The reason a file found in a folder or by a pattern is skipped.
    public static let notAnImage = "not a PNG, JPEG or .npy file"

    /// Why a file named as an argument is not an input: what its first bytes say it is.
    static func notAnInput(_ path: String) -> String {
        let head = (try? OpenFile.forReading(path, nonBlocking: true).readPrefix(16)) ?? []
        return "\(InputFile.describeContents(head)) by its first bytes: only PNG, JPEG and .npy files are read"
    }

    /// By extension (`.png`, `.jpg`, `.jpeg`, `.npy`, any case), else by the
    /// first bytes (a PNG or JPEG signature). An unreadable file counts as an
    /// image, so that processing it reports why it cannot be read.
    static func isImageFile(_ path: String) -> Bool {
        let name = PathText.basename(path)
        if let dot = name.lastIndex(of: "."), dot != name.startIndex,
           InputFile.extensions.contains(name[name.index(after: dot)...].lowercased()) {
            return true
        }
        // Non-blocking, so that a FIFO with no writer cannot stall discovery.
        guard let head = try? OpenFile.forReading(path, nonBlocking: true).readPrefix(8) else { return true }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if head == png { return true }
        return head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF
    }
}
