import Testing
import FilterBankKit

/// Kernels of different sizes in one bank: the placement rule, and its promise
/// that each slot computes what its kernel alone computes under SAME, stride 1.
@Suite struct KernelPaddingTests {
    static func kernel(_ spec: String) throws -> Kernel { try KernelSpec(parsing: spec).kernel }

    @Test func placementFollowsTheAnchorRule() throws {
        // 2x2 in 3x3: the anchor (0, 0) goes to the centre, so the kernel sits bottom-right.
        let roberts = try Self.kernel("roberts-x").padded(toHeight: 3, width: 3)
        #expect(roberts.values == [0, 0, 0, 0, 1, 0, 0, 0, -1])
        // 3x3 in 4x4: the centre (1, 1) is already the 4x4 anchor: top-left, zeros bottom/right.
        let sobel = try Self.kernel("sobel-x").padded(toHeight: 4, width: 4)
        #expect(sobel.values == [-1, 0, 1, 0, -2, 0, 2, 0, -1, 0, 1, 0, 0, 0, 0, 0])
        // A row in a square: the middle row.
        let row = try Self.kernel("3x1: 1, 2, 3").padded(toHeight: 3, width: 3)
        #expect(row.values == [0, 0, 0, 1, 2, 3, 0, 0, 0])
        // 2 wide in 5 wide: anchor 0 -> anchor 2, so two zeros before and one after.
        let pair = try Self.kernel("2x1: -1, 1").padded(toHeight: 1, width: 5)
        #expect(pair.values == [0, 0, -1, 1, 0])
        #expect(pair.anchor == (0, 2))
        #expect(Kernel.commonSize([roberts, try Self.kernel("1x5: 1,1,1,1,1")]) == (5, 3))
    }

    @Test func aBankOfMixedSizesIsPaddedToTheLargest() throws {
        let kernels = [try Self.kernel("roberts-x"), try Self.kernel("sobel-y"), try Self.kernel("1x5: 1,2,3,4,5")]
        let filter = try DepthwiseFilter(kernels: kernels, channels: 2)
        #expect(filter.shape == [5, 3, 2, 3])
        #expect(filter.kernel(channel: 1, slot: 0) == kernels[0].padded(toHeight: 5, width: 3).values)
        #expect(filter.kernel(channel: 0, slot: 2) == [0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0])
        #expect(throws: FilterBankError.self) { try DepthwiseFilter(kernels: [], channels: 3) }
    }

    static func randomKernel(_ h: Int, _ w: Int, _ rng: inout some RandomNumberGenerator) -> Kernel {
        Kernel(name: "r\(h)x\(w)", height: h, width: w, values: (0..<(h * w)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    /// Each slot of a padded bank computes exactly what its kernel computes alone (SAME, stride 1).
    @Test(arguments: [1, 2])
    func eachSlotEqualsItsKernelAlone(_ dilation: Int) throws {
        var rng = SystemRandomNumberGenerator()
        // With dilation 2 the promise holds for odd sizes only.
        let sizes = dilation == 1 ? [(2, 2), (3, 3), (1, 4), (5, 2), (4, 1)] : [(1, 1), (3, 3), (5, 1), (1, 3)]
        let kernels = sizes.map { Self.randomKernel($0.0, $0.1, &rng) }
        let shape = TensorShape(batch: 1, height: 7, width: 6, channels: 2)
        let input = Tensor(shape: shape, values: (0..<shape.count).map { _ in Float.random(in: -1...1, using: &rng) })
        let together = try ReferenceConvolution.apply(
            FilterBank(depthwise: DepthwiseFilter(kernels: kernels, channels: 2), dilations: HeightWidth(dilation)), to: input)
        let m = kernels.count
        for (slot, kernel) in kernels.enumerated() {
            let alone = try ReferenceConvolution.apply(
                FilterBank(depthwise: DepthwiseFilter(kernels: [kernel.values], height: kernel.height, width: kernel.width, channels: 2),
                           dilations: HeightWidth(dilation)), to: input)
            #expect(alone.shape.height == together.shape.height && alone.shape.width == together.shape.width)
            for y in 0..<7 { for x in 0..<6 { for c in 0..<2 {
                let a = alone[0, y, x, c], t = together[0, y, x, c * m + slot]
                #expect(abs(a - t) <= 1e-6, "slot \(slot) (\(kernel.height)x\(kernel.width)) at (\(y), \(x), \(c)): \(t) vs \(a)")
            } } }
        }
    }

    @Test func normalizingEachKernelOfAFilter() throws {
        let filter = try DepthwiseFilter(kernels: [try Self.kernel("3x3: 1,1,1,1,4,1,1,1,1"), try Self.kernel("sobel-x")], channels: 2)
        let normalized = try filter.normalizingEachKernel()
        for (got, want) in zip(normalized.kernel(channel: 1, slot: 0), [1, 1, 1, 1, 4, 1, 1, 1, 1] as [Float]) {
            #expect(abs(got - want / 12) < 1e-7)
        }
        #expect(normalized.kernel(channel: 0, slot: 1) == filter.kernel(channel: 0, slot: 1))
    }
}
