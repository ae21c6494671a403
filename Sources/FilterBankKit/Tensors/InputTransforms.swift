/// What is done to a decoded image's channels before filtering.
public struct InputTransforms: Sendable, Equatable {
    /// Keep an alpha channel as a channel of its own (the default), or drop it.
    public enum Alpha: String, Sendable, CaseIterable { case keep, drop }

    /// Apply a JPEG's EXIF orientation (default), so that rows are in display order.
    public var orient = true
    public var alpha: Alpha = .keep
    /// Convert colour to one luma channel, `Y = 0.299 R + 0.587 G + 0.114 B`
    /// (ITU-R BT.601), before filtering. CMYK is first turned into RGB
    /// (`R = (1 - C)(1 - K)`, ...).
    public var gray = false

    public init(orient: Bool = true, alpha: Alpha = .keep, gray: Bool = false) {
        self.orient = orient
        self.alpha = alpha
        self.gray = gray
    }

    /// Whether the channels change at all for an image with `channels`
    /// channels, which are `cmyk` (a 4-channel JPEG) or gray/RGB plus alpha (PNG).
    public func changes(channels: Int, cmyk: Bool) -> Bool {
        let hasAlpha = !cmyk && (channels == 2 || channels == 4)
        return (alpha == .drop && hasAlpha) || (gray && (channels >= 3))
    }

    /// Channels after the transforms.
    public func outputChannels(_ channels: Int, cmyk: Bool) -> Int {
        let hasAlpha = !cmyk && (channels == 2 || channels == 4)
        let base = gray ? 1 : (cmyk ? 4 : (channels >= 3 ? 3 : 1))
        return base + (hasAlpha && alpha == .keep ? 1 : 0)
    }

    /// Transforms `pixels` pixels of `channels` samples each at `source` into
    /// `outputChannels(channels, cmyk:)` samples each at `destination` (the
    /// two must not overlap). CMYK samples are as decoded (`1` = no ink).
    public func apply(_ source: UnsafePointer<Float>, channels inC: Int, cmyk: Bool, pixels: Int,
                      into destination: UnsafeMutablePointer<Float>) {
        let outC = outputChannels(inC, cmyk: cmyk)
        let hasAlpha = !cmyk && (inC == 2 || inC == 4)
        let keepAlpha = hasAlpha && alpha == .keep
        for p in 0..<pixels {
            let s = source + p * inC, d = destination + p * outC
            var r: Float, g: Float, b: Float
            if cmyk {
                let k = 1 - s[3]
                (r, g, b) = ((1 - s[0]) * k, (1 - s[1]) * k, (1 - s[2]) * k)
            } else if inC >= 3 {
                (r, g, b) = (s[0], s[1], s[2])
            } else {
                (r, g, b) = (s[0], s[0], s[0])
            }
            var o = 0
            if cmyk && !gray {
                d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]
                o = 4
            } else if inC >= 3 && gray {
                d[0] = 0.299 * r + 0.587 * g + 0.114 * b
                o = 1
            } else if inC >= 3 {
                d[0] = r; d[1] = g; d[2] = b
                o = 3
            } else {
                d[0] = s[0]
                o = 1
            }
            if keepAlpha { d[o] = s[inC - 1] }
        }
    }
}

