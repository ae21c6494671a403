import Foundation
import FilterBankKit

/// Loads filter banks from a JSON bank file or from `.npy` filter arrays.
///
/// The JSON format (every key but `depthwise` optional; `null` = absent):
/// ```json
/// {
///   "name": "edges",                      // a short label
///   "description": "Sobel x and y",       // free text for people
///   "depthwise": {"shape": [3, 3, 3, 2], "values": [...]},   // [kh, kw, C, M], row-major
///   "pointwise": {"shape": [1, 1, 6, 4], "values": [...]},   // [1, 1, C*M, O]; absent = depthwise bank
///   "strides": [1, 1],                    // [height, width], positive
///   "dilations": [1, 1],                  // [height, width], positive
///   "padding": "SAME",                    // "SAME", "VALID" (any case) or [[top, bottom], [left, right]]
///   "bias": [0, 0, 0.5, 0.5]              // one number per output channel (C*M, or O when separable)
/// }
/// ```
/// (JSON has no comments; they are for this description only.) The arrays take
/// the same form as the golden file's: flat row-major values plus a shape.
/// Everything else is rejected with a one-line `FileError` naming the file and
/// the key: unknown keys, wrong types (`true` is not a number), non-integer
/// shapes, value counts that do not match the shape, values that are not finite
/// Float32 numbers, a pointwise depth other than `C * M`, and a bias count
/// other than the output channel count.
public enum BankFile {
    static let topKeys = ["depthwise", "pointwise", "strides", "padding", "dilations", "bias", "name", "description"]
    static let arrayKeys = ["shape", "values"]

    /// The kinds of bank file, told by the file name's extension (any case).
    public enum Kind: String, CaseIterable, Sendable {
        /// A JSON bank (`load(path:)`).
        case json
        /// A NumPy archive of weight arrays (`loadNpz(path:layout:)`).
        case npz
        /// A libvips matrix (`MatrixFile`).
        case mat
        /// Hugging Face safetensors weights (`loadWeights(path:layout:layers:)`).
        case safetensors

        /// The kind that `path`'s extension names, or nil.
        public init?(path: String) {
            let name = PathText.basename(path)
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            self.init(rawValue: name[name.index(after: dot)...].lowercased())
        }
    }

    /// The bank in the file at `path`, read as its extension says (see
    /// `Kind`); `.npz` and `.safetensors` weights in `layout` (nil: as their
    /// names imply, else for each input; see `loadWeights`), from the
    /// `layers` named.
    public static func source(path: String, layout: WeightLayout? = .tf, layers: LayerChoice = LayerChoice()) throws(FileError) -> BankSource {
        switch Kind(path: path) {
        case .json?: return .file(try load(path: path))
        case .npz?, .safetensors?: return try loadWeights(path: path, layout: layout, layers: layers)
        case .mat?: return try MatrixFile.source(path: path)
        case nil:
            throw FileError(path: path, message: "not a bank file: expected the extension .json, .npz, .safetensors or .mat")
        }
    }

    /// Reads and validates the JSON bank file at `path`.
    public static func load(path: String) throws(FileError) -> BankSpec {
        try parse(data: Data(FileError.readContents(of: path)), path: path)
    }

