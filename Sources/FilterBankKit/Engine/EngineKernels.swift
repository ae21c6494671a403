/// The engine's inner loops: the one place that reads and writes through raw
/// pointers without bounds checks. Every function here is given pointers and
/// counts that `ConvolutionEngine` derived from the plan (see the comments
/// there for why each range is in bounds); nothing here allocates, calls an
/// opaque function or touches a class, so the loops compile to straight SIMD
/// code (checked in the assembly: packed `mulps`/`addps` on the default
/// x86-64 target, `vfmadd231ps` on ymm registers with
/// `-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DFILTERBANK_FMA`).
///
/// Index arithmetic uses `&+` / `&*`: overflow checks would block
/// vectorisation, and every index is bounded by an allocation size.
typealias Vector = SIMD8<Float>

@inline(__always)
func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always)
func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always)
func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// `acc + a * b`. A fused multiply-add only when the build says FMA is there
/// (`-DFILTERBANK_FMA`, together with a CPU target that has it): without such
/// a target `addingProduct` becomes eight libm `fmaf` calls, and Swift never
/// fuses `a * b + acc` by itself.
@inline(__always)
func madd(_ acc: Vector, _ a: Vector, _ b: Vector) -> Vector {
    #if FILTERBANK_FMA
    return acc.addingProduct(a, b)
    #else
    return a * b + acc
    #endif
}

@inline(__always)
func madd(_ acc: Float, _ a: Float, _ b: Float) -> Float {
    #if FILTERBANK_FMA
    return acc.addingProduct(a, b)
    #else
    return a * b + acc
    #endif
}

enum EngineKernels {
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

