import Testing
import FilterBankKit

@Suite struct PixelMappingTests {
    @Test func clampRoundsAndSaturates() {
        #expect(PixelMapping.clampToUInt8(-3) == 0)
        #expect(PixelMapping.clampToUInt8(0) == 0)
        #expect(PixelMapping.clampToUInt8(0.5) == 128)          // 127.5 rounds up
        #expect(PixelMapping.clampToUInt8(1.0 / 255) == 1)
        #expect(PixelMapping.clampToUInt8(0.4 / 255) == 0)
        #expect(PixelMapping.clampToUInt8(1) == 255)
        #expect(PixelMapping.clampToUInt8(7) == 255)
        #expect(PixelMapping.clampToUInt8(.infinity) == 255)
        #expect(PixelMapping.clampToUInt8(-.infinity) == 0)
        #expect(PixelMapping.clampToUInt8(.nan) == 0)
        #expect(PixelMapping.clampToUInt16(0.5) == 32768)
        #expect(PixelMapping.clampToUInt16(.nan) == 0)
        #expect(PixelMapping.clampToUInt16(2) == 65535)
    }

    @Test func planeTakesOneChannelOfOneImage() {
        let shape = TensorShape(batch: 2, height: 1, width: 3, channels: 2)
        let t = Tensor(shape: shape, values: [0, 1, 0.2, -1, 1, 0.5,   /* image 1 */ 0.1, 0, 0.3, 0, 0.4, 0])
        #expect(PixelMapping.plane(t, batch: 0, channel: 0) == [0, 51, 255])
        #expect(PixelMapping.plane(t, batch: 0, channel: 1) == [255, 0, 128])
        #expect(PixelMapping.plane(t, batch: 1, channel: 0) == [26, 77, 102])
    }

    static func statistics(_ values: [Float]) -> ChannelStatistics {
        var s = ChannelStatistics()
        values.withUnsafeBufferPointer { s.add($0.baseAddress!, stride: 1, count: values.count) }
        return s
    }

    /// The eight-at-a-time statistics against a plain loop: every stride of
    /// interleaved channels from 1 to 7, counts 0 to 40 (every tail of the
    /// blocks of eight), NaN skipped and infinities kept wherever they fall,
    /// and a second call continuing the first.
    @Test func statisticsMatchAPlainLoop() {
        var rng = SplitMix64(seed: 77)
        for stride in 1...7 {
            for count in 0...40 {
                var values = (0..<(stride * count + stride)).map { _ in Float.random(in: -3...5, using: &rng) }
                for _ in 0..<(count / 9) {
                    values[Int.random(in: 0..<values.count, using: &rng)] = [Float.nan, .infinity, -.infinity,
                                                                              .nan].randomElement(using: &rng)!
                }
                for offset in [0, stride - 1] {
                    var got = ChannelStatistics()
                    let half = count / 2
                    values.withUnsafeBufferPointer { v in
                        got.add(v.baseAddress! + offset, stride: stride, count: half)
                        got.add(v.baseAddress! + offset + half * stride, stride: stride, count: count - half)
                    }
                    var n = 0, lo = Float.infinity, hi = -Float.infinity, sum = 0.0, squares = 0.0
                    for k in 0..<count {
                        let v = values[offset + k * stride]
                        if v.isNaN { continue }
                        n += 1; lo = min(lo, v); hi = max(hi, v); sum += Double(v); squares += Double(v) * Double(v)
                    }
                    let context = "stride \(stride), count \(count), offset \(offset)"
                    #expect(got.count == n && got.minimum == lo && got.maximum == hi, "\(context): \(got)")
                    if sum.isFinite {
                        #expect(abs(got.sum - sum) <= 1e-9 * max(1, abs(sum)), "\(context)")
                        #expect(abs(got.sumOfSquares - squares) <= 1e-9 * max(1, squares), "\(context)")
                    } else {
                        #expect(got.sum.isNaN == sum.isNaN && (sum.isNaN || got.sum == sum), "\(context): \(got.sum) against \(sum)")
                    }
                }
            }
        }
    }

