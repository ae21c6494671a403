/// One dynamic-Huffman deflate block (RFC 1951, 3.2.7) of filtered PNG rows,
/// made the way fpnge makes its blocks: every byte is a literal, except runs
/// of one repeated byte, which become a literal followed by matches at
/// distance 1. There is no hash table and no search: the literals' Huffman
/// code, built from this block's own histogram, does almost all of the work,
/// and runs (the flat, black parts of a feature map) cost a few bits per 258
/// bytes instead of a bit or more per byte.
///
/// `DeflateBlock` holds the scratch memory of one encoder (one segment of a
/// band at a time), allocated once and reused for every block, so that the
/// per-byte loops neither allocate nor retain. It is not thread-safe: one per
/// concurrent segment.
final class DeflateBlock {
    /// A run shorter than this stays literals. Runs are found exactly from 8
    /// bytes on (`encode`); shorter matches rarely pay for their length code.
    static let minimumRun = 8

    /// The longest literal/length code, one less than deflate's 15, so that
    /// four literals (56 bits) fit between two flushes of the bit writer.
    static let literalLengthLimit = 14

    /// Literal/length alphabet: 256 literals, end of block, 29 lengths.
    static let literalLengthSymbols = 286
    static let endOfBlock = 256

    // Four histograms of the bytes (counting a byte into one of four tables
    // in turn avoids the stall of incrementing the same counter back to back,
    // frequent when most bytes are 0).
    private let histograms = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * 256)
    private let counts = UnsafeMutablePointer<UInt32>.allocate(capacity: literalLengthSymbols)
    private let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: literalLengthSymbols)
    private let codes = UnsafeMutablePointer<UInt16>.allocate(capacity: literalLengthSymbols)
    /// Per literal byte: `code << 4 | length`.
    private let literalTable = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    /// Per match length 3...258: `(length code, extra bits, distance code) << 8 | bit count`.
    private let matchTable = UnsafeMutablePointer<UInt64>.allocate(capacity: 259)
    /// Match length 3...258 to its length symbol minus 257 (0...28).
    private let lengthSymbol = UnsafeMutablePointer<UInt8>.allocate(capacity: 259)
    /// The Adler-32 of the last block's bytes (zlib's checksum of the data), computed by `scan`.
    private(set) var adler: UInt32 = 1
    /// Runs as (first byte, end) pairs; grown with the blocks.
    private var runs = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
    private var runCapacity = 1

    /// Deflate's length symbols 257...285: the first length of each, and its extra bits.
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                    115, 131, 163, 195, 227, 258]
    static let lengthExtraBits: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5,
                                         5, 5, 0]

    init() {
        lengthSymbol.initialize(repeating: 0, count: 259)
        for symbol in 0..<29 {
            let last = symbol == 28 ? 258 : Self.lengthBase[symbol + 1] - 1
            for length in Self.lengthBase[symbol]...min(last, 258) { lengthSymbol[length] = UInt8(symbol) }
        }
        lengthSymbol[258] = 28
    }

    deinit {
        histograms.deallocate()
        counts.deallocate()
        lengths.deallocate()
        codes.deallocate()
        literalTable.deallocate()
        matchTable.deallocate()
        lengthSymbol.deallocate()
        runs.deallocate()
    }

    /// The most bytes `encode` writes for `count` input bytes, 8 bytes of
    /// slack for the bit writer's word stores included.
    static func worstCaseBytes(_ count: Int) -> Int {
        // 14 bits per literal at worst, matches cost less per byte; the header
        // is under 300 bytes (288 lengths of at most 7 bits, fewer with
        // repeats); the alignment block 5; the word store 8.
        count / 8 * 14 + count % 8 * 2 + 512
    }

    /// Encodes `data[0..<count]` as one non-final dynamic block, then pads
    /// to a byte boundary with an empty stored block when the block did not
    /// end on one (as zlib's `Z_SYNC_FLUSH` does), so that blocks encoded
    /// apart can be concatenated. `out` must have room for
    /// `worstCaseBytes(count)`. Returns the bytes written.
    func encode(_ data: UnsafePointer<UInt8>, count: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        precondition(count > 0 && count < Int(Int32.max), "a deflate block of \(count) bytes")
        let runCount = scan(data, count: count)
        buildCode(data, runCount: runCount)
        var writer = BitWriter(out)
        writeHeader(&writer)
        writeSymbols(data, count: count, runCount: runCount, &writer)
        // End of block, then byte alignment: an empty stored block (3 header
        // bits, padding, LEN 0 and NLEN 0xFFFF) when needed.
        writer.put(UInt64(codes[Self.endOfBlock]), Int(lengths[Self.endOfBlock]))
        writer.flush()
        if writer.pending != 0 {
            writer.put(0, 3)
            writer.alignToByte()
            writer.put(0xFFFF_0000, 32)
            writer.flush()
        }
        return out.distance(to: writer.out)
    }

    // MARK: - Pass 1: histogram and runs

    /// Counts the bytes into `histograms`, records every run of at least
    /// `minimumRun` equal bytes in `runs`, and computes the bytes' Adler-32
    /// (RFC 1950) into `adler`. Returns the number of runs.
    ///
    /// Eight bytes at a time: `d = word ^ (word << 8 | previous byte)` has a
    /// zero byte wherever a byte equals the one before it, so a word inside a
    /// run is `d == 0` (counted with one increment), and a run's ends are the
    /// lowest and highest non-zero bytes of `d`. A run of 8 or more bytes
    /// spans a word boundary, so none is missed.
    ///
    /// Adler-32 a word at a time: after bytes b0...b7, `s1` grows by their
    /// sum and `s2` by `8 * s1 + 8 b0 + 7 b1 + ... + 1 b7`. Both sums come
    /// from multiplications on the bytes spread into 16-bit lanes (even and
    /// odd bytes apart): the top lane of `lanes * k` collects each lane times
    /// its weight, below 2^16, with no carry from the lanes below. `s1` and
    /// `s2` are reduced modulo 65521 every 1024 words, long before 64 bits
    /// could overflow.
    private func scan(_ data: UnsafePointer<UInt8>, count: Int) -> Int {
        let most = count / Self.minimumRun + 2
        if runCapacity < most {
            runs.deallocate()
            runCapacity = most
            runs = .allocate(capacity: 2 * most)
        }
        let h0 = histograms, h1 = histograms + 256, h2 = histograms + 512, h3 = histograms + 768
        h0.update(repeating: 0, count: 4 * 256)
        let runs = self.runs, minimumRun = Self.minimumRun
        var runCount = 0
        var runStart = 0
        var previous = UInt64(data[0] ^ 0xFF)  // unlike byte 0, so that a run starts there
        var p = 0
        let words = count & ~7
        let evenBytes: UInt64 = 0x00FF_00FF_00FF_00FF, ones: UInt64 = 0x0001_0001_0001_0001
        let evenWeights: UInt64 = 2 | 4 << 16 | 6 << 32 | 8 << 48  // b6, b4, b2, b0
        let oddWeights: UInt64 = 1 | 3 << 16 | 5 << 32 | 7 << 48  // b7, b5, b3, b1
        var s1: UInt64 = 1, s2: UInt64 = 0, sinceReduced = 0
        while p < words {
            let w = UInt64(littleEndian: UnsafeRawPointer(data + p).loadUnaligned(as: UInt64.self))
            let d = w ^ ((w &<< 8) | previous)
            sinceReduced &+= 1
            if sinceReduced == 1024 {
                s1 %= 65521
                s2 %= 65521
                sinceReduced = 0
            }
            if d == 0 {
                h0[Int(previous)] &+= 8
                s2 &+= 8 &* s1 &+ 36 &* previous
                s1 &+= 8 &* previous
                p &+= 8
                continue
            }
            let even = w & evenBytes, odd = (w &>> 8) & evenBytes
            s2 &+= 8 &* s1 &+ ((even &* evenWeights) &>> 48) &+ ((odd &* oddWeights) &>> 48)
            s1 &+= ((even &+ odd) &* ones) &>> 48
            previous = w &>> 56
            h0[Int(truncatingIfNeeded: w & 0xFF)] &+= 1
            h1[Int(truncatingIfNeeded: (w &>> 8) & 0xFF)] &+= 1
            h2[Int(truncatingIfNeeded: (w &>> 16) & 0xFF)] &+= 1
            h3[Int(truncatingIfNeeded: (w &>> 24) & 0xFF)] &+= 1
            h0[Int(truncatingIfNeeded: (w &>> 32) & 0xFF)] &+= 1
            h1[Int(truncatingIfNeeded: (w &>> 40) & 0xFF)] &+= 1
            h2[Int(truncatingIfNeeded: (w &>> 48) & 0xFF)] &+= 1
            h3[Int(truncatingIfNeeded: w &>> 56)] &+= 1
            let end = p &+ (d.trailingZeroBitCount &>> 3)
            if end &- runStart >= minimumRun {
                runs[2 &* runCount] = Int32(truncatingIfNeeded: runStart)
                runs[2 &* runCount &+ 1] = Int32(truncatingIfNeeded: end)
                runCount &+= 1
            }
            runStart = p &+ ((63 &- d.leadingZeroBitCount) &>> 3)
            p &+= 8
        }
        var last = UInt8(truncatingIfNeeded: previous)
        s1 %= 65521
        s2 %= 65521
        while p < count {
            let byte = data[p]
            s1 &+= UInt64(byte)
            s2 &+= s1
            h0[Int(byte)] &+= 1
            if byte != last || p == 0 {
                if p &- runStart >= minimumRun {
                    runs[2 &* runCount] = Int32(truncatingIfNeeded: runStart)
                    runs[2 &* runCount &+ 1] = Int32(truncatingIfNeeded: p)
                    runCount &+= 1
                }
                runStart = p
            }
            last = byte
            p &+= 1
        }
        if count &- runStart >= minimumRun {
            runs[2 &* runCount] = Int32(truncatingIfNeeded: runStart)
            runs[2 &* runCount &+ 1] = Int32(truncatingIfNeeded: count)
            runCount &+= 1
        }
        adler = UInt32(s2 % 65521) << 16 | UInt32(s1 % 65521)
        return runCount
    }

    /// Splits the `copies` bytes a run repeats after its first byte (at
    /// least 3) into match lengths of 3...258, calling `body` for each.
    @inline(__always)
    private static func forEachMatch(_ copies: Int, _ body: (Int) -> Void) {
        var left = copies
        while left > 0 {
            // Never leave 1 or 2 bytes, which no match can take.
            let piece = left <= 258 ? left : (left - 258 >= 3 ? 258 : left - 3)
            body(piece)
            left &-= piece
        }
    }

    // MARK: - The code

    /// The literal/length counts (runs' repeated bytes taken out of the
    /// literals, their matches added), the code lengths and codes, and the
    /// tables the encoding loop reads.
    private func buildCode(_ data: UnsafePointer<UInt8>, runCount: Int) {
        for b in 0..<256 {
            counts[b] = histograms[b] &+ histograms[256 + b] &+ histograms[512 + b] &+ histograms[768 + b]
        }
        for s in 256..<Self.literalLengthSymbols { counts[s] = 0 }
        counts[Self.endOfBlock] = 1
        for r in 0..<runCount {
            let start = Int(runs[2 * r]), end = Int(runs[2 * r + 1])
            counts[Int(data[start])] -= UInt32(end - start - 1)
            Self.forEachMatch(end - start - 1) { counts[257 + Int(lengthSymbol[$0])] += 1 }
        }
        HuffmanCode.lengths(counts: UnsafeBufferPointer(start: counts, count: Self.literalLengthSymbols),
                            limit: Self.literalLengthLimit,
                            into: UnsafeMutableBufferPointer(start: lengths, count: Self.literalLengthSymbols))
        HuffmanCode.codes(lengths: UnsafeBufferPointer(start: lengths, count: Self.literalLengthSymbols),
                          into: UnsafeMutableBufferPointer(start: codes, count: Self.literalLengthSymbols))
        for b in 0..<256 { literalTable[b] = UInt32(codes[b]) << 4 | UInt32(lengths[b]) }
        // The distance code: two codes of 1 bit (distances 1 and 2), a
        // complete code; every match uses distance 1, code 0.
        for length in 3...258 {
            let symbol = Int(lengthSymbol[length])
            let codeBits = Int(lengths[257 + symbol])
            let extraBits = Self.lengthExtraBits[symbol]
            let extra = UInt64(length - Self.lengthBase[symbol])
            let bits = UInt64(codes[257 + symbol]) | extra << UInt64(codeBits)
            matchTable[length] = bits << 8 | UInt64(codeBits + extraBits + 1)
        }
    }

    // MARK: - Pass 2: the block

    /// The order in which code-length code lengths are sent (RFC 1951, 3.2.7).
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Block header: BFINAL 0, BTYPE 2, then the code lengths of both codes,
    /// run-length coded with symbols 16, 17 and 18 and sent with a code of
    /// their own (at most 7 bits).
    private func writeHeader(_ writer: inout BitWriter) {
        var literalCodes = Self.literalLengthSymbols
        while literalCodes > 257 && lengths[literalCodes - 1] == 0 { literalCodes -= 1 }
        var sequence = [UInt8](repeating: 0, count: literalCodes + 2)
        for i in 0..<literalCodes { sequence[i] = lengths[i] }
        sequence[literalCodes] = 1
        sequence[literalCodes + 1] = 1

        // (symbol, extra bits value) pairs.
        var symbols: [(symbol: Int, extra: Int)] = []
        var i = 0
        while i < sequence.count {
            let value = sequence[i]
            var run = 1
            while i + run < sequence.count && sequence[i + run] == value { run += 1 }
            i += run
            if value == 0 {
                while run >= 11 {
                    let piece = min(run, 138)
                    symbols.append((18, piece - 11))
                    run -= piece
                }
                if run >= 3 {
                    symbols.append((17, run - 3))
                    run = 0
                }
            } else {
                symbols.append((Int(value), 0))
                run -= 1
                while run >= 3 {
                    let piece = min(run, 6)
                    symbols.append((16, piece - 3))
                    run -= piece
                }
            }
            while run > 0 {
                symbols.append((Int(value), 0))
                run -= 1
            }
        }
        var clCounts = [UInt32](repeating: 0, count: 19)
        for s in symbols { clCounts[s.symbol] += 1 }
        var clLengths = [UInt8](repeating: 0, count: 19)
        var clCodes = [UInt16](repeating: 0, count: 19)
        clCounts.withUnsafeBufferPointer { counts in
            clLengths.withUnsafeMutableBufferPointer { HuffmanCode.lengths(counts: counts, limit: 7, into: $0) }
        }
        clLengths.withUnsafeBufferPointer { lengths in
            clCodes.withUnsafeMutableBufferPointer { HuffmanCode.codes(lengths: lengths, into: $0) }
        }
        var clSent = 19
        while clSent > 4 && clLengths[Self.codeLengthOrder[clSent - 1]] == 0 { clSent -= 1 }

        writer.put(0 | 2 << 1, 3)  // BFINAL 0, BTYPE 2 (dynamic Huffman)
        writer.put(UInt64(literalCodes - 257), 5)
        writer.put(UInt64(2 - 1), 5)
        writer.put(UInt64(clSent - 4), 4)
        writer.flush()
        for k in 0..<clSent {
            writer.put(UInt64(clLengths[Self.codeLengthOrder[k]]), 3)
            writer.flush()
        }
        for s in symbols {
            writer.put(UInt64(clCodes[s.symbol]), Int(clLengths[s.symbol]))
            switch s.symbol {
            case 16: writer.put(UInt64(s.extra), 2)
            case 17: writer.put(UInt64(s.extra), 3)
            case 18: writer.put(UInt64(s.extra), 7)
            default: break
            }
            writer.flush()
        }
    }

    /// The literals and matches: the hot loop.
    private func writeSymbols(_ data: UnsafePointer<UInt8>, count: Int, runCount: Int, _ writer: inout BitWriter) {
        let literalTable = self.literalTable, matchTable = self.matchTable, runs = self.runs
        var p = 0
        for r in 0..<runCount {
            let start = Int(runs[2 &* r]), end = Int(runs[2 &* r &+ 1])
            let copies = end &- start &- 1
            var matchBits = 0
            Self.forEachMatch(copies) { matchBits &+= Int(truncatingIfNeeded: matchTable[$0] & 0xFF) }
            let literalBits = copies &* Int(literalTable[Int(data[start])] & 15)
            guard matchBits < literalBits else { continue }  // cheaper as literals: they stay in the stream
            Self.writeLiterals(data, from: p, to: start &+ 1, literalTable, &writer)
            Self.forEachMatch(copies) { length in
                let entry = matchTable[length]
                writer.put(entry &>> 8, Int(truncatingIfNeeded: entry & 0xFF))
                writer.flush()
            }
            p = end
        }
        Self.writeLiterals(data, from: p, to: count, literalTable, &writer)
    }

    /// The four literals of `w` (first in the low byte), then a flush.
    @inline(__always)
    private static func put4(_ w: UInt32, _ table: UnsafeMutablePointer<UInt32>, _ writer: inout BitWriter) {
        let e0 = table[Int(truncatingIfNeeded: w & 0xFF)]
        let e1 = table[Int(truncatingIfNeeded: (w &>> 8) & 0xFF)]
        let e2 = table[Int(truncatingIfNeeded: (w &>> 16) & 0xFF)]
        let e3 = table[Int(truncatingIfNeeded: w &>> 24)]
        let l0 = UInt64(e0 & 15), l1 = UInt64(e1 & 15), l2 = UInt64(e2 & 15), l3 = UInt64(e3 & 15)
        let l01 = l0 &+ l1
        let bits = UInt64(e0 &>> 4) | UInt64(e1 &>> 4) &<< l0 | UInt64(e2 &>> 4) &<< l01
            | UInt64(e3 &>> 4) &<< (l01 &+ l2)
        writer.put(bits, Int(truncatingIfNeeded: l01 &+ l2 &+ l3))
        writer.flush()
    }

    /// Literals `data[from..<to]`, four per flush of the writer (4 x 14 bits),
    /// eight per load.
    @inline(__always)
    private static func writeLiterals(_ data: UnsafePointer<UInt8>, from: Int, to: Int,
                                      _ table: UnsafeMutablePointer<UInt32>, _ writer: inout BitWriter) {
        var p = from
        while p &+ 8 <= to {
            let w = UInt64(littleEndian: UnsafeRawPointer(data + p).loadUnaligned(as: UInt64.self))
            put4(UInt32(truncatingIfNeeded: w), table, &writer)
            put4(UInt32(truncatingIfNeeded: w &>> 32), table, &writer)
            p &+= 8
        }
        while p &+ 4 <= to {
            put4(UInt32(littleEndian: UnsafeRawPointer(data + p).loadUnaligned(as: UInt32.self)), table, &writer)
            p &+= 4
        }
        while p < to {
            let e = table[Int(data[p])]
            writer.put(UInt64(e &>> 4), Int(truncatingIfNeeded: e & 15))
            writer.flush()
            p &+= 1
        }
    }
}
