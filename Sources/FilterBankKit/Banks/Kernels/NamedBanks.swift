/// A built-in bank: a list of built-in kernels, each applied to every input
/// channel (multiplier slot `m` = kernel `m`, M = number of kernels), as
/// `--kernel` lists are. Kernels of different sizes are zero-padded to a
/// common size with their anchors aligned (see `Kernel`).
///
/// | name | kernels |
/// |---|---|
/// | `edges` | `sobel-x`, `sobel-y` (the default bank of `apply`) |
/// | `gradients` | `sobel-x`, `sobel-y`, `laplacian` (4-neighbour) |
/// | `gabor[:N]` | N gabor kernels (default 4, at most 64), `theta = 180 * i / N` degrees for i = 0..<N, other parameters at their defaults |
/// | `blur-pyramid[:N]` | N gaussians (default 4, at most 6), `sigma = 2^i` for i = 0..<N: 1, 2, 4, 8 |
/// | `compass` | `kirsch` in the 8 directions n, ne, e, se, s, sw, w, nw |
public struct NamedBank: Sendable, Equatable, CustomStringConvertible {
    /// The canonical name, with its argument when it has one: `edges`, `gabor:4`.
    public let name: String
    /// The kernels, in multiplier-slot order (each named by its full spec).
    public let kernels: [Kernel]

    /// One entry of `catalog`.
    public struct Entry: Sendable, Equatable {
        /// `gabor`
        public let name: String
        /// How it is written: `gabor:N`.
        public let usage: String
        public let summary: String
        /// `nil` for banks without an argument.
        public let argument: Argument?
    }

    /// A bank's integer argument.
    public struct Argument: Sendable, Equatable {
        public let name: String
        public let defaultValue: Int
        public let range: ClosedRange<Int>
    }

    /// Every built-in bank.
    public static let catalog: [Entry] = [
        Entry(name: "edges", usage: "edges", summary: "sobel-x, sobel-y (the default bank of apply)", argument: nil),
        Entry(name: "gradients", usage: "gradients", summary: "sobel-x, sobel-y, laplacian", argument: nil),
        Entry(name: "gabor", usage: "gabor:N", summary: "N gabor kernels, theta = 180*i/N degrees, i = 0..N-1",
              argument: Argument(name: "N", defaultValue: 4, range: 1...64)),
        Entry(name: "blur-pyramid", usage: "blur-pyramid:N", summary: "N gaussians with sigma = 1, 2, 4, ... (2^i)",
              argument: Argument(name: "N", defaultValue: 4, range: 1...6)),
        Entry(name: "compass", usage: "compass", summary: "kirsch in the 8 directions n, ne, e, se, s, sw, w, nw", argument: nil),
    ]

    /// Parses `edges`, `gradients`, `gabor`, `gabor:8`, `blur-pyramid:3`, `compass` (case-insensitive).
    public init(parsing text: String) throws(KernelSpecError) {
        let (rawName, rawArgument) = SpecText.splitOnce(text.blankTrimmed, at: ":")
        let name = rawName.blankTrimmed.lowercased()
        guard let entry = Self.catalog.first(where: { $0.name == name }) else {
            throw .unknownBank(name: String(text.blankTrimmed),
                               suggestion: SpecText.closestName(to: name, among: Self.catalog.map(\.name)))
        }
        var n: Int? = nil
        if let argument = entry.argument {
            n = argument.defaultValue
            if let rawArgument {
                let t = rawArgument.blankTrimmed
                guard let v = Int(t), argument.range.contains(v) else {
                    throw .invalidBankArgument(bank: name, value: String(t),
                                               expected: "an integer from \(argument.range.lowerBound) to \(argument.range.upperBound)")
                }
                n = v
            }
        } else if let rawArgument {
            throw .invalidBankArgument(bank: name, value: String(rawArgument.blankTrimmed), expected: "absent (\(name) takes no argument)")
        }
        try self.init(entry: entry, n: n)
    }

    private init(entry: Entry, n: Int?) throws(KernelSpecError) {
        func make(_ kernel: String, _ given: [String: KernelValue] = [:]) throws(KernelSpecError) -> Kernel {
            try KernelLibrary.definition(named: kernel)!.kernel(given: given)
        }
        switch entry.name {
        case "edges":
            kernels = [try make("sobel-x"), try make("sobel-y")]
        case "gradients":
            kernels = [try make("sobel-x"), try make("sobel-y"), try make("laplacian")]
        case "gabor":
            var list: [Kernel] = []
            for i in 0..<n! { list.append(try make("gabor", ["theta": .number(180 * Double(i) / Double(n!))])) }
            kernels = list
        case "blur-pyramid":
            var list: [Kernel] = []
            for i in 0..<n! { list.append(try make("gaussian", ["sigma": .number(Double(1 << i))])) }
            kernels = list
        default:  // compass
            var list: [Kernel] = []
            for d in KernelLibrary.compassDirections { list.append(try make("kirsch", ["direction": .word(d)])) }
            kernels = list
        }
        name = n.map { "\(entry.name):\($0)" } ?? entry.name
    }

    /// The default bank, `edges`: `sobel-x` and `sobel-y` (see `KernelLibrary`)
    /// on every input channel, M = 2. Output channel `2c` is the x gradient of
    /// input channel `c` (positive where brightness increases to the right),
    /// `2c + 1` its y gradient (positive where it increases downwards).
    public static let edges = try! NamedBank(parsing: "edges")  // a catalog name: always parses

    /// The depthwise filter for `channels` inputs: every kernel on every channel.
    public func depthwise(channels: Int) throws(FilterBankError) -> DepthwiseFilter {
        try DepthwiseFilter(kernels: kernels, channels: channels)
    }

    public var description: String { name }
}