    /// Parses and validates bank JSON; `path` only names the file in errors.
    public static func parse(data: Data, path: String) throws(FileError) -> BankSpec {
        let reader = Reader(path: path)
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw FileError(path: path, message: "invalid JSON: \(FileError.reason(error))")
        }
        guard case let .object(top) = JSONValue(root) else {
            throw reader.fail("the top level must be a JSON object, got \(JSONValue(root).kind)")
        }
        try reader.checkKeys(top, allowed: topKeys, in: nil)
        guard let dwValue = top["depthwise"], !(dwValue is NSNull) else {
            throw reader.fail("missing required key \"depthwise\"")
        }
        let dw = try reader.array(dwValue, key: "depthwise")
        let pw = try reader.optional(top["pointwise"]).map { v throws(FileError) in try reader.array(v, key: "pointwise") }
        var spec: BankSpec
        do {
            spec = BankSpec(depthwise: try DepthwiseFilter(shape: dw.shape, values: dw.values))
            if let pw { spec.pointwise = try PointwiseFilter(shape: pw.shape, values: pw.values) }
        } catch {
            throw FileError(path: path, error)
        }
        spec.strides = try reader.optional(top["strides"]).map { v throws(FileError) in try reader.pair(v, key: "strides") }
        spec.dilations = try reader.optional(top["dilations"]).map { v throws(FileError) in try reader.pair(v, key: "dilations") }
        spec.padding = try reader.optional(top["padding"]).map { v throws(FileError) in try reader.padding(v) }
        spec.name = try reader.optional(top["name"]).map { v throws(FileError) in try reader.string(v, key: "name") }
        spec.summary = try reader.optional(top["description"]).map { v throws(FileError) in try reader.string(v, key: "description") }
        spec.bias = try reader.optional(top["bias"]).map { v throws(FileError) in try reader.numbers(v, key: "bias") }
        do { _ = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch { throw FileError(path: path, error) }
        return spec
    }

    /// Reads a bank from `.npy` filters: `depthwise` of shape `[kh, kw, C, M]`
    /// and optionally `pointwise` of shape `[1, 1, C*M, O]` (both rank 4, any
    /// supported dtype): TensorFlow layout, as `loadNpy(depthwise:pointwise:layout:)`
    /// with `.tf`. Geometry is left to the caller (all `nil`).
    public static func loadNpy(depthwise: String, pointwise: String?) throws(FileError) -> BankSpec {
        guard case let .file(spec) = try loadNpy(depthwise: depthwise, pointwise: pointwise, layout: .tf) else {
            preconditionFailure("TensorFlow-layout filters always make a fixed bank")
        }
        return spec
    }

    // MARK: - JSON reading

    /// A `JSONSerialization` value, classified. On Linux numbers arrive as
    /// `NSNumber`, and `1 as? Bool` succeeds, so booleans are recognised by
    /// their Objective-C type code `c`, before anything else.
    enum JSONValue {
        case null, bool(Bool), number(NSNumber), string(String), array([Any]), object([String: Any])
        case other

        init(_ any: Any) {
            // Containers first: asking whether a Swift array or dictionary is an NSNumber
            // bridges it, and everything in it, to Objective-C (a 2 MB bank took seconds).
            if let a = any as? [Any] { self = .array(a) }
            else if let o = any as? [String: Any] { self = .object(o) }
            else if any is NSNull { self = .null }
            else if let n = any as? NSNumber { self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n) }
            else if let s = any as? String { self = .string(s) }
            else { self = .other }
        }

