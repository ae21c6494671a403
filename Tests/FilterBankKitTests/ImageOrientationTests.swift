import Testing
import FilterBankKit

@Suite("ImageOrientation")
struct ImageOrientationTests {
    /// Stored 2 x 3, one channel:
    ///
    ///     1 2 3
    ///     4 5 6
    static let stored = Tensor(shape: TensorShape(batch: 1, height: 2, width: 3, channels: 1),
                               values: [1, 2, 3, 4, 5, 6])

    /// Each orientation's displayed image, written out by hand from the EXIF definitions
    /// (where the stored first row and first column end up).
    static let expected: [(orientation: Int, height: Int, width: Int, values: [Float])] = [
        (1, 2, 3, [1, 2, 3,
                   4, 5, 6]),
        (2, 2, 3, [3, 2, 1,      // mirrored left-right
                   6, 5, 4]),
        (3, 2, 3, [6, 5, 4,      // rotated 180°
                   3, 2, 1]),
        (4, 2, 3, [4, 5, 6,      // mirrored top-bottom
                   1, 2, 3]),
        (5, 3, 2, [1, 4,         // transposed: stored rows become columns
                   2, 5,
                   3, 6]),
        (6, 3, 2, [4, 1,         // rotated 90° clockwise: the first stored row is the right column
                   5, 2,
                   6, 3]),
        (7, 3, 2, [6, 3,         // transverse: flipped over the anti-diagonal
                   5, 2,
                   4, 1]),
        (8, 3, 2, [3, 6,         // rotated 90° counter-clockwise: the first stored row is the left column
                   2, 5,
                   1, 4]),
    ]

    @Test(arguments: expected.map(\.orientation))
    func handWrittenCase(_ orientation: Int) throws {
        let want = try #require(Self.expected.first { $0.orientation == orientation })
        let got = ImageOrientation.apply(orientation, to: Self.stored)
        #expect(got.shape == TensorShape(batch: 1, height: want.height, width: want.width, channels: 1))
        #expect(got.values == want.values)
        let size = ImageOrientation.displayedSize(orientation, height: 2, width: 3)
        #expect(size.height == want.height && size.width == want.width)
        #expect(ImageOrientation.swapsAxes(orientation) == (orientation >= 5))
    }

    /// Channels move with their pixel and keep their order; every image of a batch turns.
    @Test(arguments: 1...8)
    func channelsAndBatch(_ orientation: Int) throws {
        let want = try #require(Self.expected.first { $0.orientation == orientation })
        // Two images of 2 x 3 pixels with 2 channels: pixel value p gives channels (p, -p)
        // in image 0 and (p + 10, -(p + 10)) in image 1.
        var values: [Float] = []
        for image in 0..<2 {
            for p in Self.stored.values { values += [p + Float(10 * image), -(p + Float(10 * image))] }
        }
        let tensor = Tensor(shape: TensorShape(batch: 2, height: 2, width: 3, channels: 2), values: values)
        let got = ImageOrientation.apply(orientation, to: tensor)
        #expect(got.shape == TensorShape(batch: 2, height: want.height, width: want.width, channels: 2))
        var expected: [Float] = []
        for image in 0..<2 {
            for p in want.values { expected += [p + Float(10 * image), -(p + Float(10 * image))] }
        }
        #expect(got.values == expected)
        #expect(ImageOrientation.displayedShape(orientation, of: tensor.shape) == got.shape)
    }

    /// Undoing: 2, 3, 4, 5 and 7 are their own inverses; 6 and 8 undo each other.
    @Test(arguments: [(2, 2), (3, 3), (4, 4), (5, 5), (7, 7), (6, 8), (8, 6)])
    func inverses(_ first: Int, _ second: Int) {
        let tensor = Tensor(shape: TensorShape(batch: 1, height: 5, width: 7, channels: 3),
                            values: (0..<105).map { Float($0) })
        #expect(ImageOrientation.apply(second, to: ImageOrientation.apply(first, to: tensor)) == tensor)
    }

    /// Compositions that the EXIF table implies: two quarter turns are a half turn,
    /// a half turn is both mirrors, and 5 / 7 are mirror-then-rotate.
    @Test func compositions() {
        let tensor = Tensor(shape: TensorShape(batch: 1, height: 4, width: 9, channels: 2),
                            values: (0..<72).map { Float($0) * 0.5 })
        func apply(_ list: [Int]) -> Tensor { list.reduce(tensor) { ImageOrientation.apply($1, to: $0) } }
        #expect(apply([6, 6]) == apply([3]))
        #expect(apply([8, 8]) == apply([3]))
        #expect(apply([2, 4]) == apply([3]))
        #expect(apply([2, 8]) == apply([5]))   // mirror horizontal, then rotate counter-clockwise
        #expect(apply([2, 6]) == apply([7]))   // mirror horizontal, then rotate clockwise
        #expect(apply([6, 6, 6]) == apply([8]))
    }

    @Test(arguments: [0, 9, -1, 100])
    func outOfRangeIsIdentity(_ orientation: Int) {
        #expect(ImageOrientation.apply(orientation, to: Self.stored) == Self.stored)
        let size = ImageOrientation.displayedSize(orientation, height: 2, width: 3)
        #expect(size.height == 2 && size.width == 3)
    }

    @Test func singleRowAndColumn() {
        let row = Tensor(shape: TensorShape(batch: 1, height: 1, width: 4, channels: 1), values: [1, 2, 3, 4])
        #expect(ImageOrientation.apply(6, to: row).values == [1, 2, 3, 4])
        #expect(ImageOrientation.apply(6, to: row).shape == TensorShape(batch: 1, height: 4, width: 1, channels: 1))
        #expect(ImageOrientation.apply(8, to: row).values == [4, 3, 2, 1])
        #expect(ImageOrientation.apply(2, to: row).values == [4, 3, 2, 1])
        #expect(ImageOrientation.apply(4, to: row).values == [1, 2, 3, 4])
    }
}
