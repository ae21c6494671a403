/// Why a kernel spec (`--kernel`) or a built-in bank name (`--bank`) cannot be
/// understood. Every case carries what explains it, and `description` is one
/// line that says what was expected.
public enum KernelSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The spec is empty or only blanks.
    case empty
    /// No built-in kernel has this name; `suggestion` is a close one, if any.
    case unknownKernel(name: String, suggestion: String?)
    /// The kernel has parameters, but none called `parameter`.
    case unknownParameter(kernel: String, parameter: String, known: [String])
    /// The kernel takes no parameters, but `arguments` were given.
    case takesNoParameters(kernel: String, arguments: String)
    /// The same parameter is given twice.
    case duplicateParameter(kernel: String, parameter: String)
    /// An argument after the first has no `name=`.
    case unnamedArgument(kernel: String, position: Int, text: String, known: [String])
    /// An empty argument between commas, or after the colon.
    case emptyArgument(kernel: String, position: Int)
    /// A value that the parameter does not accept; `expected` says what it does.
    case invalidValue(kernel: String, parameter: String, value: String, expected: String)
    /// A size derived from other parameters exceeds `KernelLibrary.maximumSize`.
    case derivedSizeTooLarge(kernel: String, rule: String, size: Int, maximum: Int)
    /// A literal's `WxH:` prefix is not two positive integers.
    case literalSize(text: String)
    /// A literal's `WxH:` prefix is larger than `KernelLibrary.maximumSize`.
    case literalTooLarge(width: Int, height: Int, maximum: Int)
    /// Literal value `index` (1-based) is not a number.
    case literalValue(index: Int, text: String)
    /// Literal value `index` (1-based) is NaN or infinite.
    case literalNotFinite(index: Int, text: String)
    /// A `WxH:` literal with the wrong number of values.
    case literalCount(width: Int, height: Int, count: Int)
    /// A literal without `WxH:` whose value count is not an odd square.
    case literalNotOddSquare(count: Int)
    /// No built-in bank has this name; `suggestion` is a close one, if any.
    case unknownBank(name: String, suggestion: String?)
    /// A built-in bank's argument (`gabor:N`) is not acceptable.
    case invalidBankArgument(bank: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .empty:
            return "empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""
        case let .unknownKernel(name, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown kernel '\(name)'\(hint); 'filterbank kernels' lists them all"
        case let .unknownParameter(kernel, parameter, known):
            return "\(kernel) has no parameter '\(parameter)' (its parameters: \(known.joined(separator: ", ")))"
        case let .takesNoParameters(kernel, arguments):
            return "\(kernel) takes no parameters, got '\(arguments)'"
        case let .duplicateParameter(kernel, parameter):
            return "\(kernel): parameter '\(parameter)' is given twice"
        case let .unnamedArgument(kernel, position, text, known):
            return "\(kernel): argument \(position) '\(text)' needs a name, as in name=value (only the first may omit it; parameters: \(known.joined(separator: ", ")))"
        case let .emptyArgument(kernel, position):
            return "\(kernel): argument \(position) is empty"
        case let .invalidValue(kernel, parameter, value, expected):
            return "\(kernel): \(parameter) must be \(expected), got '\(value)'"
        case let .derivedSizeTooLarge(kernel, rule, size, maximum):
            return "\(kernel): the default size \(rule) = \(size) exceeds the maximum \(maximum); use a smaller value"
        case let .literalSize(text):
            return "kernel literal: the size '\(text)' must be WxH with positive integers, as in 3x3:"
        case let .literalTooLarge(width, height, maximum):
            return "kernel literal: the size \(width)x\(height) exceeds the maximum \(maximum)x\(maximum)"
        case let .literalValue(index, text):
            return "kernel literal: value \(index) '\(text)' is not a number"
        case let .literalNotFinite(index, text):
            return "kernel literal: value \(index) '\(text)' is not a finite number"
        case let .literalCount(width, height, count):
            return "kernel literal \(width)x\(height) needs \(width * height) values, got \(count)"
        case let .literalNotOddSquare(count):
            return "kernel literal has \(count) values, not an odd square (1, 9, 25, 49, ...): give its size first, as in WxH: v1, v2, ..."
        case let .unknownBank(name, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown bank '\(name)'\(hint); built-in banks: \(NamedBank.catalog.map(\.usage).joined(separator: ", "))"
        case let .invalidBankArgument(bank, value, expected):
            return "bank \(bank): the argument must be \(expected), got '\(value)'"
        }
    }
}

extension SpecText {
    /// A name close to `name` among `candidates` (edit distance at most 2, or a
    /// candidate that equals `name` once '-' and '_' are dropped), for "did you mean".
    static func closestName(to name: String, among candidates: [String]) -> String? {
        let squashed = name.lowercased().filter { $0 != "-" && $0 != "_" }
        if let same = candidates.first(where: { $0.filter { $0 != "-" } == squashed }) { return same }
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = editDistance(Array(name.lowercased()), Array(candidate))
            if d <= 2, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    /// Levenshtein distance.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
