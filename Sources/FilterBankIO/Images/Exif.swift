/// The little of EXIF that decoding needs: the Orientation tag.
///
/// EXIF metadata is a TIFF structure: a byte-order mark (`II` little-endian,
/// `MM` big-endian), the number 42, then the offset of the first image file
/// directory (IFD0), all offsets counted from the first byte of the mark.
/// Orientation is tag 0x0112 in IFD0, a SHORT from 1 to 8 (see
/// `ImageOrientation` in FilterBankKit for what each value means).
///
/// Parsing never fails: data that is missing, damaged, cut short or points
/// outside itself simply has no orientation, which is 1 (stored order).
public enum Exif {
    /// The Orientation tag.
    static let orientationTag: UInt16 = 0x0112

    /// The Orientation (1...8) in the TIFF structure `tiff` (a JPEG's EXIF
    /// APP1 segment without its 6-byte `Exif\0\0` header, or a PNG `eXIf`
    /// chunk); 1 when there is none or it is not a valid value.
    ///
    /// Accepts the tag stored as SHORT (as the standard says) or as any other
    /// integer type that cameras use instead (BYTE, LONG, and the signed
    /// SBYTE, SSHORT, SLONG: a Panasonic DMC-GF1 writes SLONG); a
    /// non-integer type, a count of 0, a value outside 1...8, or an IFD0 or
    /// entry outside the data gives 1.
    public static func orientation(tiff: UnsafeRawBufferPointer) -> Int {
        guard tiff.count >= 8 else { return 1 }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): bigEndian = false   // "II"
        case (0x4D, 0x4D): bigEndian = true    // "MM"
        default: return 1
        }
        func u16(_ at: Int) -> Int {
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return bigEndian ? a << 8 | b : b << 8 | a
        }
        func u32(_ at: Int) -> Int { bigEndian ? u16(at) << 16 | u16(at + 2) : u16(at + 2) << 16 | u16(at) }

        guard u16(2) == 42 else { return 1 }
        let ifd = u32(4)   // 0 ... 2^32-1: Int arithmetic below cannot overflow
        guard ifd >= 8, ifd + 2 <= tiff.count else { return 1 }
        let entries = u16(ifd)
        for index in 0..<entries {
            let entry = ifd + 2 + 12 * index
            guard entry + 12 <= tiff.count else { return 1 }
            guard u16(entry) == Int(orientationTag) else { continue }
            let type = u16(entry + 2), count = u32(entry + 4)
            guard count >= 1 else { return 1 }
            let value: Int
            switch type {   // values are left-justified in the 4-byte value field
            case 1, 6: value = Int(tiff[entry + 8])   // BYTE, SBYTE
            case 3, 8: value = u16(entry + 8)         // SHORT, SSHORT
            case 4, 9: value = u32(entry + 8)         // LONG, SLONG (negative: out of range)
            default: return 1
            }
            return (1...8).contains(value) ? value : 1
        }
        return 1
    }

    /// `orientation(tiff:)` of an array of bytes.
    public static func orientation(tiff: [UInt8]) -> Int {
        tiff.withUnsafeBytes { orientation(tiff: $0) }
    }
}
