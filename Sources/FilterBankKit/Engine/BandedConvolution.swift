/// Streams images through a `ConvolutionEngine` in horizontal bands of output
/// rows, holding only the input rows the current band needs (its halo
/// included) and one band of output.
///
/// For each band of output rows `a..<b` it asks the plan which input rows
/// those read (`plan.inputRows(forOutputRows:)`), drops the rows no longer
/// needed, pulls the missing ones from the caller (`fill`, in order), computes
/// the band on all cores (the band is cut into slices for the workers, each
/// worker with its own engine workspace, allocated once per image), and hands the output rows to
/// the caller (`consume`). Peak memory is therefore set by the band height and
/// the image width, not by the image height.
///
/// Every input row is pulled exactly once, in order, including rows no output
/// reads (so a decoder still reaches, and checks, the end of its file).
public final class BandedConvolution {
    public let engine: ConvolutionEngine
    /// Output rows per band.
    public let bandRows: Int
    /// Slices a band is cut into for the threads (each with its own workspace).
    public let slices: Int
    /// The most input rows the window holds.
    public let windowRows: Int
    /// Whether the border mode makes bands read rows from the far end of the
    /// image (`wrap` with vertical padding: the top rows read the bottom ones),
    /// so that the whole image is read before the first band and held.
    public let holdsWholeImage: Bool

    public init(engine: ConvolutionEngine, bandRows: Int = 64, slices: Int = 4) {
        precondition(bandRows > 0 && slices > 0)
        self.engine = engine
        self.bandRows = bandRows
        self.slices = slices
        let plan = engine.plan
        holdsWholeImage = !plan.streamable
        guard !holdsWholeImage else {
            windowRows = plan.input.height
            return
        }
        var widest = 1
        var start = 0
        while start < plan.output.height {
            let end = min(start + bandRows, plan.output.height)
            widest = max(widest, plan.inputRows(forOutputRows: start..<end).count)
            start = end
        }
        windowRows = widest
    }

    /// About how many bytes `run` allocates while it streams an image: the
    /// window of input rows, one band of output, and each slice's workspace
    /// (its ring of padded rows, so padding counts, and its path's scratch).
    /// What a caller adds to its own buffers to check a memory budget before
    /// anything is allocated.
    public var workingBytes: Int {
        let plan = engine.plan
        let floats = MemoryLayout<Float>.stride
        let sizes = ConvolutionEngine.Workspace.Sizes(engine: engine)
        let workspace = (sizes.slotFloats * sizes.ringSlots + sizes.scratchFloats) * floats
            + sizes.windowRows * 3 * MemoryLayout<UnsafeRawPointer>.stride
        return windowRows * plan.input.rowCount * floats + bandRows * plan.output.rowCount * floats
            + slices * workspace
    }

    /// Streams one image.
    ///
    /// - Parameters:
    ///   - fill: writes the next `count` input rows (`count * W * C` Floats) to
    ///     the pointer; rows are requested in order from row 0 to the last.
    ///   - consume: receives output rows in order, `rows.count * W_out * K`
    ///     Floats (NHWC), valid only during the call.
    public func run<E: Error>(fill: (_ count: Int, _ into: UnsafeMutablePointer<Float>) throws(E) -> Void,
                              consume: (_ rows: Range<Int>, _ values: UnsafePointer<Float>) throws(E) -> Void) throws(E) {
        let plan = engine.plan
        let rowFloats = plan.input.rowCount
        let outRowFloats = plan.output.rowCount
        let window = UnsafeMutablePointer<Float>.allocate(capacity: max(1, windowRows * rowFloats))
        defer { window.deallocate() }
        let band = UnsafeMutablePointer<Float>.allocate(capacity: max(1, bandRows * outRowFloats))
        defer { band.deallocate() }
        let workspaces = Slots(count: slices) { _ in ConvolutionEngine.Workspace(engine: engine) }

        var low = 0, high = 0  // the window holds input rows low..<high
        var start = 0
        while start < plan.output.height {
            let rows = start..<min(start + bandRows, plan.output.height)
            // A band that reads only padding needs no rows (its empty range may lie past the image).
            let read = holdsWholeImage ? 0..<plan.input.height : plan.inputRows(forOutputRows: rows)
            let need = read.isEmpty ? high..<high : read
            precondition(need.lowerBound >= low, "a band needs rows already dropped")
            // Drop rows below the band's first needed row.
            if need.lowerBound > low {
                let drop = min(need.lowerBound, high) - low
                if drop < high - low {
                    window.update(from: window + drop * rowFloats, count: (high - low - drop) * rowFloats)
                }
                low += drop
            }
            // Rows nobody reads between the window and the band (stride > kernel): pull and discard.
            while high < need.lowerBound {
                let skip = min(need.lowerBound - high, windowRows)
                try fill(skip, window)
                high += skip
                low = high
            }
            if high < need.upperBound {
                try fill(need.upperBound - high, window + (high - low) * rowFloats)
                high = need.upperBound
            }
            compute(rows, window: InputBand(rows: window, firstRow: low, rowCount: high - low),
                    into: band, workspaces: workspaces)
            try consume(rows, band)
            start = rows.upperBound
        }
        // Pull the rows no output reads, so the source is read to its end.
        while high < plan.input.height {
            let rest = min(plan.input.height - high, windowRows)
            try fill(rest, window)
            high += rest
        }
    }

    private func compute(_ rows: Range<Int>, window: InputBand, into band: UnsafeMutablePointer<Float>,
                         workspaces: Slots<ConvolutionEngine.Workspace>) {
        let sliceRows = (rows.count + slices - 1) / slices
        let count = (rows.count + sliceRows - 1) / sliceRows
        let outRowFloats = engine.plan.output.rowCount
        let (source, firstRow, rowCount) = (SharedMemory(window.rows), window.firstRow, window.rowCount)
        let target = SharedMemory(band)
        let engine = self.engine
        Parallel.forEach(count, workers: count) { slice, worker in
            let first = rows.lowerBound + slice * sliceRows
            engine.computeRows(first..<min(first + sliceRows, rows.upperBound),
                               from: InputBand(rows: source.pointer, firstRow: firstRow, rowCount: rowCount),
                               into: target.pointer + (first - rows.lowerBound) * outRowFloats,
                               workspace: workspaces[worker])
        }
    }
}
