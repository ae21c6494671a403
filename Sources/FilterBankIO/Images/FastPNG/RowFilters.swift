#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PNG's row filters (PNG specification, section 9) that the fast encoder
/// chooses from, 16 bytes at a time. Average is left out: on the filter
/// outputs this tool writes it was never the best (docs/performance.md).
enum RowFilter: UInt8, CaseIterable {
    case none = 0, sub = 1, up = 2, paeth = 4

    /// Filters `count` bytes of `row` into `out` (the filter type byte not
    /// included). `previous` is the row above (zeros above the first row);
    /// `bpp` the bytes per pixel, 1...8. `out` must not overlap the rows.
    func apply(_ row: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, bpp: Int,
               into out: UnsafeMutablePointer<UInt8>) {
        switch self {
        case .none: out.update(from: row, count: count)
        case .sub: Self.sub(row, count: count, bpp: bpp, into: out)
        case .up: Self.up(row, previous: previous, count: count, into: out)
        case .paeth: Self.paeth(row, previous: previous, count: count, bpp: bpp, into: out)
        }
    }

    private typealias Vector = SIMD16<UInt8>

    @inline(__always)
    private static func load(_ p: UnsafePointer<UInt8>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    private static func store(_ v: Vector, _ p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    private static func sub(_ row: UnsafePointer<UInt8>, count: Int, bpp: Int, into out: UnsafeMutablePointer<UInt8>) {
        let head = min(bpp, count)
        out.update(from: row, count: head)
        var i = head
        while i &+ 16 <= count {
            store(load(row + i) &- load(row + (i &- bpp)), out + i)
            i &+= 16
        }
        while i < count {
            out[i] = row[i] &- row[i &- bpp]
            i &+= 1
        }
    }

    private static func up(_ row: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int,
                           into out: UnsafeMutablePointer<UInt8>) {
        var i = 0
        while i &+ 16 <= count {
            store(load(row + i) &- load(previous + i), out + i)
            i &+= 16
        }
        while i < count {
            out[i] = row[i] &- previous[i]
            i &+= 1
        }
    }

    /// The Paeth predictor of one byte (PNG specification, 9.4).
    @inline(__always)
    private static func paethPredictor(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
    }

    /// Paeth on whole vectors with byte arithmetic only, as fpnge computes it:
    /// `|b - c|`, `|a - c|` and `|a + b - 2c|` from wrapped differences and
    /// comparisons (the last saturated to 255 where the true value, the sum
    /// of the other two, cannot be the smallest).
    private static func paeth(_ row: UnsafePointer<UInt8>, previous: UnsafePointer<UInt8>, count: Int, bpp: Int,
                              into out: UnsafeMutablePointer<UInt8>) {
        let head = min(bpp, count)
        for i in 0..<head { out[i] = row[i] &- paethPredictor(0, previous[i], 0) }
        var i = head
        let all = Vector(repeating: 255)
        while i &+ 16 <= count {
            let a = load(row + (i &- bpp)), b = load(previous + i), c = load(previous + (i &- bpp))
            let bc = b &- c, ca = c &- a
            let cBelowB = c .< b, aBelowC = a .< c
            let pa = (Vector() &- bc).replacing(with: bc, where: cBelowB)
            let pb = (Vector() &- ca).replacing(with: ca, where: aBelowC)
            // |bc - ca| (the standard library's pointwiseMax/Min were calls, not inlined).
            let difference = (bc &- ca).replacing(with: ca &- bc, where: bc .< ca)
            let pc = all.replacing(with: difference, where: .!(cBelowB .^ aBelowC))
            let useA = (pa .<= pb) .& (pa .<= pc)
            let useB = pb .<= pc
            let predicted = c.replacing(with: b, where: useB).replacing(with: a, where: useA)
            store(load(row + i) &- predicted, out + i)
            i &+= 16
        }
        while i < count {
            out[i] = row[i] &- paethPredictor(row[i &- bpp], previous[i], previous[i &- bpp])
            i &+= 1
        }
    }

    /// The filter whose output an order-0 entropy coder would code in the
    /// fewest bits, judged on up to `samples` rows of `rows` (row `i` at
    /// `row(i)`, the row above the first at `above`), each cut to at most
    /// `sampleBytes`. `scratch` holds `sampleBytes` bytes; `histograms` 4 x 512.
    static func choose(rows: Int, row: (Int) -> UnsafePointer<UInt8>, above: UnsafePointer<UInt8>, rowBytes: Int,
                       bpp: Int, samples: Int, sampleBytes: Int, scratch: UnsafeMutablePointer<UInt8>,
                       histograms: UnsafeMutablePointer<UInt32>) -> RowFilter {
        let taken = min(rows, samples), bytes = min(rowBytes, sampleBytes)
        histograms.update(repeating: 0, count: 4 * 512)
        for j in 0..<taken {
            let r = (2 * j + 1) * rows / (2 * taken)  // spread over the band
            let current = row(r), previous = r == 0 ? above : row(r - 1)
            for (f, filter) in allCases.enumerated() {
                filter.apply(current, previous: previous, count: bytes, bpp: bpp, into: scratch)
                // Two tables in turn (merged below): back-to-back increments of
                // one counter, frequent when most bytes are 0, stall each other.
                let histogram = histograms + 512 * f
                var i = 0
                while i &+ 2 <= bytes {
                    histogram[Int(scratch[i])] &+= 1
                    histogram[256 &+ Int(scratch[i &+ 1])] &+= 1
                    i &+= 2
                }
                if i < bytes { histogram[Int(scratch[i])] &+= 1 }
            }
        }
        var best = RowFilter.none, bestBits = Double.infinity
        let total = Double(taken * bytes)
        for (f, filter) in allCases.enumerated() {
            var bits = 0.0
            for b in 0..<256 {
                let n = Double(histograms[512 * f + b] &+ histograms[512 * f + 256 + b])
                if n > 0 { bits += n * log2(total / n) }
            }
            if bits < bestBits {
                best = filter
                bestBits = bits
            }
        }
        return best
    }
}
