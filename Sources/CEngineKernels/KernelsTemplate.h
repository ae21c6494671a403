// The kernels, written once, included by Kernels.c once per level with
// LEVEL (the name), VL (floats a vector), BROADCAST_PIXELS and
// POINTWISE_PIXELS (pixels a block of those kernels) and WIDE_BLOCKS (1: the
// block kernels may use `block6`, for 32 registers) defined, inside a
// `#pragma clang attribute push(target(...))` region.
//
// Every output float is `sum over rows r, taps j` of input times weight,
// accumulated from zero in that order with one fused multiply-add a term,
// in the vector blocks and in the tails alike: a row gives the same bits
// alone (`sweep_row`) or in a block (`block_sweep`), as the Swift kernels do.

#define CEK_CAT_(a, b) a##b
#define CEK_CAT(a, b) CEK_CAT_(a, b)
#define FN(name) CEK_CAT(CEK_CAT(cek_, LEVEL), CEK_CAT(_, name))
#define V CEK_CAT(cek_v, VL)
#define INLINE static inline __attribute__((always_inline))

INLINE V FN(ld)(const float *p) { V v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void FN(st)(V v, float *p) { __builtin_memcpy(p, &v, sizeof v); }
/// acc + a * b, fused.
INLINE V FN(madd)(V acc, V a, V b) { return __builtin_elementwise_fma(a, b, acc); }
INLINE cek_v8 FN(ld8)(const float *p) { cek_v8 v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void FN(st8)(cek_v8 v, float *p) { __builtin_memcpy(p, &v, sizeof v); }
INLINE cek_v8 FN(madd8)(cek_v8 acc, cek_v8 a, cek_v8 b) { return __builtin_elementwise_fma(a, b, acc); }
INLINE float FN(madd1)(float acc, float a, float b) { return __builtin_fmaf(a, b, acc); }

/// Stores a vector at `p`, aligned to the vector's size, with a
/// non-temporal store (see `block_sweep`'s `stream`).
INLINE void FN(stn)(V v, float *p) { __builtin_nontemporal_store(v, (V *)p); }
/// Whether a block row starting at `d` is written with `stn`: when asked to
/// stream and `d` is on a vector-sized boundary.
INLINE int FN(streams)(int stream, const float *d) { return stream && ((unsigned long)d & (VL * 4 - 1)) == 0; }

#define LD FN(ld)
#define ST FN(st)
#define MADD FN(madd)

/// `EngineKernels.sweep`: any period, four vectors at a time, then one, then
/// one float. The tile must hold `4 * VL` floats past any phase below
/// `tileLength` (`WeightTiles`).
INLINE void FN(sweep)(const float *const *src, const float *const *wts, long rows, long taps, long tapStride,
                      long tileLength, long tileStride, long t0, long count, float *out) {
    long t = t0, phase = t0 % tileLength, end = t0 + count;
    while (t + 4 * VL <= end) {
        V a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (long r = 0; r < rows; r++) {
            const float *s = src[r] + t, *w = wts[r] + phase;
            for (long j = 0; j < taps; j++) {
                a0 = MADD(a0, LD(s), LD(w));
                a1 = MADD(a1, LD(s + VL), LD(w + VL));
                a2 = MADD(a2, LD(s + 2 * VL), LD(w + 2 * VL));
                a3 = MADD(a3, LD(s + 3 * VL), LD(w + 3 * VL));
                s += tapStride;
                w += tileStride;
            }
        }
        float *o = out + (t - t0);
        ST(a0, o); ST(a1, o + VL); ST(a2, o + 2 * VL); ST(a3, o + 3 * VL);
        t += 4 * VL;
        phase += 4 * VL;
        while (phase >= tileLength) phase -= tileLength;
    }
    while (t + VL <= end) {
        V a = 0;
        for (long r = 0; r < rows; r++) {
            const float *s = src[r] + t, *w = wts[r] + phase;
            for (long j = 0; j < taps; j++) {
                a = MADD(a, LD(s), LD(w));
                s += tapStride;
                w += tileStride;
            }
        }
        ST(a, out + (t - t0));
        t += VL;
        phase += VL;
        while (phase >= tileLength) phase -= tileLength;
    }
    while (t < end) {
        float a = 0;
        for (long r = 0; r < rows; r++) {
            const float *s = src[r] + t, *w = wts[r] + phase;
            for (long j = 0; j < taps; j++) {
                a = FN(madd1)(a, *s, *w);
                s += tapStride;
                w += tileStride;
            }
        }
        out[t - t0] = a;
        t += 1;
        phase += 1;
        if (phase >= tileLength) phase -= tileLength;
    }
}

/// One block of `sweep24`: `3 * groups` vectors of output at `t`, each tap's
/// three weight vectors used `groups` times. `groups` is a constant at every
/// call, so the loops unroll and the accumulators stay in registers.
INLINE void FN(sweep24_block)(const float *const *src, const float *const *wts, long rows, long taps,
                              long tapStride, long tileStride, long phase, long t, float *out, const int groups) {
    V a[12];
#pragma clang loop unroll(full)
    for (int k = 0; k < 3 * groups; k++) a[k] = 0;
    for (long r = 0; r < rows; r++) {
        const float *s = src[r] + t, *w = wts[r] + phase;
        for (long j = 0; j < taps; j++) {
            V w0 = LD(w), w1 = LD(w + VL), w2 = LD(w + 2 * VL);
#pragma clang loop unroll(full)
            for (int g = 0; g < groups; g++) {
                a[3 * g] = MADD(a[3 * g], LD(s + (3 * g) * VL), w0);
                a[3 * g + 1] = MADD(a[3 * g + 1], LD(s + (3 * g + 1) * VL), w1);
                a[3 * g + 2] = MADD(a[3 * g + 2], LD(s + (3 * g + 2) * VL), w2);
            }
            s += tapStride;
            w += tileStride;
        }
    }
#pragma clang loop unroll(full)
    for (int k = 0; k < 3 * groups; k++) ST(a[k], out + k * VL);
}

/// `sweep` for a period dividing 24: the weights repeat every three vectors
/// (24 or 48 floats), so each tap loads three weight vectors and uses each
/// four times (twelve accumulators), then twice (six); the rest goes to `sweep`.
INLINE void FN(sweep24)(const float *const *src, const float *const *wts, long rows, long taps, long tapStride,
                        long tileLength, long tileStride, long t0, long count, float *out) {
    long phase = t0 % tileLength;
    long done = 0;
    for (; done + 12 * VL <= count; done += 12 * VL)
        FN(sweep24_block)(src, wts, rows, taps, tapStride, tileStride, phase, t0 + done, out + done, 4);
    for (; done + 6 * VL <= count; done += 6 * VL)
        FN(sweep24_block)(src, wts, rows, taps, tapStride, tileStride, phase, t0 + done, out + done, 2);
    if (done < count)
        FN(sweep)(src, wts, rows, taps, tapStride, tileLength, tileStride, t0 + done, count - done, out + done);
}

void FN(sweep_row)(const float *const *src, const float *const *wts, long rows, long taps, long tapStride,
                   long period, long tileLength, long tileStride, long t0, long count, float *out) {
    if (24 % period == 0)
        FN(sweep24)(src, wts, rows, taps, tapStride, tileLength, tileStride, t0, count, out);
    else
        FN(sweep)(src, wts, rows, taps, tapStride, tileLength, tileStride, t0, count, out);
}

/// Which of a block's `R` output rows read input row `u` of the block
/// (`use[r]`), and where each one's weights for that row start (`x[r]`,
/// kernel row `u - r`).
INLINE void FN(block_row)(long u, const int R, long kh, const float *w, long rowStride, int *use, const float **x) {
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        long i = u - r;
        use[r] = i >= 0 && i < kh;
        x[r] = w + (use[r] ? i : 0) * rowStride;
    }
}

/// One block of `R` output rows (R a constant: 4 or 2) by three vectors,
/// from the `R + kh - 1` rows in `src` (NULL: a zero row). Each input vector
/// is loaded once and feeds every output row that reads it.
INLINE void FN(block)(const float *const *src, long kh, const int R, const float *w, long rowStride,
                      long taps, long tapStride, long tileStride, long t, float *o, long outStride,
                      const int stream) {
    V a[4][3];
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++) { a[r][0] = 0; a[r][1] = 0; a[r][2] = 0; }
    long rowsRead = R + kh - 1;
    for (long u = 0; u < rowsRead; u++) {
        const float *row = src[u];
        if (!row) continue;
        const float *s = row + t;
        int use[4];
        const float *x[4];
        FN(block_row)(u, R, kh, w, rowStride, use, x);
        for (long j = 0; j < taps; j++) {
            V s0 = LD(s), s1 = LD(s + VL), s2 = LD(s + 2 * VL);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) {
                if (use[r]) {
                    a[r][0] = MADD(a[r][0], s0, LD(x[r]));
                    a[r][1] = MADD(a[r][1], s1, LD(x[r] + VL));
                    a[r][2] = MADD(a[r][2], s2, LD(x[r] + 2 * VL));
                }
                x[r] += tileStride;
            }
            s += tapStride;
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < R; r++) {
        float *d = o + r * outStride;
        if (FN(streams)(stream, d)) {
            FN(stn)(a[r][0], d); FN(stn)(a[r][1], d + VL); FN(stn)(a[r][2], d + 2 * VL);
        } else {
            ST(a[r][0], d); ST(a[r][1], d + VL); ST(a[r][2], d + 2 * VL);
        }
    }
}

