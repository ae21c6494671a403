/// A depthwise filter in TensorFlow's layout `[kh, kw, C, M]` (row-major).
///
/// Input channel `c` convolved with kernel `m` becomes output channel
/// `c * M + m`. The kernel is applied as a cross-correlation (not flipped),
/// as `tf.nn.depthwise_conv2d` does.
public struct DepthwiseFilter: Sendable, Equatable {
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let inputChannels: Int
    public let multiplier: Int
    /// Flat values, index `((ky * kw + kx) * C + c) * M + m`.
    public let values: [Float]

    /// Validates `shape` (`[kh, kw, C, M]`, all positive), the value count, and finiteness.
    public init(shape: [Int], values: [Float]) throws(FilterBankError) {
        try Self.check(filter: "depthwise", shape: shape, expected: "[kh, kw, C, M]", values: values)
        kernelHeight = shape[0]
        kernelWidth = shape[1]
        inputChannels = shape[2]
        multiplier = shape[3]
        self.values = values
    }

    /// The same `kh x kw` kernels (row-major, one per multiplier slot) for each of `channels` inputs.
    public init(kernels: [[Float]], height: Int, width: Int, channels: Int) throws(FilterBankError) {
        let m = kernels.count
        var flat = [Float](repeating: 0, count: height * width * channels * m)
        for (slot, kernel) in kernels.enumerated() {
            guard kernel.count == height * width else {
                throw .valueCountMismatch(filter: "kernel \(slot)", shape: [height, width], count: kernel.count)
            }
            for tap in 0..<(height * width) {
                for c in 0..<channels { flat[(tap * channels + c) * m + slot] = kernel[tap] }
            }
        }
        try self.init(shape: [height, width, channels, m], values: flat)
    }

    public var shape: [Int] { [kernelHeight, kernelWidth, inputChannels, multiplier] }
    /// `C * M`.
    public var outputChannels: Int { inputChannels * multiplier }

    @inlinable
    public func weight(_ ky: Int, _ kx: Int, _ c: Int, _ m: Int) -> Float {
        values[((ky * kernelWidth + kx) * inputChannels + c) * multiplier + m]
    }

    static func check(filter: String, shape: [Int], expected: String, values: [Float]) throws(FilterBankError) {
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidFilterShape(filter: filter, shape: shape, expected: expected)
        }
        // Overflow-safe product: absurd shapes must fail as a count mismatch, not trap.
        var need = 1
        for d in shape {
            let (p, overflow) = need.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .valueCountMismatch(filter: filter, shape: shape, count: values.count) }
            need = p
        }
        guard need == values.count else {
            throw .valueCountMismatch(filter: filter, shape: shape, count: values.count)
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteValue(filter: filter, index: bad)
        }
    }
}

/// A 1x1 pointwise filter in TensorFlow's layout `[1, 1, C*M, O]` (row-major):
/// output channel `o` is `sum_k depthwise[k] * values[k * O + o]`.
public struct PointwiseFilter: Sendable, Equatable {
    public let inputDepth: Int
    public let outputChannels: Int
    /// Flat values, index `k * O + o`.
    public let values: [Float]

    public init(shape: [Int], values: [Float]) throws(FilterBankError) {
        try DepthwiseFilter.check(filter: "pointwise", shape: shape, expected: "[1, 1, C*M, O]", values: values)
        guard shape[0] == 1, shape[1] == 1 else {
            throw .invalidFilterShape(filter: "pointwise", shape: shape, expected: "[1, 1, C*M, O]")
        }
        inputDepth = shape[2]
        outputChannels = shape[3]
        self.values = values
    }

    public var shape: [Int] { [1, 1, inputDepth, outputChannels] }
}

