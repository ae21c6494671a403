/// Colour maps for the montage: 8-bit levels to RGB.
public enum Colormap: String, CaseIterable, Sendable {
    /// Levels as they are (the montage stays grayscale).
    case gray
    /// Perceptually uniform, dark blue to yellow.
    case viridis
    /// Perceptually uniform, black to light yellow through purple.
    case magma
    /// Diverging: blue (low), light grey (middle), red (high). Meant for signed
    /// outputs mapped with `symmetric`, where the middle is 0.
    case coolwarm

    /// The RGB triple of `level` (gray: the level three times).
    public func rgb(_ level: UInt8) -> (UInt8, UInt8, UInt8) {
        let i = Int(level) * 3
        switch self {
        case .gray: return (level, level, level)
        case .viridis: return (ColormapTables.viridis[i], ColormapTables.viridis[i + 1], ColormapTables.viridis[i + 2])
        case .magma: return (ColormapTables.magma[i], ColormapTables.magma[i + 1], ColormapTables.magma[i + 2])
        case .coolwarm: return (ColormapTables.coolwarm[i], ColormapTables.coolwarm[i + 1], ColormapTables.coolwarm[i + 2])
        }
    }

    /// The whole table, 256 RGB triples (768 bytes).
    public var table: [UInt8] {
        switch self {
        case .gray: return (0..<768).map { UInt8($0 / 3) }
        case .viridis: return ColormapTables.viridis
        case .magma: return ColormapTables.magma
        case .coolwarm: return ColormapTables.coolwarm
        }
    }
}

/// Where each output channel's tile goes on a contact sheet.
///
/// Depthwise banks: one row per input channel `c`, one column per multiplier
/// slot `m` (tile of output `c*M + m` at row `c`, column `m`). Separable banks
/// (and any other list of `K` outputs): a near-square grid, `ceil(sqrt(K))`
/// columns, filled row by row. Tiles are separated by `separator` pixels; there
/// is no outer border.
public struct MontageLayout: Sendable, Equatable {
    public let tileWidth: Int
    public let tileHeight: Int
    public let rows: Int
    public let columns: Int
    public let separator: Int
    /// Number of tiles (output channels).
    public let count: Int

    public init(tileWidth: Int, tileHeight: Int, rows: Int, columns: Int, count: Int, separator: Int = 2) {
        precondition(tileWidth > 0 && tileHeight > 0 && rows * columns >= count && count > 0)
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.rows = rows
        self.columns = columns
        self.count = count
        self.separator = separator
    }

    /// The grid for a bank's outputs: `C` rows by `M` columns for a depthwise
    /// bank, near-square for a separable one.
    public init(bank: FilterBank, tileWidth: Int, tileHeight: Int, separator: Int = 2) {
        let k = bank.outputChannels
        if bank.pointwise == nil {
            self.init(tileWidth: tileWidth, tileHeight: tileHeight, rows: bank.depthwise.inputChannels,
                      columns: bank.depthwise.multiplier, count: k, separator: separator)
        } else {
            var columns = 1
            while columns * columns < k { columns += 1 }
            self.init(tileWidth: tileWidth, tileHeight: tileHeight, rows: (k + columns - 1) / columns,
                      columns: columns, count: k, separator: separator)
        }
    }

    public var width: Int { columns * tileWidth + (columns - 1) * separator }
    public var height: Int { rows * tileHeight + (rows - 1) * separator }

    /// Top-left pixel of tile `k`.
    public func origin(of k: Int) -> (x: Int, y: Int) {
        ((k % columns) * (tileWidth + separator), (k / columns) * (tileHeight + separator))
    }

    /// The tile at pixel `(x, y)` and the position inside it, or nil on a
    /// separator or an empty cell.
    public func tile(at x: Int, _ y: Int) -> (k: Int, x: Int, y: Int)? {
        let (cx, ix) = (x / (tileWidth + separator), x % (tileWidth + separator))
        let (cy, iy) = (y / (tileHeight + separator), y % (tileHeight + separator))
        guard ix < tileWidth, iy < tileHeight else { return nil }
        let k = cy * columns + cx
        return k < count ? (k, ix, iy) : nil
    }
}
