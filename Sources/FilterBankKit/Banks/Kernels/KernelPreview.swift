/// A small numeric picture of a kernel, for `filterbank kernels` and `inspect`.
public enum KernelPreview {
    /// Right-aligned rows of values rounded to `decimals` decimals. A kernel
    /// larger than `maxSide` in either direction shows only the `maxSide x
    /// maxSide` window around its anchor, with `...` where rows and columns
    /// are left out.
    public static func lines(_ kernel: Kernel, maxSide: Int = 7, decimals: Int = 4) -> [String] {
        let scale = (0..<decimals).reduce(1.0) { r, _ in r * 10 }
        func text(_ v: Float) -> String { SpecText.number((Double(v) * scale).rounded() / scale) }
        func window(_ count: Int, _ anchor: Int) -> Range<Int> {
            guard count > maxSide else { return 0..<count }
            let start = min(max(anchor - maxSide / 2, 0), count - maxSide)
            return start..<(start + maxSide)
        }
        let rows = window(kernel.height, kernel.anchor.row), columns = window(kernel.width, kernel.anchor.column)
        var cells = rows.map { r in columns.map { c in text(kernel[r, c]) } }
        let left = columns.lowerBound > 0, right = columns.upperBound < kernel.width
        cells = cells.map { (left ? ["..."] : []) + $0 + (right ? ["..."] : []) }
        let cropped = left || right || rows.count < kernel.height
        let width = max(cells.joined().map(\.count).max() ?? 1, cropped ? 3 : 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: width - s.count) + s }
        var out = cells.map { $0.map(pad).joined(separator: " ") }
        func ellipsisRow() -> String { [String](repeating: pad("..."), count: cells.first?.count ?? 0).joined(separator: " ") }
        if rows.lowerBound > 0 { out.insert(ellipsisRow(), at: 0) }
        if rows.upperBound < kernel.height { out.append(ellipsisRow()) }
        return out
    }
}
