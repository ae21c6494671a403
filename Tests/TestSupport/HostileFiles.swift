import Foundation
import FilterBankIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Hostile inputs made in code (no blobs): small files that declare huge
/// images, repeat scans, inflate to far more than they hold, or break a
/// bank's limits. `scripts/make-hostile-files` writes the full-size versions
/// measured in docs/batch.md; these are the same kinds, sized for the tests.
public enum HostileFiles {
    // MARK: - Deflate, zlib, CRC

    /// A raw deflate stream (fixed Huffman codes) of `prefix` followed by
    /// `zeros` zero bytes: 13 bits per 258 zeros, so a few KB inflate to megabytes.
    public static func deflate(prefix: [UInt8], zeros: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)   // BFINAL
        bits.write(1, count: 2)   // BTYPE 01: fixed Huffman
        func literal(_ byte: UInt8) {
            if byte < 144 { bits.huffman(0x30 + Int(byte), length: 8) } else { bits.huffman(0x190 + Int(byte) - 144, length: 9) }
        }
        for byte in prefix { literal(byte) }
        var left = zeros
        if left > 0 { literal(0); left -= 1 }
        while left >= 258 {
            bits.huffman(0xC5, length: 8)   // length code 285: 258 bytes
            bits.huffman(0, length: 5)      // distance code 0: distance 1
            left -= 258
        }
        for _ in 0..<left { literal(0) }
        bits.huffman(0, length: 7)          // end of block (256)
        return bits.bytes
    }

    /// The zlib stream (as in a PNG's IDAT) of `prefix` and `zeros` zero bytes.
    public static func zlib(prefix: [UInt8], zeros: Int) -> [UInt8] {
        var a = 1, b = 0
        for byte in prefix { a = (a + Int(byte)) % 65521; b = (b + a) % 65521 }
        b = (b + a * (zeros % 65521)) % 65521
        let adler = UInt32(b) << 16 | UInt32(a)
        return [0x78, 0x01] + deflate(prefix: prefix, zeros: zeros) + bigEndian(adler)
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func bigEndian16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    struct BitWriter {
        var bytes: [UInt8] = []
        var used = 8
        /// `count` bits of `value`, least significant first (deflate's header fields).
        mutating func write(_ value: Int, count: Int) {
            for i in 0..<count { bit((value >> i) & 1) }
        }
        /// A Huffman code, most significant bit first.
        mutating func huffman(_ code: Int, length: Int) {
            for i in (0..<length).reversed() { bit((code >> i) & 1) }
        }
        mutating func bit(_ b: Int) {
            if used == 8 { bytes.append(0); used = 0 }
            bytes[bytes.count - 1] |= UInt8(b) << UInt8(used)
            used += 1
        }
    }

    // MARK: - PNG

    public static func pngChunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(kind.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// A PNG from its IHDR fields, chunks before the image data, and the IDAT stream.
    public static func png(width: Int, height: Int, depth: UInt8 = 8, color: UInt8 = 0,
                           beforeData: [UInt8] = [], idat: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += pngChunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [depth, color, 0, 0, 0])
        out += beforeData
        var offset = 0
        repeat {
            let end = min(idat.count, offset + (1 << 20))
            out += pngChunk("IDAT", Array(idat[offset..<end]))
            offset = end
        } while offset < idat.count
        return out + pngChunk("IEND", [])
    }

    /// A little-endian TIFF holding one tag, Orientation = `orientation`.
    public static func exif(orientation: Int) -> [UInt8] {
        [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, UInt8(orientation), 0, 0, 0, 0, 0, 0, 0]
    }

    // MARK: - JPEG

    /// Offsets of every marker segment before the first SOS: (marker, start, end).
    public static func jpegSegments(_ jpeg: [UInt8]) -> [(marker: UInt8, start: Int, end: Int)] {
        var i = 2, out: [(UInt8, Int, Int)] = []
        while i + 4 <= jpeg.count, jpeg[i] == 0xFF {
            let marker = jpeg[i + 1], length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            out.append((marker, i, i + 2 + length))
            if marker == 0xDA { break }
            i += 2 + length
        }
        return out
    }

    /// `jpeg` with its frame's size set to `width` x `height`, an EXIF APP1
    /// (orientation) after SOI when asked, and cut `keep` bytes after its first scan's header.
    public static func hugeTruncatedJPEG(from jpeg: [UInt8], width: Int, height: Int, orientation: Int? = nil,
                                         keep: Int = 16) -> [UInt8] {
        var bytes = jpeg
        for segment in jpegSegments(bytes) where (0xC0...0xC2).contains(segment.marker) {
            bytes.replaceSubrange((segment.start + 5)..<(segment.start + 9), with: bigEndian16(height) + bigEndian16(width))
        }
        if let orientation {
            let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + exif(orientation: orientation)
            bytes.insert(contentsOf: [0xFF, 0xE1] + bigEndian16(payload.count + 2) + payload, at: 2)
        }
        let sos = jpegSegments(bytes).last!
        return Array(bytes[..<min(bytes.count, sos.end + keep)])
    }

    /// A progressive gray JPEG header of `width` x `height` (SOF2, one DC
    /// scan), followed by a few bytes of scan data and no end.
    public static func progressiveHeader(width: Int, height: Int) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        out += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)                        // DQT
        out += [0xFF, 0xC2, 0x00, 0x0B, 0x08] + bigEndian16(height) + bigEndian16(width) + [1, 1, 0x11, 0]  // SOF2
        out += [0xFF, 0xC4, 0x00, 0x14, 0x00, 1] + [UInt8](repeating: 0, count: 15) + [0]                 // DHT: DC 0, one code
        out += [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 0, 0]                                              // SOS: DC first
        return out + [UInt8](repeating: 0, count: 16)
    }

    /// `jpeg` (progressive) with its smallest scan after the first repeated until it has `scans` scans.
    public static func repeatingScans(_ jpeg: [UInt8], to scans: Int) -> [UInt8] {
        var starts: [Int] = []
        var i = 0
        while i + 1 < jpeg.count {
            if jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA { starts.append(i) }
            i += 1
        }
        let end = jpeg.count - 2   // EOI
        let pieces = starts.indices.map { k in Array(jpeg[starts[k]..<(k + 1 < starts.count ? starts[k + 1] : end)]) }
        let smallest = pieces.dropFirst().min { $0.count < $1.count }!
        var out = Array(jpeg[..<end])
        for _ in 0..<max(0, scans - pieces.count) { out += smallest }
        return out + [0xFF, 0xD9]
    }

    // MARK: - Zip

    /// A zip archive of one deflated entry (sizes and CRC as given: the CRC
    /// is of the declared contents, which a reader refusing early never checks).
    public static func zip(name: String, deflated: [UInt8], size: Int, crc: UInt32) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        let nameBytes = Array(name.utf8)
        let common = le16(20) + le16(0) + le16(8) + le16(0) + le16(0) + le32(Int(crc)) + le32(deflated.count) + le32(size)
            + le16(nameBytes.count) + le16(0)
        let local = [0x50, 0x4B, 0x03, 0x04] + common + nameBytes + deflated
        let central = [0x50, 0x4B, 0x01, 0x02] + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(0) + nameBytes
        let end = [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(1) + le16(1) + le32(central.count) + le32(local.count) + le16(0)
        return local + central + end
    }

    /// A version 1.0 `.npy` header for a little-endian float32 array of `shape`.
    public static func npyHeader(shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8)
    }

    // MARK: - Running the binary

    /// How a child process ended and what it cost.
    public struct Measured {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Peak resident set size of the program itself, bytes (see `run`).
        public let peakRSS: Int
    }

    /// GNU time, which measures the peak RSS of a child it forks itself.
    public static let timeCommand = "/usr/bin/time"

    /// Runs `executable` with `arguments` under GNU time (`/usr/bin/time`,
    /// Debian's `time` package), for its exit status, output and peak RSS.
    /// `virtualMemoryLimit` (bytes) and `openFiles` run it under `ulimit -v`
    /// and `ulimit -n` through `/bin/sh`.
    ///
    /// Why not `wait4` on a child spawned from here: on Linux a process keeps
    /// the largest RSS it has had across `exec`, and a child made by
    /// `posix_spawn` (a vfork sharing this process's memory until its `exec`)
    /// starts with this test process's own high-water mark. Its `ru_maxrss`
    /// is then the larger of the two, and this process (every suite running
    /// in parallel) reached 159 MB in one run. GNU time is small and forks
    /// the program from itself, so the figure it prints is the program's.
    public static func run(_ executable: String, _ arguments: [String], virtualMemoryLimit: Int? = nil,
                           openFiles: Int? = nil) throws -> Measured {
        guard FileManager.default.isExecutableFile(atPath: timeCommand) else {
            throw NSError(domain: "the peak-RSS checks need \(timeCommand) (Debian: apt-get install time)", code: 1)
        }
        let dir = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(dir) }
        let outPath = dir + "/stdout", errPath = dir + "/stderr", timePath = dir + "/time"
        var argv = [timeCommand, "-f", "%M", "-o", timePath, executable] + arguments
        var limits: [String] = []
        if let limit = virtualMemoryLimit { limits.append("ulimit -v \(limit / 1024)") }
        if let files = openFiles { limits.append("ulimit -n \(files)") }
        if !limits.isEmpty {
            argv = ["/bin/sh", "-c", limits.joined(separator: " && ") + " && exec \"$0\" \"$@\""] + argv
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw NSError(domain: "posix_spawn", code: Int(spawned)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // GNU time exits with the program's status, 128 + N when signal N ended it.
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        // The last line is the kilobytes; a line before it may say how the program ended.
        let kilobytes = read(timePath).split(separator: "\n").last.flatMap { Int($0) }
        guard let kilobytes else { throw NSError(domain: "no peak RSS from \(timeCommand): \(read(timePath))", code: 1) }
        return Measured(status: code, stdout: read(outPath), stderr: read(errPath), peakRSS: kilobytes * 1024)
    }
}
