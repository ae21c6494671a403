#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A parameter of a built-in kernel.
public struct KernelParameter: Sendable, Equatable {
    /// What values the parameter takes.
    public enum Kind: Sendable, Equatable {
        /// Any finite number.
        case number
        /// A finite number > 0.
        case positiveNumber
        /// An integer from 1 to `KernelLibrary.maximumSize`.
        case size
        /// One of these words (case-insensitive).
        case choice([String])

        /// For messages: "a positive number", "one of 4, 8", ...
        public var expected: String {
            switch self {
            case .number: return "a number"
            case .positiveNumber: return "a positive number"
            case .size: return "an integer from 1 to \(KernelLibrary.maximumSize)"
            case let .choice(words): return "one of \(words.joined(separator: ", "))"
            }
        }
    }

    public let name: String
    public let kind: Kind
    /// The default as people read it: `1`, `n`, or a rule such as `2*ceil(3*sigma)+1`.
    public let defaultText: String
    /// `nil` when the default is derived from the other parameters (a size rule).
    public let defaultValue: KernelValue?
    /// One line: what the parameter means, with its unit.
    public let help: String

    init(_ name: String, _ kind: Kind, default value: KernelValue?, shown: String? = nil, _ help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = value
        self.defaultText = shown ?? value.map(\.text) ?? "?"
        self.help = help
    }
}

/// A parameter value: a number, or a word for `choice` parameters.
public enum KernelValue: Sendable, Equatable {
    case number(Double)
    case word(String)

    /// As a spec writes it: `2`, `0.5`, `ne`.
    public var text: String {
        switch self {
        case let .number(v): return SpecText.number(v)
        case let .word(w): return w
        }
    }
}

/// Small text helpers shared by the spec parser, labels and previews.
public enum SpecText {
    /// A number as a spec or a preview writes it: integers without a fraction
    /// (`2`, `-1`), others with Swift's shortest round-trip digits (`0.5`, `1.6`).
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    /// As `number(_: Double)`, with Float's shortest digits (`0.1`, not `0.10000000149011612`).
    public static func number(_ value: Float) -> String {
        if value == value.rounded(), abs(value) < 1e7 { return String(Int(value)) }
        return String(value)
    }
}

/// The values a kernel is built from: those given in the spec, the defaults for the rest.
public struct KernelArguments: Sendable {
    public let kernel: String
    /// The values given in the spec, by parameter name (already validated).
    public let given: [String: KernelValue]
    let parameters: [KernelParameter]

    func value(_ name: String) -> KernelValue? {
        given[name] ?? parameters.first { $0.name == name }?.defaultValue
    }

    /// A number parameter (given or default).
    public func number(_ name: String) -> Double {
        guard case let .number(v)? = value(name) else { preconditionFailure("\(kernel): no number \(name)") }
        return v
    }

    /// A choice parameter (given or default), lower-cased.
    public func word(_ name: String) -> String {
        guard case let .word(w)? = value(name) else { preconditionFailure("\(kernel): no word \(name)") }
        return w
    }

    /// The `size` parameter when given; otherwise `derived` (computed by `rule`),
    /// which must not exceed `KernelLibrary.maximumSize`.
    func size(default derived: Double, rule: String) throws(KernelSpecError) -> Int {
        if case let .number(v)? = given["size"] { return Int(v) }
        if case let .number(v)? = parameters.first(where: { $0.name == "size" })?.defaultValue { return Int(v) }
        guard derived.isFinite, derived <= Double(KernelLibrary.maximumSize) else {
            let shown = derived.isFinite && derived < 1e15 ? Int(derived) : Int.max
            throw .derivedSizeTooLarge(kernel: kernel, rule: rule, size: shown, maximum: KernelLibrary.maximumSize)
        }
        return Int(derived)
    }
}

/// One built-in kernel: its name, parameters, documented formula and builder.
public struct KernelDefinition: Sendable {
    public let name: String
    /// One line for `filterbank kernels`.
    public let summary: String
    /// The formula, in the notation of `KernelLibrary`'s documentation.
    public let formula: String
    public let parameters: [KernelParameter]
    /// Rows of the kernel, computed in Double.
    let build: @Sendable (KernelArguments) throws(KernelSpecError) -> [[Double]]