/// A complete filter bank: what `tf.nn.depthwise_conv2d` (no pointwise filter)
/// or `tf.nn.separable_conv2d` (with one) computes, with its strides,
/// dilations and padding.
///
/// Beyond TensorFlow: unequal strides, and strides > 1 together with
/// dilations > 1, are computed as the mathematical definition says (TensorFlow
/// rejects the first and returns wrong values for the second).
public struct FilterBank: Sendable, Equatable {
    public enum Kind: String, Sendable { case depthwise, separable }

    public let depthwise: DepthwiseFilter
    public let pointwise: PointwiseFilter?
    public let strides: HeightWidth
    public let dilations: HeightWidth
    public let padding: Padding
    /// Added to each output channel after the convolution (`outputChannels`
    /// values), as Keras' `use_bias` does; `nil` for none.
    public let bias: [Float]?
    /// The values read in the padded area (`zero`, TensorFlow's, by default).
    /// The padding sizes still follow `padding`.
    public let border: BorderMode

    /// Builds a bank and checks what can be checked without an input:
    /// positive strides and dilations, non-negative pads, that the
    /// pointwise depth equals `C * M`, and one finite bias per output channel.
    public init(depthwise: DepthwiseFilter, pointwise: PointwiseFilter? = nil,
                strides: HeightWidth = .one, dilations: HeightWidth = .one,
                padding: Padding = .same, bias: [Float]? = nil,
                border: BorderMode = .zero) throws(FilterBankError) {
        guard strides.height > 0, strides.width > 0 else { throw .invalidStep(name: "strides", value: strides) }
        guard dilations.height > 0, dilations.width > 0 else { throw .invalidStep(name: "dilations", value: dilations) }
        if case let .explicit(t, b, l, r) = padding, min(t, b, l, r) < 0 { throw .negativePadding(padding) }
        // The command line's limits, whatever the bank's source (a file can declare anything):
        // kernels of at most 255 each way, and explicit pads of at most 255 or the effective
        // kernel, whichever is larger, so that a bank cannot make a small image cost a huge one.
        let limit = FilterBank.maximumKernelSize
        for (axis, size) in [(Axis.height, depthwise.kernelHeight), (.width, depthwise.kernelWidth)] where size > limit {
            throw .geometryTooLarge(axis: axis, name: "kernel size", value: size, limit: limit)
        }
        if case let .explicit(t, b, l, r) = padding {
            let reach = [(depthwise.kernelHeight - 1).multipliedReportingOverflow(by: dilations.height),
                         (depthwise.kernelWidth - 1).multipliedReportingOverflow(by: dilations.width)]
                .map { $0.overflow ? Int.max : $0.partialValue + 1 }
            for (axis, pads, extent) in [(Axis.height, [t, b], reach[0]), (.width, [l, r], reach[1])] {
                let cap = max(limit, extent)
                if let pad = pads.first(where: { $0 > cap }) {
                    throw .geometryTooLarge(axis: axis, name: "explicit padding", value: pad, limit: cap)
                }
            }
        }
        if let pointwise, pointwise.inputDepth != depthwise.outputChannels {
            throw .pointwiseDepthMismatch(depthwiseShape: depthwise.shape, pointwiseShape: pointwise.shape)
        }
        let outputs = pointwise?.outputChannels ?? depthwise.outputChannels
        if let bias {
            guard bias.count == outputs else { throw .biasCountMismatch(expected: outputs, got: bias.count) }
            if let bad = bias.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteValue(filter: "bias", index: bad) }
        }
        self.bias = bias
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.border = border
    }

    /// The largest kernel height or width a bank may have, from any source:
    /// `KernelLibrary.maximumSize` (255). Explicit pads are capped at this or
    /// at the effective kernel `(k - 1) * d + 1`, whichever is larger.
    public static let maximumKernelSize = KernelLibrary.maximumSize

    public var kind: Kind { pointwise == nil ? .depthwise : .separable }

    /// Channels of the result: `C * M` for a depthwise bank, `O` for a separable one.
    public var outputChannels: Int { pointwise?.outputChannels ?? depthwise.outputChannels }
}