/// `block` for four rows by six vectors, for a level with 32 registers
/// (24 accumulators): the weights repeat every three vectors, so each weight
/// vector loaded feeds two vectors of its row, and a block needs about two
/// thirds of `block`'s loads a value. The same terms in the same order.
INLINE void FN(block6)(const float *const *src, long kh, const float *w, long rowStride, long taps,
                       long tapStride, long tileStride, long t, float *o, long outStride, const int stream) {
    V a[4][6];
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++)
#pragma clang loop unroll(full)
        for (int k = 0; k < 6; k++) a[r][k] = 0;
    long rowsRead = 4 + kh - 1;
    for (long u = 0; u < rowsRead; u++) {
        const float *row = src[u];
        if (!row) continue;
        const float *s = row + t;
        int use[4];
        const float *x[4];
        FN(block_row)(u, 4, kh, w, rowStride, use, x);
        for (long j = 0; j < taps; j++) {
#pragma clang loop unroll(full)
            for (int v = 0; v < 3; v++) {
                V in0 = LD(s + v * VL), in1 = LD(s + (v + 3) * VL);
#pragma clang loop unroll(full)
                for (int r = 0; r < 4; r++) {
                    if (use[r]) {
                        V wv = LD(x[r] + v * VL);
                        a[r][v] = MADD(a[r][v], in0, wv);
                        a[r][v + 3] = MADD(a[r][v + 3], in1, wv);
                    }
                }
            }
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++) x[r] += tileStride;
            s += tapStride;
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++) {
        float *d = o + r * outStride;
#pragma clang loop unroll(full)
        for (int k = 0; k < 6; k++) {
            if (FN(streams)(stream, d)) FN(stn)(a[r][k], d + k * VL);
            else ST(a[r][k], d + k * VL);
        }
    }
}

