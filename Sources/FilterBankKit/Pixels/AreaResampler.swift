/// Shrinks one channel, streamed row by row, by area averaging: each output
/// pixel is the mean of the source area it covers, partial source pixels
/// weighted by the fraction covered (what a box filter of the scale factor
/// gives; no aliasing from skipped pixels). Never enlarges.
///
/// Memory: two output rows of accumulators, whatever the image height.
public struct AreaResampler: Sendable {
    public let sourceWidth: Int
    public let sourceHeight: Int
    public let width: Int
    public let height: Int
    /// Output column `x` reads source columns `first[x] ..< first[x] + taps[x]`
    /// with weights `weights[offset[x] ...]` (summing to 1).
    private let first: [Int]
    private let taps: [Int]
    private let offset: [Int]
    private let weights: [Float]
    private var accumulators: [Float]
    private var resampled: [Float]
    private var sourceRow = 0

    public init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        precondition(width > 0 && height > 0 && width <= sourceWidth && height <= sourceHeight)
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.width = width
        self.height = height
        let sx = Double(sourceWidth) / Double(width)
        var first: [Int] = [], taps: [Int] = [], offset: [Int] = [], weights: [Float] = []
        for x in 0..<width {
            let a = Double(x) * sx, b = Double(x + 1) * sx
            let lo = Int(a), hi = min(sourceWidth, Int(b.rounded(.up)))
            first.append(lo)
            taps.append(hi - lo)
            offset.append(weights.count)
            for i in lo..<hi { weights.append(Float((min(b, Double(i + 1)) - max(a, Double(i))) / sx)) }
        }
        self.first = first
        self.taps = taps
        self.offset = offset
        self.weights = weights
        accumulators = [Float](repeating: 0, count: 2 * width)
        resampled = [Float](repeating: 0, count: width)
    }

    /// Adds the next source row (`sourceWidth` values spaced `stride` apart);
    /// calls `emit` with each output row it completes (`width` values, valid
    /// during the call), in order.
    public mutating func add(_ row: UnsafePointer<Float>, stride: Int,
                             emit: (_ y: Int, _ values: UnsafePointer<Float>) -> Void) {
        precondition(sourceRow < sourceHeight)
        let width = self.width
        first.withUnsafeBufferPointer { first in
            taps.withUnsafeBufferPointer { taps in
                offset.withUnsafeBufferPointer { offset in
                    weights.withUnsafeBufferPointer { weights in
                        resampled.withUnsafeMutableBufferPointer { out in
                            for x in 0..<width {
                                var sum: Float = 0
                                var p = row + first[x] * stride
                                let w = weights.baseAddress! + offset[x]
                                for t in 0..<taps[x] {
                                    sum += w[t] * p.pointee
                                    p += stride
                                }
                                out[x] = sum
                            }
                        }
                    }
                }
            }
        }
        let sy = Double(sourceHeight) / Double(height)
        let top = Double(sourceRow), bottom = Double(sourceRow + 1)
        var y = Int(top / sy)
        while y < height, Double(y) * sy < bottom {
            let overlap = Float((min(bottom, Double(y + 1) * sy) - max(top, Double(y) * sy)) / sy)
            let slot = (y & 1) * width
            for x in 0..<width { accumulators[slot + x] += overlap * resampled[x] }
            // The last source row of output row y (rounding cannot leave the last row unfinished).
            if Double(y + 1) * sy <= bottom + 1e-9 || sourceRow == sourceHeight - 1 {
                accumulators.withUnsafeMutableBufferPointer { a in
                    emit(y, UnsafePointer(a.baseAddress! + slot))
                    for x in 0..<width { a[slot + x] = 0 }
                }
            }
            y += 1
        }
        sourceRow += 1
    }

    /// The size that fits `sourceWidth x sourceHeight` into `width` pixels
    /// wide, keeping the aspect ratio (never enlarging; at least 1 x 1).
    public static func fit(sourceWidth: Int, sourceHeight: Int, width: Int) -> (width: Int, height: Int) {
        let w = max(1, min(width, sourceWidth))
        let h = max(1, min(sourceHeight, Int((Double(sourceHeight) * Double(w) / Double(sourceWidth)).rounded())))
        return (w, h)
    }
}