    /// The kernel for `given` (validated values by parameter name), named by
    /// its full spec: every parameter with its given or default value, a
    /// derived size as computed (`gaussian:sigma=2,size=13`).
    public func kernel(given: [String: KernelValue] = [:]) throws(KernelSpecError) -> Kernel {
        let arguments = KernelArguments(kernel: name, given: given, parameters: parameters)
        let rows = try build(arguments)
        let height = rows.count, width = rows.first?.count ?? 0
        precondition(height > 0 && width > 0 && rows.allSatisfy { $0.count == width })
        var parts: [String] = []
        for p in parameters {
            let text = given[p.name]?.text ?? p.defaultValue?.text ?? String(max(height, width))
            parts.append("\(p.name)=\(text)")
        }
        let label = parts.isEmpty ? name : name + ":" + parts.joined(separator: ",")
        return Kernel(name: label, height: height, width: width, values: rows.flatMap { $0.map { Float($0) } })
    }
}

/// Every built-in kernel.
///
/// Notation: a kernel of `size` rows and columns has row index `i` and column
/// index `j` from 0; `x = j - (size - 1) / 2` (positive to the right) and
/// `y = i - (size - 1) / 2` (positive downwards) are the offsets from its
/// geometric centre (half-integers for even sizes), `r^2 = x^2 + y^2`. Angles
/// are in degrees. "Normalised" means divided by the sum of the sampled values.
/// Every kernel is applied as a correlation: `sobel-x` is positive where
/// brightness increases to the right, `sobel-y` where it increases downwards.
public enum KernelLibrary {
    /// The largest height or width of a built-in or literal kernel.
    public static let maximumSize = 255

    /// The kernel named `name` (exact, lower-case), if any.
    public static func definition(named name: String) -> KernelDefinition? {
        all.first { $0.name == name }
    }

    public static var names: [String] { all.map(\.name) }

    /// The size rule of Gaussian-like kernels: `2*ceil(3*s)+1`, as a Double so
    /// that absurd sigmas are caught before conversion.
    static func sizeRule(_ s: Double) -> Double { 2 * (3 * s).rounded(.up) + 1 }

    /// `f(x, y)` sampled on a `size x size` grid around the geometric centre.
    static func sample(_ size: Int, _ f: (Double, Double) -> Double) -> [[Double]] {
        let c = Double(size - 1) / 2
        return (0..<size).map { i in (0..<size).map { j in f(Double(j) - c, Double(i) - c) } }
    }

    static func normalise(_ rows: [[Double]]) -> [[Double]] {
        let s = rows.joined().reduce(0, +)
        return rows.map { $0.map { $0 / s } }
    }

    /// `column ⊗ row`: rows[i][j] = column[i] * row[j].
    static func outer(_ column: [Double], _ row: [Double]) -> [[Double]] {
        column.map { a in row.map { a * $0 } }
    }

    static func transpose(_ rows: [[Double]]) -> [[Double]] {
        (0..<rows[0].count).map { j in rows.map { $0[j] } }
    }

    /// Row `n` of Pascal's triangle: `C(n, 0) ... C(n, n)`.
    static func binomialRow(_ n: Int) -> [Double] {
        var row = [1.0]
        for _ in 0..<n { row = zip(row + [0], [0] + row).map { $0 + $1 } }
        return row
    }

    /// The 8 compass directions, clockwise from north.
    public static let compassDirections = ["n", "ne", "e", "se", "s", "sw", "w", "nw"]

    static let size1 = KernelParameter("size", .size, default: .number(1), "side length in pixels")
    static let size3 = KernelParameter("size", .size, default: .number(3), "side length in pixels")
    static let sigma = KernelParameter("sigma", .positiveNumber, default: .number(1), "standard deviation in pixels")
    static func sizeFromSigma(_ rule: String) -> KernelParameter {
        KernelParameter("size", .size, default: nil, shown: rule, "side length in pixels")
    }

    static func fixed(_ name: String, _ summary: String, _ formula: String, _ rows: [[Double]]) -> KernelDefinition {
        KernelDefinition(name: name, summary: summary, formula: formula, parameters: []) { _ throws(KernelSpecError) in rows }
    }

    static let sobelX = outer([1, 2, 1], [-1, 0, 1])
    static let scharrX = outer([3, 10, 3], [-1, 0, 1])
    static let prewittX = outer([1, 1, 1], [-1, 0, 1])

