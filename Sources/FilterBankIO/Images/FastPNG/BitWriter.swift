/// Writes deflate's bit stream (least significant bit first) into memory
/// that the caller sized for the worst case: a 64-bit buffer, whole bytes
/// stored eight at a time, no bounds check per bit or per byte.
///
/// The contract that makes it safe: after `flush()` at most 7 bits are
/// pending, so up to 56 bits may be `put` before the next `flush()`; and
/// the memory extends at least 8 bytes past the last byte the stream can
/// reach, because `flush()` stores a whole 64-bit word.
struct BitWriter {
    /// The next byte to store.
    private(set) var out: UnsafeMutablePointer<UInt8>
    private var buffer: UInt64 = 0
    /// Bits in `buffer` not yet stored, at most 7 after `flush()`.
    private(set) var pending: Int = 0

    init(_ out: UnsafeMutablePointer<UInt8>) { self.out = out }

    /// Appends the low `count` bits of `bits` (higher bits must be zero).
    @inline(__always)
    mutating func put(_ bits: UInt64, _ count: Int) {
        buffer |= bits &<< UInt64(truncatingIfNeeded: pending)
        pending &+= count
    }

    /// Stores the whole bytes of the buffer.
    @inline(__always)
    mutating func flush() {
        UnsafeMutableRawPointer(out).storeBytes(of: buffer.littleEndian, as: UInt64.self)
        let bytes = pending &>> 3
        out += bytes
        buffer = buffer &>> UInt64(truncatingIfNeeded: bytes &<< 3)
        pending &= 7
    }

    /// Pads with zero bits to the next byte boundary and stores everything.
    mutating func alignToByte() {
        pending = (pending &+ 7) & ~7
        flush()
    }
}
