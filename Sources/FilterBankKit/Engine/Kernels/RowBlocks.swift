import CEngineKernels

extension EngineKernels {
    /// Output rows the rank-1 vertical pass (`columnPass`) computes at once:
    /// four on every level (the portable one a third of a block at a time).
    static let blockRows = 4

    /// Output rows the direct path computes at once: four with AVX2 or
    /// AVX-512 (the C block kernel: twelve accumulators); two on the portable
    /// level (`sweepPair24`), where four rows of twelve eight-lane
    /// accumulators spill SSE2's sixteen registers. Both choices, and four
    /// rows in blocks of 8 floats (slower still), were measured (docs/performance.md).
    static func directBlockRows(_ level: InstructionSet) -> Int {
        level == .portable ? 2 : 4
    }

    /// The direct path's block of `outputs` rows (at most `directBlockRows`),
    /// for a period that divides 24:
    ///
    ///     out[r][t - t0] = sum_{i < kh} sum_{j < taps} src[r + i][t + j * tapStride] * tile(i, j)[t mod period]
    ///
    /// for `r < outputs`, `t` in `t0 ..< t0 + count`. `sources` holds the
    /// `outputs + kh - 1` rows (`nil`: a zero row); `weights` is the tile of
    /// tap `(0, 0)`, tap `(i, j)`'s tile `i * rowStride + j * tileStride`
    /// floats further; output row `r` is written at `out + r * outStride`.
    /// AVX2 and AVX-512: the C block kernel, each input vector loaded once
    /// per block of three vectors and fed to every output row that reads it
    /// (four rows cost `(4 + kh - 1) / 4` input loads a tap each instead of
    /// `kh`). Portable: `sweepPair24` for two rows, `rowByRow` for one.
    /// `stream`: AVX2 and AVX-512 write with non-temporal stores the rows
    /// whose blocks start on a vector-sized boundary, after the first row's
    /// floats before its boundary (see `ConvolutionEngine.streamingThreshold`);
    /// the sums are the same.
    static func directBlock(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                            weights: UnsafePointer<Float>, rowStride: Int, taps: Int, tapStride: Int,
                            tileLength: Int, tileStride: Int, period p: Int,
                            from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int,
                            level: InstructionSet, stream: Bool = false) {
        #if arch(x86_64)
        switch level {
        case .avx2:
            return cek_avx2_block_sweep(sources, kh, outputs, weights, rowStride, taps, tapStride, tileStride, p,
                                        t0, count, out, outStride, stream ? 1 : 0)
        case .avx512:
            return cek_avx512_block_sweep(sources, kh, outputs, weights, rowStride, taps, tapStride, tileStride, p,
                                          t0, count, out, outStride, stream ? 1 : 0)
        case .portable: break
        }
        #endif
        if outputs == 2 {
            sweepPair24(sources: sources, kernelRows: kh, weights: weights, rowStride: rowStride, taps: taps,
                        tapStride: tapStride, tileLength: tileLength, tileStride: tileStride,
                        from: t0, count: count, into: out, out + outStride)
            return
        }
        rowByRow(sources: sources, kernelRows: kh, outputs: outputs, weights: weights, rowStride: rowStride,
                 taps: taps, tapStride: tapStride, tileStride: tileStride, period: p,
                 from: t0, count: count, into: out, outStride: outStride)
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
        // Blocks of 16 floats: four eight-lane accumulators, eight of the
        // portable build's sixteen four-lane registers.
        while t &+ 16 <= end {
            var a0 = Vector(), a1 = Vector(), b0 = Vector(), b1 = Vector()
            // Row 0 feeds only A, rows 1..<kh both, row kh only B: three loops
            // with no branch inside, so the accumulators stay in registers
            // (one loop with `if u < kh` / `if u > 0` inside stored them to
            // the stack on every tap). The terms are added in the same order.
            if let row = sources[0] {
                var s = row + t
                var wa = weights + phase
                for _ in 0..<taps {
                    a0 = madd(a0, load(s), load(wa)); a1 = madd(a1, load(s + 8), load(wa + 8))
                    s += tapStride
                    wa += tileStride
                }
            }
            var u = 1
            while u < kh {
                if let row = sources[u] {
                    var s = row + t
                    var wa = weights + (u &* rowStride &+ phase)
                    var wb = wa - rowStride
                    for _ in 0..<taps {
                        let e0 = load(s), e1 = load(s + 8)
                        a0 = madd(a0, e0, load(wa)); a1 = madd(a1, e1, load(wa + 8))
                        b0 = madd(b0, e0, load(wb)); b1 = madd(b1, e1, load(wb + 8))
                        s += tapStride
                        wa += tileStride
                        wb += tileStride
                    }
                }
                u &+= 1
            }
            if let row = sources[kh] {
                var s = row + t
                var wb = weights + ((kh &- 1) &* rowStride &+ phase)
                for _ in 0..<taps {
                    b0 = madd(b0, load(s), load(wb)); b1 = madd(b1, load(s + 8), load(wb + 8))
                    s += tapStride
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

    /// `directBlock`'s sum for any number of rows, one output row and one
    /// vector (then one float) at a time: the portable level's single rows
    /// at the end of a band, and the tails of `columnPass`.
    static func rowByRow(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                         weights: UnsafePointer<Float>, rowStride: Int, taps: Int, tapStride: Int,
                         tileStride: Int, period p: Int,
                         from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int) {
        let w = weights + t0 % p
        var t = t0
        let end = t0 &+ count
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
    /// `directBlock` with one tap and `rowStride` = `tileStride`. AVX2 and
    /// AVX-512 run the C block kernel specialised for one tap; the portable
    /// level's loop below is written out without the tap loop, which measured
    /// about a quarter faster than the general block even specialised for one
    /// tap (docs/performance.md).
    static func columnPass(sources: UnsafePointer<UnsafePointer<Float>?>, kernelRows kh: Int, outputs: Int,
                           weights: UnsafePointer<Float>, tileStride: Int, period p: Int,
                           from t0: Int, count: Int, into out: UnsafeMutablePointer<Float>, outStride: Int,
                           level: InstructionSet) {
        #if arch(x86_64)
        switch level {
        case .avx2:
            return cek_avx2_block_sweep(sources, kh, outputs, weights, tileStride, 1, 0, tileStride, p,
                                        t0, count, out, outStride, 0)
        case .avx512:
            return cek_avx512_block_sweep(sources, kh, outputs, weights, tileStride, 1, 0, tileStride, p,
                                          t0, count, out, outStride, 0)
        case .portable: break
        }
        #endif
        let w = weights + t0 % p
        let union = outputs &+ kh &- 1
        var t = t0
        let end = t0 &+ count
        // Twelve eight-lane accumulators are 24 of SSE2's
        // sixteen registers, so each 24-float block goes as three 8-float
        // parts, four accumulators each. Same loads and terms, same order.
        if outputs == 4 {
            while t &+ 24 <= end {
                let o = out + (t &- t0)
                for part in 0..<3 {
                    let offset = part &* 8
                    var a = Vector(), b = Vector(), c = Vector(), d = Vector()
                    let x = w + offset
                    for u in 0..<union {
                        guard let row = sources[u] else { continue }
                        let v = load(row + (t &+ offset))
                        if u < kh { a = madd(a, v, load(x + u &* tileStride)) }
                        if u >= 1 && u &- 1 < kh { b = madd(b, v, load(x + (u &- 1) &* tileStride)) }
                        if u >= 2 && u &- 2 < kh { c = madd(c, v, load(x + (u &- 2) &* tileStride)) }
                        if u >= 3 { d = madd(d, v, load(x + (u &- 3) &* tileStride)) }
                    }
                    store(a, o + offset)
                    store(b, o + (outStride &+ offset))
                    store(c, o + (2 &* outStride &+ offset))
                    store(d, o + (3 &* outStride &+ offset))
                }
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
        // Any other row count, and the tail of every row.
        rowByRow(sources: sources, kernelRows: kh, outputs: outputs, weights: weights, rowStride: tileStride,
                 taps: 1, tapStride: 0, tileStride: tileStride, period: p,
                 from: t, count: end &- t, into: out + (t &- t0), outStride: outStride)
    }
}
