/// What the padded area holds. The padding *sizes* always come from
/// `Padding` (SAME / VALID / explicit); the border mode only decides the
/// *values* read outside the image.
///
/// For an axis of `n` samples and a position `i` outside `0..<n`
/// (`abcd` = the samples, `|` = the image's edges):
///
/// | mode | padded axis | also called |
/// |---|---|---|
/// | `zero` | `0000|abcd|0000` | TensorFlow's only mode; NumPy/PyTorch `constant` (0); OpenCV `BORDER_CONSTANT` |
/// | `replicate` | `aaaa|abcd|dddd` | NumPy `edge`; PyTorch `replicate`; OpenCV `BORDER_REPLICATE`; SciPy `nearest` |
/// | `reflect` | `dcb|abcd|cba` (edge not repeated) | NumPy/PyTorch `reflect`; TensorFlow `tf.pad` `REFLECT`; OpenCV `BORDER_REFLECT_101` (its default); SciPy `mirror` |
/// | `symmetric` | `cba|abcd|dcb` (edge repeated) | NumPy `symmetric`; TensorFlow `tf.pad` `SYMMETRIC`; OpenCV `BORDER_REFLECT`; SciPy `reflect` / `grid-mirror` |
/// | `wrap` | `bcd|abcd|abc` (periodic) | NumPy `wrap`; PyTorch `circular`; OpenCV `BORDER_WRAP`; SciPy `grid-wrap` |
///
/// Pads larger than the axis work for every mode: the reflection (or the
/// period) repeats as far as needed, as NumPy's `pad` does, where PyTorch's
/// `reflect` fails. An axis of one sample pads with that sample in every
/// non-zero mode.
public enum BorderMode: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case zero
    case replicate
    case reflect
    case symmetric
    case wrap

    public var description: String { rawValue }

    /// Every accepted name and the mode it means, in the order `--help` should
    /// list them. Matching is case-insensitive and treats `-` and `_` alike.
    ///
    /// Beware the one clash between libraries: SciPy's `reflect` repeats the
    /// edge (our `symmetric`), while NumPy's, PyTorch's and TensorFlow's
    /// `reflect` do not (our `reflect`). Here `reflect` means the latter, and
    /// OpenCV's `BORDER_REFLECT` (edge repeated) is `symmetric`.
    public static let aliases: [(name: String, mode: BorderMode, meaning: String)] = [
        ("zero", .zero, "zeros outside the image (TensorFlow; the default)"),
        ("zeros", .zero, "same as zero"),
        ("constant", .zero, "NumPy / PyTorch constant (with 0)"),
        ("border_constant", .zero, "OpenCV BORDER_CONSTANT (with 0)"),
        ("replicate", .replicate, "PyTorch replicate: the edge sample repeated"),
        ("edge", .replicate, "NumPy edge"),
        ("nearest", .replicate, "SciPy ndimage nearest"),
        ("border_replicate", .replicate, "OpenCV BORDER_REPLICATE"),
        ("reflect", .reflect, "NumPy / PyTorch reflect, TensorFlow REFLECT: mirror without repeating the edge"),
        ("reflect101", .reflect, "OpenCV REFLECT101"),
        ("reflect_101", .reflect, "OpenCV REFLECT_101"),
        ("border_reflect_101", .reflect, "OpenCV BORDER_REFLECT_101"),
        ("border_reflect101", .reflect, "OpenCV BORDER_REFLECT101"),
        ("border_default", .reflect, "OpenCV BORDER_DEFAULT (= BORDER_REFLECT_101)"),
        ("mirror", .reflect, "SciPy ndimage mirror"),
        ("symmetric", .symmetric, "NumPy symmetric, TensorFlow SYMMETRIC: mirror repeating the edge"),
        ("border_reflect", .symmetric, "OpenCV BORDER_REFLECT (repeats the edge)"),
        ("grid_mirror", .symmetric, "SciPy ndimage grid-mirror (SciPy's reflect is the same; here reflect means the edge is not repeated)"),
        ("half_symmetric", .symmetric, "half-sample symmetric (as MATLAB and wavelet libraries call it)"),
        ("wrap", .wrap, "NumPy wrap: periodic"),
        ("circular", .wrap, "PyTorch circular, MATLAB circular"),
        ("periodic", .wrap, "periodic extension"),
        ("border_wrap", .wrap, "OpenCV BORDER_WRAP"),
        ("grid_wrap", .wrap, "SciPy ndimage grid-wrap"),
    ]

    /// The mode a name or alias means (`zero`, `edge`, `BORDER_REFLECT_101`,
    /// `circular`, ...), or `nil` for an unknown name.
    public init?(name: String) {
        let key = String(name.lowercased().map { $0 == "-" ? "_" : $0 })
        guard let entry = Self.aliases.first(where: { $0.name == key }) else { return nil }
        self = entry.mode
    }

    /// The input index that padded position `i` reads on an axis of `size`
    /// samples, or `nil` when it reads a zero (`zero` mode outside the axis).
    /// Inside the axis it is `i` itself.
    @inlinable
    public func sourceIndex(_ i: Int, size n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .zero:
            return nil
        case .replicate:
            return i < 0 ? 0 : n - 1
        case .reflect:
            guard n > 1 else { return 0 }
            let period = 2 * (n - 1)
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - m
        case .symmetric:
            let period = 2 * n
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - 1 - m
        case .wrap:
            var m = i % n
            if m < 0 { m += n }
            return m
        }
    }
}
