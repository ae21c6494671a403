import FilterBankIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A shell-style path pattern given to the tool in quotes, such as
/// `'photos/**/*.jpg'`, expanded by the tool itself (so it works the same
/// under every shell and past the shell's argument-length limit).
///
/// Semantics, those of a POSIX shell's pathname expansion (`glob(3)`) plus
/// `**` as in bash's `globstar` and zsh:
/// - The pattern is split at `/`; each component is matched against the
///   names in one directory with `fnmatch(3)` and `FNM_PERIOD`: `*` (any
///   characters), `?` (one character), `[abc]`, `[a-z]`, `[!a-z]`, and `\`
///   to quote the next character. A `/` is never matched by a wildcard.
/// - A name starting with `.` is matched only by a component that starts
///   with a literal `.` (so `*` skips hidden files, as in the shell).
/// - A component that is exactly `**` matches zero or more directories,
///   never hidden ones and never through a symbolic link (so it cannot loop);
///   a trailing `**` means `**/*`. Other components follow symbolic links.
/// - The leading components that hold no wildcard are the pattern's *base*
///   directory; matches are reported relative to it, and that relative path is
///   what output folders mirror (`photos/**/*.jpg` finds `photos/2019/a.jpg`
///   as `2019/a.jpg`).
/// - Matches come in name order within each directory. A pattern that
///   matches nothing is the caller's to report (no shell-like literal
///   fallback). Directories the process cannot read are passed over.
public struct GlobPattern: Sendable, Equatable {
    /// The pattern as given.
    public let text: String
    /// The literal leading directory, spelled as given ("" for the current
    /// directory, "/" for the root).
    public let base: String
    /// The components after the base (`fnmatch` patterns or `**`).
    let components: [String]

    public init(_ text: String) {
        self.text = text
        let absolute = text.hasPrefix("/")
        var parts = text.split(separator: "/").map(String.init)
        var baseParts: [String] = []
        while parts.count > 1, !Self.hasWildcards(parts[0]) {
            baseParts.append(Self.unescape(parts.removeFirst()))
        }
        if parts.last == "**" { parts.append("*") }
        components = parts
        base = (absolute ? "/" : "") + baseParts.joined(separator: "/")
    }

    /// Whether `text` holds an unquoted `*`, `?` or `[`.
    public static func hasWildcards(_ text: some StringProtocol) -> Bool {
        var escaped = false
        for ch in text {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "*" || ch == "?" || ch == "[" { return true }
        }
        return false
    }

    /// Whether the pattern holds a `**` component (it then descends by itself).
    public var descends: Bool { components.contains("**") }

    /// Whether `relativePath` (names separated by `/`, relative to `base`)
    /// matches, without looking at the file system. `**` here matches any
    /// non-hidden directory names.
    public func matches(relativePath: String) -> Bool {
        let names = relativePath.split(separator: "/").map(String.init)
        return Self.match(components[...], names[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ names: ArraySlice<String>) -> Bool {
        guard let component = pattern.first else { return names.isEmpty }
        if component == "**" {
            if match(pattern.dropFirst(), names) { return true }
            // Consume one directory name (never the last name, which is the file's).
            guard names.count > 1, let first = names.first, !first.hasPrefix(".") else { return false }
            return match(pattern, names.dropFirst())
        }
        guard let name = names.first, fnmatch(component, name, FNM_PERIOD) == 0 else { return false }
        return match(pattern.dropFirst(), names.dropFirst())
    }

    /// Walks the file system for matches and hands each to `visit`: its
    /// path (the base joined with the relative path), the relative path, and
    /// whether it is a directory. Never enters `excluded` (by device and inode).
    func expand(excluding excluded: FileIdentity?,
                _ visit: (_ path: String, _ relative: String, _ isDirectory: Bool) -> Void) {
        guard !components.isEmpty else { return }
        walk(directory: base, relative: [], index: 0, excluded: excluded, visit)
    }

    private func walk(directory: String, relative: [String], index: Int, excluded: FileIdentity?,
                      _ visit: (_ path: String, _ relative: String, _ isDirectory: Bool) -> Void) {
        let component = components[index]
        let last = index == components.count - 1
        if component == "**" {
            walk(directory: directory, relative: relative, index: index + 1, excluded: excluded, visit)
            for entry in FileTree.entries(of: directory) where !entry.name.hasPrefix(".") {
                let path = PathText.join(directory, entry.name)
                // Real directories only (lstat): a link could lead back up and loop.
                guard let status = FileTree.status(path, followLinks: false), status.kind == .directory,
                      status.identity != excluded else { continue }
                walk(directory: path, relative: relative + [entry.name], index: index, excluded: excluded, visit)
            }
            return
        }
        func step(_ name: String) {
            let path = PathText.join(directory, name)
            guard let status = FileTree.status(path) else { return }
            if last {
                visit(path, (relative + [name]).joined(separator: "/"), status.kind == .directory)
            } else if status.kind == .directory, status.identity != excluded {
                walk(directory: path, relative: relative + [name], index: index + 1, excluded: excluded, visit)
            }
        }
        if !Self.hasWildcards(component) {
            step(Self.unescape(component))
        } else {
            for entry in FileTree.entries(of: directory) where fnmatch(component, entry.name, FNM_PERIOD) == 0 {
                step(entry.name)
            }
        }
    }

    /// Drops the backslashes that quote characters.
    static func unescape(_ text: String) -> String {
        var out = ""
        var escaped = false
        for ch in text {
            if !escaped && ch == "\\" { escaped = true; continue }
            escaped = false
            out.append(ch)
        }
        return out
    }
}
