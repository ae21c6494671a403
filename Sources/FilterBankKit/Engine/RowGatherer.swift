/// How the engine lays out the input rows its paths read, decided once per
/// engine.
///
/// The paths read *padded rows*: an input row with the padding columns added
/// on both sides, padded column `px` holding input column `px - padLeft` (or
/// what the border mode puts there). They address a padded row in floats:
/// float `px * P + k` is value `k` of padded column `px`, where the *period*
/// `P` is the number of floats per pixel.
///
/// - In place (`P = C`: a multiplier of 1, or the broadcast path): the input
///   row is read where it lies; only the padding columns at its two ends are
///   built, as two *edge strips* in the ring (the rank-1 path needs none: its
///   vertical pass reads image columns only and pads its own scratch row).
/// - Expanded (`P = C * M`): the whole padded row is built in the ring, each
///   input channel repeated M times, so that value `c * M + m` of a pixel
///   meets kernel `c * M + m`.
struct RowLayout: Sendable {
    enum Storage: Equatable {
        case inPlace(edgeStrips: Bool)
        case expanded
    }

    /// Which of a gathered row's three views a range of output pixels reads.
    enum View { case leftStrip, image, rightStrip }

    /// Output pixels `pixels` read only `view` of their rows.
    struct Segment {
        let pixels: Range<Int>
        let view: View
    }

    /// Floats of padded rows that a ring may hold before it stops keeping
    /// every row of a dilated kernel's span: 8 Mi floats, 32 MiB per worker.
    /// Below it the ring holds `effective kernel height` rows, so the rows
    /// between a dilated kernel's taps are built once, not once for each
    /// output row that reads them; above it, only the `kh` rows one output
    /// row reads (plus a block's extra rows).
    static let ringBudgetFloats = 8 << 20

    let storage: Storage
    /// Pixels of an output row, `W_out`.
    let outputWidth: Int
    /// `P`: floats per padded pixel.
    let period: Int
    /// Columns of a padded row: `(W_out - 1) * sw + effective kernel width`.
    let paddedWidth: Int
    /// Output pixels whose taps all fall on image columns: they read the input
    /// row itself (in place); those before read the left strip, those after
    /// the right strip. Empty for expanded rows.
    let interior: Range<Int>
    /// The left strip holds padded columns `0..<leftColumns`, the right one
    /// `rightStart..<paddedWidth` (in place with edge strips).
    let leftColumns: Int
    let rightStart: Int
    /// Floats of one ring slot: both edge strips, or a whole expanded row
    /// (0: nothing is built).
    let slotFloats: Int
    /// Padded rows kept in the ring (at least every row one step of output
    /// rows reads).
    let ringSlots: Int
    /// The pixels of an output row and the view each reads, in order.
    let segments: [Segment]

    /// - Parameters:
    ///   - period: `C` for rows in place, `C * M` for expanded rows.
    ///   - edgeStrips: whether rows in place need their padding columns built.
    ///   - blockRows: the most output rows computed at once (their extra rows
    ///     must fit in the ring too).
    init(plan: ConvolutionPlan, period: Int, edgeStrips: Bool, blockRows: Int) {
        let columns = plan.columns
        let outWidth = columns.outputSize
        let sw = columns.stride, padLeft = columns.padBefore
        self.period = period
        outputWidth = outWidth
        paddedWidth = (outWidth - 1) * sw + columns.effectiveKernel
        if period == plan.input.channels {
            storage = .inPlace(edgeStrips: edgeStrips)
            let first = min(outWidth, (padLeft + sw - 1) / sw)  // the first x with x * sw - padLeft >= 0
            let fit = plan.input.width - columns.effectiveKernel + padLeft  // x * sw <= fit stays inside the image
            let end = max(first, min(outWidth, fit >= 0 ? fit / sw + 1 : 0))
            interior = first..<end
            leftColumns = first > 0 ? (first - 1) * sw + columns.effectiveKernel : 0
            rightStart = end < outWidth ? end * sw : paddedWidth
            slotFloats = edgeStrips ? (leftColumns + paddedWidth - rightStart) * period : 0
            segments = [Segment(pixels: 0..<interior.lowerBound, view: .leftStrip),
                        Segment(pixels: interior, view: .image),
                        Segment(pixels: interior.upperBound..<outWidth, view: .rightStrip)].filter { !$0.pixels.isEmpty }
        } else {
            storage = .expanded
            interior = 0..<0
            leftColumns = 0
            rightStart = paddedWidth
            slotFloats = paddedWidth * period
            segments = [Segment(pixels: 0..<outWidth, view: .image)]
        }
        let kh = plan.bank.depthwise.kernelHeight
        let least = kh + blockRows - 1  // the rows one step reads
        let span = plan.rows.effectiveKernel + blockRows - 1
        ringSlots = span * slotFloats <= Self.ringBudgetFloats ? max(span, least) : least
    }
}

/// The input rows one step of output rows reads, as pointers to padded rows
/// (see `RowLayout`), `nil` for a zero row (padding under the `zero` border
/// mode). Row `u` of the step is padded row `first + u * dh`.
///
/// Each row has three views, each addressed in padded floats but valid only
/// for its own columns: the left strip, the image row itself, the right
/// strip. Expanded rows (and rows in place without strips) give the same
/// pointer for all three. The pointers live in the workspace and stay valid
/// until the next step.
struct GatheredRows {
    let count: Int
    let leftStrips: UnsafeMutablePointer<UnsafePointer<Float>?>
    let images: UnsafeMutablePointer<UnsafePointer<Float>?>
    let rightStrips: UnsafeMutablePointer<UnsafePointer<Float>?>

