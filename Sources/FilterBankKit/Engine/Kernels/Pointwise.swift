import CEngineKernels

extension EngineKernels {
    /// The pointwise step as a blocked matrix product over a tile of pixels:
    /// `out[x, o] = sum_k depth[x, k] * p[k, o]` (`depth` is `pixels x cm`,
    /// `p` is `cm x outputs`, `out` is `pixels x outputs`, all row-major).
    /// AVX2: four pixels by sixteen outputs (eight accumulators) at a time,
    /// per `k` two weight vectors and four broadcasts feeding eight
    /// multiply-adds; AVX-512: eight pixels (the C kernels). The portable
    /// level takes eight outputs at a time: sixteen would take all sixteen
    /// four-lane registers, and eight measured faster there (docs/performance.md).
    static func pointwise(_ depth: UnsafePointer<Float>, pixels: Int, depth cm: Int,
                          matrix p: UnsafePointer<Float>, outputs: Int, into out: UnsafeMutablePointer<Float>,
                          level: InstructionSet) {
        #if arch(x86_64)
        switch level {
        case .avx2: return cek_avx2_pointwise(depth, pixels, cm, p, outputs, out)
        case .avx512: return cek_avx512_pointwise(depth, pixels, cm, p, outputs, out)
        case .portable: break
        }
        #endif
        var x = 0
        while x &+ 4 <= pixels {
            let d = depth + x &* cm
            let o = out + x &* outputs
            var j = 0
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
