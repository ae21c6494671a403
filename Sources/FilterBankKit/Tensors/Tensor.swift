/// The shape of an NHWC tensor: batch, height, width, channels.
///
/// NHWC is TensorFlow's default layout: the channels of one pixel are adjacent
/// in memory, then the pixels of one row, then the rows of one image, then the
/// images of the batch.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(batch: Int, height: Int, width: Int, channels: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Number of elements, `N * H * W * C`.
    public var count: Int { batch * height * width * channels }
    /// Elements in one image, `H * W * C`.
    public var imageCount: Int { height * width * channels }
    /// Elements in one row of one image, `W * C`.
    public var rowCount: Int { width * channels }
    /// The shape as the array TensorFlow and NumPy print: `[N, H, W, C]`.
    public var dimensions: [Int] { [batch, height, width, channels] }

    public var description: String { "[\(batch), \(height), \(width), \(channels)]" }
}

/// A dense Float32 tensor in NHWC layout, values in row-major (C) order.
///
/// A value type backed by one `[Float]`: keep it uniquely referenced (pass it
/// `inout`) when mutating a large one, or Swift copies the whole buffer.
public struct Tensor: Sendable, Equatable {
    public let shape: TensorShape
    public var values: [Float]

    /// Wraps `values`, which must hold exactly `shape.count` elements.
    public init(shape: TensorShape, values: [Float]) {
        precondition(values.count == shape.count,
                     "tensor \(shape) needs \(shape.count) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of zeros.
    public init(zeros shape: TensorShape) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.count))
    }

    /// Flat index of element `(n, y, x, c)`.
    @inlinable
    public func index(_ n: Int, _ y: Int, _ x: Int, _ c: Int) -> Int {
        ((n * shape.height + y) * shape.width + x) * shape.channels + c
    }

    public subscript(n: Int, y: Int, x: Int, c: Int) -> Float {
        get { values[index(n, y, x, c)] }
        set { values[index(n, y, x, c)] = newValue }
    }
}
