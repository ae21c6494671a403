/// The engine's inner loops: the one place that reads and writes through raw
/// pointers without bounds checks. Every function here is given pointers and
/// counts that `ConvolutionEngine` derived from the plan (see the comments
/// there for why each range is in bounds); nothing here allocates, calls an
/// opaque function or touches a class, so the loops compile to straight SIMD
/// code (checked in the assembly: packed `mulps`/`addps` on the default
/// x86-64 target).
///
/// These are the portable kernels (`InstructionSet.portable`). On x86-64 the
/// same loops exist in C for AVX2+FMA and AVX-512 (Sources/CEngineKernels),
/// and each entry point below that has them takes the level to run.
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

/// `acc + a * b`, not fused: without a CPU target that has FMA, Swift's
/// `addingProduct` becomes libm `fmaf` calls (the fused kernels are the C ones).
@inline(__always)
func madd(_ acc: Vector, _ a: Vector, _ b: Vector) -> Vector {
    a * b + acc
}

@inline(__always)
func madd(_ acc: Float, _ a: Float, _ b: Float) -> Float {
    a * b + acc
}

/// The engine's inner loops, grouped by what they compute (one file each).
enum EngineKernels {}