    /// Every built-in kernel, in the order `filterbank kernels` lists them.
    public static let all: [KernelDefinition] = [
        KernelDefinition(
            name: "identity", summary: "passes the input through (a single 1)",
            formula: "1 at the anchor (floor((size-1)/2), floor((size-1)/2)), 0 elsewhere",
            parameters: [size1]) { a throws(KernelSpecError) in
                let n = try a.size(default: 1, rule: "1")
                let anchor = (n - 1) / 2
                return (0..<n).map { i in (0..<n).map { j in i == anchor && j == anchor ? 1 : 0 } }
            },
        KernelDefinition(
            name: "box", summary: "mean of a size x size square",
            formula: "1/size^2 everywhere", parameters: [size3]) { a throws(KernelSpecError) in
                let n = try a.size(default: 3, rule: "3")
                return [[Double]](repeating: [Double](repeating: 1 / Double(n * n), count: n), count: n)
            },
        KernelDefinition(
            name: "gaussian", summary: "Gaussian blur, normalised to sum 1",
            formula: "exp(-r^2 / (2 sigma^2)), normalised",
            parameters: [sigma, sizeFromSigma("2*ceil(3*sigma)+1")]) { a throws(KernelSpecError) in
                let s = a.number("sigma")
                let n = try a.size(default: sizeRule(s), rule: "2*ceil(3*sigma)+1")
                return normalise(sample(n) { x, y in exp(-(x * x + y * y) / (2 * s * s)) })
            },
        KernelDefinition(
            name: "binomial", summary: "binomial blur (Pascal's triangle), sum 1",
            formula: "C(size-1, i) * C(size-1, j) / 4^(size-1)", parameters: [size3]) { a throws(KernelSpecError) in
                let n = try a.size(default: 3, rule: "3")
                let row = binomialRow(n - 1)
                let total = row.reduce(0, +)
                return outer(row.map { $0 / total }, row.map { $0 / total })
            },
        fixed("sobel-x", "Sobel x-gradient (positive where brightness increases to the right)",
              "[1, 2, 1]^T (x) [-1, 0, 1]", sobelX),
        fixed("sobel-y", "Sobel y-gradient (positive where brightness increases downwards)",
              "transpose of sobel-x", transpose(sobelX)),
        fixed("scharr-x", "Scharr x-gradient (better rotational symmetry than Sobel)",
              "[3, 10, 3]^T (x) [-1, 0, 1]", scharrX),
        fixed("scharr-y", "Scharr y-gradient", "transpose of scharr-x", transpose(scharrX)),
        fixed("prewitt-x", "Prewitt x-gradient", "[1, 1, 1]^T (x) [-1, 0, 1]", prewittX),
        fixed("prewitt-y", "Prewitt y-gradient", "transpose of prewitt-x", transpose(prewittX)),
        fixed("roberts-x", "Roberts cross, down-right diagonal (2x2: anchor top-left)",
              "[[1, 0], [0, -1]]", [[1, 0], [0, -1]]),
        fixed("roberts-y", "Roberts cross, down-left diagonal (2x2: anchor top-left)",
              "[[0, 1], [-1, 0]]", [[0, 1], [-1, 0]]),
        KernelDefinition(
            name: "laplacian", summary: "discrete Laplacian, sum 0 (negative centre)",
            formula: "4: [[0,1,0],[1,-4,1],[0,1,0]]; 8: [[1,1,1],[1,-8,1],[1,1,1]]",
            parameters: [KernelParameter("neighbours", .choice(["4", "8"]), default: .word("4"),
                                         "4 (edge neighbours) or 8 (also the diagonals)")]) { a throws(KernelSpecError) in
                a.word("neighbours") == "8" ? [[1, 1, 1], [1, -8, 1], [1, 1, 1]] : [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
            },
        KernelDefinition(
            name: "log", summary: "Laplacian of Gaussian (Mexican hat, negative centre), sum 0",
            formula: "-(1 - r^2/(2 sigma^2)) exp(-r^2/(2 sigma^2)) / (pi sigma^4), minus its mean",
            parameters: [sigma, sizeFromSigma("2*ceil(3*sigma)+1")]) { a throws(KernelSpecError) in
                let s = a.number("sigma")
                let n = try a.size(default: sizeRule(s), rule: "2*ceil(3*sigma)+1")
                let rows = sample(n) { x, y in
                    let q = (x * x + y * y) / (2 * s * s)
                    return -(1 - q) * exp(-q) / (Double.pi * s * s * s * s)
                }
                let mean = rows.joined().reduce(0, +) / Double(n * n)
                return rows.map { $0.map { $0 - mean } }
            },
        KernelDefinition(
            name: "dog", summary: "difference of Gaussians (band-pass, positive centre), sum 0",
            formula: "gaussian(sigma1) - gaussian(sigma2), each normalised on the same grid",
            parameters: [KernelParameter("sigma1", .positiveNumber, default: .number(1), "inner standard deviation in pixels"),
                         KernelParameter("sigma2", .positiveNumber, default: .number(1.6), "outer standard deviation in pixels"),
                         sizeFromSigma("2*ceil(3*max(sigma1,sigma2))+1")]) { a throws(KernelSpecError) in
                let s1 = a.number("sigma1"), s2 = a.number("sigma2")
                let n = try a.size(default: sizeRule(max(s1, s2)), rule: "2*ceil(3*max(sigma1,sigma2))+1")
                let g1 = normalise(sample(n) { x, y in exp(-(x * x + y * y) / (2 * s1 * s1)) })
                let g2 = normalise(sample(n) { x, y in exp(-(x * x + y * y) / (2 * s2 * s2)) })
                return zip(g1, g2).map { zip($0, $1).map { $0 - $1 } }
            },
        KernelDefinition(
            name: "gabor", summary: "Gabor filter, real part (oriented stripes under a Gaussian envelope)",
            formula: "x' = x cos(theta) + y sin(theta), y' = -x sin(theta) + y cos(theta), e = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)): e (cos(2 pi x'/lambda + psi) - k), k = sum(e cos(...)) / sum(e), so the kernel sums to 0",
            parameters: [KernelParameter("theta", .number, default: .number(0), "orientation of the wave vector, degrees (0: varies along x; 90: along y)"),
                         KernelParameter("sigma", .positiveNumber, default: .number(2), "envelope standard deviation along x', pixels"),
                         KernelParameter("lambda", .positiveNumber, default: .number(5), "wavelength, pixels"),
                         KernelParameter("gamma", .positiveNumber, default: .number(0.5), "aspect ratio: envelope sigma along y' is sigma/gamma"),
                         KernelParameter("psi", .number, default: .number(0), "phase offset, degrees (0: even/cosine, -90: odd/sine)"),
                         sizeFromSigma("2*ceil(3*sigma/min(gamma,1))+1")]) { a throws(KernelSpecError) in
                let theta = a.number("theta") * Double.pi / 180, psi = a.number("psi") * Double.pi / 180
                let s = a.number("sigma"), lambda = a.number("lambda"), gamma = a.number("gamma")
                let n = try a.size(default: sizeRule(s / min(gamma, 1)), rule: "2*ceil(3*sigma/min(gamma,1))+1")
                let (c, sn) = (cos(theta), sin(theta))
                // The envelope e and the wave w on the grid; the wave's mean under the envelope,
                // k = sum(e w) / sum(e), is taken out so that the sampled kernel sums to 0 (a flat
                // region gives no response), as the even Gabor's DC term is removed in theory.
                let envelope = sample(n) { x, y in
                    let xr = x * c + y * sn, yr = -x * sn + y * c
                    return exp(-(xr * xr + gamma * gamma * yr * yr) / (2 * s * s))
                }
                let wave = sample(n) { x, y in cos(2 * Double.pi * (x * c + y * sn) / lambda + psi) }
                let weights = envelope.joined().reduce(0, +)
                let dc = zip(envelope.joined(), wave.joined()).reduce(0) { $0 + $1.0 * $1.1 } / weights
                return zip(envelope, wave).map { e, w in zip(e, w).map { $0 * ($1 - dc) } }
            },
        KernelDefinition(
            name: "sharpen", summary: "unsharp-style sharpening, sum 1",
            formula: "identity - amount * laplacian:4 = [[0,-a,0],[-a,1+4a,-a],[0,-a,0]]",
            parameters: [KernelParameter("amount", .number, default: .number(1), "strength a")]) { a throws(KernelSpecError) in
                let k = a.number("amount")
                return [[0, -k, 0], [-k, 1 + 4 * k, -k], [0, -k, 0]]
            },
        fixed("emboss", "emboss (light from the top-left), sum 1",
              "[[-2,-1,0],[-1,1,1],[0,1,2]]", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
        KernelDefinition(
            name: "kirsch", summary: "Kirsch compass edge kernel (positive for an edge brighter towards the direction)",
            formula: "5 on the 3 ring cells centred on the direction, -3 on the other 5, 0 at the centre",
            parameters: [KernelParameter("direction", .choice(compassDirections), default: .word("n"),
                                         "n, ne, e, se, s, sw, w or nw (n = up)")]) { a throws(KernelSpecError) in
                // The 8 ring cells clockwise from the top-left; direction d puts 5 on cells d, d+1, d+2 (mod 8).
                let ring = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]
                let d = compassDirections.firstIndex(of: a.word("direction"))!
                var rows = [[Double]](repeating: [0, 0, 0], count: 3)
                for (p, (i, j)) in ring.enumerated() { rows[i][j] = (p - d + 8) % 8 <= 2 ? 5 : -3 }
                return rows
            },
    ]
}
