/// Text for an 80-column terminal: long lines wrapped at spaces (a word
/// longer than the line at its commas), continuation lines indented under the
/// first; large numbers with their digits grouped.
public enum TextWrap {
    /// The usual terminal width.
    public static let columns = 80

    /// `line` cut into lines of at most `width` characters (a single word
    /// longer than that, with no comma to cut at, stays whole). Continuation
    /// lines start with the line's own indentation plus `hang` spaces, or
    /// with `continuation` when given.
    public static func wrap(_ line: String, width: Int = columns, hang: Int = 4, continuation given: String? = nil) -> [String] {
        guard line.count > width else { return [line] }
        let indent = String(line.prefix { $0 == " " })
        let continuation = given ?? indent + String(repeating: " ", count: hang)
        var words: [String] = []
        for word in line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            words += split(word, width: width - continuation.count)
        }
        var lines: [String] = []
        var current = indent
        var empty = true
        for word in words {
            if !empty && current.count + 1 + word.count > width {
                lines.append(current)
                current = continuation + word
            } else {
                current += (empty ? "" : " ") + word
            }
            empty = false
        }
        lines.append(current)
        return lines.map { line in
            var line = Substring(line)
            while line.last == " " { line = line.dropLast() }
            return String(line)
        }
    }

    /// Every line of `text` wrapped (`wrap`), joined again.
    public static func wrapLines(_ text: String, width: Int = columns, hang: Int = 4) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { wrap(String($0), width: width, hang: hang) }.joined(separator: "\n")
    }

    /// A word longer than `width` cut after its commas.
    static func split(_ word: String, width: Int) -> [String] {
        guard word.count > width, word.contains(",") else { return [word] }
        var pieces: [String] = []
        var current = ""
        for part in word.split(separator: ",", omittingEmptySubsequences: false).enumerated().map({ $0.offset == 0 ? String($0.element) : "," + $0.element }) {
            if !current.isEmpty && current.count + part.count > width {
                pieces.append(current)
                current = String(part.dropFirst())  // the comma stays at the end of the line before
                pieces[pieces.count - 1] += ","
            } else {
                current += part
            }
        }
        pieces.append(current)
        return pieces
    }

    /// `10800000000` -> `10,800,000,000`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return (value < 0 ? "-" : "") + out
    }
}
