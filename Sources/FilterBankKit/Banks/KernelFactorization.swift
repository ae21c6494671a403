/// Rank-1 (separable) factorisation of a 2-D kernel: `K ≈ column ⊗ row`, so
/// that a `kh x kw` correlation can run as a `kh x 1` pass then a `1 x kw` pass.
///
/// Two candidates are tried and the one with the smaller residual is kept:
/// - the *pivot* factorisation (row through the largest entry, column scaled
///   by it), exact in floating point for kernels such as Sobel or binomial
///   whose entries are small integers or powers of two;
/// - the best rank-1 approximation in the Frobenius norm, `sigma1 * u1 * v1^T`
///   from the leading singular pair (power iteration on `K^T K`, in Double).
///
/// `relativeError` is `||K - column ⊗ row||_F / ||K||_F` (0 for a zero kernel),
/// computed in Double from the Float factors actually returned.
public struct KernelFactorization: Sendable, Equatable {
    /// `kh` values: the vertical (column) pass.
    public let column: [Float]
    /// `kw` values: the horizontal (row) pass.
    public let row: [Float]
    public let relativeError: Double

    /// Factorises the row-major `height x width` kernel.
    public init(kernel: [Float], height: Int, width: Int) {
        precondition(kernel.count == height * width && height > 0 && width > 0)
        let k = kernel.map(Double.init)
        let norm = k.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else {
            self.column = [Float](repeating: 0, count: height)
            self.row = [Float](repeating: 0, count: width)
            relativeError = 0
            return
        }
        let candidates = [Self.pivot(k, height, width), Self.leadingSingularPair(k, height, width)]
        var best: (column: [Float], row: [Float], error: Double)? = nil
        for (column, row) in candidates {
            let c = column.map(Float.init), r = row.map(Float.init)
            var residual = 0.0
            for i in 0..<height {
                for j in 0..<width {
                    let d = k[i * width + j] - Double(c[i]) * Double(r[j])
                    residual += d * d
                }
            }
            let error = residual.squareRoot() / norm
            if best == nil || error < best!.error { best = (c, r, error) }
        }
        self.column = best!.column
        self.row = best!.row
        relativeError = best!.error
    }

    /// Whether `column ⊗ row` reproduces the kernel to `tolerance` (relative, Frobenius).
    public func isSeparable(tolerance: Double = 1e-6) -> Bool { relativeError <= tolerance }

    /// Row through the entry of largest magnitude; column = that entry's column / the entry.
    static func pivot(_ k: [Double], _ h: Int, _ w: Int) -> ([Double], [Double]) {
        var p = 0
        for i in k.indices where abs(k[i]) > abs(k[p]) { p = i }
        let (pi, pj) = (p / w, p % w)
        let row = (0..<w).map { k[pi * w + $0] }
        let column = (0..<h).map { k[$0 * w + pj] / k[p] }
        return (column, row)
    }

    /// `(sigma1 * u1, v1)` by power iteration on `K^T K`, started from the largest row.
    static func leadingSingularPair(_ k: [Double], _ h: Int, _ w: Int) -> ([Double], [Double]) {
        var start = 0, startNorm = -1.0
        for i in 0..<h {
            let n = (0..<w).reduce(0.0) { $0 + k[i * w + $1] * k[i * w + $1] }
            if n > startNorm { (start, startNorm) = (i, n) }
        }
        var v = (0..<w).map { k[start * w + $0] }
        var u = [Double](repeating: 0, count: h)
        for _ in 0..<500 {
            // u = K v, v' = K^T u, normalised.
            for i in 0..<h { u[i] = (0..<w).reduce(0.0) { $0 + k[i * w + $1] * v[$1] } }
            var next = [Double](repeating: 0, count: w)
            for j in 0..<w { next[j] = (0..<h).reduce(0.0) { $0 + k[$1 * w + j] * u[$1] } }
            let n = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard n > 0 else { break }
            next = next.map { $0 / n }
            let change = zip(next, v).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
            v = next
            if change < 1e-15 { break }
        }
        for i in 0..<h { u[i] = (0..<w).reduce(0.0) { $0 + k[i * w + $1] * v[$1] } }  // u = sigma1 * u1
        return (u, v)
    }
}
