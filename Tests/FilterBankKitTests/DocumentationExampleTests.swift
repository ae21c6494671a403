import Testing
import FilterBankKit

// The worked example of the FilterBankKit documentation catalog
// (Sources/FilterBankKit/FilterBankKit.docc/FilteringATensor.md), step by step.
// Keep the two in step: when this test changes, change the article.

@Suite("Documentation example: Sobel x and y on a vertical step edge")
struct DocumentationExampleTests {
    /// A 4x6 image with two channels. Channel 0 is a vertical step edge: columns
    /// 0-2 are black (0), columns 3-5 white (1). Channel 1 is a flat mid-grey (0.5).
    static func stepEdge() -> Tensor {
        let shape = TensorShape(batch: 1, height: 4, width: 6, channels: 2)
        var image = Tensor(zeros: shape)
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                image[0, y, x, 0] = x < 3 ? 0 : 1
                image[0, y, x, 1] = 0.5
            }
        }
        return image
    }

    @Test func sobelOfAStepEdge() throws {
        // 1. The bank: Sobel x and Sobel y (row-major 3x3, applied as
        //    correlations) on each of the 2 input channels, so M = 2.
        let sobelX: [Float] = [-1, 0, 1,
                               -2, 0, 2,
                               -1, 0, 1]
        let sobelY: [Float] = [-1, -2, -1,
                                0,  0,  0,
                                1,  2,  1]
        let filter = try DepthwiseFilter(kernels: [sobelX, sobelY], height: 3, width: 3, channels: 2)
        #expect(filter.shape == [3, 3, 2, 2])   // [kh, kw, C, M]
        // SAME padding and stride 1 are the defaults; `replicate` repeats the
        // edge pixels instead of padding with zeros.
        let bank = try FilterBank(depthwise: filter, border: .replicate)

        // 2. The input, and the engine planned for its shape.
        let image = Self.stepEdge()
        let engine = try ConvolutionEngine(input: image.shape, bank: bank)
        #expect(engine.plan.output == TensorShape(batch: 1, height: 4, width: 6, channels: 4))

        // 3. Run it.
        let output = engine.apply(to: image)

        // 4. Output channel k = c*M + m is input channel c through kernel m.
        let m = bank.depthwise.multiplier
        func channel(_ k: Int, row y: Int) -> [Float] {
            (0..<output.shape.width).map { x in output[0, y, x, k] }
        }
        for y in 0..<output.shape.height {
            #expect(channel(0 * m + 0, row: y) == [0, 0, 4, 4, 0, 0])   // Sobel x of the step: 4 on the edge
            #expect(channel(0 * m + 1, row: y) == [0, 0, 0, 0, 0, 0])   // Sobel y of the step: nothing
            #expect(channel(1 * m + 0, row: y) == [0, 0, 0, 0, 0, 0])   // flat grey: no gradient
            #expect(channel(1 * m + 1, row: y) == [0, 0, 0, 0, 0, 0])
        }

        // The one-call form computes the same tensor.
        #expect(try Convolution.apply(bank, to: image) == output)

        // 5. To 8-bit pixels, as `--map symmetric` does: 0 becomes mid-grey,
        //    the largest magnitude of the channel white (or black if negative).
        var statistics = ChannelStatistics()
        output.values.withUnsafeBufferPointer { values in
            statistics.add(values.baseAddress! + 0, stride: output.shape.channels,
                           count: output.shape.height * output.shape.width)
        }
        #expect(statistics.minimum == 0 && statistics.maximum == 4)
        let mapping = ChannelMapping(mode: .symmetric, statistics: statistics)
        #expect(mapping == ChannelMapping(absolute: false, scale: 0.125, offset: 0.5))
        let pixels = PixelMapping.plane(output, batch: 0, channel: 0, mapping: mapping)
        #expect(pixels.count == 4 * 6)
        #expect(Array(pixels[0..<6]) == [128, 128, 255, 255, 128, 128])
        // The default mapping (`--map clamp`) clamps to [0, 1]: 4 is white.
        #expect(Array(PixelMapping.plane(output, batch: 0, channel: 0)[0..<6]) == [0, 0, 255, 255, 0, 0])
    }

    @Test func theBuiltInEdgesBankIsTheSameFilter() throws {
        let named = try NamedBank(parsing: "edges")
        #expect(named.kernels.map(\.name) == ["sobel-x", "sobel-y"])
        let filter = try DepthwiseFilter(kernels: [sobelX, sobelY],
                                         height: 3, width: 3, channels: 2)
        #expect(try named.depthwise(channels: 2) == filter)
    }

    @Test func zeroPaddingSeesAnEdgeAtTheBorder() throws {
        // With the default border (`zero`, TensorFlow's), the padding outside the
        // image is black: the white right-hand side steps down to it, so the last
        // column answers -4; the top and bottom rows lose one kernel row (3, not 4).
        let filter = try DepthwiseFilter(kernels: [sobelX], height: 3, width: 3, channels: 2)
        let output = try Convolution.apply(try FilterBank(depthwise: filter), to: Self.stepEdge())
        func row(_ y: Int) -> [Float] { (0..<6).map { output[0, y, $0, 0] } }
        #expect(row(0) == [0, 0, 3, 3, 0, -3])
        #expect(row(1) == [0, 0, 4, 4, 0, -4])
        #expect(row(3) == [0, 0, 3, 3, 0, -3])
    }
}