/// `block_sweep`'s floats `t0 ..< t1` of every output row, one vector or
/// float at a time (any row count; the tails of rows). `base`: the float
/// `out` stands for.
INLINE void FN(block_rest)(const float *const *src, long kh, long outputs, const float *weights, long rowStride,
                           long taps, long tapStride, long tileStride, long p, long t0, long t1, long base,
                           float *out, long outStride) {
    long t = t0;
    for (; t + VL <= t1; t += VL) {
        const float *x = weights + t % p;
        for (long r = 0; r < outputs; r++) {
            V a = 0;
            for (long i = 0; i < kh; i++) {
                const float *row = src[r + i];
                if (!row) continue;
                for (long j = 0; j < taps; j++)
                    a = MADD(a, LD(row + t + j * tapStride), LD(x + i * rowStride + j * tileStride));
            }
            ST(a, out + r * outStride + (t - base));
        }
    }
    for (; t < t1; t++) {
        const float *x = weights + t % p;
        for (long r = 0; r < outputs; r++) {
            float a = 0;
            for (long i = 0; i < kh; i++) {
                const float *row = src[r + i];
                if (!row) continue;
                for (long j = 0; j < taps; j++)
                    a = FN(madd1)(a, row[t + j * tapStride], x[i * rowStride + j * tileStride]);
            }
            out[r * outStride + (t - base)] = a;
        }
    }
}

