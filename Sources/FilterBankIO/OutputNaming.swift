/// File names for the outputs of one input image.
///
/// Channel numbers are zero-padded to a fixed width per run, so that the files
/// of one image sort in channel order: `photo_c00.png` ... `photo_c23.png`.
public enum OutputNaming {
    /// The input's file name without its directory and its last extension:
    /// `"in/photo.v2.jpg"` -> `"photo.v2"`. A leading dot does not start an
    /// extension (`".hidden"` stays `".hidden"`); trailing slashes are ignored;
    /// an empty path gives `""`.
    public static func stem(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let name = trimmed.split(separator: "/", omittingEmptySubsequences: false).last ?? trimmed
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return String(name) }
        return String(name[..<dot])
    }

    /// `<stem>_c<k>.<ext>`, or `<stem>_n<i>_c<k>.<ext>` when `batchCount > 1`.
    ///
    /// `k` is zero-padded to the number of digits of `channelCount - 1` (`_c0`..`_c5`
    /// for 6 channels, `_c00`..`_c23` for 24), `i` likewise to `batchCount - 1`.
    /// `fileExtension` is given without a dot (a leading one is dropped).
    public static func channelFileName(stem: String, channel: Int, channelCount: Int,
                                       batch: Int, batchCount: Int, fileExtension: String) -> String {
        let ext = fileExtension.hasPrefix(".") ? String(fileExtension.dropFirst()) : fileExtension
        let c = "_c" + padded(channel, to: channelCount)
        let n = batchCount > 1 ? "_n" + padded(batch, to: batchCount) : ""
        return stem + n + c + (ext.isEmpty ? "" : "." + ext)
    }

    /// `<stem>.npy`, for writing the whole output tensor.
    public static func tensorFileName(stem: String) -> String { stem + ".npy" }

    /// `value` zero-padded to the digit count of `count - 1` (at least one digit).
    static func padded(_ value: Int, to count: Int) -> String {
        let width = String(max(count - 1, 0)).count
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
