import FilterBankIO
import Foundation
import FilterBankKit

/// The memory budget of one input (`Input.maxMemory`, `--max-memory`): what
/// its decoding, EXIF rotation, padding and convolution, and its outputs'
/// encoders may hold together. Each part is known from the header and the
/// plan, so an input that needs more fails before any of it is allocated,
/// with both numbers in its one-line error; the next input runs.
///
/// What counts (estimates of the large buffers, not of every small one):
/// - decoding: what the decoder keeps for the whole image (a JPEG with several
///   scans keeps every DCT coefficient, 2 bytes each; an Adam7 PNG its raw
///   samples), or a `.npy` input's Float32 values;
/// - orientation: an image whose EXIF orientation is not 1 is held whole as
///   its 8- or 16-bit samples (never as floats) while its rows are turned;
/// - convolution: the window of input rows, one band of output, and each
///   worker's padded rows and scratch (`BandedConvolution.workingBytes`);
/// - outputs: one band of mapped samples for every channel, each encoder's
///   state (zlib's or libjpeg's, and a few rows), a contact sheet's tiles.
///
/// With `--jobs N`, N inputs are processed at once, each within its budget:
/// together they may use N times the budget (plus the process's own few
/// tens of megabytes).
public enum MemoryBudget {
    /// 1 GiB.
    public static let defaultBytes = 1 << 30
    /// 16 MiB: less would refuse ordinary photos.
    public static let minimumBytes = 16 << 20

    /// `"1073741824"`, `"512M"`, `"1G"`, `"64k"`, `"2GiB"`: bytes, or a
    /// number followed by K, M, G or T (powers of 1024, with an optional `iB`
    /// or `B`). nil for anything else or an overflowing size.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1
        for (suffixes, value) in [(["TIB", "TB", "T"], 1 << 40), (["GIB", "GB", "G"], 1 << 30),
                                  (["MIB", "MB", "M"], 1 << 20), (["KIB", "KB", "K"], 1 << 10), (["B"], 1)] {
            if let suffix = suffixes.first(where: { digits.uppercased().hasSuffix($0) }) {
                digits = digits.dropLast(suffix.count)
                unit = value
                break
            }
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number >= 0 else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }

    /// One encoder's state besides its rows: zlib's deflate window and hash
    /// tables at the levels used (about 256 KiB), or libjpeg's compressor.
    static let encoderStateBytes = 320 << 10

    /// The parts of one input's need, in bytes.
    struct Need {
        var decoding = 0
        var orientation = 0
        var convolution = 0
        var outputs = 0
        var total: Int { decoding + orientation + convolution + outputs }

        /// "decoding 512 MB, convolution 3 MB, ..." for the parts that are not 0.
        var parts: String {
            [("decoding", decoding), ("EXIF rotation", orientation), ("convolution and padding", convolution),
             ("encoders", outputs)]
                .filter { $0.1 > 0 }.map { "\($0.0) \(MemoryBudget.describe($0.1))" }.joined(separator: ", ")
        }
    }

    /// "1073741824 bytes (1.0 GiB)".
    static func describe(_ bytes: Int) -> String {
        let units: [(Int, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        guard let (size, name) = units.first(where: { bytes >= $0.0 }) else { return "\(bytes) bytes" }
        let tenths = (bytes * 10 + size / 2) / size
        return "\(bytes) bytes (\(tenths / 10).\(tenths % 10) \(name))"
    }

    /// Throws when `need` is over `budget`, naming both.
    static func check(_ need: Need, budget: Int, input: String, names: SettingNames) throws(FileError) {
        guard need.total > budget else { return }
        throw FileError(path: input, message: "needs about \(describe(need.total)) (\(need.parts)), more than the "
                        + "memory budget of \(describe(budget)) (\(names.maxMemory))")
    }
}
