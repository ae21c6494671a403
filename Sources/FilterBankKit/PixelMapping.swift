/// Maps float output channels to pixel values.
///
/// The mapping the tool applies today is `clamp`: `round(clamp(v, 0, 1) * max)`,
/// with NaN mapped to 0 (a NaN must never reach an integer conversion, which
/// would trap).
public enum PixelMapping {
    /// `round(clamp(v, 0, 1) * 255)`; NaN -> 0. Ties round up (half away from zero).
    @inlinable
    public static func clampToUInt8(_ v: Float) -> UInt8 {
        // `v > 0` is false for NaN, so NaN takes the 0 branch.
        let clamped: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt8(clamped * 255 + 0.5)
    }

    /// `round(clamp(v, 0, 1) * 65535)`; NaN -> 0.
    @inlinable
    public static func clampToUInt16(_ v: Float) -> UInt16 {
        let clamped: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt16(clamped * 65535 + 0.5)
    }

    /// Writes channel `channel` of `count` pixels (each `channels` floats apart,
    /// NHWC) as 8-bit samples to `destination`.
    @inlinable
    public static func clampChannel(_ source: UnsafePointer<Float>, channel: Int, channels: Int, count: Int,
                                    into destination: UnsafeMutablePointer<UInt8>) {
        var s = source + channel
        for x in 0..<count {
            destination[x] = clampToUInt8(s.pointee)
            s += channels
        }
    }

    /// One output channel of image `batch` of an NHWC tensor as a row-major
    /// 8-bit plane of `H * W` samples.
    public static func clampPlane(_ tensor: Tensor, batch: Int, channel: Int) -> [UInt8] {
        let shape = tensor.shape
        precondition(batch < shape.batch && channel < shape.channels)
        let pixels = shape.height * shape.width
        return [UInt8](unsafeUninitializedCapacity: pixels) { plane, initialized in
            tensor.values.withUnsafeBufferPointer { values in
                clampChannel(values.baseAddress! + batch * shape.imageCount, channel: channel,
                             channels: shape.channels, count: pixels, into: plane.baseAddress!)
            }
            initialized = pixels
        }
    }
}
