/// Length-limited Huffman codes for deflate (RFC 1951, section 3.2.2).
///
/// Lengths come from the package-merge algorithm (Larmore and Hirschberg,
/// "A fast algorithm for optimal length-limited Huffman codes", 1990): the
/// code with the fewest total bits among those no longer than the limit.
/// Deflate allows 15 bits for literal/length and distance codes and 7 for
/// the code-length code. Codes are canonical, as deflate requires, and
/// stored bit-reversed, because deflate sends Huffman codes from their most
/// significant bit while `BitWriter` fills bytes from the least.
enum HuffmanCode {
    /// Code lengths for symbols with `counts` (0: unused), none longer than
    /// `limit`, minimising `sum(count * length)`. Every code is complete (its
    /// lengths satisfy Kraft's sum with equality), which zlib requires of
    /// every code but a lone distance code: with one used symbol, a second
    /// symbol (the lowest unused one) gets a code of 1 bit too.
    ///
    /// Runs once per deflate block over at most 286 symbols: the arrays here
    /// are not in any per-byte loop.
    static func lengths(counts: UnsafeBufferPointer<UInt32>, limit: Int,
                        into lengths: UnsafeMutableBufferPointer<UInt8>) {
        precondition(lengths.count >= counts.count && limit >= 1 && limit <= 15)
        for i in 0..<counts.count { lengths[i] = 0 }
        var leaves: [(weight: UInt64, symbol: Int)] = []
        leaves.reserveCapacity(counts.count)
        for i in 0..<counts.count where counts[i] > 0 { leaves.append((UInt64(counts[i]), i)) }
        if leaves.count < 2 {
            precondition(counts.count >= 2, "a Huffman code needs two symbols")
            let used = leaves.first?.symbol ?? 0
            lengths[used] = 1
            lengths[used == 0 ? 1 : 0] = 1
            return
        }
        precondition(leaves.count <= 1 << limit, "\(leaves.count) symbols do not fit codes of \(limit) bits")
        leaves.sort { $0.weight != $1.weight ? $0.weight < $1.weight : $0.symbol < $1.symbol }
        let n = leaves.count

        // levels[l] is the merged list of level l: leaves and packages of two
        // consecutive items of level l - 1, ascending by weight. An item is a
        // leaf (`child < 0`: leaf index `-child - 1`) or a package of items
        // `child` and `child + 1` of the level below.
        struct Item { var weight: UInt64; var child: Int32 }
        var levels: [[Item]] = [leaves.indices.map { Item(weight: leaves[$0].weight, child: -Int32($0) - 1) }]
        for _ in 1..<limit {
            let previous = levels[levels.count - 1]
            var merged: [Item] = []
            merged.reserveCapacity(n + previous.count / 2)
            var leaf = 0, pair = 0
            let pairs = previous.count / 2
            while leaf < n || pair < pairs {
                let packageWeight = pair < pairs ? previous[2 * pair].weight + previous[2 * pair + 1].weight : .max
                if leaf < n && leaves[leaf].weight <= packageWeight {
                    merged.append(Item(weight: leaves[leaf].weight, child: -Int32(leaf) - 1))
                    leaf += 1
                } else {
                    merged.append(Item(weight: packageWeight, child: Int32(2 * pair)))
                    pair += 1
                }
            }
            levels.append(merged)
        }
        // Each time a leaf appears among the first 2n - 2 items of the top
        // level (packages opened down to their leaves), its code grows by a bit.
        var depth = [Int](repeating: 0, count: n)
        func open(_ level: Int, _ index: Int) {
            let item = levels[level][index]
            if item.child < 0 {
                depth[Int(-item.child - 1)] += 1
            } else {
                open(level - 1, Int(item.child))
                open(level - 1, Int(item.child) + 1)
            }
        }
        for index in 0..<(2 * n - 2) { open(levels.count - 1, index) }
        for i in 0..<n { lengths[leaves[i].symbol] = UInt8(depth[i]) }
    }

    /// Canonical codes (RFC 1951, 3.2.2) for `lengths`, bit-reversed so that
    /// the first bit to send is the lowest. Unused symbols get 0.
    static func codes(lengths: UnsafeBufferPointer<UInt8>, into codes: UnsafeMutableBufferPointer<UInt16>) {
        var lengthCounts = [Int](repeating: 0, count: 16)
        for length in lengths { lengthCounts[Int(length)] += 1 }
        lengthCounts[0] = 0
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1..<16 {
            code = (code + lengthCounts[bits - 1]) << 1
            next[bits] = code
        }
        for symbol in 0..<lengths.count {
            let length = Int(lengths[symbol])
            guard length > 0 else { codes[symbol] = 0; continue }
            codes[symbol] = reverse(UInt16(next[length]), bits: length)
            next[length] += 1
        }
    }

    /// The low `bits` bits of `code` in reverse order.
    static func reverse(_ code: UInt16, bits: Int) -> UInt16 {
        var value = code, result: UInt16 = 0
        for _ in 0..<bits {
            result = (result << 1) | (value & 1)
            value >>= 1
        }
        return result
    }
}
