extension EngineKernels {
    /// Writes each of the `count` floats at `source` `times` times in a row to
    /// `out`: image pixels expanded to `C * M` values a pixel, value `c * M + m`
    /// holding channel `c` (as a flat array, float `i` of the output is float
    /// `i / M` of the input). The common multipliers have loops of their own,
    /// in which the repeats compile to vector shuffles or to unrolled stores;
    /// the general loop, with a run-time count of repeats, was a quarter of the
    /// default bank's time in the portable build (docs/performance.md).
    static func repeatEach(_ source: UnsafePointer<Float>, count n: Int, times m: Int,
                           into out: UnsafeMutablePointer<Float>) {
        switch m {
        case 1: out.update(from: source, count: n)
        case 2: repeatTwice(source, count: n, into: out)
        case 3: repeatEach(source, count: n, fixed: 3, into: out)
        case 4: repeatEach(source, count: n, fixed: 4, into: out)
        case 5: repeatEach(source, count: n, fixed: 5, into: out)
        case 6: repeatEach(source, count: n, fixed: 6, into: out)
        case 7: repeatEach(source, count: n, fixed: 7, into: out)
        default:
            if m % 8 == 0 {
                for i in 0..<n {
                    let v = Vector(repeating: source[i])
                    var k = 0
                    while k < m {
                        store(v, out + (i &* m &+ k))
                        k &+= 8
                    }
                }
            } else {
                for i in 0..<n { (out + i &* m).update(repeating: source[i], count: m) }
            }
        }
    }

    /// `repeatEach` for a multiplier known when it is compiled: the inner loop
    /// unrolls.
    @inline(__always)
    private static func repeatEach(_ source: UnsafePointer<Float>, count n: Int, fixed m: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        var o = out
        for i in 0..<n {
            let v = source[i]
            for k in 0..<m { o[k] = v }
            o += m
        }
    }

    /// `repeatEach` with M = 2: four floats in, eight out, by shuffles.
    private static func repeatTwice(_ source: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i &+ 4 <= n {
            let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self)
            let pairs = Vector(v[0], v[0], v[1], v[1], v[2], v[2], v[3], v[3])
            store(pairs, out + i &* 2)
            i &+= 4
        }
        while i < n {
            out[i &* 2] = source[i]
            out[i &* 2 &+ 1] = source[i]
            i &+= 1
        }
    }
}
