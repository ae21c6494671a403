import FilterBankIO
/// One of `count` disjoint shares of a run's inputs, for spreading a run over
/// several processes or machines (`--shard K/N`).
///
/// An input belongs to shard `fnv1a64(key) % count`, where `key` is its
/// relative path (`BatchItem.key`: the path under the directory or pattern
/// base it was found in, or a named file's own name). The share therefore
/// depends only on the names, not on the order in which inputs were listed
/// or found, nor on where the data is mounted: every machine that sees the
/// same tree agrees on which shard owns which file, and the N shards together
/// cover every input exactly once.
///
/// The hash is FNV-1a 64 of the key's UTF-8 bytes, fixed here on purpose:
/// Swift's `Hasher` is seeded per process, so it would give every machine a
/// different split.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// K, from 0 to `count - 1`.
    public let index: Int
    /// N, at least 1.
    public let count: Int

    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1, (0..<count).contains(index) else {
            throw ShardError(text: "\(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `K/N` (whole numbers, `0 <= K < N`), e.g. `"0/4"`.
    public init(_ text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k < n
        else { throw ShardError(text: text) }
        self.index = k
        self.count = n
    }

    /// Whether the input with this relative path belongs to this shard.
    public func contains(key: String) -> Bool {
        Int(Self.fnv1a64(key) % UInt64(count)) == index
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// FNV-1a, 64-bit, of the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// A shard given as text that is not `K/N` with `0 <= K < N`.
public struct ShardError: Error, Equatable, CustomStringConvertible {
    /// What a shard must be.
    public static let rule = "K/N with whole numbers 0 <= K < N (e.g. 0/4)"
    public let text: String
    public var description: String { "a shard must be \(Self.rule), got '\(text)'" }
}
