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
        #expect(PixelMapping.clampPlane(t, batch: 0, channel: 0) == [0, 51, 255])
        #expect(PixelMapping.clampPlane(t, batch: 0, channel: 1) == [255, 0, 128])
        #expect(PixelMapping.clampPlane(t, batch: 1, channel: 0) == [26, 77, 102])
    }
}
