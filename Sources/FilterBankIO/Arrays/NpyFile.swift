import Foundation
import FilterBankKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An n-dimensional array read from a `.npy` file: its shape and its elements
/// in row-major (C) order, converted to `Float`.
public struct NpyArray: Sendable, Equatable {
    /// The dimensions, as NumPy's `shape` (empty for a 0-d scalar).
    public let shape: [Int]
    /// `shape.reduce(1, *)` elements, row-major.
    public let values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Reading accepts little-endian float32 (`<f4`), float64 (`<f8`) and uint8
/// (`|u1`, `<u1`) arrays in C order and converts the elements to `Float`
/// without scaling (float64 rounds to nearest; out-of-range values become
/// infinities). Everything else (big-endian data, `fortran_order: True`, other
/// dtypes, truncated or trailing data, malformed headers) is a `FileError`
/// naming the file and the problem. The header dictionary is parsed by a small
/// strict parser of the Python literals NumPy writes.
///
/// Writing produces what `np.save` produces for a C-contiguous `<f4` array,
/// byte for byte: a version 1.0 header padded with spaces (and NumPy's spare
/// room for growing the first axis) so that the data starts at a multiple of 64.
public enum NpyFile {
    /// Reads any-rank array from `path`.
    public static func readArray(path: String) throws(FileError) -> NpyArray {
        try readFile(path: path)
    }

    /// Reads an image tensor: shape `[H, W, C]` (returned as `[1, H, W, C]`) or
    /// `[N, H, W, C]`, with no zero dimension.
    public static func readTensor(path: String) throws(FileError) -> Tensor {
        let array = try readArray(path: path)
        let s = array.shape
        let shape: TensorShape
        switch s.count {
        case 3: shape = TensorShape(batch: 1, height: s[0], width: s[1], channels: s[2])
        case 4: shape = TensorShape(batch: s[0], height: s[1], width: s[2], channels: s[3])
        default:
            let hint = s.count == 2 ? " (a single-channel image needs a trailing channel axis: a[..., None])" : ""
            throw FileError(path: path, message:
                "array shape \(s) has rank \(s.count): expected [H, W, C] or [N, H, W, C]\(hint)")
        }
        guard !s.contains(0) else { throw FileError(path: path, message: "array shape \(s) is empty") }
        return Tensor(shape: shape, values: array.values)
    }

    /// Writes `tensor` as a `<f4` array of shape `(N, H, W, C)`, atomically (see `AtomicFile`),
    /// straight from the tensor's storage (no second copy of the data).
    public static func write(_ tensor: Tensor, to path: String) throws(FileError) {
        let header = header(shape: tensor.shape.dimensions)
        try AtomicFile.write(to: path) { temporary in
            #if _endian(little)
            try header.withUnsafeBytes { h in
                try tensor.values.withUnsafeBytes { v in try AtomicFile.writeNewFile(temporary, h, v) }
            }
            #else
            let swapped = tensor.values.map { $0.bitPattern.littleEndian }
            try header.withUnsafeBytes { h in
                try swapped.withUnsafeBytes { v in try AtomicFile.writeNewFile(temporary, h, v) }
            }
            #endif
        }
    }

    // MARK: - Encoding

    /// Magic, version 1.0, header length and the padded header dictionary.
    package static func header(shape: [Int]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        // NumPy's spare room so the first axis can grow in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let unpadded = magic.count + 4 + dict.utf8.count + 1  // + the final newline
        let pad = 64 - unpadded % 64                           // NumPy pads 64 when already aligned
        let length = dict.utf8.count + pad + 1
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
            + Array(dict.utf8) + [UInt8](repeating: 0x20, count: pad) + [0x0A]
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    // MARK: - Decoding

    /// Element types this reader understands.
    enum DType {
        case float32, float64, uint8
        var size: Int { switch self { case .float32: 4; case .float64: 8; case .uint8: 1 } }
        var name: String { switch self { case .float32: "float32"; case .float64: "float64"; case .uint8: "uint8" } }
    }

    /// Decodes the contents of a `.npy` file held in memory; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String) throws(FileError) -> NpyArray {
        let layout = try Layout.parse(size: data.count, path: path) { range in
            [UInt8](data[(data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)])
        }
        let values = data.withUnsafeBytes { (all: UnsafeRawBufferPointer) -> [Float] in
            [Float](unsafeUninitializedCapacity: layout.count) { out, initialized in
                convert(UnsafeRawBufferPointer(rebasing: all[layout.dataStart...]), layout.header.dtype, into: out)
                initialized = layout.count
            }
        }
        return NpyArray(shape: layout.header.shape, values: values)
    }

