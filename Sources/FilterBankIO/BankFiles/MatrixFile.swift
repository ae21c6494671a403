import Foundation
import FilterBankKit

/// Reads libvips matrix text files (`.mat`), as `vips_matrixload` and
/// `vips im_conv` use them.
///
/// ```
/// 3 3 8 0
/// -1 -1 -1
/// -1 16 -1
/// -1 -1 -1
/// ```
/// The first line is `width height [scale [offset]]` (scale defaults to 1 and
/// must not be 0, offset to 0); then `height` rows of `width` numbers. Numbers
/// are separated by any mix of spaces, tabs, commas and double quotes, as
/// libvips allows. libvips computes `sum(pixel * mask) / scale + offset`
/// without flipping the mask, so the kernel here is `mask / scale` (a
/// correlation, as every kernel of a bank) and `offset` becomes the bias of
/// every output channel. Stricter than libvips: a row with more or fewer than
/// `width` numbers, or text after the last row, is an error naming the line
/// (libvips ignores extra characters). Zero padding at the edges is ours;
/// libvips' `conv` extends the edge pixels instead.
public enum MatrixFile {
    /// A matrix file's contents.
    public struct Matrix: Sendable, Equatable {
        public let width: Int
        public let height: Int
        public let scale: Double
        public let offset: Double
        /// `width * height` values as written (before dividing by `scale`), row-major.
        public let values: [Float]

        /// The kernel the bank applies: `values / scale`, named `name`.
        public func kernel(name: String) -> Kernel {
            Kernel(name: name, height: height, width: width, values: values.map { Float(Double($0) / scale) })
        }
    }

    /// Reads and checks the matrix file at `path`.
    public static func load(path: String) throws(FileError) -> Matrix {
        guard let text = String(bytes: try FileError.readContents(of: path), encoding: .utf8) else {
            throw FileError(path: path, message: "not a text file (invalid UTF-8)")
        }
        return try parse(text: text, path: path)
    }

    /// The bank of a matrix file: its kernel on every input channel, `offset`
    /// as the bias of every output (none when 0).
    public static func source(path: String) throws(FileError) -> BankSource {
        let matrix = try load(path: path)
        let kernels = BankSource.kernels([matrix.kernel(name: PathText.stem(of: path) + ".mat")], name: path)
        return matrix.offset == 0 ? kernels : .adjusted(kernels, normalize: false, bias: Float(matrix.offset))
    }

    /// Parses matrix text; `path` only names the file in errors.
    public static func parse(text: String, path: String) throws(FileError) -> Matrix {
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        // `\r\n` is one Character in Swift: split on every kind of line break.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let separators: Set<Character> = [" ", "\t", ",", "\""]
        /// The numbers of line `index` (0-based), or an error naming the line and the token.
        func numbers(_ index: Int) throws(FileError) -> [Double] {
            var out: [Double] = []
            for token in lines[index].split(whereSeparator: { separators.contains($0) }) {
                guard token.allSatisfy({ "0123456789+-.eE".contains($0) }), let v = Double(String(token)), v.isFinite else {
                    throw fail("line \(index + 1): '\(token)' is not a finite number")
                }
                out.append(v)
            }
            return out
        }
        func isBlank(_ index: Int) -> Bool { lines[index].allSatisfy { separators.contains($0) } }

        var line = 0
        while line < lines.count, isBlank(line) { line += 1 }
        guard line < lines.count else {
            throw fail("empty matrix file: expected a first line 'width height [scale [offset]]'")
        }
        let header = try numbers(line)
        guard (2...4).contains(header.count) else {
            throw fail("line \(line + 1): expected 'width height [scale [offset]]', got \(header.count) numbers")
        }
        let maximum = KernelLibrary.maximumSize
        guard header[0] == header[0].rounded(), header[1] == header[1].rounded(),
              (1...Double(maximum)).contains(header[0]), (1...Double(maximum)).contains(header[1]) else {
            throw fail("line \(line + 1): width and height must be integers from 1 to \(maximum), got \(SpecText.number(header[0])) and \(SpecText.number(header[1]))")
        }
        let width = Int(header[0]), height = Int(header[1])
        let scale = header.count > 2 ? header[2] : 1
        let offset = header.count > 3 ? header[3] : 0
        guard scale != 0 else { throw fail("line \(line + 1): scale must not be 0") }

        var values: [Float] = []
        values.reserveCapacity(width * height)
        var rows = 0
        line += 1
        while rows < height {
            guard line < lines.count else {
                throw fail("truncated matrix: expected \(height) rows of \(width) numbers, found \(rows)")
            }
            if isBlank(line) { line += 1; continue }
            let row = try numbers(line)
            guard row.count == width else {
                throw fail("line \(line + 1): expected \(width) numbers (the matrix width), got \(row.count)")
            }
            for v in row {
                guard Float(v).isFinite else { throw fail("line \(line + 1): \(v) does not fit in a Float32") }
                values.append(Float(v))
            }
            rows += 1
            line += 1
        }
        while line < lines.count {
            guard isBlank(line) else {
                throw fail("line \(line + 1): unexpected text after the \(height) matrix rows")
            }
            line += 1
        }
        return Matrix(width: width, height: height, scale: scale, offset: offset, values: values)
    }
}
