#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small file-system questions asked with `stat(2)`.
package enum FilePaths {
    /// Whether both paths name the same existing file (same device and inode).
    package static func sameFile(_ a: String, _ b: String) -> Bool {
        guard !a.isEmpty, !b.isEmpty, let x = FileTree.status(a), let y = FileTree.status(b) else { return false }
        return x.identity == y.identity
    }

    /// Whether anything exists at `path` (a dangling symbolic link counts).
    package static func exists(_ path: String) -> Bool {
        !path.isEmpty && FileTree.status(path, followLinks: false) != nil
    }
}

/// A file's device and inode: the same file whatever the path spelling.
package struct FileIdentity: Hashable, Sendable {
    package let device: UInt64
    package let inode: UInt64
}

package struct FileStatus {
    package enum Kind { case file, directory, link, other }
    package let kind: Kind
    package let identity: FileIdentity
    package let size: Int
}

/// The few file-system questions discovery and conflict checks ask.
package enum FileTree {
    /// `stat(2)` (or `lstat(2)` when `followLinks` is false); nil when absent.
    package static func status(_ path: String, followLinks: Bool = true) -> FileStatus? {
        var s = stat()
        let target = path.isEmpty ? "." : path
        guard (followLinks ? stat(target, &s) : lstat(target, &s)) == 0 else { return nil }
        let kind: FileStatus.Kind
        switch s.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .link
        default: kind = .other
        }
        return FileStatus(kind: kind, identity: FileIdentity(device: UInt64(s.st_dev), inode: UInt64(s.st_ino)),
                          size: Int(s.st_size))
    }

    package struct Entry { package let name: String }

    /// The names in a directory (without `.` and `..`), sorted; empty when it cannot be read.
    package static func entries(of path: String) -> [Entry] {
        guard let dir = opendir(path.isEmpty ? "." : path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map(Entry.init)
    }
}

/// Path strings, handled lexically (no file-system access).
package enum PathText {
    /// `a` + `/` + `b`, without doubling a slash; "" stands for the current directory.
    package static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// The file name without its directory and its last extension:
    /// `"in/photo.v2.jpg"` -> `"photo.v2"`. A leading dot does not start an
    /// extension (`".hidden"` stays `".hidden"`); trailing slashes are ignored;
    /// an empty path gives `""`.
    package static func stem(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let name = trimmed.split(separator: "/", omittingEmptySubsequences: false).last ?? trimmed
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return String(name) }
        return String(name[..<dot])
    }

    /// The last component ("" for "/"); trailing slashes ignored.
    package static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? ""
    }

    /// Everything before the last component ("" when there is none).
    package static func dirname(_ path: String) -> String {
        var parts = path.split(separator: "/")
        guard !parts.isEmpty else { return path.hasPrefix("/") ? "/" : "" }
        parts.removeLast()
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }

    /// Drops `.` components and empty ones, and resolves `..` against the
    /// component before it (lexically: `a/link/..` becomes `a` even if `link`
    /// is a symbolic link). "" and "." become ".".
    package static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if part == "..", absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
