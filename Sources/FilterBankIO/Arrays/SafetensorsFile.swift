import Foundation

/// Reads Hugging Face `.safetensors` files: the weights of PyTorch (and other)
/// models, one named tensor after another.
///
/// The format (as the `safetensors` package describes it): an unsigned 64-bit
/// little-endian header length `N`; `N` bytes of UTF-8 JSON, an object mapping
/// each tensor's name to `{"dtype": "F32", "shape": [..], "data_offsets":
/// [begin, end]}`, plus an optional `"__metadata__"` object of strings; then the
/// data, each tensor's bytes little-endian and row-major at `[begin, end)`
/// counted from the first byte after the header.
///
/// `open` reads the 8 bytes and the header only, and checks all of it before
/// any data is read: the header length against the file (and against 100 MB,
/// the limit of the `safetensors` package's own reader), the JSON, every
/// entry's keys and types, shapes whose element count fits, and offsets that
/// lie inside the data and hold exactly `count * size` bytes for the dtypes
/// whose size is known. `read` then reads one tensor's bytes and nothing else.
/// `F32`, `F16` and `BF16` are read (the last two widened to `Float`, exactly);
/// any other dtype is refused by name. Errors are one `FileError` line naming
/// the file, and the tensor when it is one tensor's fault.
public struct SafetensorsFile: Sendable {
    /// One tensor as the header describes it.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// The header's dtype string: `F32`, `F16`, `BF16`, `I64`, ...
        public let dtype: String
        public let shape: [Int]
        /// The byte range in the file (already offset by the header).
        public let bytes: Range<Int>

        /// Whether `read` converts this dtype.
        public var isReadable: Bool { SafetensorsFile.elementSize(readable: dtype) != nil }
    }

    /// The header's limit in the `safetensors` package's reader (100 MB).
    public static let maximumHeaderSize = 100_000_000

    public let path: String
    /// Every tensor, in the order of their data in the file.
    public let entries: [Entry]
    /// The `__metadata__` object (string values), empty when there is none.
    public let metadata: [String: String]

    /// The entry named `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// Reads and checks the header of the file at `path` (no tensor data).
    public static func open(path: String) throws(FileError) -> SafetensorsFile {
        let file = try OpenFile.forReading(path)
        let size = try file.regularFileSize()
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        guard size >= 8 else {
            throw fail("not a .safetensors file: \(size) bytes, shorter than the 8-byte header length")
        }
        let prefix = try file.read(0..<8)
        var length: UInt64 = 0
        for (i, byte) in prefix.enumerated() { length |= UInt64(byte) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderSize) else {
            throw fail("the .safetensors header length \(length) is over the limit of \(maximumHeaderSize) bytes")
        }
        guard 8 + Int(length) <= size else {
            throw fail("the .safetensors header length \(length) runs past the end of the \(size)-byte file")
        }
        let header = try file.read(8..<(8 + Int(length)))
        return try parse(header: header, dataStart: 8 + Int(length), dataSize: size - 8 - Int(length), path: path)
    }

    /// Parses and checks a header; the data is `dataSize` bytes from `dataStart`.
    static func parse(header: [UInt8], dataStart: Int, dataSize: Int, path: String) throws(FileError) -> SafetensorsFile {
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        guard header.first == UInt8(ascii: "{") else {
            throw fail("not a .safetensors file: the header does not start with '{'")
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw fail("the .safetensors header is not valid JSON: \(FileError.reason(error))")
        }
        guard let object = root as? [String: Any] else { throw fail("the .safetensors header is not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in object {
            let quoted = name.debugDescription
            if name == "__metadata__" {
                guard let fields = value as? [String: Any] else { throw fail("__metadata__ must be an object of strings") }
                for (key, text) in fields {
                    guard let text = text as? String else {
                        throw fail("__metadata__ \(key.debugDescription) must be a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw fail("tensor \(quoted) must be an object") }
            if let extra = fields.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
                throw fail("tensor \(quoted) has the unknown key \(extra.debugDescription) (expected dtype, shape, data_offsets)")
            }
            guard let dtype = fields["dtype"] as? String else { throw fail("tensor \(quoted) has no dtype string") }
            guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \(quoted): shape must be a list of non-negative integers")
            }
            guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
                throw fail("tensor \(quoted): data_offsets must be two integers [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataSize else {
                throw fail("tensor \(quoted): data_offsets [\(begin), \(end)] lie outside the \(dataSize) bytes of data")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataSize else {
                    throw fail("tensor \(quoted): shape \(shape) holds more elements than the file has bytes")
                }
                count = product
            }
            if let size = elementSize(known: dtype), end - begin != count * size {
                throw fail("tensor \(quoted): shape \(shape) of \(dtype) needs \(count * size) bytes, data_offsets give \(end - begin)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: (dataStart + begin)..<(dataStart + end)))
        }
        entries.sort { ($0.bytes.lowerBound, $0.name) < ($1.bytes.lowerBound, $1.name) }
        return SafetensorsFile(path: path, entries: entries, metadata: metadata)
    }

    /// Reads the tensor named `name` as `Float`s (`F32`, `F16`, `BF16`).
    public func read(_ name: String) throws(FileError) -> NpyArray {
        guard let entry = entry(named: name) else {
            throw FileError(path: path, message: "no tensor named \(name.debugDescription)")
        }
        return try read(entry)
    }

    /// Reads `entry`'s bytes (and only those) as `Float`s.
    public func read(_ entry: Entry) throws(FileError) -> NpyArray {
        guard let size = Self.elementSize(readable: entry.dtype) else {
            throw FileError(path: path, message: "tensor '\(entry.name)' has dtype \(entry.dtype): only F32, F16 and BF16 are read")
        }
        let count = entry.bytes.count / size
        let file = try OpenFile.forReading(path)
        let bytes = try file.read(entry.bytes)
        let values = bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    switch entry.dtype {
                    case "F32":
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
                    case "F16":
                        out[i] = Self.widen(half: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
                    default:   // BF16: the upper half of a Float32
                        out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))) << 16)
                    }
                }
                initialized = count
            }
        }
        return NpyArray(shape: entry.shape, values: values)
    }

    /// IEEE 754 binary16 to `Float`, exactly (subnormals, infinities, NaN).
    static func widen(half bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction * 2^-24.
            let magnitude = Float(fraction) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (fraction << 13))
        }
    }

    /// Bytes per element of the dtypes `read` converts.
    static func elementSize(readable dtype: String) -> Int? {
        switch dtype {
        case "F32": 4
        case "F16", "BF16": 2
        default: nil
        }
    }

    /// Bytes per element of the dtypes the format defines with a whole-byte size.
    static func elementSize(known dtype: String) -> Int? {
        switch dtype {
        case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0": 1
        case "I16", "U16", "F16", "BF16": 2
        case "I32", "U32", "F32": 4
        case "I64", "U64", "F64": 8
        default: nil
        }
    }

    /// A JSON array of integers (NSNumber on Linux, booleans excluded), or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
                  let integer = number as? Int else { return nil }
            out.append(integer)
        }
        return out
    }
}
