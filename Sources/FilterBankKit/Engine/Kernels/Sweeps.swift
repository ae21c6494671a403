import CEngineKernels

extension EngineKernels {
    /// The single-row sweep for width stride 1 (the sum of `sweep`). The
    /// portable level runs `sweep12` when the period divides 12, `sweep`
    /// otherwise; AVX2 and AVX-512 run the C kernels, which for a period
    /// dividing 24 load three weight vectors a tap and use each four times.
    /// (On the portable level an eight-lane `sweep24` spilled SSE2's sixteen
    /// four-lane registers and measured slower than `sweep`; docs/performance.md.)
    @inline(__always)
    static func sweepRow(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                         rows: Int, taps: Int, tapStride: Int, period: Int, tileLength: Int, tileStride: Int,
                         from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, level: InstructionSet) {
        #if arch(x86_64)
        switch level {
        case .avx2:
            return cek_avx2_sweep_row(sources, weights, rows, taps, tapStride, period, tileLength, tileStride,
                                      t0, count, out)
        case .avx512:
            return cek_avx512_sweep_row(sources, weights, rows, taps, tapStride, period, tileLength, tileStride,
                                        t0, count, out)
        case .portable: break
        }
        #endif
        if 12 % period == 0 {
            sweep12(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
                    tileLength: tileLength, tileStride: tileStride, from: t0, count: count, into: out)
            return
        }
        sweep(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
              tileLength: tileLength, tileStride: tileStride, from: t0, count: count, into: out)
    }

    /// The tap sweep with periodic weights, for width stride 1:
    ///
    ///     out[t - t0] = sum_{r < rows} sum_{j < taps} src[r][t + j * tapStride] * tile(r, j)[t mod period]
    ///
    /// for `t` in `t0 ..< t0 + count`. `src[r]` is a padded row (`t` indexes
    /// floats: pixel * P + channel); `weights[r]` is the tile of tap `(r, 0)`,
    /// tap `j`'s tile `j * tileStride` floats further. A tile holds the `P`
    /// per-channel weights repeated over `tileLength + 32` floats, where
    /// `tileLength` is a multiple of both `P` and 32, so that the weights of
    /// any 32 consecutive floats are 32 consecutive tile entries.
    ///
    /// Four SIMD8 accumulators stay in registers over all taps; each output
    /// float is stored once.
    @inline(__always)
    static func sweep(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                      rows: Int, taps: Int, tapStride: Int, tileLength: Int, tileStride: Int,
                      from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        var t = t0
        var phase = t0 % tileLength
        let end = t0 &+ count
        while t &+ 32 <= end {
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    a0 = madd(a0, load(s), load(w))
                    a1 = madd(a1, load(s + 8), load(w + 8))
                    a2 = madd(a2, load(s + 16), load(w + 16))
                    a3 = madd(a3, load(s + 24), load(w + 24))
                    s += tapStride
                    w += tileStride
                }
            }
            let o = out + (t &- t0)
            store(a0, o)
            store(a1, o + 8)
            store(a2, o + 16)
            store(a3, o + 24)
            t &+= 32
            phase &+= 32
            if phase >= tileLength { phase &-= tileLength }
        }
        while t &+ 8 <= end {
            var a = Vector()
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    a = madd(a, load(s), load(w))
                    s += tapStride
                    w += tileStride
                }
            }
            store(a, out + (t &- t0))
            t &+= 8
            phase &+= 8
            if phase >= tileLength { phase &-= tileLength }
        }
        while t < end {
            var a: Float = 0
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    a = madd(a, s[0], w[0])
                    s += tapStride
                    w += tileStride
                }
            }
            out[t &- t0] = a
            t &+= 1
            phase &+= 1
            if phase >= tileLength { phase &-= tileLength }
        }
    }

    /// `sweep` for a period that divides 12 (`P` = 1, 2, 3, 4, 6, 12) in the
    /// portable build, in four-lane vectors: the weights of floats `t` and
    /// `t + 12` are the same, so each tap loads three weight vectors once and
    /// uses each three times over a block of 36 floats (nine accumulators,
    /// thirteen of SSE2's sixteen registers with the weights and one input),
    /// 1.33 loads per multiply-add instead of 2. Each float's terms are added
    /// in `sweep`'s order, so the two give the same bits. The rest of the row
    /// goes to `sweep`.
    static func sweep12(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                        rows: Int, taps: Int, tapStride: Int, tileLength: Int, tileStride: Int,
                        from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        typealias Lanes = SIMD4<Float>
        @inline(__always) func load4(_ p: UnsafePointer<Float>) -> Lanes {
            UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
        }
        @inline(__always) func store4(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
        }
        let phase = t0 % tileLength
        let blocks = count / 36
        for b in 0..<blocks {
            let t = t0 &+ b &* 36
            var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes(), a4 = Lanes(), a5 = Lanes()
            var a6 = Lanes(), a7 = Lanes(), a8 = Lanes()
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    let w0 = load4(w), w1 = load4(w + 4), w2 = load4(w + 8)
                    a0 = load4(s) * w0 + a0
                    a1 = load4(s + 4) * w1 + a1
                    a2 = load4(s + 8) * w2 + a2
                    a3 = load4(s + 12) * w0 + a3
                    a4 = load4(s + 16) * w1 + a4
                    a5 = load4(s + 20) * w2 + a5
                    a6 = load4(s + 24) * w0 + a6
                    a7 = load4(s + 28) * w1 + a7
                    a8 = load4(s + 32) * w2 + a8
                    s += tapStride
                    w += tileStride
                }
            }
            let o = out + b &* 36
            store4(a0, o); store4(a1, o + 4); store4(a2, o + 8)
            store4(a3, o + 12); store4(a4, o + 16); store4(a5, o + 20)
            store4(a6, o + 24); store4(a7, o + 28); store4(a8, o + 32)
        }
        let done = blocks &* 36
        if done < count {
            sweep(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
                  tileLength: tileLength, tileStride: tileStride, from: t0 &+ done, count: count &- done,
                  into: out + done)
        }
    }

    /// The same sum for any width stride, pixel by pixel: output pixel `x`
    /// (of `x0 ..< x1`) reads padded pixels `x * pixelStride / P + j * dw`,
    /// i.e. floats `x * pixelStride + j * tapStride + k`. Vectorised over the
    /// `P` channels when `P >= 8`.
    static func stridedSweep(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                             rows: Int, taps: Int, tapStride: Int, tileStride: Int, period p: Int,
                             pixelStride: Int, pixels: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        for x in pixels {
            let o = out + (x &- pixels.lowerBound) &* p
            let base = x &* pixelStride
            var k = 0
            while k &+ 8 <= p {
                var a = Vector()
                for r in 0..<rows {
                    var s = sources[r] + (base &+ k)
                    var w = weights[r] + k
                    for _ in 0..<taps {
                        a = madd(a, load(s), load(w))
                        s += tapStride
                        w += tileStride
                    }
                }
                store(a, o + k)
                k &+= 8
            }
            while k < p {
                var a: Float = 0
                for r in 0..<rows {
                    var s = sources[r] + (base &+ k)
                    var w = weights[r] + k
                    for _ in 0..<taps {
                        a = madd(a, s[0], w[0])
                        s += tapStride
                        w += tileStride
                    }
                }
                o[k] = a
                k &+= 1
            }
        }
    }
}
