/// The eight EXIF orientations: how an image's stored rows must be turned to
/// be displayed upright.
///
/// The EXIF Orientation tag (TIFF tag 0x0112) says where the stored first row
/// and first column belong on the display. For a stored image `H` rows by `W`
/// columns, displayed pixel `(Y, X)` shows stored pixel:
///
/// | value | name | displayed size | stored pixel at displayed (Y, X) |
/// |---|---|---|---|
/// | 1 | identity (as stored) | H x W | (Y, X) |
/// | 2 | mirror horizontal | H x W | (Y, W-1-X) |
/// | 3 | rotate 180° | H x W | (H-1-Y, W-1-X) |
/// | 4 | mirror vertical | H x W | (H-1-Y, X) |
/// | 5 | transpose (mirror horizontal, then rotate 90° counter-clockwise) | W x H | (X, Y) |
/// | 6 | rotate 90° clockwise | W x H | (H-1-X, Y) |
/// | 7 | transverse (mirror horizontal, then rotate 90° clockwise) | W x H | (H-1-X, W-1-Y) |
/// | 8 | rotate 90° counter-clockwise | W x H | (X, W-1-Y) |
///
/// Values outside 1...8 are treated as 1, as image viewers do. Only pixels
/// move: values are copied exactly, channels stay in order.
public enum ImageOrientation {
    /// The valid EXIF values.
    public static let values: ClosedRange<Int> = 1...8

    /// Whether `orientation` displays the image with its height and width
    /// exchanged (5, 6, 7, 8).
    public static func swapsAxes(_ orientation: Int) -> Bool {
        (5...8).contains(orientation)
    }

    /// The displayed size of a stored `height x width` image.
    public static func displayedSize(_ orientation: Int, height: Int, width: Int) -> (height: Int, width: Int) {
        swapsAxes(orientation) ? (width, height) : (height, width)
    }

    /// The displayed shape of a stored tensor shape (batch and channels unchanged).
    public static func displayedShape(_ orientation: Int, of shape: TensorShape) -> TensorShape {
        let (height, width) = displayedSize(orientation, height: shape.height, width: shape.width)
        return TensorShape(batch: shape.batch, height: height, width: width, channels: shape.channels)
    }

    /// Where displayed pixel (Y, X) of an image stored `height x width` and
    /// turned as `orientation` (2...8) says is stored: pixel index
    /// `origin + Y * stepY + X * stepX`.
    public static func steps(_ orientation: Int, height h: Int, width w: Int) -> (origin: Int, stepY: Int, stepX: Int) {
        switch orientation {
        case 2: (w - 1, w, -1)
        case 3: ((h - 1) * w + w - 1, -w, -1)
        case 4: ((h - 1) * w, -w, 1)
        case 5: (0, 1, w)
        case 6: ((h - 1) * w, 1, -w)
        case 7: ((h - 1) * w + w - 1, -1, -w)
        default: (w - 1, -1, w)   // 8
        }
    }

    /// `tensor` (each image of the batch) turned as `orientation` says, so
    /// that it shows upright; shape `[N, W, H, C]` for 5...8. Orientation 1,
    /// or any value outside 1...8, returns `tensor` itself.
    public static func apply(_ orientation: Int, to tensor: Tensor) -> Tensor {
        guard (2...8).contains(orientation) else { return tensor }
        let shape = tensor.shape
        let (h, w, c) = (shape.height, shape.width, shape.channels)
        let out = displayedShape(orientation, of: shape)
        guard out.count > 0 else { return Tensor(shape: out, values: []) }
        let (origin, stepY, stepX) = steps(orientation, height: h, width: w)
        let imageCount = shape.imageCount
        let values = [Float](unsafeUninitializedCapacity: out.count) { buffer, initialized in
            tensor.values.withUnsafeBufferPointer { source in
                for n in 0..<shape.batch {
                    copy(from: source.baseAddress! + n * imageCount, to: buffer.baseAddress! + n * imageCount,
                         height: out.height, width: out.width, channels: c,
                         origin: origin, stepY: stepY, stepX: stepX)
                }
            }
            initialized = out.count
        }
        return Tensor(shape: out, values: values)
    }

    /// Output tiles of `tile x tile` pixels keep the source reads of a transpose within
    /// cache: a quarter turn measured twice as fast tiled as in plain row order
    /// (docs/performance.md).
    private static let tile = 64

    /// Fills `height x width` pixels of `dst` row by row; displayed (y, x) reads stored
    /// pixel `origin + y * stepY + x * stepX`. Channel counts 1 and 3 get their own loops.
    private static func copy(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>,
                             height: Int, width: Int, channels c: Int,
                             origin: Int, stepY: Int, stepX: Int) {
        for y0 in stride(from: 0, to: height, by: tile) {
            for x0 in stride(from: 0, to: width, by: tile) {
                let y1 = min(y0 + tile, height), x1 = min(x0 + tile, width)
                for y in y0..<y1 {
                    var s = (origin &+ y &* stepY &+ x0 &* stepX) &* c
                    var d = (y &* width &+ x0) &* c
                    let step = stepX &* c
                    switch c {
                    case 1:
                        for _ in x0..<x1 {
                            dst[d] = src[s]
                            d &+= 1
                            s &+= step
                        }
                    case 3:
                        for _ in x0..<x1 {
                            dst[d] = src[s]
                            dst[d &+ 1] = src[s &+ 1]
                            dst[d &+ 2] = src[s &+ 2]
                            d &+= 3
                            s &+= step
                        }
                    default:
                        for _ in x0..<x1 {
                            for k in 0..<c { dst[d &+ k] = src[s &+ k] }
                            d &+= c
                            s &+= step
                        }
                    }
                }
            }
        }
    }
}
