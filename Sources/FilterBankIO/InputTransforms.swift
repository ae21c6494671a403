import FilterBankKit

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
    func changes(channels: Int, cmyk: Bool) -> Bool {
        let hasAlpha = !cmyk && (channels == 2 || channels == 4)
        return (alpha == .drop && hasAlpha) || (gray && (channels >= 3))
    }

    /// Channels after the transforms.
    func outputChannels(_ channels: Int, cmyk: Bool) -> Int {
        let hasAlpha = !cmyk && (channels == 2 || channels == 4)
        let base = gray ? 1 : (cmyk ? 4 : (channels >= 3 ? 3 : 1))
        return base + (hasAlpha && alpha == .keep ? 1 : 0)
    }
}

/// Rows of another source with the channel transforms applied, row by row.
final class TransformedRowSource: RowSource {
    let base: any RowSource
    let transforms: InputTransforms
    let cmyk: Bool
    let shape: TensorShape
    private var scratch: [Float] = []

    init(_ base: any RowSource, transforms: InputTransforms, cmyk: Bool) {
        self.base = base
        self.transforms = transforms
        self.cmyk = cmyk
        var s = base.shape
        s.channels = transforms.outputChannels(s.channels, cmyk: cmyk)
        shape = s
    }

    var warnings: [String] { base.warnings }

    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws(FileError) {
        let inC = base.shape.channels, outC = shape.channels
        let pixels = count * shape.width
        if scratch.count < pixels * inC { scratch = [Float](repeating: 0, count: pixels * inC) }
        try scratch.withUnsafeMutableBufferPointer { (buffer) throws(FileError) in
            let src = buffer.baseAddress!
            try base.readRows(count, into: src)
            let hasAlpha = !cmyk && (inC == 2 || inC == 4)
            let keepAlpha = hasAlpha && transforms.alpha == .keep
            for p in 0..<pixels {
                let s = src + p * inC, d = destination + p * outC
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
                if cmyk && !transforms.gray {
                    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]
                    o = 4
                } else if inC >= 3 && transforms.gray {
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
}
