/// Length-limited Huffman codes for deflate (RFC 1951, section 3.2.2).
///
/// Lengths come from an optimal Huffman code (the two-queue method on sorted
/// weights); when it is deeper than the limit, its length counts are
/// reshaped as JPEG does (ITU-T T.81, Annex K.3, "Adjust_BITS": two leaves
/// below the limit move up and take the place of a shorter leaf, which
/// moves down beside them), which keeps the code complete, and the longest
/// codes go to the rarest symbols. Deflate allows 15 bits for literal/length
/// and distance codes and 7 for the code-length code. Codes are canonical, as
/// deflate requires, and stored bit-reversed, because deflate sends Huffman
/// codes from their most significant bit while `BitWriter` fills bytes from
/// the least.
enum HuffmanCode {
    /// Code lengths for symbols with `counts` (0: unused), none longer than
    /// `limit`. Every code is complete (its lengths satisfy Kraft's sum with
    /// equality), which zlib requires of every code but a lone distance code:
    /// with one used symbol, a second symbol (the lowest unused one) gets a
    /// code of 1 bit too.
    ///
    /// Runs once per deflate block over at most 286 symbols: the arrays here
    /// are not in any per-byte loop.
    static func lengths(counts: UnsafeBufferPointer<UInt32>, limit: Int,
                        into lengths: UnsafeMutableBufferPointer<UInt8>) {
        precondition(lengths.count >= counts.count && limit >= 1 && limit <= 15)
        for i in 0..<counts.count { lengths[i] = 0 }
        // Leaves as `count << 16 | symbol`: sorting the integers sorts by
        // count, then symbol (a closure comparing tuples was 1 % of a job).
        var leaves: [UInt64] = []
        leaves.reserveCapacity(counts.count)
        for i in 0..<counts.count where counts[i] > 0 { leaves.append(UInt64(counts[i]) << 16 | UInt64(i)) }
        if leaves.count < 2 {
            precondition(counts.count >= 2, "a Huffman code needs two symbols")
            let used = leaves.first.map { Int($0 & 0xFFFF) } ?? 0
            lengths[used] = 1
            lengths[used == 0 ? 1 : 0] = 1
            return
        }
        precondition(leaves.count <= 1 << limit, "\(leaves.count) symbols do not fit codes of \(limit) bits")
        leaves.sort()
        let n = leaves.count
        let depths = unlimitedDepths(leaves.map { $0 >> 16 })
        // How many leaves each length has, then Annex K.3's adjustment.
        var lengthCounts = [Int](repeating: 0, count: max(depths.max()!, limit) + 1)
        for depth in depths { lengthCounts[depth] += 1 }
        var longest = lengthCounts.count - 1
        while longest > limit {
            while lengthCounts[longest] > 0 {
                var shorter = longest - 2
                while lengthCounts[shorter] == 0 { shorter -= 1 }
                lengthCounts[longest] -= 2
                lengthCounts[longest - 1] += 1
                lengthCounts[shorter + 1] += 2
                lengthCounts[shorter] -= 1
            }
            longest -= 1
        }
        // The rarest symbols (first in `leaves`) take the longest codes.
        var leaf = 0
        for length in stride(from: limit, through: 1, by: -1) {
            for _ in 0..<lengthCounts[length] {
                lengths[Int(leaves[leaf] & 0xFFFF)] = UInt8(length)
                leaf += 1
            }
        }
        precondition(leaf == n)
    }

    /// The depths of an optimal, unlimited Huffman code for `weights`
    /// (ascending, at least two): the two-queue method (van Leeuwen, 1976),
    /// linear once the weights are sorted.
    private static func unlimitedDepths(_ weights: [UInt64]) -> [Int] {
        let n = weights.count
        var nodeWeight = [UInt64](repeating: 0, count: n - 1)
        var leafParent = [Int](repeating: 0, count: n), nodeParent = [Int](repeating: 0, count: n - 1)
        var leaf = 0, node = 0
        for k in 0..<(n - 1) {
            for _ in 0..<2 {
                if leaf < n && (node >= k || weights[leaf] <= nodeWeight[node]) {
                    leafParent[leaf] = k
                    nodeWeight[k] += weights[leaf]
                    leaf += 1
                } else {
                    nodeParent[node] = k
                    nodeWeight[k] += nodeWeight[node]
                    node += 1
                }
            }
        }
        var nodeDepth = [Int](repeating: 0, count: n - 1)
        if n >= 3 {
            for k in stride(from: n - 3, through: 0, by: -1) { nodeDepth[k] = nodeDepth[nodeParent[k]] + 1 }
        }
        return leafParent.map { nodeDepth[$0] + 1 }
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
