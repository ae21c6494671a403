internal import CZlibShim

/// A read-only zip archive held in memory: what a NumPy `.npz` file is.
///
/// Reads what `numpy.savez` (stored entries) and `numpy.savez_compressed`
/// (deflate entries) write, from the central directory (the local headers'
/// sizes are not trusted: NumPy writes them as zip64 placeholders). ZIP64
/// records are understood. Every offset and length is bounds-checked before
/// use; archives with more than `maximumEntries` entries, entries larger than
/// `maximumEntrySize`, deflate entries claiming a ratio over 1032:1 (more than
/// deflate can reach), encrypted entries, methods other than stored (0) and
/// deflate (8), multi-disk archives and duplicate names are refused; every
/// entry's CRC-32 is checked. Errors are one-line `FileError`s naming the
/// archive (and the entry).
struct ZipArchive {
    struct Entry: Equatable {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    static let maximumEntries = 10_000
    static let maximumEntrySize = 1 << 30

    let path: String
    let bytes: [UInt8]
    let entries: [Entry]

    /// Parses the directory of the archive in `bytes`; `path` names it in errors.
    init(bytes: [UInt8], path: String) throws(FileError) {
        self.path = path
        self.bytes = bytes
        entries = try Self.readDirectory(bytes, path: path)
    }

    // MARK: - Little-endian reading with bounds checks

    struct Reader {
        let bytes: [UInt8]
        let path: String

        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }

        /// The `count` bytes at `offset`, or a "truncated" error naming `what`.
        func check(_ offset: Int, _ count: Int, _ what: String) throws(FileError) {
            guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
                throw fail("truncated zip archive: \(what) at offset \(offset) runs past the end of the file (\(bytes.count) bytes)")
            }
        }

