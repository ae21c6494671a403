import Foundation
import Testing
import FilterBankKit

/// Every built-in kernel against an independent reference: hand-written values
/// for the small ones, the formulas (computed here in Double) for the sampled
/// ones, and their sum and symmetry properties.
@Suite struct KernelLibraryTests {
    static func kernel(_ spec: String) throws -> Kernel { try KernelSpec(parsing: spec).kernel }

    /// `rows` flattened, as Float.
    static func flat(_ rows: [[Double]]) -> [Float] { rows.flatMap { $0.map(Float.init) } }

    static func expectClose(_ got: [Float], _ expected: [Double], tolerance: Double = 1e-6,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == expected.count, sourceLocation: sourceLocation)
        for (i, (g, e)) in zip(got, expected).enumerated() {
            #expect(abs(Double(g) - e) <= tolerance * max(1, abs(e)), "index \(i): got \(g), expected \(e)",
                    sourceLocation: sourceLocation)
        }
    }

    // MARK: - Small kernels: hand-written values

    @Test(arguments: [
        ("sobel-x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        ("sobel-y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
        ("scharr-x", [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]),
        ("scharr-y", [[-3, -10, -3], [0, 0, 0], [3, 10, 3]]),
        ("prewitt-x", [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
        ("prewitt-y", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
        ("roberts-x", [[1, 0], [0, -1]]),
        ("roberts-y", [[0, 1], [-1, 0]]),
        ("laplacian", [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
        ("laplacian:neighbours=8", [[1, 1, 1], [1, -8, 1], [1, 1, 1]]),
        ("laplacian:8", [[1, 1, 1], [1, -8, 1], [1, 1, 1]]),
        ("sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        ("sharpen:amount=0.5", [[0, -0.5, 0], [-0.5, 3, -0.5], [0, -0.5, 0]]),
        ("emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
        ("identity", [[1]]),
        ("identity:size=3", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
        ("identity:4", [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),   // anchor (1, 1)
        ("box", [[Double]](repeating: [1.0 / 9, 1.0 / 9, 1.0 / 9], count: 3)),
        ("box:2", [[0.25, 0.25], [0.25, 0.25]]),
        ("binomial", [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map { $0.map { $0 / 16 } }),
        ("binomial:size=5", [[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]]
            .map { $0.map { $0 / 256 } }),
        ("binomial:2", [[0.25, 0.25], [0.25, 0.25]]),
        ("kirsch", [[5, 5, 5], [-3, 0, -3], [-3, -3, -3]]),
        ("kirsch:direction=ne", [[-3, 5, 5], [-3, 0, 5], [-3, -3, -3]]),
        ("kirsch:e", [[-3, -3, 5], [-3, 0, 5], [-3, -3, 5]]),
        ("kirsch:se", [[-3, -3, -3], [-3, 0, 5], [-3, 5, 5]]),
        ("kirsch:s", [[-3, -3, -3], [-3, 0, -3], [5, 5, 5]]),
        ("kirsch:sw", [[-3, -3, -3], [5, 0, -3], [5, 5, -3]]),
        ("kirsch:w", [[5, -3, -3], [5, 0, -3], [5, -3, -3]]),
        ("kirsch:NW", [[5, 5, -3], [5, 0, -3], [-3, -3, -3]]),
    ] as [(String, [[Double]])])
    func smallKernelsHaveTheirTextbookValues(_ spec: String, _ expected: [[Double]]) throws {
        let k = try Self.kernel(spec)
        #expect(k.height == expected.count && k.width == expected[0].count, "\(spec): \(k.height)x\(k.width)")
        Self.expectClose(k.values, expected.flatMap { $0 }, tolerance: 1e-7)
    }

    @Test func sumsAndSymmetries() throws {
        for spec in ["box", "box:5", "binomial:7", "gaussian", "gaussian:sigma=2.5", "sharpen", "sharpen:amount=3", "emboss", "identity:5"] {
            #expect(abs(try Self.kernel(spec).sum - 1) < 1e-6, "\(spec) should sum to 1")
        }
        for spec in ["sobel-x", "sobel-y", "scharr-x", "scharr-y", "prewitt-x", "prewitt-y", "roberts-x", "roberts-y",
                     "laplacian", "laplacian:8", "log", "log:sigma=2", "dog", "dog:sigma1=2,sigma2=3", "kirsch:se"] {
            let k = try Self.kernel(spec)
            #expect(k.hasZeroSum, "\(spec) should sum to 0, sums to \(k.sum)")
        }
        // x and y variants are transposes of each other.
        for (x, y) in [("sobel-x", "sobel-y"), ("scharr-x", "scharr-y"), ("prewitt-x", "prewitt-y")] {
            let kx = try Self.kernel(x), ky = try Self.kernel(y)
            for i in 0..<3 { for j in 0..<3 { #expect(kx[i, j] == ky[j, i]) } }
        }
        // Kirsch directions are the ring rotated by one cell per 45 degrees.
        let ring = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]
        let directions = ["n", "ne", "e", "se", "s", "sw", "w", "nw"]
        for d in 0..<8 {
            let a = try Self.kernel("kirsch:\(directions[d])"), b = try Self.kernel("kirsch:\(directions[(d + 1) % 8])")
            for p in 0..<8 { #expect(a[ring[p].0, ring[p].1] == b[ring[(p + 1) % 8].0, ring[(p + 1) % 8].1]) }
        }
    }

    // MARK: - Sampled kernels: formulas

    /// `f(x, y)` on a `size x size` grid around the geometric centre, computed here.
    static func grid(_ size: Int, _ f: (Double, Double) -> Double) -> [Double] {
        let c = Double(size - 1) / 2
        var out: [Double] = []
        for i in 0..<size { for j in 0..<size { out.append(f(Double(j) - c, Double(i) - c)) } }
        return out
    }

    static func isSymmetric(_ k: Kernel, tolerance: Float = 1e-7) -> Bool {
        for i in 0..<k.height {
            for j in 0..<k.width {
                let v = k[i, j]
                guard abs(v - k[k.height - 1 - i, j]) <= tolerance, abs(v - k[i, k.width - 1 - j]) <= tolerance,
                      k.height != k.width || abs(v - k[j, i]) <= tolerance else { return false }
            }
        }
        return true
    }

    @Test(arguments: [(1.0, 7), (2.0, 13), (0.5, 5), (1.5, 11)])
    func gaussianFollowsItsFormula(_ sigma: Double, _ size: Int) throws {
        let k = try Self.kernel("gaussian:sigma=\(sigma)")
        #expect(k.width == size && k.height == size)   // 2*ceil(3*sigma)+1
        let raw = Self.grid(size) { x, y in exp(-(x * x + y * y) / (2 * sigma * sigma)) }
        let total = raw.reduce(0, +)
        Self.expectClose(k.values, raw.map { $0 / total })
        #expect(Self.isSymmetric(k))
        #expect(abs(k.sum - 1) < 1e-6)
        #expect(k.values.max() == k[size / 2, size / 2])
        #expect(k.name == "gaussian:sigma=\(SpecText.number(sigma)),size=\(size)")
    }

    @Test func gaussianWithAGivenEvenSizeIsCentredBetweenPixels() throws {
        let k = try Self.kernel("gaussian:sigma=1,size=4")
        #expect(k.width == 4)
        #expect(Self.isSymmetric(k))   // centre at 1.5: symmetric, the anchor tap is (1, 1)
        let raw = Self.grid(4) { x, y in exp(-(x * x + y * y) / 2) }
        Self.expectClose(k.values, raw.map { $0 / raw.reduce(0, +) })
    }

    @Test(arguments: [1.0, 1.4, 2.0])
    func logFollowsItsFormula(_ sigma: Double) throws {
        let k = try Self.kernel("log:sigma=\(sigma)")
        let size = 2 * Int((3 * sigma).rounded(.up)) + 1
        #expect(k.width == size)
        let raw = Self.grid(size) { x, y in
            let r2 = x * x + y * y
            return -1 / (Double.pi * pow(sigma, 4)) * (1 - r2 / (2 * sigma * sigma)) * exp(-r2 / (2 * sigma * sigma))
        }
        let mean = raw.reduce(0, +) / Double(raw.count)
        Self.expectClose(k.values, raw.map { $0 - mean }, tolerance: 1e-6)
        #expect(abs(k.sum) < 1e-6)
        #expect(Self.isSymmetric(k))
        #expect(k.values.min() == k[size / 2, size / 2])   // negative centre
    }

    @Test func dogIsTheDifferenceOfTwoNormalisedGaussians() throws {
        let k = try Self.kernel("dog:sigma1=1,sigma2=2")
        #expect(k.width == 13)   // 2*ceil(3*max)+1
        func g(_ s: Double) -> [Double] {
            let raw = Self.grid(13) { x, y in exp(-(x * x + y * y) / (2 * s * s)) }
            return raw.map { $0 / raw.reduce(0, +) }
        }
        Self.expectClose(k.values, zip(g(1), g(2)).map { $0 - $1 })
        #expect(abs(k.sum) < 1e-6)
        #expect(k[6, 6] > 0)
        #expect(Self.isSymmetric(k))
        #expect(try Self.kernel("dog").name == "dog:sigma1=1,sigma2=1.6,size=11")
    }

    @Test(arguments: [(0, 2, 5, 0.5, 0), (45, 3, 8, 0.5, 0), (30, 2, 6, 1, 90), (120, 1.5, 4, 0.8, -90)]
          as [(Double, Double, Double, Double, Double)])
    func gaborFollowsItsFormula(_ theta: Double, _ sigma: Double, _ lambda: Double, _ gamma: Double, _ psi: Double) throws {
        let k = try Self.kernel("gabor:theta=\(theta),sigma=\(sigma),lambda=\(lambda),gamma=\(gamma),psi=\(psi)")
        let size = 2 * Int((3 * sigma / min(gamma, 1)).rounded(.up)) + 1
        #expect(k.width == size && k.height == size)
        let t = theta * Double.pi / 180, p = psi * Double.pi / 180
        let envelope = Self.grid(size) { x, y in
            let xr = x * cos(t) + y * sin(t), yr = -x * sin(t) + y * cos(t)
            return exp(-(xr * xr + gamma * gamma * yr * yr) / (2 * sigma * sigma))
        }
        let wave = Self.grid(size) { x, y in cos(2 * Double.pi * (x * cos(t) + y * sin(t)) / lambda + p) }
        let dc = zip(envelope, wave).map { $0 * $1 }.reduce(0, +) / envelope.reduce(0, +)
        Self.expectClose(k.values, zip(envelope, wave).map { $0 * ($1 - dc) }, tolerance: 1e-6)
        // Zero-mean: a flat region gives no response.
        #expect(abs(k.sum) < 1e-5, "sum \(k.sum)")
    }

    @Test func gaborThirtyDegreesSumsToZero() throws {
        // Before the mean was taken out, this kernel summed to 2.14.
        let k = try Self.kernel("gabor:theta=30")
        #expect(abs(k.sum) < 1e-5)
        #expect(k.values.contains { $0 > 0.1 } && k.values.contains { $0 < -0.1 })
    }

    @Test func gaborSymmetries() throws {
        let even = try Self.kernel("gabor:theta=0,sigma=2,lambda=5,gamma=0.5,size=9")
        for i in 0..<9 { for j in 0..<9 {
            #expect(abs(even[i, j] - even[8 - i, j]) < 1e-7 && abs(even[i, j] - even[i, 8 - j]) < 1e-7)
        } }
        #expect(even[4, 4] > 0.5 && even[4, 4] < 1)   // exp(0) * (cos(0) - mean)
        // theta = 90 is the transpose of theta = 0.
        let turned = try Self.kernel("gabor:theta=90,sigma=2,lambda=5,gamma=0.5,size=9")
        for i in 0..<9 { for j in 0..<9 { #expect(abs(turned[i, j] - even[j, i]) < 1e-6) } }
        // psi = -90 (sine phase) is odd along the wave vector.
        let odd = try Self.kernel("gabor:psi=-90,size=9")
        for i in 0..<9 { for j in 0..<9 { #expect(abs(odd[i, j] + odd[8 - i, 8 - j]) < 1e-6) } }
    }

    @Test func everyKernelBuildsWithItsDefaultsAndNamesItself() throws {
        for definition in KernelLibrary.all {
            let k = try definition.kernel()
            #expect(k.values.allSatisfy { $0.isFinite }, "\(definition.name)")
            // The name is a spec that rebuilds the same kernel.
            #expect(try KernelSpec(parsing: k.name).kernel == k, "\(k.name)")
        }
        #expect(KernelLibrary.names.count == 19)
    }

    @Test func normalizeScalesToSumOneUnlessTheSumIsZero() throws {
        let twos = try Self.kernel("3x3: 2,2,2, 2,2,2, 2,2,2").normalized()
        #expect(twos.values.allSatisfy { abs($0 - 1.0 / 9) < 1e-7 })
        let sobel = try Self.kernel("sobel-x")
        #expect(sobel.normalized() == sobel)
        let log = try Self.kernel("log:sigma=1.4")   // sum zero only up to rounding
        #expect(log.normalized() == log)
        let negative = try Self.kernel("3x3: 0,0,0, 0,-2,0, 0,0,0").normalized()
        #expect(negative[1, 1] == 1)
    }
}
