import CEngineKernels

extension EngineKernels {
    /// Depthwise with a multiplier that is a multiple of 8, straight from
    /// padded rows of the `C` input channels (no expansion): output pixel `x`,
    /// channel `c * M + m` (eight `m` at a time) is
    /// `sum_{r, j} src[r][x * pixelStride + j * tapStride + c] * f(i_r, j, c, m..m+7)`,
    /// the input sample broadcast to all eight lanes. `weights[r]` points at
    /// the filter's values for tap `(i_r, 0)` (`[kw, C, M]` follow). Eight
    /// pixels at a time keep eight accumulators in registers and load each
    /// weight vector once per eight pixels (AVX2; sixteen with AVX-512's
    /// 32 registers: the C kernels); four pixels on the portable level,
    /// whose sixteen four-lane registers eight accumulators would fill (four
    /// measured much faster there; docs/performance.md).
    static func broadcastSweep(sources: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<UnsafePointer<Float>>,
                               rows: Int, taps: Int, tapStride: Int, channels: Int, multiplier: Int,
                               pixelStride ps: Int, pixels: Range<Int>, into out: UnsafeMutablePointer<Float>,
                               level: InstructionSet) {
        #if arch(x86_64)
        switch level {
        case .avx2:
            return cek_avx2_broadcast_sweep(sources, weights, rows, taps, tapStride, channels, multiplier, ps,
                                            pixels.lowerBound, pixels.upperBound, out)
        case .avx512:
            return cek_avx512_broadcast_sweep(sources, weights, rows, taps, tapStride, channels, multiplier, ps,
                                              pixels.lowerBound, pixels.upperBound, out)
        case .portable: break
        }
        #endif
        let cm = channels &* multiplier
        let tapWeights = cm
        var x = pixels.lowerBound
        // Four pixels at a time: eight eight-lane accumulators would need
        // all sixteen four-lane registers.
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
}
