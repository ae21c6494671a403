/// How a float output channel becomes pixel values.
///
/// Every mode is an affine map followed by a clamp, so that the exact mapping
/// can be written down and undone (the `--stats` sidecar records it):
///
///     pixel = round(clamp(scale * (absolute ? |v| : v) + offset, 0, 1) * maxValue)
///     v     = (pixel / maxValue - offset) / scale     (for unclamped pixels; |v| when absolute)
///
/// NaN maps to 0 (a NaN must never reach an integer conversion, which traps).
public enum MappingMode: String, CaseIterable, Sendable {
    /// The default: per output channel, `symmetric` when its weights have
    /// both signs (or its bias is negative), so that 0 is mid-grey and
    /// neither sign is lost; `clamp` when every weight is non-negative
    /// (smoothing kernels, whose output stays in the input's range). See
    /// `FilterBank.signedOutputs` and `resolved(signed:)`.
    case auto
    /// `v` as it is: [0, 1] -> black..white, negatives black. TensorFlow-style images.
    case clamp
    /// Each range (see `MappingScope`) stretched from its own min..max to black..white;
    /// a constant range becomes mid-grey.
    case minmax
    /// `|v|`, then clamped: edge strength regardless of sign.
    case abs
    /// 0 -> mid-grey, `+max|v|` -> white, `-max|v|` -> black; an all-zero range is mid-grey.
    case symmetric

    /// Whether the mode needs the range's statistics before it can map anything.
    /// `auto` may (it does when some channel is signed).
    public var needsStatistics: Bool { self == .minmax || self == .symmetric || self == .auto }

    /// The mode one output channel gets: `auto` becomes `symmetric` for a
    /// channel that can be negative, `clamp` otherwise; other modes stay.
    public func resolved(signed: Bool) -> MappingMode {
        self == .auto ? (signed ? .symmetric : .clamp) : self
    }
}

/// Over what the range of `minmax` / `symmetric` is measured.
public enum MappingScope: String, CaseIterable, Sendable {
    /// Each output channel of each image on its own.
    case channel
    /// All output channels of one image together.
    case image
    /// Everything in the run (every channel of every file), so maps stay comparable across files.
    case batch
}

/// Running statistics of one range of values (NaN ignored, infinities counted in min/max).
public struct ChannelStatistics: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity
    public private(set) var sum = 0.0
    public private(set) var sumOfSquares = 0.0

    public init() {}

    public var mean: Double { count > 0 ? sum / Double(count) : 0 }
    /// Population standard deviation.
    public var standardDeviation: Double {
        guard count > 0 else { return 0 }
        let m = mean
        return max(0, sumOfSquares / Double(count) - m * m).squareRoot()
    }
    /// `max(|min|, |max|)`, 0 when empty.
    public var maximumMagnitude: Float { count > 0 ? Swift.max(Swift.abs(minimum), Swift.abs(maximum)) : 0 }

    /// Adds `count` values spaced `stride` apart.
    ///
    /// Eight values at a time, with eight partial minima, maxima and sums, so
    /// that no step waits on the one before it (one running Double sum waits
    /// four cycles a value: the `--map auto` measuring pass of a 12 MP photo
    /// spent more time here than in its convolution). The sums are added in
    /// another order than one by one: they may differ in the last bits.
    public mutating func add(_ values: UnsafePointer<Float>, stride: Int, count: Int) {
        var lo8 = SIMD8<Float>(repeating: minimum), hi8 = SIMD8<Float>(repeating: maximum)
        var s8 = SIMD8<Double>(), q8 = SIMD8<Double>()
        var skipped = 0
        var p = values
        var i = 0
        while i &+ 8 <= count {
            var v = SIMD8<Float>(p[0], p[stride], p[2 &* stride], p[3 &* stride],
                                 p[4 &* stride], p[5 &* stride], p[6 &* stride], p[7 &* stride])
            // Comparisons with NaN are false: NaN leaves the minima and maxima alone.
            lo8.replace(with: v, where: v .< lo8)
            hi8.replace(with: v, where: v .> hi8)
            let nan = v .!= v
            if any(nan) {
                for k in 0..<8 where nan[k] { skipped &+= 1 }
                v.replace(with: 0, where: nan)
            }
            let d = SIMD8<Double>(v)
            s8 += d
            q8 += d * d
            p += 8 &* stride
            i &+= 8
        }
        var lo = lo8.min(), hi = hi8.max(), s = s8.sum(), s2 = q8.sum()
        while i < count {
            let v = p.pointee
            p += stride
            i &+= 1
            guard !v.isNaN else { skipped &+= 1; continue }
            lo = v < lo ? v : lo
            hi = v > hi ? v : hi
            let d = Double(v)
            s += d
            s2 += d * d
        }
        minimum = lo
        maximum = hi
        sum += s
        sumOfSquares += s2
        self.count += count &- skipped
    }

    public mutating func merge(_ other: ChannelStatistics) {
        count += other.count
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }
}

/// The affine map of one output channel (see `MappingMode`).
public struct ChannelMapping: Sendable, Equatable {
    public var absolute: Bool
    public var scale: Float
    public var offset: Float

    public init(absolute: Bool = false, scale: Float = 1, offset: Float = 0) {
        self.absolute = absolute
        self.scale = scale
        self.offset = offset
    }

