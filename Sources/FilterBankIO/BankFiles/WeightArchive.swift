import FilterBankKit

/// Which layers of a weight file make the bank: `layer` names the depthwise
/// convolution (`<layer>.weight`, optional `<layer>.bias`), `pointwiseLayer`
/// the 1x1 convolution after it (`<pointwiseLayer>.weight`, optional
/// `.bias`), as a PyTorch `state_dict` names them. Both nil: the file's
/// names say (see `WeightArchive`).
public struct LayerChoice: Sendable, Equatable {
    public var layer: String?
    public var pointwiseLayer: String?

    public init(layer: String? = nil, pointwiseLayer: String? = nil) {
        self.layer = layer
        self.pointwiseLayer = pointwiseLayer
    }
}

/// Named weight arrays in one file, as people export them: a NumPy `.npz`
/// archive or a `.safetensors` file; and which of them make a bank.
///
/// Names understood, in this order:
/// - this tool's and Keras' weight names: `depthwise` / `depthwise_kernel`,
///   `pointwise` / `pointwise_kernel`, `bias`;
/// - Keras' positional names, `numpy.savez(f, *layer.get_weights())`:
///   `arr_0` the depthwise kernel, then `arr_1` the pointwise kernel (rank 4)
///   or the bias (rank 1), then `arr_2` the bias: the order of
///   `SeparableConv2D` and `DepthwiseConv2D`;
/// - PyTorch `state_dict` names (`<module>.weight`, `<module>.bias`): the
///   layers a `LayerChoice` names, or, without one, the only depthwise weight
///   (`[C*M, 1, kh, kw]`, kernel larger than 1x1) and the only 1x1 weight
///   that can follow it (`[O, C*M, 1, 1]`). A depthwise layer's own bias
///   before a pointwise layer is folded into the output bias
///   (`W_pw * b_dw + b_pw`), which computes the same.
///
/// The layout: `state_dict` names are PyTorch's and Keras' names
/// TensorFlow's unless the caller states another; `depthwise` and `arr_N`
/// arrays say nothing, so their layout is the caller's or, when the caller
/// states none, decided for each input (`BankSource.eitherLayout`).
public struct WeightArchive: Sendable {
    /// One array: its name and shape, and its element type for listings.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        /// `float32`, `F16`, ...: the file's own spelling.
        public let dtype: String
    }

    enum Storage: Sendable {
        case npz([(name: String, array: NpyArray)])
        case safetensors(SafetensorsFile)
    }

    public let path: String
    public let entries: [Entry]
    let storage: Storage

    /// A `.safetensors` file's `__metadata__` (empty for `.npz`).
    public var metadata: [String: String] {
        if case let .safetensors(file) = storage { return file.metadata }
        return [:]
    }

    /// The largest array read as a weight (elements): a 255x255 kernel on 256 channels is 16.6 million.
    public static let maximumElements = 1 << 25

    /// Opens an `.npz` (reads every array) or `.safetensors` file (reads the header only).
    public static func open(path: String) throws(FileError) -> WeightArchive {
        switch BankFile.Kind(path: path) {
        case .safetensors?:
            let file = try SafetensorsFile.open(path: path)
            return WeightArchive(path: path, entries: file.entries.map { Entry(name: $0.name, shape: $0.shape, dtype: $0.dtype) },
                                 storage: .safetensors(file))
        default:
            let arrays = try NpzFile.readArrays(path: path)
            return WeightArchive(path: path, entries: arrays.map { Entry(name: $0.name, shape: $0.array.shape, dtype: "float32") },
                                 storage: .npz(arrays))
        }
    }

    /// The array named `name`, read as `Float`s: checked against
    /// `maximumElements` from its shape before any of it is read.
    public func read(_ name: String) throws(FileError) -> NpyArray {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw FileError(path: path, message: "no array named \(name.debugDescription)")
        }
        let count = entry.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard count <= Self.maximumElements else {
            throw FileError(path: path, message: "'\(name)' \(entry.shape) holds \(count) values, over the limit of \(Self.maximumElements) for a weight")
        }
        switch storage {
        case let .npz(arrays): return arrays.first { $0.name == name }!.array
        case let .safetensors(file): return try file.read(file.entry(named: name)!)
        }
    }

    // MARK: - Which arrays make the bank

    /// The arrays that make the bank, and the layout their names imply.
    struct Selection: Equatable {
        var depthwise: String
        var pointwise: String?
        var bias: String?
        /// The depthwise layer's own bias when a pointwise layer follows (folded).
        var depthwiseBias: String?
        /// The layout the names imply; nil when they say nothing.
        var impliedLayout: WeightLayout?
    }

    static let ownNames: [(role: String, names: [String])] = [
        ("depthwise", ["depthwise", "depthwise_kernel"]),
        ("pointwise", ["pointwise", "pointwise_kernel"]),
        ("bias", ["bias"]),
    ]

    /// Which arrays make the bank (see the type's description).
    func select(_ choice: LayerChoice, layout: WeightLayout?) throws(FileError) -> Selection {
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        let names = entries.map(\.name)
        func has(_ name: String) -> Bool { names.contains(name) }
        if let layer = choice.layer {
            guard has(layer + ".weight") else {
                throw fail("no tensor '\(layer).weight'\(candidateList(layout: layout ?? .torch))")
            }
            var selection = Selection(depthwise: layer + ".weight", impliedLayout: .torch)
            if let pointwiseLayer = choice.pointwiseLayer {
                guard has(pointwiseLayer + ".weight") else {
                    throw fail("no tensor '\(pointwiseLayer).weight'\(candidateList(layout: layout ?? .torch))")
                }
                selection.pointwise = pointwiseLayer + ".weight"
                selection.bias = has(pointwiseLayer + ".bias") ? pointwiseLayer + ".bias" : nil
                selection.depthwiseBias = has(layer + ".bias") ? layer + ".bias" : nil
            } else {
                selection.bias = has(layer + ".bias") ? layer + ".bias" : nil
            }
            return selection
        }
        // This tool's and Keras' names.
        let own = Self.ownNames.flatMap(\.names)
        if names.allSatisfy(own.contains) {
            func find(_ role: String) throws(FileError) -> String? {
                let spellings = Self.ownNames.first { $0.role == role }!.names
                let found = names.filter(spellings.contains)
                guard found.count <= 1 else { throw fail("holds both '\(found[0])' and '\(found[1])': keep one") }
                return found.first
            }
            guard let depthwise = try find("depthwise") else {
                throw fail("missing the depthwise filter: expected an array named 'depthwise' or 'depthwise_kernel' (found: \(names.joined(separator: ", ")))")
            }
            return Selection(depthwise: depthwise, pointwise: try find("pointwise"), bias: try find("bias"),
                             impliedLayout: depthwise == "depthwise_kernel" ? .tf : nil)
        }
        // Keras' get_weights() order, saved positionally.
        let positional = (0..<names.count).map { "arr_\($0)" }
        if (1...3).contains(names.count), Set(names) == Set(positional) {
            var selection = Selection(depthwise: "arr_0")
            if names.count == 3 {
                selection.pointwise = "arr_1"
                selection.bias = "arr_2"
            } else if names.count == 2 {
                let second = entries.first { $0.name == "arr_1" }!
                if second.shape.count == 1 { selection.bias = "arr_1" } else { selection.pointwise = "arr_1" }
            }
            return selection
        }
        // PyTorch state_dict names.
        if names.contains(where: { $0.hasSuffix(".weight") }) {
            let reading = layout ?? .torch
            let depthwise = entries.filter { $0.name.hasSuffix(".weight") && Self.isDepthwise($0.shape, layout: reading) }
            guard depthwise.count == 1, let dw = depthwise.first else {
                throw fail(depthwise.isEmpty
                           ? "holds no depthwise weight (\(reading == .torch ? "[C*M, 1, kh, kw]" : "[kh, kw, C, M]")): pick the layer by its prefix\(candidateList(layout: reading))"
                           : "holds \(depthwise.count) depthwise weights: pick the layer by its prefix\(candidateList(layout: reading))")
            }
            let prefix = String(dw.name.dropLast(".weight".count))
            let depth = reading == .torch ? dw.shape[0] : dw.shape[2] * dw.shape[3]
            let following = entries.filter {
                $0.name.hasSuffix(".weight") && Self.pointwiseDepth($0.shape, layout: reading) == depth && $0.name != dw.name
            }
            guard following.count <= 1 else {
                throw fail("holds \(following.count) 1x1 weights that can follow '\(dw.name)': pick the pointwise layer by its prefix\(candidateList(layout: reading))")
            }
            var selection = Selection(depthwise: dw.name, impliedLayout: .torch)
            if let pw = following.first {
                let pwPrefix = String(pw.name.dropLast(".weight".count))
                selection.pointwise = pw.name
                selection.bias = has(pwPrefix + ".bias") ? pwPrefix + ".bias" : nil
                selection.depthwiseBias = has(prefix + ".bias") ? prefix + ".bias" : nil
            } else {
                selection.bias = has(prefix + ".bias") ? prefix + ".bias" : nil
            }
            return selection
        }
        let allowed = own + ["arr_0, arr_1, arr_2 (Keras get_weights order)", "<layer>.weight and <layer>.bias (PyTorch state_dict)"]
        let unknown = names.first { !own.contains($0) } ?? names[0]
        throw fail("unknown array '\(unknown)' (allowed: \(allowed.joined(separator: ", ")))")
    }

    /// Why the file's names do not pick the arrays of one bank (several
    /// layers, no depthwise weight, unknown names, a layer not found), or nil
    /// when they do: `inspect` lists the candidates instead of a bank then.
    public func selectionProblem(_ choice: LayerChoice, layout: WeightLayout?) -> FileError? {
        do { _ = try select(choice, layout: layout); return nil } catch { return error }
    }

    /// Whether `shape` can be a depthwise weight in `layout` (a 1x1 kernel is left out: it is a pointwise scale).
    static func isDepthwise(_ shape: [Int], layout: WeightLayout) -> Bool {
        guard shape.count == 4, !shape.contains(0) else { return false }
        switch layout {
        case .torch: return shape[1] == 1 && (shape[2] > 1 || shape[3] > 1)
        case .tf: return shape[0] > 1 || shape[1] > 1
        }
    }

    /// The input depth (`C*M`) of a 1x1 weight in `layout`, or nil.
    static func pointwiseDepth(_ shape: [Int], layout: WeightLayout) -> Int? {
        guard shape.count == 4, !shape.contains(0) else { return nil }
        switch layout {
        case .torch: return shape[2] == 1 && shape[3] == 1 ? shape[1] : nil
        case .tf: return shape[0] == 1 && shape[1] == 1 ? shape[2] : nil
        }
    }

    /// ` (depthwise: a.weight [6, 1, 3, 3]; 1x1: b.weight [4, 6, 1, 1])`, or `` when there are none.
    func candidateList(layout: WeightLayout) -> String {
        let listing = candidates(layout: layout)
        let dw = listing.filter { $0.role == .depthwise }.map { "\($0.name) \($0.shape)" }
        let pw = listing.filter { $0.role == .pointwise }.map { "\($0.name) \($0.shape)" }
        var parts: [String] = []
        if !dw.isEmpty { parts.append("depthwise: " + dw.joined(separator: ", ")) }
        if !pw.isEmpty { parts.append("1x1: " + pw.joined(separator: ", ")) }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
    }

    /// What an array can serve as.
    public enum Role: String, Sendable {
        case depthwise, pointwise
    }

    /// One array that can serve as a weight, and how it would be read.
    public struct Candidate: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let dtype: String
        public let role: Role
        /// `3x3 kernels, C*M = 6 (PyTorch [C*M, 1, kh, kw])`.
        public let reading: String
    }

    /// Every array that can serve as a depthwise or pointwise weight in
    /// `layout`, in file order, with how it would be read (an array can be
    /// both: a `[6, 1, 1, 1]` weight is listed once, as 1x1). Arrays of a dtype
    /// that is not read are listed too: their reading says so.
    public func candidates(layout: WeightLayout) -> [Candidate] {
        var out: [Candidate] = []
        for entry in entries {
            let unread = SafetensorsFile.elementSize(readable: entry.dtype) == nil && entry.dtype != "float32"
                ? "; dtype \(entry.dtype) is not read" : ""
            let s = entry.shape
            if let depth = Self.pointwiseDepth(s, layout: layout) {
                let o = layout == .torch ? s[0] : s[3]
                out.append(Candidate(name: entry.name, shape: s, dtype: entry.dtype, role: .pointwise,
                                     reading: "1x1: C*M = \(depth) to \(o) outputs (\(layout == .torch ? "PyTorch [O, C*M, 1, 1]" : "TensorFlow [1, 1, C*M, O]"))\(unread)"))
            } else if Self.isDepthwise(s, layout: layout) {
                let text = layout == .torch
                    ? "\(s[2])x\(s[3]) kernels, C*M = \(s[0]) (PyTorch [C*M, 1, kh, kw])"
                    : "\(s[0])x\(s[1]) kernels, C = \(s[2]), M = \(s[3]) (TensorFlow [kh, kw, C, M])"
                out.append(Candidate(name: entry.name, shape: s, dtype: entry.dtype, role: .depthwise, reading: text + unread))
            }
        }
        return out
    }
}