        /// "a string", "a boolean (true)", ... for messages.
        var kind: String {
            switch self {
            case .null: "null"
            case let .bool(b): "a boolean (\(b))"
            case let .number(n): "the number \(n)"
            case let .string(s): "a string (\"\(s.prefix(40))\")"
            case let .array(a): "an array of \(a.count)"
            case .object: "an object"
            case .other: "an unknown value"
            }
        }
    }

    /// Typed accessors that throw messages naming the file and the key.
    struct Reader {
        let path: String

        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }

        /// `nil` for a missing key or JSON `null`.
        func optional(_ value: Any?) -> Any? {
            guard let value, !(value is NSNull) else { return nil }
            return value
        }

        func checkKeys(_ object: [String: Any], allowed: [String], in parent: String?) throws(FileError) {
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                let place = parent.map { " in \"\($0)\"" } ?? ""
                // debugDescription escapes quotes and control characters: the message stays one line.
                throw fail("unknown key \(unknown.debugDescription)\(place) (allowed: \(allowed.joined(separator: ", ")))")
            }
        }

        func integer(_ value: Any, key: String) throws(FileError) -> Int {
            guard case let .number(n) = JSONValue(value), let i = n as? Int else {
                throw fail("\(key) must be an integer, got \(JSONValue(value).kind)")
            }
            return i
        }

        func list(_ value: Any, key: String) throws(FileError) -> [Any] {
            guard case let .array(a) = JSONValue(value) else { throw fail("\(key) must be an array, got \(JSONValue(value).kind)") }
            return a
        }

        func string(_ value: Any, key: String) throws(FileError) -> String {
            guard case let .string(s) = JSONValue(value) else { throw fail("\(key) must be a string, got \(JSONValue(value).kind)") }
            return s
        }

        /// `{"shape": [ints], "values": [numbers]}`; the shape/count agreement is
        /// left to the filter initialisers.
        func array(_ value: Any, key: String) throws(FileError) -> (shape: [Int], values: [Float]) {
            guard case let .object(object) = JSONValue(value) else {
                throw fail("\(key) must be an object {\"shape\": [...], \"values\": [...]}, got \(JSONValue(value).kind)")
            }
            try checkKeys(object, allowed: BankFile.arrayKeys, in: key)
            guard let shapeValue = object["shape"] else { throw fail("\(key) is missing \"shape\"") }
            guard let valuesValue = object["values"] else { throw fail("\(key) is missing \"values\"") }
            var shape: [Int] = []
            for (i, d) in try list(shapeValue, key: "\(key).shape").enumerated() {
                shape.append(try integer(d, key: "\(key).shape[\(i)]"))
            }
            return (shape, try numbers(valuesValue, key: "\(key).values"))
        }

        /// An array of finite Float32 numbers.
        func numbers(_ value: Any, key: String) throws(FileError) -> [Float] {
            let items = try list(value, key: key)
            var values: [Float] = []
            values.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                // The common case first, without JSONValue's container checks.
                if let n = item as? NSNumber, n.objCType.pointee != 0x63 {   // "c": a boolean
                    let v = Float(n.doubleValue)
                    guard v.isFinite else { throw fail("\(key)[\(i)] = \(n) is not a finite Float32 value") }
                    values.append(v)
                    continue
                }
                guard case let .number(n) = JSONValue(item) else {
                    throw fail("\(key)[\(i)] must be a number, got \(JSONValue(item).kind)")
                }
                let v = Float(n.doubleValue)
                guard v.isFinite else { throw fail("\(key)[\(i)] = \(n) is not a finite Float32 value") }
                values.append(v)
            }
            return values
        }

        /// `[height, width]`, both positive.
        func pair(_ value: Any, key: String) throws(FileError) -> HeightWidth {
            let bad = fail("\(key) must be [height, width] with two positive integers, got \(JSONValue(value).kind)")
            guard case let .array(a) = JSONValue(value), a.count == 2 else { throw bad }
            let h = try integer(a[0], key: "\(key)[0]"), w = try integer(a[1], key: "\(key)[1]")
            guard h > 0, w > 0 else { throw fail("\(key) must be positive, got [\(h), \(w)]") }
            return HeightWidth(h, w)
        }

        /// `"SAME"`, `"VALID"` (any case) or `[[top, bottom], [left, right]]` (non-negative).
        func padding(_ value: Any) throws(FileError) -> Padding {
            let expected = "padding must be \"SAME\", \"VALID\" or [[top, bottom], [left, right]]"
            switch JSONValue(value) {
            case let .string(s):
                switch s.uppercased() {
                case "SAME": return .same
                case "VALID": return .valid
                default: throw fail("\(expected), got \"\(s)\"")
                }
            case let .array(rows):
                guard rows.count == 2, case let .array(hRow) = JSONValue(rows[0]), case let .array(wRow) = JSONValue(rows[1]),
                      hRow.count == 2, wRow.count == 2 else {
                    throw fail("\(expected), got an array of a different form")
                }
                let t = try integer(hRow[0], key: "padding[0][0]"), b = try integer(hRow[1], key: "padding[0][1]")
                let l = try integer(wRow[0], key: "padding[1][0]"), r = try integer(wRow[1], key: "padding[1][1]")
                guard min(t, b, l, r) >= 0 else { throw fail("padding must not be negative, got [[\(t), \(b)], [\(l), \(r)]]") }
                return .explicit(top: t, bottom: b, left: l, right: r)
            case let other:
                throw fail("\(expected), got \(other.kind)")
            }
        }
    }
}