    static func map8(_ mapping: ChannelMapping, _ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { mapping.map(v.baseAddress!, stride: 1, count: values.count, into: $0.baseAddress!) }
        }
        return out
    }

    @Test func minmaxStretchesTheRange() {
        let values: [Float] = [-2, -1, 0, 2]
        let m = ChannelMapping(mode: .minmax, statistics: Self.statistics(values))
        #expect(Self.map8(m, values) == [0, 64, 128, 255])  // (v + 2) / 4 * 255: 0, 63.75, 127.5, 255
    }

    @Test func symmetricPutsZeroAtMidGrey() {
        let values: [Float] = [-4, -2, 0, 1, 4]
        let m = ChannelMapping(mode: .symmetric, statistics: Self.statistics(values))
        #expect(Self.map8(m, values) == [0, 64, 128, 159, 255])  // v / 8 + 0.5: 0, .25, .5, .625, 1
    }

    @Test func absFoldsNegatives() {
        let m = ChannelMapping(mode: .abs, statistics: nil)
        #expect(Self.map8(m, [-0.5, 0.5, -2, .nan]) == [128, 128, 255, 0])
    }

    /// minmax: any constant channel is mid-grey; symmetric: an all-zero one is
    /// (a constant 3 is +max|v|, so white). Never NaN, never a division by zero.
    @Test(arguments: [MappingMode.minmax, .symmetric])
    func constantAndAllZeroChannelsAreMidGreyNotNaN(_ mode: MappingMode) {
        let cases: [([Float], [UInt8])] = [
            ([0, 0, 0], [128, 128, 128]),
            ([3, 3, 3], mode == .minmax ? [128, 128, 128] : [255, 255, 255]),
            ([.nan, .nan], [0, 0]),
        ]
        for (values, expected) in cases {
            let m = ChannelMapping(mode: mode, statistics: Self.statistics(values))
            #expect(m.scale.isFinite && m.offset.isFinite)
            #expect(Self.map8(m, values) == expected, "\(mode) of \(values)")
        }
        // No statistics at all (an empty image) is also mid-grey.
        #expect(Self.map8(ChannelMapping(mode: mode, statistics: nil), [5]) == [128])
    }

    @Test func userScaleAndOffsetApplyBeforeClamping() {
        let m = ChannelMapping(mode: .clamp, statistics: nil, userScale: 0.5, userOffset: 0.5)  // signed -> [0, 1]
        #expect(Self.map8(m, [-1, 0, 1, 3]) == [0, 128, 255, 255])
        // The mapping can be undone: v = (p / 255 - offset) / scale.
        let p = Self.map8(m, [0.3])[0]
        #expect(abs((Float(p) / 255 - m.offset) / m.scale - 0.3) < 1.0 / 255 / m.scale)
    }

    @Test func sixteenBitKeepsMoreLevels() {
        let m = ChannelMapping()
        var out = [UInt16](repeating: 0, count: 2)
        let values: [Float] = [1.0 / 65535, 0.5]
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { m.map(v.baseAddress!, stride: 1, count: 2, into: $0.baseAddress!) }
        }
        #expect(out == [1, 32768])
    }

    @Test func statisticsMergeAndMoments() {
        var a = Self.statistics([1, 2, .nan])
        a.merge(Self.statistics([3, 4]))
        #expect(a.count == 4)
        #expect(a.minimum == 1 && a.maximum == 4)
        #expect(a.mean == 2.5)
        #expect(abs(a.standardDeviation - 1.25.squareRoot()) < 1e-12)
        #expect(a.maximumMagnitude == 4)
    }

    /// `map` works eight values at a time in vector operations; every sample
    /// must be what `unit(v) * max + 0.5`, rounded down, gives one value at a
    /// time: random values, the rounding ties `(k + 0.5) / max`, exact levels,
    /// NaN, infinities and -0, for plain, absolute and scaled maps, strides 1
    /// to 6 and counts that leave a tail.
    @Test(arguments: [ChannelMapping(), ChannelMapping(absolute: true),
                      ChannelMapping(scale: 0.5 / 1.3, offset: 0.5), ChannelMapping(absolute: true, scale: 0.77, offset: 0.1)])
    func vectorMapMatchesTheScalarFormula(mapping: ChannelMapping) {
        var generator = SystemRandomNumberGenerator()
        var values = (0..<6 * 4101).map { _ in Float.random(in: -1.4...1.4, using: &generator) }
        for k in 0..<256 { values[k] = (Float(k) + 0.5) / 255; values[256 + k] = Float(k) / 255 }
        for k in 0..<512 { values[512 + k] = (Float(k) * 128 + 0.5) / 65535 }
        for (i, v) in [Float.nan, .infinity, -.infinity, -0.0, 0.5, 1, -1, .ulpOfOne].enumerated() { values[1100 + 3 * i] = v }
        values.withUnsafeBufferPointer { all in
            for stride in 1...6 {
                for count in [0, 1, 7, 8, 9, 4101] {
                    let first = all.baseAddress! + (stride - 1)
                    let n = min(count, (all.count - (stride - 1)) / stride)
                    var bytes = [UInt8](repeating: 7, count: n), words = [UInt16](repeating: 7, count: n)
                    mapping.map(first, stride: stride, count: n, into: &bytes)
                    mapping.map(first, stride: stride, count: n, into: &words)
                    for x in 0..<n {
                        let unit = mapping.unit(first[x * stride])
                        #expect(bytes[x] == UInt8(unit * 255 + 0.5), "stride \(stride), value \(first[x * stride])")
                        #expect(words[x] == UInt16(unit * 65535 + 0.5), "stride \(stride), value \(first[x * stride])")
                    }
                }
            }
        }
    }
}
