import Testing
import FilterBankKit

@Suite struct KernelFactorizationTests {
    @Test func sobelIsExactlySeparable() {
        let f = KernelFactorization(kernel: sobelX, height: 3, width: 3)
        #expect(f.relativeError == 0)
        for i in 0..<3 { for j in 0..<3 { #expect(f.column[i] * f.row[j] == sobelX[i * 3 + j]) } }
    }

    @Test func gaussianOuterProductIsSeparable() {
        let g: [Float] = [0.054, 0.242, 0.399, 0.242, 0.054]
        var k = [Float]()
        for a in g { for b in g { k.append(a * b) } }
        let f = KernelFactorization(kernel: k, height: 5, width: 5)
        #expect(f.relativeError < 1e-6)
        #expect(f.isSeparable())
    }

    @Test func laplacianIsNotSeparable() {
        // 4-neighbour Laplacian has rank 2: its best rank-1 error is well above zero.
        let f = KernelFactorization(kernel: [0, 1, 0, 1, -4, 1, 0, 1, 0], height: 3, width: 3)
        #expect(f.relativeError > 0.1)
        #expect(!f.isSeparable())
    }

    /// The best rank-1 error of [[1, 0], [0, 1]] is 1/sqrt(2) (singular values 1, 1).
    @Test func identityErrorIsTheSecondSingularValue() {
        let f = KernelFactorization(kernel: [1, 0, 0, 1], height: 2, width: 2)
        #expect(abs(f.relativeError - 0.5.squareRoot()) < 1e-6)
    }

    @Test func zeroAndOneByNKernels() {
        #expect(KernelFactorization(kernel: [0, 0, 0, 0], height: 2, width: 2).relativeError == 0)
        let row = KernelFactorization(kernel: [1, -2, 3], height: 1, width: 3)
        #expect(row.relativeError == 0)
        #expect(zip(row.column, [1]).allSatisfy { $0 * 1 == Float($1) } || row.column.count == 1)
    }
}