    func view(_ view: RowLayout.View) -> UnsafePointer<UnsafePointer<Float>?> {
        switch view {
        case .leftStrip: UnsafePointer(leftStrips)
        case .image: UnsafePointer(images)
        case .rightStrip: UnsafePointer(rightStrips)
        }
    }
}

/// Gathers, for every step of output rows and every path, the padded input
/// rows the step reads: the one place where the engine turns image rows
/// into pointers, and builds padding.
struct RowGatherer: Sendable {
    let layout: RowLayout
    let plan: ConvolutionPlan

    /// The rows that output rows `y ..< y + count` read: `count + kh - 1`
    /// consecutive rows for a block (vertical stride and dilation 1), or the
    /// `kh` rows of one output row, `dh` apart.
    func gather(outputRow y: Int, count: Int, from input: InputBand, workspace: ConvolutionEngine.Workspace) -> GatheredRows {
        let rowGeometry = plan.rows
        precondition(count == 1 || (rowGeometry.stride == 1 && rowGeometry.dilation == 1), "blocks need stride and dilation 1")
        let p = layout.period
        let padLeft = plan.columns.padBefore
        let rows = GatheredRows(count: count &+ plan.bank.depthwise.kernelHeight &- 1, leftStrips: workspace.leftStrips,
                                images: workspace.images, rightStrips: workspace.rightStrips)
        workspace.ring.beginStep()
        let top = rowGeometry.inputIndex(output: y, tap: 0)
        for u in 0..<rows.count {
            guard let r = plan.sourceRow(top &+ u &* rowGeometry.dilation) else {
                rows.leftStrips[u] = nil
                rows.images[u] = nil
                rows.rightStrips[u] = nil
                continue
            }
            precondition(r >= input.firstRow && r < input.firstRow + input.rowCount,
                         "input row \(r) is not in the band \(input.firstRow)..<\(input.firstRow + input.rowCount)")
            let image = input.rows + (r &- input.firstRow) &* plan.input.rowCount
            switch layout.storage {
            case .inPlace(edgeStrips: true):
                let strips = UnsafePointer(ringRow(r, from: image, workspace: workspace))
                rows.leftStrips[u] = strips
                rows.images[u] = image - padLeft &* p
                rows.rightStrips[u] = strips + (layout.leftColumns &- layout.rightStart) &* p
            case .inPlace(edgeStrips: false):
                rows.leftStrips[u] = image - padLeft &* p
                rows.images[u] = image - padLeft &* p
                rows.rightStrips[u] = image - padLeft &* p
            case .expanded:
                let padded = UnsafePointer(ringRow(r, from: image, workspace: workspace))
                rows.leftStrips[u] = padded
                rows.images[u] = padded
                rows.rightStrips[u] = padded
            }
        }
        return rows
    }

    /// Image row `r`'s ring slot, built (from `image`, the row itself) unless
    /// the ring already holds it.
    private func ringRow(_ r: Int, from image: UnsafePointer<Float>,
                         workspace: ConvolutionEngine.Workspace) -> UnsafeMutablePointer<Float> {
        let (slot, isNew) = workspace.ring.slot(for: r)
        if isNew { build(slot, from: image) }
        return slot
    }

    /// Fills a ring slot from an image row. In place: the left strip (padded
    /// columns `0..<leftColumns`) then the right strip
    /// (`rightStart..<paddedWidth`). Expanded: the whole padded row, each
    /// channel repeated M times.
    private func build(_ slot: UnsafeMutablePointer<Float>, from image: UnsafePointer<Float>) {
        let p = layout.period
        let padLeft = plan.columns.padBefore, width = plan.input.width
        switch layout.storage {
        case .inPlace:
            fillPadding(columns: 0..<layout.leftColumns, of: slot, from: image)
            fillPadding(columns: layout.rightStart..<layout.paddedWidth,
                        of: slot + (layout.leftColumns &- layout.rightStart) &* p, from: image)
        case .expanded:
            // Columns `inside` read the image itself; the others are padding.
            let insideStart = min(max(padLeft, 0), layout.paddedWidth)
            let inside = insideStart..<max(insideStart, min(padLeft + width, layout.paddedWidth))
            fillPadding(columns: 0..<inside.lowerBound, of: slot, from: image)
            fillPadding(columns: inside.upperBound..<layout.paddedWidth, of: slot, from: image)
            let channels = plan.input.channels
            if !inside.isEmpty {
                EngineKernels.repeatEach(image + (inside.lowerBound - padLeft) &* channels, count: inside.count &* channels,
                                         times: plan.bank.depthwise.multiplier, into: slot + inside.lowerBound &* p)
            }
        }
    }

    /// Padded columns `columns` of the row at `row` (padded column 0): the
    /// image column the border mode maps each to, copied from `image` (the
    /// image's column 0: an input row, or a padded row's own image columns),
    /// or zeros.
    func fillPadding(columns: Range<Int>, of row: UnsafeMutablePointer<Float>, from image: UnsafePointer<Float>) {
        let p = layout.period
        for px in columns {
            if let ix = plan.border.sourceIndex(px - plan.columns.padBefore, size: plan.input.width) {
                copyPixel(ix, of: image, to: row + px &* p)
            } else {
                (row + px &* p).update(repeating: 0, count: p)
            }
        }
    }

    /// Image column `ix` as one padded pixel: its C values, or (expanded)
    /// each repeated M times.
    private func copyPixel(_ ix: Int, of image: UnsafePointer<Float>, to pixel: UnsafeMutablePointer<Float>) {
        let channels = plan.input.channels
        if layout.period == channels {
            pixel.update(from: image + ix &* channels, count: channels)
        } else {
            let m = plan.bank.depthwise.multiplier
            for c in 0..<channels {
                let v = image[ix &* channels &+ c]
                for k in 0..<m { pixel[c &* m &+ k] = v }
            }
        }
    }
}