/// `block_sweep`'s blocks from `t` while they fit before `end`; returns where they stopped.
INLINE long FN(blocks)(const float *const *src, long kh, long outputs, const float *w, long rowStride, long taps,
                       long tapStride, long tileStride, long t, long end, long base, float *out, long outStride,
                       const int stream) {
    if (outputs == 4 && taps == 1) {
#if WIDE_BLOCKS
        for (; t + 6 * VL <= end; t += 6 * VL)
            FN(block6)(src, kh, w, rowStride, 1, 0, tileStride, t, out + (t - base), outStride, stream);
#endif
        for (; t + 3 * VL <= end; t += 3 * VL)
            FN(block)(src, kh, 4, w, rowStride, 1, 0, tileStride, t, out + (t - base), outStride, stream);
    } else if (outputs == 4) {
#if WIDE_BLOCKS
        for (; t + 6 * VL <= end; t += 6 * VL)
            FN(block6)(src, kh, w, rowStride, taps, tapStride, tileStride, t, out + (t - base), outStride, stream);
#endif
        for (; t + 3 * VL <= end; t += 3 * VL)
            FN(block)(src, kh, 4, w, rowStride, taps, tapStride, tileStride, t, out + (t - base), outStride, stream);
    } else if (outputs == 2) {
        for (; t + 3 * VL <= end; t += 3 * VL)
            FN(block)(src, kh, 2, w, rowStride, taps, tapStride, tileStride, t, out + (t - base), outStride, stream);
    }
    return t;
}

/// `EngineKernels.blockSweep24` (the direct path's blocks of rows) and, with
/// one tap and `rowStride` = the tile stride, `EngineKernels.columnPass` (the
/// rank-1 path's vertical pass). The period must divide 24.
///
/// `stream`: rows whose blocks start on a vector-sized boundary are written
/// with non-temporal stores, for a whole output far larger than the caches.
/// The floats before the first row's boundary go first, one at a time.
void FN(block_sweep)(const float *const *src, long kh, long outputs, const float *weights, long rowStride,
                     long taps, long tapStride, long tileStride, long p, long t0, long count, float *out,
                     long outStride, long stream) {
    long t = t0, end = t0 + count;
    if (stream) {
        long lead = (long)((-(unsigned long)out & (VL * 4 - 1)) >> 2);
        if (lead > count) lead = count;
        FN(block_rest)(src, kh, outputs, weights, rowStride, taps, tapStride, tileStride, p, t, t + lead, t0, out,
                       outStride);
        t += lead;
        t = FN(blocks)(src, kh, outputs, weights + t % p, rowStride, taps, tapStride, tileStride, t, end, t0, out,
                       outStride, 1);
        __builtin_ia32_sfence();
    } else {
        t = FN(blocks)(src, kh, outputs, weights + t % p, rowStride, taps, tapStride, tileStride, t, end, t0, out,
                       outStride, 0);
    }
    FN(block_rest)(src, kh, outputs, weights, rowStride, taps, tapStride, tileStride, p, t, end, t0, out, outStride);
}

/// `EngineKernels.broadcastSweep`: M a multiple of 8; each input sample
/// broadcast against the 8-lane vector of 8 of its kernels' weights,
/// `BROADCAST_PIXELS` pixels (accumulators) at a time.
void FN(broadcast_sweep)(const float *const *src, const float *const *wts, long rows, long taps, long tapStride,
                         long channels, long multiplier, long ps, long x0, long x1, float *out) {
    const long cm = channels * multiplier;
    enum { N = BROADCAST_PIXELS };
    long x = x0;
    for (; x + N <= x1; x += N) {
        float *o = out + (x - x0) * cm;
        for (long c = 0; c < channels; c++) {
            for (long mb = 0; mb < multiplier; mb += 8) {
                cek_v8 a[N];
#pragma clang loop unroll(full)
                for (int k = 0; k < N; k++) a[k] = 0;
                for (long r = 0; r < rows; r++) {
                    const float *s = src[r] + (x * ps + c);
                    const float *w = wts[r] + (c * multiplier + mb);
                    for (long j = 0; j < taps; j++) {
                        cek_v8 wv = FN(ld8)(w);
#pragma clang loop unroll(full)
                        for (int k = 0; k < N; k++) a[k] = FN(madd8)(a[k], (cek_v8)(s[k * ps]), wv);
                        s += tapStride;
                        w += cm;
                    }
                }
                float *d = o + (c * multiplier + mb);
#pragma clang loop unroll(full)
                for (int k = 0; k < N; k++) FN(st8)(a[k], d + k * cm);
            }
        }
    }
    for (; x < x1; x++) {
        float *o = out + (x - x0) * cm;
        for (long c = 0; c < channels; c++) {
            for (long mb = 0; mb < multiplier; mb += 8) {
                cek_v8 a = 0;
                for (long r = 0; r < rows; r++) {
                    const float *s = src[r] + (x * ps + c);
                    const float *w = wts[r] + (c * multiplier + mb);
                    for (long j = 0; j < taps; j++) {
                        a = FN(madd8)(a, (cek_v8)(*s), FN(ld8)(w));
                        s += tapStride;
                        w += cm;
                    }
                }
                FN(st8)(a, o + (c * multiplier + mb));
            }
        }
    }
}

