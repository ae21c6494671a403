extension ConvolutionEngine {
    /// One worker's memory for `computeRows`: the ring of padded rows, the
    /// pointer lists of the current step, and the scratch its path asks for
    /// (rank-1 scratch rows, the spans of a fused pointwise step). Allocated
    /// once per worker (or band), never per row or pixel; used by one thread
    /// at a time.
    public final class Workspace {
        /// The padded rows built so far (see `RowRing`).
        let ring: RowRing
        /// The views of the current step's rows (see `GatheredRows`).
        let leftStrips: UnsafeMutablePointer<UnsafePointer<Float>?>
        let images: UnsafeMutablePointer<UnsafePointer<Float>?>
        let rightStrips: UnsafeMutablePointer<UnsafePointer<Float>?>
        /// The current row's rows that are not zero rows, one list per view,
        /// and each one's weights (see `pack`).
        let packedLeftStrips: UnsafeMutablePointer<UnsafePointer<Float>>
        let packedImages: UnsafeMutablePointer<UnsafePointer<Float>>
        let packedRightStrips: UnsafeMutablePointer<UnsafePointer<Float>>
        let packedWeights: UnsafeMutablePointer<UnsafePointer<Float>>
        private(set) var packedCount = 0
        /// The path's scratch floats, 64-byte aligned.
        let scratch: UnsafeMutablePointer<Float>
        /// What this workspace was sized for.
        let sizes: Sizes
        /// Whether the paths write output rows with non-temporal stores
        /// (`ConvolutionEngine.streamingThreshold`): set by `apply` for a
        /// whole output too large for the caches; off for bands that are read
        /// again at once.
        var streamsOutput = false

        struct Sizes: Equatable {
            let slotFloats: Int, ringSlots: Int, windowRows: Int, kernelRows: Int, scratchFloats: Int

            /// What `engine` needs.
            init(engine: ConvolutionEngine) {
                let layout = engine.gatherer.layout
                kernelRows = engine.plan.bank.depthwise.kernelHeight
                slotFloats = layout.slotFloats
                ringSlots = layout.ringSlots
                windowRows = kernelRows + engine.rowPath.blockRows - 1
                scratchFloats = engine.rowPath.scratchFloats
            }
        }

        public init(engine: ConvolutionEngine) {
            sizes = Sizes(engine: engine)
            let kh = sizes.kernelRows
            ring = RowRing(slots: sizes.ringSlots, slotFloats: sizes.slotFloats)
            leftStrips = .allocate(capacity: sizes.windowRows)
            images = .allocate(capacity: sizes.windowRows)
            rightStrips = .allocate(capacity: sizes.windowRows)
            packedLeftStrips = .allocate(capacity: kh)
            packedImages = .allocate(capacity: kh)
            packedRightStrips = .allocate(capacity: kh)
            packedWeights = .allocate(capacity: kh)
            scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, sizes.scratchFloats) * MemoryLayout<Float>.stride,
                                                       alignment: 64).bindMemory(to: Float.self, capacity: max(1, sizes.scratchFloats))
        }

        deinit {
            leftStrips.deallocate()
            images.deallocate()
            rightStrips.deallocate()
            packedLeftStrips.deallocate()
            packedImages.deallocate()
            packedRightStrips.deallocate()
            packedWeights.deallocate()
            UnsafeMutableRawPointer(scratch).deallocate()
        }

        /// Packs one output row's gathered rows for the single-row kernels,
        /// which take only rows that are not zero rows: `packedCount` rows,
        /// their views in `packed(_:)`, and in `packedWeights` the weights of
        /// the kernel row each is (`weights + i * weightStride` for kernel row
        /// `i`).
        func pack(_ rows: GatheredRows, weights: UnsafePointer<Float>, weightStride: Int) {
            var n = 0
            for i in 0..<rows.count {
                guard let image = rows.images[i] else { continue }
                packedLeftStrips[n] = rows.leftStrips[i]!
                packedImages[n] = image
                packedRightStrips[n] = rows.rightStrips[i]!
                packedWeights[n] = weights + i &* weightStride
                n &+= 1
            }
            packedCount = n
        }

        /// Packs a single row (a scratch row) and its weights.
        func pack(row: UnsafePointer<Float>, weights: UnsafePointer<Float>) {
            packedLeftStrips[0] = row
            packedImages[0] = row
            packedRightStrips[0] = row
            packedWeights[0] = weights
            packedCount = 1
        }

        func packed(_ view: RowLayout.View) -> UnsafePointer<UnsafePointer<Float>> {
            switch view {
            case .leftStrip: UnsafePointer(packedLeftStrips)
            case .image: UnsafePointer(packedImages)
            case .rightStrip: UnsafePointer(packedRightStrips)
            }
        }
    }
}

/// Padded rows built by `RowGatherer`, kept in a few slots keyed by image
/// row, so that each is built once while the output rows that read it are
/// computed. A step's rows are never evicted during the step; otherwise the
/// least recently used slot is reused.
final class RowRing {
    let slots: Int
    let slotFloats: Int
    private let storage: UnsafeMutablePointer<Float>
    /// Image row held by each slot (-1: none), and the step that last used it.
    private let rows: UnsafeMutablePointer<Int>
    private let lastUse: UnsafeMutablePointer<Int>
    private var step = 0

    init(slots: Int, slotFloats: Int) {
        self.slots = slots
        self.slotFloats = max(1, slotFloats)
        storage = .allocate(capacity: slots * self.slotFloats)
        rows = .allocate(capacity: slots)
        rows.initialize(repeating: -1, count: slots)
        lastUse = .allocate(capacity: slots)
        lastUse.initialize(repeating: 0, count: slots)
    }

    deinit {
        storage.deallocate()
        rows.deallocate()
        lastUse.deallocate()
    }

    /// Empties the ring: the next rows may be other rows with the same
    /// numbers (another band, or another image, in the same memory).
    func forget() { rows.update(repeating: -1, count: slots) }

    /// Starts a step: the rows it takes stay until the next step.
    func beginStep() { step &+= 1 }

    /// The slot of image row `r`, and whether it is new (to be built). With
    /// at least as many slots as one step reads, a free slot always exists.
    func slot(for r: Int) -> (UnsafeMutablePointer<Float>, isNew: Bool) {
        var victim = -1
        for s in 0..<slots {
            if rows[s] == r {
                lastUse[s] = step
                return (storage + s &* slotFloats, false)
            }
            if lastUse[s] != step && (victim < 0 || lastUse[s] < lastUse[victim]) { victim = s }
        }
        precondition(victim >= 0, "ring too small for one step's rows")
        rows[victim] = r
        lastUse[victim] = step
        return (storage + victim &* slotFloats, true)
    }
}
