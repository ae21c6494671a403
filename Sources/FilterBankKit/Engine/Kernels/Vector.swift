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

/// The engine's inner loops, grouped by what they compute (one file each).
enum EngineKernels {}
