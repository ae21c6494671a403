/// Colour maps for contact sheets and channel images: 8-bit levels to RGB.
public enum Colormap: String, CaseIterable, Sendable {
    /// Levels as they are (channel images stay grayscale).
    case gray
    /// Perceptually uniform, dark blue to yellow.
    case viridis
    /// Perceptually uniform, black to light yellow through purple.
    case magma
    /// Diverging: blue (low), light grey (middle), red (high). Meant for signed
    /// outputs mapped with `symmetric` (or `auto`), where the middle is 0.
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