    /// As `decode(_:path:)`, from bytes in an array, without copying them first.
    public static func decode(bytes: [UInt8], path: String) throws(FileError) -> NpyArray {
        let layout = try Layout.parse(size: bytes.count, path: path) { range in Array(bytes[range]) }
        let values = bytes.withUnsafeBytes { (all: UnsafeRawBufferPointer) -> [Float] in
            [Float](unsafeUninitializedCapacity: layout.count) { out, initialized in
                convert(UnsafeRawBufferPointer(rebasing: all[layout.dataStart...]), layout.header.dtype, into: out)
                initialized = layout.count
            }
        }
        return NpyArray(shape: layout.header.shape, values: values)
    }

    /// The shape of the array in the `.npy` file at `path`, from its header
    /// alone (the data is not read, but its size is checked against the shape).
    public static func shape(ofFileAt path: String) throws(FileError) -> [Int] {
        let file = try OpenFile.forReading(path)
        return try Layout.parse(size: file.regularFileSize(), path: path) { range throws(FileError) in try file.read(range) }
            .header.shape
    }

    /// Reads the file with `pread(2)`: the header first, then the data straight
    /// into the result (float32) or through a small scratch buffer (other
    /// dtypes), so a large file is neither held twice nor copied twice.
    static func readFile(path: String) throws(FileError) -> NpyArray {
        let file = try OpenFile.forReading(path)
        let layout = try Layout.parse(size: file.regularFileSize(), path: path) { range throws(FileError) in
            try file.read(range)
        }
        var failure: FileError?
        let values = [Float](unsafeUninitializedCapacity: layout.count) { out, initialized in
            initialized = 0
            let dtype = layout.header.dtype
            do throws(FileError) {
                #if _endian(little)
                if dtype == .float32 {
                    try file.read(into: UnsafeMutableRawBufferPointer(out), at: layout.dataStart)
                    initialized = layout.count
                    return
                }
                #endif
                let chunk = (1 << 20) / 8   // elements per read: at most 1 MiB of bytes
                var first = 0
                while first < layout.count {
                    let n = min(chunk, layout.count - first)
                    let bytes = try file.read((layout.dataStart + first * dtype.size)..<(layout.dataStart + (first + n) * dtype.size))
                    bytes.withUnsafeBytes { part in
                        convert(part, dtype, into: UnsafeMutableBufferPointer(rebasing: out[first..<(first + n)]))
                    }
                    first += n
                }
                initialized = layout.count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return NpyArray(shape: layout.header.shape, values: values)
    }

    /// Converts `out.count` little-endian elements of `dtype` from `raw` to `Float`.
    static func convert(_ raw: UnsafeRawBufferPointer, _ dtype: DType, into out: UnsafeMutableBufferPointer<Float>) {
        let count = out.count
        switch dtype {
        case .float32:
            #if _endian(little)
            UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(count * 4)]))
            #else
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)))
            }
            #endif
        case .float64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))))
            }
        case .uint8:
            for i in 0..<count { out[i] = Float(raw[i]) }
        }
    }

    /// Where the data is and what it holds, validated against the file size.
    struct Layout {
        let header: Header
        let dataStart: Int
        /// Number of elements.
        let count: Int

        /// Parses the preamble and header of a file of `size` bytes, reading
        /// byte ranges with `read`, and checks that exactly the bytes the shape
        /// needs follow the header.
        static func parse(size: Int, path: String,
                          read: (Range<Int>) throws(FileError) -> [UInt8]) throws(FileError) -> Layout {
            func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
            let prefix = try read(0..<min(size, 12))
            guard prefix.count >= 6, Array(prefix[0..<6]) == magic else {
                throw fail("not a .npy file (missing the \\x93NUMPY magic)")
            }
            guard prefix.count >= 10 else { throw fail("truncated .npy header") }
            let (major, minor) = (prefix[6], prefix[7])
            let headerStart: Int, headerLength: Int
            switch (major, minor) {
            case (1, 0):
                headerStart = 10
                headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
            case (2, 0), (3, 0):
                guard prefix.count == 12 else { throw fail("truncated .npy header") }
                headerStart = 12
                headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
            default:
                throw fail("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
            }
            guard headerLength <= 1 << 20 else { throw fail("header length \(headerLength) is implausibly large") }
            let dataStart = headerStart + headerLength
            guard dataStart <= size else {
                throw fail("truncated .npy header: needs \(dataStart) bytes, file has \(size)")
            }
            let headerBytes = try read(headerStart..<dataStart)
            let header: Header
            do { header = try Header.parse(headerBytes) } catch { throw fail(error.message) }

            // Size check, overflow-safe: absurd shapes must fail, not trap.
            var count = 1
            for d in header.shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("shape \(header.shape) is too large (element count overflows)") }
                count = p
            }
            let (need, overflow) = count.multipliedReportingOverflow(by: header.dtype.size)
            guard !overflow else { throw fail("shape \(header.shape) is too large (byte count overflows)") }
            let have = size - dataStart
            guard have >= need else {
                throw fail("truncated data: shape \(header.shape) \(header.dtype.name) needs \(need) bytes, file has \(have)")
            }
            guard have == need else {
                throw fail("\(have - need) unexpected bytes after the \(need) data bytes of shape \(header.shape)")
            }
            return Layout(header: header, dataStart: dataStart, count: count)
        }
    }

    /// A header problem, without the path (the caller adds it).
    struct HeaderError: Error {
        let message: String
    }

    /// The validated header dictionary.
    struct Header {
        let dtype: DType
        let shape: [Int]

        /// Parses and validates `{'descr': ..., 'fortran_order': ..., 'shape': (...), }`
        /// followed by whitespace padding.
        static func parse(_ bytes: [UInt8]) throws(HeaderError) -> Header {
            var parser = LiteralParser(bytes: bytes)
            guard case let .dict(entries) = try parser.parseDocument() else {
                throw HeaderError(message: "malformed .npy header: expected a dictionary")
            }
            let keys = entries.map(\.key)
            for key in keys where !["descr", "fortran_order", "shape"].contains(key) {
                throw HeaderError(message: ".npy header has unexpected key '\(key)' (expected descr, fortran_order, shape)")
            }
            func value(_ key: String) throws(HeaderError) -> PyLiteral {
                guard let v = entries.first(where: { $0.key == key })?.value else {
                    throw HeaderError(message: ".npy header is missing key '\(key)'")
                }
                return v
            }
            let dtype: DType
            switch try value("descr") {
            case .string("<f4"): dtype = .float32
            case .string("<f8"): dtype = .float64
            case .string("|u1"), .string("<u1"): dtype = .uint8
            case .string(">f4"): throw HeaderError(message: "big-endian float32 is not supported; save with dtype '<f4'")
            case .string(">f8"): throw HeaderError(message: "big-endian float64 is not supported; save with dtype '<f8'")
            case let .string(other):
                throw HeaderError(message: "unsupported dtype '\(other)' (supported: '<f4' float32, '<f8' float64, '|u1' uint8)")
            case .list, .tuple:
                throw HeaderError(message: "structured dtypes are not supported (supported: '<f4', '<f8', '|u1')")
            default:
                throw HeaderError(message: ".npy header 'descr' must be a dtype string")
            }
            switch try value("fortran_order") {
            case .bool(false): break
            case .bool(true):
                throw HeaderError(message: "fortran_order is True (column-major data) is not supported; save np.ascontiguousarray(a)")
            default: throw HeaderError(message: ".npy header 'fortran_order' must be True or False")
            }
            guard case let .tuple(items) = try value("shape") else {
                throw HeaderError(message: ".npy header 'shape' must be a tuple of integers")
            }
            var shape: [Int] = []
            for item in items {
                guard case let .int(d) = item, d >= 0 else {
                    throw HeaderError(message: ".npy header 'shape' must be a tuple of non-negative integers")
                }
                shape.append(d)
            }
            return Header(dtype: dtype, shape: shape)
        }
    }

    /// The Python literals a `.npy` header uses.
    indirect enum PyLiteral: Equatable {
        case string(String), int(Int), bool(Bool), none
        case tuple([PyLiteral]), list([PyLiteral])
        case dict([DictEntry])
    }

    struct DictEntry: Equatable {
        let key: String
        let value: PyLiteral
    }

    /// A strict recursive-descent parser for the subset of Python literal syntax
    /// NumPy writes: dicts with string keys, strings, integers (an old `L`
    /// suffix allowed), `True`/`False`/`None`, tuples and lists.
    struct LiteralParser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// One literal, then only whitespace to the end.
        mutating func parseDocument() throws(HeaderError) -> PyLiteral {
            let value = try parseValue(depth: 0)
            skipSpace()
            guard i == bytes.count else { throw error("unexpected \(peekDescription) after the dictionary") }
            return value
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        var peekDescription: String {
            guard i < bytes.count else { return "end of header" }
            let b = bytes[i]
            return (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        }

        func error(_ message: String) -> HeaderError { HeaderError(message: "malformed .npy header: \(message) at offset \(i)") }

        mutating func expect(_ byte: UInt8) throws(HeaderError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else {
                throw error("expected '\(Character(Unicode.Scalar(byte)))', found \(peekDescription)")
            }
            i += 1
        }

        mutating func parseValue(depth: Int) throws(HeaderError) -> PyLiteral {
            guard depth < 16 else { throw error("nesting too deep") }
            skipSpace()
            guard i < bytes.count else { throw error("unexpected end of header") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var entries: [DictEntry] = []
                while true {
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(entries) }
                    guard case let .string(key) = try parseValue(depth: depth + 1) else {
                        throw error("dictionary keys must be strings")
                    }
                    guard !entries.contains(where: { $0.key == key }) else { throw error("duplicate key '\(key)'") }
                    try expect(UInt8(ascii: ":"))
                    entries.append(DictEntry(key: key, value: try parseValue(depth: depth + 1)))
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    return .dict(entries)
                }
            case UInt8(ascii: "("), UInt8(ascii: "["):
                let close = bytes[i] == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
                i += 1
                var items: [PyLiteral] = []
                var sawComma = false
                while true {
                    skipSpace()
                    if i < bytes.count, bytes[i] == close { i += 1; break }
                    items.append(try parseValue(depth: depth + 1))
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; sawComma = true; continue }
                    try expect(close)
                    break
                }
                if close == UInt8(ascii: "]") { return .list(items) }
                // As in Python, `(x)` is x itself; only `()` and a comma make a tuple.
                return items.count == 1 && !sawComma ? items[0] : .tuple(items)
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let quote = bytes[i]
                i += 1
                var text: [UInt8] = []
                while i < bytes.count, bytes[i] != quote {
                    guard bytes[i] != 0x0A else { break }
                    if bytes[i] == UInt8(ascii: "\\") { i += 1; guard i < bytes.count else { break } }
                    text.append(bytes[i])
                    i += 1
                }
                guard i < bytes.count, bytes[i] == quote else { throw error("unterminated string") }
                i += 1
                return .string(String(decoding: text, as: UTF8.self))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let negative = bytes[i] == UInt8(ascii: "-")
                if negative { i += 1 }
                var value = 0, digits = 0
                while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int(bytes[i] - UInt8(ascii: "0")))
                    guard !o1, !o2 else { throw error("integer too large") }
                    value = s
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { throw error("expected digits after '-'") }
                if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }  // Python 2 long
                return .int(negative ? -value : value)
            default:
                for (word, literal) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                    let w = Array(word.utf8)
                    if bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w { i += w.count; return literal }
                }
                throw error("unexpected \(peekDescription)")
            }
        }
    }
}
