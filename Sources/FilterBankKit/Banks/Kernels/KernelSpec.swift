/// A kernel written as text, as `--kernel` takes it.
///
/// Grammar (blanks around any token are ignored, names are case-insensitive):
/// ```
/// spec      = builtin | literal
/// builtin   = name [ ":" argument { "," argument } ]
/// argument  = parameter "=" value | value        (a bare value only first: it sets the first parameter)
/// literal   = [ W "x" H ":" ] number { ("," | blank) number }     (row-major, H rows of W)
/// ```
/// Examples:
/// - `sobel-x`, `laplacian:8`, `kirsch:direction=ne`
/// - `gaussian:sigma=2` (size 2*ceil(3*sigma)+1 = 13), `gaussian:2,size=5`
/// - `gabor:theta=45,sigma=3,lambda=8`
/// - `"3x3: 1,0,-1, 2,0,-2, 1,0,-1"` (minus `sobel-x`: kernels are not flipped, so this one
///   is positive where brightness decreases to the right), `"1 2 1 2 4 2 1 2 1"` (9 values: 3x3),
///   `"2x1: -1, 1"` (a horizontal difference, one row of two)
///
/// A literal starts with its first number or with `WxH:`; without the prefix
/// the value count must be an odd square (1, 9, 25, ...) and the kernel is
/// square. A built-in kernel's name starts with a letter.
public struct KernelSpec: Sendable, Equatable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// The kernel it denotes; its `name` is the canonical spec.
    public let kernel: Kernel

    /// Parses `text` and builds its kernel, or throws a `KernelSpecError` whose
    /// description says what is wrong and what was expected.
    public init(parsing text: String) throws(KernelSpecError) {
        self.text = text
        let trimmed = text.blankTrimmed
        guard let first = trimmed.first else { throw .empty }
        if first.isNumber || first == "-" || first == "+" || first == "." {
            kernel = try Self.parseLiteral(trimmed)
        } else {
            kernel = try Self.parseBuiltin(trimmed)
        }
    }

    public var description: String { kernel.name }

    // MARK: - Built-in kernels

    static func parseBuiltin(_ text: Substring) throws(KernelSpecError) -> Kernel {
        let (rawName, rawArguments) = SpecText.splitOnce(text, at: ":")
        let name = rawName.blankTrimmed.lowercased()
        guard let definition = KernelLibrary.definition(named: name) else {
            throw .unknownKernel(name: String(rawName.blankTrimmed),
                                 suggestion: SpecText.closestName(to: name, among: KernelLibrary.names))
        }
        var given: [String: KernelValue] = [:]
        if let rawArguments {
            let known = definition.parameters.map(\.name)
            guard !known.isEmpty else { throw .takesNoParameters(kernel: name, arguments: String(rawArguments.blankTrimmed)) }
            let parts = rawArguments.split(separator: ",", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() {
                let position = index + 1
                let argument = part.blankTrimmed
                guard !argument.isEmpty else { throw .emptyArgument(kernel: name, position: position) }
                let (key, value) = SpecText.splitOnce(argument, at: "=")
                let parameter: KernelParameter, valueText: Substring
                if let value {
                    let parameterName = key.blankTrimmed.lowercased()
                    guard let p = definition.parameters.first(where: { $0.name == parameterName }) else {
                        throw .unknownParameter(kernel: name, parameter: String(key.blankTrimmed), known: known)
                    }
                    parameter = p
                    valueText = value.blankTrimmed
                } else {
                    guard index == 0 else {
                        throw .unnamedArgument(kernel: name, position: position, text: String(argument), known: known)
                    }
                    parameter = definition.parameters[0]
                    valueText = argument
                }
                guard given[parameter.name] == nil else {
                    throw .duplicateParameter(kernel: name, parameter: parameter.name)
                }
                given[parameter.name] = try validate(String(valueText), for: parameter, kernel: name)
            }
        }
        return try definition.kernel(given: given)
    }

    /// The value of `text` for `parameter`, or `invalidValue` saying what it takes.
    static func validate(_ text: String, for parameter: KernelParameter, kernel: String) throws(KernelSpecError) -> KernelValue {
        let bad = KernelSpecError.invalidValue(kernel: kernel, parameter: parameter.name, value: text,
                                               expected: parameter.kind.expected)
        switch parameter.kind {
        case let .choice(words):
            guard words.contains(text.lowercased()) else { throw bad }
            return .word(text.lowercased())
        case .number, .positiveNumber, .size:
            guard let v = parseNumber(Substring(text)), v.isFinite else { throw bad }
            switch parameter.kind {
            case .positiveNumber: guard v > 0 else { throw bad }
            case .size: guard v == v.rounded(), v >= 1, v <= Double(KernelLibrary.maximumSize) else { throw bad }
            default: break
            }
            return .number(v)
        }
    }

    // MARK: - Literals

    static func parseLiteral(_ text: Substring) throws(KernelSpecError) -> Kernel {
        var body = text
        var size: (width: Int, height: Int)? = nil
        let (head, rest) = SpecText.splitOnce(text, at: ":")
        if let rest {
            let dims = head.blankTrimmed.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard dims.count == 2, let w = Int(dims[0].blankTrimmed), let h = Int(dims[1].blankTrimmed), w > 0, h > 0 else {
                throw .literalSize(text: String(head.blankTrimmed))
            }
            guard w <= KernelLibrary.maximumSize, h <= KernelLibrary.maximumSize else {
                throw .literalTooLarge(width: w, height: h, maximum: KernelLibrary.maximumSize)
            }
            size = (w, h)
            body = rest
        }
        let tokens = body.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" })
        var values: [Float] = []
        for (i, token) in tokens.enumerated() {
            guard let v = parseNumber(token) else { throw .literalValue(index: i + 1, text: String(token)) }
            guard v.isFinite, Float(v).isFinite else { throw .literalNotFinite(index: i + 1, text: String(token)) }
            values.append(Float(v))
        }
        let width: Int, height: Int
        if let size {
            guard values.count == size.width * size.height else {
                throw .literalCount(width: size.width, height: size.height, count: values.count)
            }
            (width, height) = size
        } else {
            let side = Int(Double(values.count).squareRoot().rounded())
            guard side * side == values.count, side % 2 == 1 else { throw .literalNotOddSquare(count: values.count) }
            guard side <= KernelLibrary.maximumSize else {
                throw .literalTooLarge(width: side, height: side, maximum: KernelLibrary.maximumSize)
            }
            (width, height) = (side, side)
        }
        let shown = values.map { SpecText.number($0) }.joined(separator: ",")
        let name = values.count <= 25 ? "\(width)x\(height):\(shown)" : "\(width)x\(height) literal"
        return Kernel(name: name, height: height, width: width, values: values)
    }

    /// A decimal number (`-1`, `0.25`, `1e-3`, `+2`); not `nan`, `inf` or hex.
    static func parseNumber(_ text: Substring) -> Double? {
        let allowed = "0123456789+-.eE"
        guard !text.isEmpty, text.allSatisfy({ allowed.contains($0) }) else {
            // Let the caller say "not finite" for inf/nan rather than "not a number".
            let lower = text.lowercased()
            if ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan"].contains(lower) { return Double(lower) }
            return nil
        }
        return Double(String(text))
    }
}

extension SpecText {
    /// Splits at the first `separator`: `(before, after)`, or `(text, nil)` when absent.
    static func splitOnce(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let i = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<i], text[text.index(after: i)...])
    }
}

extension StringProtocol {
    /// Without leading and trailing blanks (spaces, tabs, newlines).
    var blankTrimmed: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return s
    }
}