/// Outputs `j0 ..< outputs` of one pixel, one float at a time.
INLINE void FN(pointwise_scalar)(const float *d, long cm, const float *p, long outputs, long j0, float *o) {
    for (long j = j0; j < outputs; j++) {
        float a = 0;
        for (long k = 0; k < cm; k++) a = FN(madd1)(a, d[k], p[k * outputs + j]);
        o[j] = a;
    }
}

/// `EngineKernels.pointwise`: `POINTWISE_PIXELS` pixels by sixteen outputs
/// at a time (two weight vectors, a broadcast of each pixel's value).
void FN(pointwise)(const float *depth, long pixels, long cm, const float *p, long outputs, float *out) {
    enum { N = POINTWISE_PIXELS };
    long x = 0;
    for (; x + N <= pixels; x += N) {
        const float *d = depth + x * cm;
        float *o = out + x * outputs;
        long j = 0;
        for (; j + 16 <= outputs; j += 16) {
            cek_v8 a[N], b[N];
#pragma clang loop unroll(full)
            for (int k = 0; k < N; k++) { a[k] = 0; b[k] = 0; }
            const float *w = p + j;
            for (long k = 0; k < cm; k++) {
                cek_v8 w0 = FN(ld8)(w), w1 = FN(ld8)(w + 8);
#pragma clang loop unroll(full)
                for (int q = 0; q < N; q++) {
                    cek_v8 v = (cek_v8)(d[q * cm + k]);
                    a[q] = FN(madd8)(a[q], v, w0);
                    b[q] = FN(madd8)(b[q], v, w1);
                }
                w += outputs;
            }
#pragma clang loop unroll(full)
            for (int q = 0; q < N; q++) {
                FN(st8)(a[q], o + q * outputs + j);
                FN(st8)(b[q], o + q * outputs + j + 8);
            }
        }
        for (; j + 8 <= outputs; j += 8) {
            cek_v8 a[N];
#pragma clang loop unroll(full)
            for (int k = 0; k < N; k++) a[k] = 0;
            const float *w = p + j;
            for (long k = 0; k < cm; k++) {
                cek_v8 w0 = FN(ld8)(w);
#pragma clang loop unroll(full)
                for (int q = 0; q < N; q++) a[q] = FN(madd8)(a[q], (cek_v8)(d[q * cm + k]), w0);
                w += outputs;
            }
#pragma clang loop unroll(full)
            for (int q = 0; q < N; q++) FN(st8)(a[q], o + q * outputs + j);
        }
        if (j < outputs)
            for (int q = 0; q < N; q++) FN(pointwise_scalar)(d + q * cm, cm, p, outputs, j, o + q * outputs);
    }
    for (; x < pixels; x++) {
        const float *d = depth + x * cm;
        float *o = out + x * outputs;
        long j = 0;
        for (; j + 8 <= outputs; j += 8) {
            cek_v8 a = 0;
            const float *w = p + j;
            for (long k = 0; k < cm; k++) {
                a = FN(madd8)(a, (cek_v8)(d[k]), FN(ld8)(w));
                w += outputs;
            }
            FN(st8)(a, o + j);
        }
        FN(pointwise_scalar)(d, cm, p, outputs, j, o);
    }
}

#undef LD
#undef ST
#undef MADD
#undef FN
#undef V
#undef INLINE
#undef CEK_CAT
#undef CEK_CAT_
