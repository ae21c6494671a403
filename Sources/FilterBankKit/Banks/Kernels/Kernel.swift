/// One 2-D kernel: `height x width` weights in row-major order, applied as a
/// cross-correlation (not flipped), like every kernel of a bank.
///
/// ## The anchor, and kernels of different sizes in one bank
///
/// With SAME padding, stride 1 and dilation 1, TensorFlow pads a kernel of size
/// `k` with `floor((k - 1) / 2)` zeros before and the rest (the odd one) after,
/// so kernel tap `floor((k - 1) / 2)` lies on the output pixel: the *anchor*.
/// For an odd size the anchor is the centre; for an even size it is the tap just
/// above / left of the middle, and the kernel reaches one pixel further down /
/// right (SAME's odd pixel at the bottom / right).
///
/// Kernels of different sizes share one bank by zero-padding each to the
/// largest height and the largest width, placed so that the anchors coincide:
/// a kernel of size `k` in a bank of size `K` gets
/// `floor((K - 1) / 2) - floor((k - 1) / 2)` zero rows (columns) before it and
/// the rest after it. So a `2x2` kernel in a `3x3` bank goes to the bottom-right
/// corner, a `3x3` kernel in a `4x4` bank to the top-left corner. The
/// consequence, which the tests check: with SAME padding, stride 1 and
/// dilation 1, every multiplier slot computes exactly what its kernel alone
/// would compute (the padding only adds zero taps). When every size is odd the
/// anchors are the centres and this also holds for any dilation. With strides
/// > 1, SAME's total padding depends on the input size, so no placement can
/// promise that.
public struct Kernel: Sendable, Equatable, CustomStringConvertible {
    /// What the kernel is, as a spec that rebuilds it: `gaussian:sigma=2,size=13`,
    /// `sobel-x`, `3x3:1,0,-1,2,0,-2,1,0,-1`, or a file name.
    public let name: String
    public let height: Int
    public let width: Int
    /// `height * width` values, row-major: `values[row * width + column]`.
    public let values: [Float]

    /// Wraps `values`. `height` and `width` must be positive and `values` must
    /// hold `height * width` elements (a programming error otherwise: untrusted
    /// input goes through `KernelSpec` or a file reader, which check first).
    public init(name: String, height: Int, width: Int, values: [Float]) {
        precondition(height > 0 && width > 0 && values.count == height * width,
                     "kernel \(name): \(height)x\(width) needs \(height * width) values, got \(values.count)")
        self.name = name
        self.height = height
        self.width = width
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Float { values[row * width + column] }

    /// `(row, column)` of the tap that lies on the output pixel under SAME,
    /// stride 1: `(floor((height - 1) / 2), floor((width - 1) / 2))`.
    public var anchor: (row: Int, column: Int) { ((height - 1) / 2, (width - 1) / 2) }

    /// The sum of the values, accumulated in Double.
    public var sum: Double { values.reduce(0.0) { $0 + Double($1) } }

    /// Whether the sum is zero up to rounding: `|sum| <= 1e-6 * sum(|v|)`.
    /// Derivative kernels (Sobel, Laplacian, LoG, DoG) are; `normalized()` leaves them alone.
    public var hasZeroSum: Bool {
        let magnitude = values.reduce(0.0) { $0 + abs(Double($1)) }
        return abs(sum) <= 1e-6 * magnitude
    }

    /// The kernel scaled to sum 1; unchanged when its sum is zero (`hasZeroSum`).
    public func normalized() -> Kernel {
        guard !hasZeroSum else { return self }
        let s = sum
        return Kernel(name: name, height: height, width: width, values: values.map { Float(Double($0) / s) })
    }

    /// The kernel zero-padded to `height x width` (each at least the kernel's),
    /// anchors aligned as the type's documentation states.
    public func padded(toHeight newHeight: Int, width newWidth: Int) -> Kernel {
        precondition(newHeight >= height && newWidth >= width)
        if newHeight == height && newWidth == width { return self }
        let top = (newHeight - 1) / 2 - (height - 1) / 2
        let left = (newWidth - 1) / 2 - (width - 1) / 2
        var out = [Float](repeating: 0, count: newHeight * newWidth)
        for r in 0..<height {
            for c in 0..<width { out[(r + top) * newWidth + c + left] = values[r * width + c] }
        }
        return Kernel(name: name, height: newHeight, width: newWidth, values: out)
    }

    /// The largest height and the largest width among `kernels` (`(0, 0)` for none).
    public static func commonSize(_ kernels: [Kernel]) -> (height: Int, width: Int) {
        (kernels.map(\.height).max() ?? 0, kernels.map(\.width).max() ?? 0)
    }

    /// `kernels` zero-padded to their common size (see the type's documentation).
    public static func padToCommonSize(_ kernels: [Kernel]) -> [Kernel] {
        let (h, w) = commonSize(kernels)
        return kernels.map { $0.padded(toHeight: h, width: w) }
    }

    public var description: String { "\(name) (\(width)x\(height))" }
}

extension DepthwiseFilter {
    /// The same kernels for each of `channels` inputs: kernel `m` is multiplier
    /// slot `m` (M = `kernels.count`), so output channel `c * M + m` is input
    /// channel `c` correlated with `kernels[m]`. Kernels of different sizes are
    /// zero-padded to a common size with their anchors aligned (see `Kernel`).
    public init(kernels: [Kernel], channels: Int) throws(FilterBankError) {
        guard !kernels.isEmpty else {
            throw .invalidFilterShape(filter: "depthwise", shape: [0, 0, channels, 0], expected: "at least one kernel")
        }
        let (h, w) = Kernel.commonSize(kernels)
        try self.init(kernels: Kernel.padToCommonSize(kernels).map(\.values), height: h, width: w, channels: channels)
    }

    /// The kernel of input channel `c`, multiplier slot `m`, row-major `kh x kw`.
    public func kernel(channel c: Int, slot m: Int) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(kernelHeight * kernelWidth)
        for ky in 0..<kernelHeight {
            for kx in 0..<kernelWidth { out.append(weight(ky, kx, c, m)) }
        }
        return out
    }

    /// Every `(c, m)` kernel scaled to sum 1, except those whose sum is zero up
    /// to rounding (as `Kernel.normalized()`). What `--normalize` does to a bank.
    public func normalizingEachKernel() throws(FilterBankError) -> DepthwiseFilter {
        var flat = values
        let taps = kernelHeight * kernelWidth
        let depth = inputChannels * multiplier
        for k in 0..<depth {
            var sum = 0.0, magnitude = 0.0
            for t in 0..<taps {
                let v = Double(flat[t * depth + k])
                sum += v
                magnitude += abs(v)
            }
            guard abs(sum) > 1e-6 * magnitude else { continue }
            for t in 0..<taps { flat[t * depth + k] = Float(Double(flat[t * depth + k]) / sum) }
        }
        return try DepthwiseFilter(shape: shape, values: flat)
    }
}