    /// `sweep` for a period that divides 24 (`P` = 1, 2, 3, 4, 6, 8, 12, 24:
    /// grey, RGB, RGBA, ...): the weights of floats `t` and `t + 24` are the
    /// same, so each tap loads three weight vectors once and uses each twice
    /// over a block of 48 floats (six accumulators), 1.5 loads per
    /// multiply-add instead of 2. The rest of the row goes to `sweep`.
    @inline(__always)
    static func sweep24(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                        rows: Int, taps: Int, tapStride: Int, tileLength: Int, tileStride: Int,
                        from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let phase = t0 % tileLength
        // Blocks of 96 floats: twelve accumulators, each weight vector used four times.
        let wide = count / 96
        for b in 0..<wide {
            let t = t0 &+ b &* 96
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector()
            var a6 = Vector(), a7 = Vector(), a8 = Vector(), a9 = Vector(), a10 = Vector(), a11 = Vector()
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    let w0 = load(w), w1 = load(w + 8), w2 = load(w + 16)
                    a0 = madd(a0, load(s), w0)
                    a1 = madd(a1, load(s + 8), w1)
                    a2 = madd(a2, load(s + 16), w2)
                    a3 = madd(a3, load(s + 24), w0)
                    a4 = madd(a4, load(s + 32), w1)
                    a5 = madd(a5, load(s + 40), w2)
                    a6 = madd(a6, load(s + 48), w0)
                    a7 = madd(a7, load(s + 56), w1)
                    a8 = madd(a8, load(s + 64), w2)
                    a9 = madd(a9, load(s + 72), w0)
                    a10 = madd(a10, load(s + 80), w1)
                    a11 = madd(a11, load(s + 88), w2)
                    s += tapStride
                    w += tileStride
                }
            }
            let o = out + b &* 96
            store(a0, o); store(a1, o + 8); store(a2, o + 16); store(a3, o + 24)
            store(a4, o + 32); store(a5, o + 40); store(a6, o + 48); store(a7, o + 56)
            store(a8, o + 64); store(a9, o + 72); store(a10, o + 80); store(a11, o + 88)
        }
        let blocks = (count - wide &* 96) / 48
        for b in 0..<blocks {
            let t = t0 &+ wide &* 96 &+ b &* 48
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector()
            for r in 0..<rows {
                var s = sources[r] + t
                var w = weights[r] + phase
                for _ in 0..<taps {
                    let w0 = load(w), w1 = load(w + 8), w2 = load(w + 16)
                    a0 = madd(a0, load(s), w0)
                    a1 = madd(a1, load(s + 8), w1)
                    a2 = madd(a2, load(s + 16), w2)
                    a3 = madd(a3, load(s + 24), w0)
                    a4 = madd(a4, load(s + 32), w1)
                    a5 = madd(a5, load(s + 40), w2)
                    s += tapStride
                    w += tileStride
                }
            }
            let o = out + wide &* 96 + b &* 48
            store(a0, o)
            store(a1, o + 8)
            store(a2, o + 16)
            store(a3, o + 24)
            store(a4, o + 32)
            store(a5, o + 40)
        }
        let done = wide &* 96 &+ blocks &* 48
        if done < count {
            sweep(sources: sources, weights: weights, rows: rows, taps: taps, tapStride: tapStride,
                  tileLength: tileLength, tileStride: tileStride, from: t0 &+ done, count: count &- done,
                  into: out + done)
        }
    }

    /// Two consecutive output rows at once (vertical stride and dilation 1),
    /// for a period that divides 24: row A reads padded rows `0..<kh` of the
    /// `kh + 1` rows in `sources`, row B rows `1...kh` (`nil`: a zero row).
    /// Every input vector loaded feeds both rows, so the kernel needs about
    /// half the input loads of two single-row sweeps. The portable build's
    /// direct path (see `directBlock`).
    /// `weights` is the tile of tap `(0, 0)`; kernel row `i`'s tiles start
    /// `i * rowStride` floats further, tap `j`'s `j * tileStride` further.
    static func sweepPair24(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int,
                            weights: UnsafePointer<Float>, rowStride: Int, taps: Int, tapStride: Int,
                            tileLength: Int, tileStride: Int, from t0: Int, count: Int,
                            into outA: UnsafeMutablePointer<Float>, _ outB: UnsafeMutablePointer<Float>) {
        var t = t0
        var phase = t0 % tileLength
        let end = t0 &+ count
        // Blocks of 16 floats: four accumulators, no spills in the portable
        // build's sixteen four-lane registers.
        while t &+ 16 <= end {
            var a0 = Vector(), a1 = Vector(), b0 = Vector(), b1 = Vector()
            for u in 0...kh {
                guard let row = sources[u] else { continue }
                var s = row + t
                var wa = weights + (u &* rowStride &+ phase)
                var wb = wa - rowStride
                for _ in 0..<taps {
                    let e0 = load(s), e1 = load(s + 8)
                    if u < kh { a0 = madd(a0, e0, load(wa)); a1 = madd(a1, e1, load(wa + 8)) }
                    if u > 0 { b0 = madd(b0, e0, load(wb)); b1 = madd(b1, e1, load(wb + 8)) }
                    s += tapStride
                    wa += tileStride
                    wb += tileStride
                }
            }
            let oa = outA + (t &- t0), ob = outB + (t &- t0)
            store(a0, oa); store(a1, oa + 8)
            store(b0, ob); store(b1, ob + 8)
            t &+= 16
            phase &+= 16
            if phase >= tileLength { phase &-= tileLength }
        }
        // The tail, one float at a time (fewer than a block per row).
        while t < end {
            var a: Float = 0, b: Float = 0
            for u in 0...kh {
                guard let row = sources[u] else { continue }
                var s = row + t
                var wa = weights + (u &* rowStride &+ phase)
                var wb = wa - rowStride
                for _ in 0..<taps {
                    if u < kh { a = madd(a, s[0], wa[0]) }
                    if u > 0 { b = madd(b, s[0], wb[0]) }
                    s += tapStride
                    wa += tileStride
                    wb += tileStride
                }
            }
            outA[t &- t0] = a
            outB[t &- t0] = b
            t &+= 1
            phase &+= 1
            if phase >= tileLength { phase &-= tileLength }
        }
    }

    /// Output rows the rank-1 vertical pass (`columnPass`) computes at once,
    /// and the most `blockSweep24` takes. Four fill AVX's sixteen eight-lane
    /// registers (twelve accumulators, three input vectors). On the portable
    /// build (sixteen four-lane registers) the column pass with four rows
    /// spills a little but measured the same as with two (rank-1 7x7 on the
    /// benchmark photo, 2 threads: 35.0-35.4 ms either way), so both builds
    /// use four there and the portable tests run the code the FMA build runs.
    static let blockRows = 4

    /// Output rows the direct path computes at once: `blockSweep24`'s four
    /// with AVX; `sweepPair24`'s two on the portable build, where four rows
    /// of twelve eight-lane accumulators spill (measured, 2 threads, the
    /// benchmark photo: 3x3 27-29 ms with four rows, 35-37 with
    /// `blockSweep24`'s two, 23.5-26 with `sweepPair24`). Four rows in blocks
    /// of 8 floats (four accumulators, no spills) were slower still: 3x3
    /// 38 ms, 7x7 109-113 against `sweepPair24`'s 87-93 (alternating runs).
    #if FILTERBANK_FMA
    static let directBlockRows = 4
    #else
    static let directBlockRows = 2
    #endif

    /// The direct path's block of `outputs` rows (at most `directBlockRows`):
    /// `sweepPair24` for two rows on the portable build, `blockSweep24` otherwise.
    static func directBlock(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                            weights: UnsafePointer<Float>, rowStride: Int, taps: Int, tapStride: Int,
                            tileLength: Int, tileStride: Int, period p: Int,
                            from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int) {
        #if !FILTERBANK_FMA
        if outputs == 2 {
            sweepPair24(sources: sources, kernelRows: kh, weights: weights, rowStride: rowStride, taps: taps,
                        tapStride: tapStride, tileLength: tileLength, tileStride: tileStride,
                        from: t0, count: count, into: out, out + outStride)
            return
        }
        #endif
        blockSweep24(sources: sources, kernelRows: kh, outputs: outputs, weights: weights, rowStride: rowStride,
                     taps: taps, tapStride: tapStride, tileStride: tileStride, period: p,
                     from: t0, count: count, into: out, outStride: outStride)
    }

    /// Up to `blockRows` consecutive output rows at once (vertical
    /// stride and dilation 1), for a period that divides 24:
    ///
    ///     out[r][t - t0] = sum_{i < kh} sum_{j < taps} src[r + i][t + j * tapStride] * tile(i, j)[t mod period]
    ///
    /// for `r < outputs`, `t` in `t0 ..< t0 + count`. `sources` holds the
    /// `outputs + kh - 1` rows (`nil`: a zero row); `weights` is the tile of
    /// tap `(0, 0)`, tap `(i, j)`'s tile `i * rowStride + j * tileStride`
    /// floats further; output row `r` is written at `out + r * outStride`.
    /// The direct path runs here; the vertical pass of rank-1 kernels (one
    /// tap) in `columnPass`.
    ///
    /// Blocks of 24 floats (three vectors, over which the weights of any
    /// period dividing 24 repeat, so the weight pointer never moves with
    /// `t`): each input vector is loaded once per block and feeds every
    /// output row that reads it, so four output rows cost `(4 + kh - 1) / 4`
    /// input loads a tap each instead of `kh`; twelve accumulators hide the
    /// multiply-add latency.
    static func blockSweep24(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                             weights: UnsafePointer<Float>, rowStride: Int, taps: Int, tapStride: Int,
                             tileStride: Int, period p: Int,
                             from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int) {
        let w = weights + t0 % p
        let union = outputs &+ kh &- 1
        var t = t0
        let end = t0 &+ count
        if outputs == 4 {
            while t &+ 24 <= end {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                for u in 0..<union {
                    guard let row = sources[u] else { continue }
                    var s = row + t
                    let useA = u < kh, useB = u >= 1 && u &- 1 < kh, useC = u >= 2 && u &- 2 < kh, useD = u >= 3
                    var xa = w + (useA ? u : 0) &* rowStride
                    var xb = w + (useB ? u &- 1 : 0) &* rowStride
                    var xc = w + (useC ? u &- 2 : 0) &* rowStride
                    var xd = w + (useD ? u &- 3 : 0) &* rowStride
                    for _ in 0..<taps {
                        let s0 = load(s), s1 = load(s + 8), s2 = load(s + 16)
                        if useA { a0 = madd(a0, s0, load(xa)); a1 = madd(a1, s1, load(xa + 8)); a2 = madd(a2, s2, load(xa + 16)) }
                        if useB { b0 = madd(b0, s0, load(xb)); b1 = madd(b1, s1, load(xb + 8)); b2 = madd(b2, s2, load(xb + 16)) }
                        if useC { c0 = madd(c0, s0, load(xc)); c1 = madd(c1, s1, load(xc + 8)); c2 = madd(c2, s2, load(xc + 16)) }
                        if useD { d0 = madd(d0, s0, load(xd)); d1 = madd(d1, s1, load(xd + 8)); d2 = madd(d2, s2, load(xd + 16)) }
                        s += tapStride
                        xa += tileStride
                        xb += tileStride
                        xc += tileStride
                        xd += tileStride
                    }
                }
                let o = out + (t &- t0)
                store(a0, o); store(a1, o + 8); store(a2, o + 16)
                let ob = o + outStride
                store(b0, ob); store(b1, ob + 8); store(b2, ob + 16)
                let oc = ob + outStride
                store(c0, oc); store(c1, oc + 8); store(c2, oc + 16)
                let od = oc + outStride
                store(d0, od); store(d1, od + 8); store(d2, od + 16)
                t &+= 24
            }
        }
        if outputs == 2 {
            while t &+ 24 <= end {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                for u in 0..<union {
                    guard let row = sources[u] else { continue }
                    var s = row + t
                    let useA = u < kh, useB = u >= 1
                    var xa = w + (useA ? u : 0) &* rowStride
                    var xb = w + (useB ? u &- 1 : 0) &* rowStride
                    for _ in 0..<taps {
                        let s0 = load(s), s1 = load(s + 8), s2 = load(s + 16)
                        if useA { a0 = madd(a0, s0, load(xa)); a1 = madd(a1, s1, load(xa + 8)); a2 = madd(a2, s2, load(xa + 16)) }
                        if useB { b0 = madd(b0, s0, load(xb)); b1 = madd(b1, s1, load(xb + 8)); b2 = madd(b2, s2, load(xb + 16)) }
                        s += tapStride
                        xa += tileStride
                        xb += tileStride
                    }
                }
                let o = out + (t &- t0)
                store(a0, o); store(a1, o + 8); store(a2, o + 16)
                let ob = o + outStride
                store(b0, ob); store(b1, ob + 8); store(b2, ob + 16)
                t &+= 24
            }
        }
        // Any other row count, and the tail of every row, one vector or float at a time.
        while t &+ 8 <= end {
            let x = w + (t &- t0) % p
            for r in 0..<outputs {
                var a = Vector()
                for i in 0..<kh {
                    guard let row = sources[r &+ i] else { continue }
                    for j in 0..<taps {
                        a = madd(a, load(row + (t &+ j &* tapStride)), load(x + (i &* rowStride &+ j &* tileStride)))
                    }
                }
                store(a, out + r &* outStride + (t &- t0))
            }
            t &+= 8
        }
        while t < end {
            let x = w + (t &- t0) % p
            for r in 0..<outputs {
                var a: Float = 0
                for i in 0..<kh {
                    guard let row = sources[r &+ i] else { continue }
                    for j in 0..<taps {
                        a = madd(a, row[t &+ j &* tapStride], x[i &* rowStride &+ j &* tileStride])
                    }
                }
                out[r &* outStride &+ (t &- t0)] = a
            }
            t &+= 1
        }
    }

    /// The vertical pass of rank-1 kernels for up to `blockRows`
    /// consecutive output rows (vertical stride and dilation 1), for a period
    /// that divides 24:
    ///
    ///     out[r][t - t0] = sum_{i < kh} src[r + i][t] * column(i)[t mod period]
    ///
    /// for `r < outputs`, `t` in `t0 ..< t0 + count`. `sources` holds the
    /// `outputs + kh - 1` rows (`nil`: a zero row); `weights` is the tile of
    /// the column's tap 0, tap `i`'s tile `i * tileStride` floats further;
    /// output row `r` is written at `out + r * outStride`.
    ///
    /// `blockSweep24` with one tap, written out without the tap loop:
    /// through `blockSweep24` (even specialised for one tap) the rank-1 7x7
    /// benchmark row took 20.6-21.1 ms instead of 16.0-16.5.
    static func columnPass(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                           weights: UnsafePointer<Float>, tileStride: Int, period p: Int,
                           from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int) {
        let w = weights + t0 % p
        let union = outputs &+ kh &- 1
        var t = t0
        let end = t0 &+ count
        if outputs == 4 {
            while t &+ 24 <= end {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                for u in 0..<union {
                    guard let row = sources[u] else { continue }
                    let s = row + t
                    let s0 = load(s), s1 = load(s + 8), s2 = load(s + 16)
                    if u < kh {
                        let x = w + u &* tileStride
                        a0 = madd(a0, s0, load(x)); a1 = madd(a1, s1, load(x + 8)); a2 = madd(a2, s2, load(x + 16))
                    }
                    if u >= 1 && u &- 1 < kh {
                        let x = w + (u &- 1) &* tileStride
                        b0 = madd(b0, s0, load(x)); b1 = madd(b1, s1, load(x + 8)); b2 = madd(b2, s2, load(x + 16))
                    }
                    if u >= 2 && u &- 2 < kh {
                        let x = w + (u &- 2) &* tileStride
                        c0 = madd(c0, s0, load(x)); c1 = madd(c1, s1, load(x + 8)); c2 = madd(c2, s2, load(x + 16))
                    }
                    if u >= 3 {
                        let x = w + (u &- 3) &* tileStride
                        d0 = madd(d0, s0, load(x)); d1 = madd(d1, s1, load(x + 8)); d2 = madd(d2, s2, load(x + 16))
                    }
                }
                let o = out + (t &- t0)
                store(a0, o); store(a1, o + 8); store(a2, o + 16)
                let ob = o + outStride
                store(b0, ob); store(b1, ob + 8); store(b2, ob + 16)
                let oc = ob + outStride
                store(c0, oc); store(c1, oc + 8); store(c2, oc + 16)
                let od = oc + outStride
                store(d0, od); store(d1, od + 8); store(d2, od + 16)
                t &+= 24
            }
        }
        if outputs == 2 {
            while t &+ 24 <= end {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                for u in 0..<union {
                    guard let row = sources[u] else { continue }
                    let s = row + t
                    let s0 = load(s), s1 = load(s + 8), s2 = load(s + 16)
                    if u < kh {
                        let x = w + u &* tileStride
                        a0 = madd(a0, s0, load(x)); a1 = madd(a1, s1, load(x + 8)); a2 = madd(a2, s2, load(x + 16))
                    }
                    if u >= 1 {
                        let x = w + (u &- 1) &* tileStride
                        b0 = madd(b0, s0, load(x)); b1 = madd(b1, s1, load(x + 8)); b2 = madd(b2, s2, load(x + 16))
                    }
                }
                let o = out + (t &- t0)
                store(a0, o); store(a1, o + 8); store(a2, o + 16)
                let ob = o + outStride
                store(b0, ob); store(b1, ob + 8); store(b2, ob + 16)
                t &+= 24
            }
        }
        // Any other row count, and the tail of every row, one vector or float at a time.
        while t &+ 8 <= end {
            let x = w + (t &- t0) % p
            for r in 0..<outputs {
                var a = Vector()
                for i in 0..<kh {
                    guard let row = sources[r &+ i] else { continue }
                    a = madd(a, load(row + t), load(x + i &* tileStride))
                }
                store(a, out + r &* outStride + (t &- t0))
            }
            t &+= 8
        }
        while t < end {
            let x = w + (t &- t0) % p
            for r in 0..<outputs {
                var a: Float = 0
                for i in 0..<kh {
                    guard let row = sources[r &+ i] else { continue }
                    a = madd(a, row[t], x[i &* tileStride])
                }
                out[r &* outStride &+ (t &- t0)] = a
            }
            t &+= 1
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

    /// Depthwise with a multiplier that is a multiple of 8, straight from
    /// padded rows of the `C` input channels (no expansion): output pixel `x`,
    /// channel `c * M + m` (eight `m` at a time) is
    /// `sum_{r, j} src[r][x * pixelStride + j * tapStride + c] * f(i_r, j, c, m..m+7)`,
    /// the input sample broadcast to all eight lanes. `weights[r]` points at
    /// the filter's values for tap `(i_r, 0)` (`[kw, C, M]` follow). Eight
    /// pixels at a time keep eight accumulators in registers and load each
    /// weight vector once per eight pixels; four pixels on the portable
    /// build, whose sixteen four-lane registers eight accumulators would
    /// fill (3x3 M=8: 124-128 ms with four, 201-206 with eight, alternating
    /// runs, 2 threads).
    static func broadcastSweep(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                               rows: Int, taps: Int, tapStride: Int, channels: Int, multiplier: Int,
                               pixelStride ps: Int, pixels: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let cm = channels &* multiplier
        let tapWeights = cm
        var x = pixels.lowerBound
        #if FILTERBANK_FMA
        while x &+ 8 <= pixels.upperBound {
            let o = out + (x &- pixels.lowerBound) &* cm
            for c in 0..<channels {
                var mb = 0
                while mb < multiplier {
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                    var a4 = Vector(), a5 = Vector(), a6 = Vector(), a7 = Vector()
                    for r in 0..<rows {
                        var s = sources[r] + (x &* ps &+ c)
                        var w = weights[r] + (c &* multiplier &+ mb)
                        for _ in 0..<taps {
                            let wv = load(w)
                            a0 = madd(a0, Vector(repeating: s[0]), wv)
                            a1 = madd(a1, Vector(repeating: s[ps]), wv)
                            a2 = madd(a2, Vector(repeating: s[2 &* ps]), wv)
                            a3 = madd(a3, Vector(repeating: s[3 &* ps]), wv)
                            a4 = madd(a4, Vector(repeating: s[4 &* ps]), wv)
                            a5 = madd(a5, Vector(repeating: s[5 &* ps]), wv)
                            a6 = madd(a6, Vector(repeating: s[6 &* ps]), wv)
                            a7 = madd(a7, Vector(repeating: s[7 &* ps]), wv)
                            s += tapStride
                            w += tapWeights
                        }
                    }
                    let d = o + (c &* multiplier &+ mb)
                    store(a0, d)
                    store(a1, d + cm)
                    store(a2, d + 2 &* cm)
                    store(a3, d + 3 &* cm)
                    store(a4, d + 4 &* cm)
                    store(a5, d + 5 &* cm)
                    store(a6, d + 6 &* cm)
                    store(a7, d + 7 &* cm)
                    mb &+= 8
                }
            }
            x &+= 8
        }
        #else
        // Four pixels at a time on the portable build: eight eight-lane
        // accumulators would need all sixteen four-lane registers.
        while x &+ 4 <= pixels.upperBound {
            let o = out + (x &- pixels.lowerBound) &* cm
            for c in 0..<channels {
                var mb = 0
                while mb < multiplier {
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                    for r in 0..<rows {
                        var s = sources[r] + (x &* ps &+ c)
                        var w = weights[r] + (c &* multiplier &+ mb)
                        for _ in 0..<taps {
                            let wv = load(w)
                            a0 = madd(a0, Vector(repeating: s[0]), wv)
                            a1 = madd(a1, Vector(repeating: s[ps]), wv)
                            a2 = madd(a2, Vector(repeating: s[2 &* ps]), wv)
                            a3 = madd(a3, Vector(repeating: s[3 &* ps]), wv)
                            s += tapStride
                            w += tapWeights
                        }
                    }
                    let d = o + (c &* multiplier &+ mb)
                    store(a0, d)
                    store(a1, d + cm)
                    store(a2, d + 2 &* cm)
                    store(a3, d + 3 &* cm)
                    mb &+= 8
                }
            }
            x &+= 4
        }
        #endif
        while x < pixels.upperBound {
            let o = out + (x &- pixels.lowerBound) &* cm
            for c in 0..<channels {
                var mb = 0
                while mb < multiplier {
                    var a = Vector()
                    for r in 0..<rows {
                        var s = sources[r] + (x &* ps &+ c)
                        var w = weights[r] + (c &* multiplier &+ mb)
                        for _ in 0..<taps {
                            a = madd(a, Vector(repeating: s[0]), load(w))
                            s += tapStride
                            w += tapWeights
                        }
                    }
                    store(a, o + (c &* multiplier &+ mb))
                    mb &+= 8
                }
            }
            x &+= 1
        }
    }

    /// The pointwise step as a blocked matrix product over a tile of pixels:
    /// `out[x, o] = sum_k depth[x, k] * p[k, o]` (`depth` is `pixels x cm`,
    /// `p` is `cm x outputs`, `out` is `pixels x outputs`, all row-major).
    /// Four pixels by sixteen outputs (eight accumulators) at a time: per `k`,
    /// two weight vectors and four broadcasts feed eight multiply-adds.
    static func pointwise(_ depth: UnsafePointer<Float>, pixels: Int, depth cm: Int,
                          matrix p: UnsafePointer<Float>, outputs: Int, into out: UnsafeMutablePointer<Float>) {
        var x = 0
        while x &+ 4 <= pixels {
            let d = depth + x &* cm
            let o = out + x &* outputs
            var j = 0
            // Sixteen outputs (eight accumulators) only with AVX: on the
            // portable build they would take all sixteen four-lane registers
            // (separable 3x3 to 16: 76-77 ms with eight outputs at a time,
            // 80-83 with sixteen, alternating runs).
            #if FILTERBANK_FMA
            while j &+ 16 <= outputs {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector()
                var w = p + j
                for k in 0..<cm {
                    let w0 = load(w), w1 = load(w + 8)
                    let v0 = Vector(repeating: d[k]), v1 = Vector(repeating: d[cm &+ k])
                    let v2 = Vector(repeating: d[2 &* cm &+ k]), v3 = Vector(repeating: d[3 &* cm &+ k])
                    a0 = madd(a0, v0, w0); b0 = madd(b0, v0, w1)
                    a1 = madd(a1, v1, w0); b1 = madd(b1, v1, w1)
                    a2 = madd(a2, v2, w0); b2 = madd(b2, v2, w1)
                    a3 = madd(a3, v3, w0); b3 = madd(b3, v3, w1)
                    w += outputs
                }
                store(a0, o + j); store(b0, o + j + 8)
                store(a1, o + outputs + j); store(b1, o + outputs + j + 8)
                store(a2, o + 2 &* outputs + j); store(b2, o + 2 &* outputs + j + 8)
                store(a3, o + 3 &* outputs + j); store(b3, o + 3 &* outputs + j + 8)
                j &+= 16
            }
            #endif
            while j &+ 8 <= outputs {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
                var w = p + j
                for k in 0..<cm {
                    let w0 = load(w)
                    a0 = madd(a0, Vector(repeating: d[k]), w0)
                    a1 = madd(a1, Vector(repeating: d[cm &+ k]), w0)
                    a2 = madd(a2, Vector(repeating: d[2 &* cm &+ k]), w0)
                    a3 = madd(a3, Vector(repeating: d[3 &* cm &+ k]), w0)
                    w += outputs
                }
                store(a0, o + j)
                store(a1, o + outputs + j)
                store(a2, o + 2 &* outputs + j)
                store(a3, o + 3 &* outputs + j)
                j &+= 8
            }
            if j < outputs {
                for px in 0..<4 { pointwiseScalar(d + px &* cm, cm: cm, p: p, outputs: outputs, from: j, into: o + px &* outputs) }
            }
            x &+= 4
        }
        while x < pixels {
            let d = depth + x &* cm
            let o = out + x &* outputs
            var j = 0
            while j &+ 8 <= outputs {
                var a = Vector()
                var w = p + j
                for k in 0..<cm {
                    a = madd(a, Vector(repeating: d[k]), load(w))
                    w += outputs
                }
                store(a, o + j)
                j &+= 8
            }
            pointwiseScalar(d, cm: cm, p: p, outputs: outputs, from: j, into: o)
            x &+= 1
        }
    }

    @inline(__always)
    static func pointwiseScalar(_ d: UnsafePointer<Float>, cm: Int, p: UnsafePointer<Float>, outputs: Int,
                                from j0: Int, into o: UnsafeMutablePointer<Float>) {
        var j = j0
        while j < outputs {
            var a: Float = 0
            for k in 0..<cm { a = madd(a, d[k], p[k &* outputs &+ j]) }
            o[j] = a
            j &+= 1
        }
    }

    /// `row[x * k + j] += bias[j]` for `pixels` pixels of `k` channels.
    static func addBias(_ bias: UnsafePointer<Float>, channels k: Int, pixels: Int, to row: UnsafeMutablePointer<Float>) {
        for x in 0..<pixels {
            let r = row + x &* k
            for j in 0..<k { r[j] += bias[j] }
        }
    }
}