    /// The map for `mode` over a range with `statistics`, followed by the user's
    /// affine `userScale * x + userOffset` (applied before clamping).
    /// `signed` resolves `auto` (see `MappingMode.resolved(signed:)`).
    public init(mode: MappingMode, statistics: ChannelStatistics?, userScale: Float = 1, userOffset: Float = 0,
                signed: Bool = true) {
        var a: Float = 1, b: Float = 0, absolute = false
        switch mode.resolved(signed: signed) {
        case .clamp, .auto:
            break
        case .abs:
            absolute = true
        case .minmax:
            let s = statistics ?? ChannelStatistics()
            let lo = s.minimum, hi = s.maximum
            if s.count > 0, lo.isFinite, hi.isFinite, hi > lo {
                a = 1 / (hi - lo)
                b = -lo * a
            } else {
                (a, b) = (0, 0.5)  // constant (or empty) range: mid-grey, no division by zero
            }
        case .symmetric:
            let m = statistics?.maximumMagnitude ?? 0
            if m > 0, m.isFinite {
                a = 0.5 / m
                b = 0.5
            } else {
                (a, b) = (0, 0.5)
            }
        }
        self.init(absolute: absolute, scale: a * userScale, offset: b * userScale + userOffset)
    }

    /// The pixel for `v` at full scale `maxValue` (255 or 65535).
    @inlinable
    public func unit(_ v: Float) -> Float {
        let x = (absolute ? Swift.abs(v) : v) * scale + offset
        return x > 0 ? (x < 1 ? x : 1) : 0  // `x > 0` is false for NaN: NaN -> 0
    }

    /// Maps `count` values spaced `stride` apart to 8-bit samples.
    @inlinable
    public func map(_ source: UnsafePointer<Float>, stride: Int, count: Int, into destination: UnsafeMutablePointer<UInt8>) {
        var x = 0, s = source
        while x &+ 8 <= count {
            let levels = eight(s, stride: stride, fullScale: 255)
            UnsafeMutableRawPointer(destination + x).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: levels), as: SIMD8<UInt8>.self)
            s += 8 &* stride
            x &+= 8
        }
        while x < count {
            destination[x] = UInt8(unit(s.pointee) * 255 + 0.5)
            s += stride
            x &+= 1
        }
    }

    /// Maps `count` values spaced `stride` apart to 16-bit samples.
    @inlinable
    public func map(_ source: UnsafePointer<Float>, stride: Int, count: Int, into destination: UnsafeMutablePointer<UInt16>) {
        var x = 0, s = source
        while x &+ 8 <= count {
            let levels = eight(s, stride: stride, fullScale: 65535)
            UnsafeMutableRawPointer(destination + x).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: levels), as: SIMD8<UInt16>.self)
            s += 8 &* stride
            x &+= 8
        }
        while x < count {
            destination[x] = UInt16(unit(s.pointee) * 65535 + 0.5)
            s += stride
            x &+= 1
        }
    }

    /// `unit(v) * fullScale + 0.5`, rounded down, for eight values spaced
    /// `stride` apart: the same numbers as the scalar loop, bit for bit (the
    /// same multiplies and adds, in the same order; NaN to 0), in vector
    /// operations only. Swift's float-to-integer conversions check their
    /// range on every value and its SIMD one is a generic call, so the floor
    /// is taken with 2^23: for `0 <= y < 2^23`, `(y + 2^23) - 2^23` is `y`
    /// rounded to the nearest integer (one too high when it rounded up), and
    /// the low bits of `floor(y) + 2^23` are `floor(y)`. The mapping was a
    /// quarter of the default job's time as a scalar loop.
    @inlinable
    func eight(_ s: UnsafePointer<Float>, stride: Int, fullScale: Float) -> SIMD8<UInt32> {
        typealias V = SIMD8<Float>
        var v = V(s[0], s[stride], s[2 &* stride], s[3 &* stride],
                  s[4 &* stride], s[5 &* stride], s[6 &* stride], s[7 &* stride])
        if absolute { v.replace(with: -v, where: v .< 0) }
        let u = v * V(repeating: scale) + V(repeating: offset)
        var c = u.replacing(with: 1, where: .!(u .< 1))
        c.replace(with: 0, where: .!(u .> 0))  // also NaN
        let y = c * V(repeating: fullScale) + V(repeating: 0.5)
        let magic = V(repeating: 8_388_608)
        var r = (y + magic) - magic
        r.replace(with: r - 1, where: r .> y)
        return unsafeBitCast(r + magic, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0xFFFF)
    }
}

/// The default mapping, `clamp`: `round(clamp(v, 0, 1) * max)`.
public enum PixelMapping {
    /// `round(clamp(v, 0, 1) * 255)`; NaN -> 0. Ties round up (half away from zero).
    @inlinable
    public static func clampToUInt8(_ v: Float) -> UInt8 {
        UInt8(ChannelMapping().unit(v) * 255 + 0.5)
    }

    /// `round(clamp(v, 0, 1) * 65535)`; NaN -> 0.
    @inlinable
    public static func clampToUInt16(_ v: Float) -> UInt16 {
        UInt16(ChannelMapping().unit(v) * 65535 + 0.5)
    }

    /// One output channel of image `batch` of an NHWC tensor as a row-major
    /// 8-bit plane of `H * W` samples, mapped with `mapping` (default clamp).
    public static func plane(_ tensor: Tensor, batch: Int, channel: Int,
                             mapping: ChannelMapping = ChannelMapping()) -> [UInt8] {
        let shape = tensor.shape
        precondition(batch < shape.batch && channel < shape.channels)
        let pixels = shape.height * shape.width
        return [UInt8](unsafeUninitializedCapacity: pixels) { plane, initialized in
            tensor.values.withUnsafeBufferPointer { values in
                mapping.map(values.baseAddress! + batch * shape.imageCount + channel, stride: shape.channels,
                            count: pixels, into: plane.baseAddress!)
            }
            initialized = pixels
        }
    }
}