        func u16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
        func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32 }

        /// A 64-bit size or offset as an Int, refusing values beyond the file.
        func size(_ value: UInt64, _ what: String) throws(FileError) -> Int {
            guard value <= UInt64(Int.max) else { throw fail("\(what) \(value) is absurdly large") }
            return Int(value)
        }
    }

    static let endOfDirectorySignature: UInt32 = 0x0605_4B50
    static let zip64EndOfDirectorySignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let directorySignature: UInt32 = 0x0201_4B50
    static let localHeaderSignature: UInt32 = 0x0403_4B50

    static func readDirectory(_ bytes: [UInt8], path: String) throws(FileError) -> [Entry] {
        let r = Reader(bytes: bytes, path: path)
        guard bytes.count >= 4, r.u32(0) == localHeaderSignature || r.u32(0) == endOfDirectorySignature else {
            throw r.fail("not a zip archive (.npz): it does not start with a zip signature")
        }
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535.
        var eocd = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65535) {
            if r.u32(i) == endOfDirectorySignature, i + 22 + Int(r.u16(i + 20)) == bytes.count { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw r.fail("truncated or damaged zip archive: no end-of-central-directory record at its end")
        }
        var diskNumber = Int(r.u16(eocd + 4)), directoryDisk = Int(r.u16(eocd + 6))
        var entriesOnDisk = UInt64(r.u16(eocd + 8)), entryCount = UInt64(r.u16(eocd + 10))
        var directorySize = UInt64(r.u32(eocd + 12)), directoryOffset = UInt64(r.u32(eocd + 16))
        var directoryEnd = eocd

        // ZIP64: the 32-bit fields hold 0xFFFF(FFFF) and the real values are in the zip64 record.
        let locator = eocd - 20
        if locator >= 0, r.u32(locator) == zip64LocatorSignature {
            let recordOffset = try r.size(r.u64(locator + 8), "zip64 record offset")
            try r.check(recordOffset, 56, "the zip64 end-of-central-directory record")
            guard r.u32(recordOffset) == zip64EndOfDirectorySignature else {
                throw r.fail("damaged zip archive: the zip64 locator points at offset \(recordOffset), where there is no zip64 record")
            }
            diskNumber = Int(r.u32(recordOffset + 16))
            directoryDisk = Int(r.u32(recordOffset + 20))
            entriesOnDisk = r.u64(recordOffset + 24)
            entryCount = r.u64(recordOffset + 32)
            directorySize = r.u64(recordOffset + 40)
            directoryOffset = r.u64(recordOffset + 48)
            directoryEnd = recordOffset
        }
        guard diskNumber == 0, directoryDisk == 0, entriesOnDisk == entryCount else {
            throw r.fail("multi-disk (split) zip archives are not supported")
        }
        guard entryCount <= UInt64(maximumEntries) else {
            throw r.fail("the zip archive claims \(entryCount) entries, more than the \(maximumEntries) accepted")
        }
        let start = try r.size(directoryOffset, "central directory offset")
        let length = try r.size(directorySize, "central directory size")
        guard start <= directoryEnd, length <= directoryEnd - start else {
            throw r.fail("damaged zip archive: the central directory (offset \(start), \(length) bytes) runs past its end record at \(directoryEnd)")
        }

        var entries: [Entry] = []
        var p = start
        for index in 0..<Int(entryCount) {
            try r.check(p, 46, "central directory entry \(index)")
            guard p + 46 <= start + length, r.u32(p) == directorySignature else {
                throw r.fail("damaged zip archive: central directory entry \(index) at offset \(p) has no valid signature")
            }
            let flags = r.u16(p + 8), method = r.u16(p + 10)
            let crc = r.u32(p + 16)
            var compressed = UInt64(r.u32(p + 20)), uncompressed = UInt64(r.u32(p + 24))
            let nameLength = Int(r.u16(p + 28)), extraLength = Int(r.u16(p + 30)), commentLength = Int(r.u16(p + 32))
            var disk = UInt64(r.u16(p + 34))
            var localOffset = UInt64(r.u32(p + 42))
            let variable = nameLength + extraLength + commentLength
            guard p + 46 + variable <= start + length else {
                throw r.fail("damaged zip archive: central directory entry \(index) runs past the directory")
            }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw r.fail("damaged zip archive: central directory entry \(index) has a name with control characters")
            }
            // The zip64 extra field (id 1) holds, in this order, each of these that is 0xFFFFFFFF (0xFFFF for the disk).
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = r.u16(e), size = Int(r.u16(e + 2))
                guard e + 4 + size <= extraEnd else {
                    throw r.fail("damaged zip archive: entry '\(name)' has a malformed extra field")
                }
                if id == 1 {
                    var q = e + 4
                    func next() throws(FileError) -> UInt64 {
                        guard q + 8 <= e + 4 + size else {
                            throw r.fail("damaged zip archive: entry '\(name)' has a short zip64 extra field")
                        }
                        defer { q += 8 }
                        return r.u64(q)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                    if disk == 0xFFFF, q + 4 <= e + 4 + size { disk = UInt64(r.u32(q)) }
                }
                e += 4 + size
            }
            guard disk == 0 else { throw r.fail("multi-disk (split) zip archives are not supported") }
            guard flags & 0x41 == 0 else { throw r.fail("entry '\(name)' is encrypted, which is not supported") }
            guard method == 0 || method == 8 else {
                throw r.fail("entry '\(name)' uses compression method \(method); supported: 0 (stored, numpy.savez) and 8 (deflate, numpy.savez_compressed)")
            }
            guard uncompressed <= UInt64(maximumEntrySize) else {
                throw r.fail("entry '\(name)' claims \(uncompressed) bytes, more than the \(maximumEntrySize) accepted")
            }
            guard compressed <= UInt64(bytes.count) else {
                throw r.fail("entry '\(name)' claims \(compressed) compressed bytes, more than the file holds (\(bytes.count))")
            }
            if method == 0, compressed != uncompressed {
                throw r.fail("damaged zip archive: stored entry '\(name)' has compressed size \(compressed) but size \(uncompressed)")
            }
            if method == 8, uncompressed > compressed * 1032 + 1024 {
                throw r.fail("entry '\(name)' claims \(uncompressed) bytes from \(compressed) deflate bytes, more than deflate can produce")
            }
            guard !entries.contains(where: { $0.name == name }) else {
                throw r.fail("the zip archive holds two entries named '\(name)'")
            }
            entries.append(Entry(name: name, method: method, flags: flags, crc32: crc,
                                 compressedSize: Int(compressed), uncompressedSize: Int(uncompressed),
                                 localHeaderOffset: try r.size(localOffset, "local header offset")))
            p += 46 + variable
        }
        return entries
    }

    /// The first `count` uncompressed bytes of `entry` (all of them when it
    /// is shorter), not CRC-checked: what a reader needs to check a header
    /// before it inflates the rest.
    func prefix(of entry: Entry, count: Int) throws(FileError) -> [UInt8] {
        let want = min(count, entry.uncompressedSize)
        let (packed, r) = try packedData(of: entry)
        if entry.method == 0 { return Array(packed.prefix(want)) }
        guard !packed.isEmpty, want > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: want)
        var message = [CChar](repeating: 0, count: 256)
        var consumed = 0
        let status = packed.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                czs_inflate_raw(src.baseAddress!, src.count, dst.baseAddress!, want, &consumed, &message, message.count)
            }
        }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "Longer than the declared size" is what a prefix is: the buffer was filled.
        guard status == CZS_OK || (status == CZS_CORRUPT && text.hasPrefix("deflate data is longer")) else {
            throw r.fail("entry '\(entry.name)': \(text) (declared \(entry.uncompressedSize) bytes)")
        }
        return output
    }

    /// The stored (compressed) bytes of `entry`, after its local header is checked.
    private func packedData(of entry: Entry) throws(FileError) -> (ArraySlice<UInt8>, Reader) {
        let r = Reader(bytes: bytes, path: path)
        let name = entry.name
        let local = entry.localHeaderOffset
        try r.check(local, 30, "the local header of '\(name)'")
        guard r.u32(local) == Self.localHeaderSignature else {
            throw r.fail("damaged zip archive: entry '\(name)' has no local header at offset \(local)")
        }
        let nameLength = Int(r.u16(local + 26)), extraLength = Int(r.u16(local + 28))
        try r.check(local + 30, nameLength + extraLength, "the local header of '\(name)'")
        guard Array(bytes[(local + 30)..<(local + 30 + nameLength)]) == Array(name.utf8) else {
            throw r.fail("damaged zip archive: the local header of '\(name)' names another file")
        }
        let dataStart = local + 30 + nameLength + extraLength
        try r.check(dataStart, entry.compressedSize, "the data of '\(name)'")
        return (bytes[dataStart..<(dataStart + entry.compressedSize)], r)
    }

    /// The uncompressed bytes of `entry`, CRC-checked.
    func contents(of entry: Entry) throws(FileError) -> [UInt8] {
        let (packed, r) = try packedData(of: entry)
        let name = entry.name
        var output: [UInt8]
        if entry.method == 0 {
            output = Array(packed)
        } else {
            guard !packed.isEmpty else { throw r.fail("entry '\(name)': deflate data is truncated (0 bytes)") }
            output = [UInt8](repeating: 0, count: max(entry.uncompressedSize, 1))
            var message = [CChar](repeating: 0, count: 256)
            var consumed = 0
            let status = packed.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    czs_inflate_raw(src.baseAddress!, src.count, dst.baseAddress!, entry.uncompressedSize,
                                    &consumed, &message, message.count)
                }
            }
            guard status == CZS_OK else {
                let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw r.fail("entry '\(name)': \(text) (declared \(entry.uncompressedSize) bytes)")
            }
            output.removeLast(output.count - entry.uncompressedSize)
        }
        let crc = output.withUnsafeBufferPointer { czs_crc32($0.baseAddress, $0.count) }
        guard crc == entry.crc32 else {
            throw r.fail("entry '\(name)' fails its CRC-32 check (stored \(hex(entry.crc32)), computed \(hex(crc))): the archive is corrupt")
        }
        return output
    }

    private func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
