internal import CZlibShim
import FilterBankKit

/// A PNG file written band by band by filterbank's own deflate encoder
/// (`PNGCompression.fast`): the chunk writer, the zlib stream and the
/// splitting of a band over several cores. The blocks themselves are
/// `DeflateBlock`'s; the row filters `RowFilter`'s.
///
/// The file: the PNG signature, IHDR, then one IDAT chunk per deflate
/// block, then an IDAT holding the last block and the Adler-32, then IEND.
/// The zlib stream (RFC 1950, header `78 01`) is a dynamic Huffman block per
/// at most 64 KiB of filtered rows (`maximumBlockBytes`), each padded to a
/// byte boundary the way zlib's `Z_SYNC_FLUSH` does, and an empty final
/// block at the end. Each band gets one row filter, chosen on a sample of
/// its rows. Byte-aligned blocks can be encoded apart and concatenated: a
/// band's blocks are encoded up to `threads` at once (`Parallel.forEach`),
/// and their Adler-32s joined with zlib's `adler32_combine`. The CRC-32s
/// are zlib's; each block's Adler-32 is computed in the block's first pass
/// (`DeflateBlock`), 8 bytes at a time.
final class FastPNGStream {
    let path: String
    let width: Int
    let height: Int
    /// Bytes of one row of samples, without the filter type byte.
    let rowBytes: Int
    /// Bytes per pixel (the distance of PNG's Sub and Paeth filters), 1...8.
    let pixelBytes: Int
    let bitDepth: Int
    /// How many blocks of a band may be encoded at once (cores to use).
    let threads: Int
    private(set) var rowsWritten = 0

    /// A band is cut for several cores only into parts of at least this
    /// many bytes (unless the band is smaller). The tests set 1.
    let minimumSegmentBytes: Int
    static let defaultMinimumSegmentBytes = 64 * 1024
    /// Rows longer than this are refused (the block encoder counts in Int32, an IDAT holds < 2 GiB).
    static let maximumSegmentBytes = 1 << 30
    /// A deflate block holds at most this many bytes of filtered rows (or
    /// one row): the scratch memory of a writer, and the data each pass over
    /// a block reads again, stay within the L2 cache and under what zlib's
    /// level 1 needs (about 256 KiB). Each block costs a header of about 100
    /// bytes, 0.15 % of 64 KiB. The tests set less.
    let maximumBlockBytes: Int
    static let defaultMaximumBlockBytes = 64 * 1024

    /// How many rows of a band the filter choice looks at, and how much of each.
    /// (Each sampled row is filtered four ways and counted: with 4 rows of
    /// a 64-row band that was 5 % of a job's time; 2 choose the same.)
    static let sampleRows = 2
    static let sampleBytes = 4096
    private let sample = UnsafeMutablePointer<UInt8>.allocate(capacity: FastPNGStream.sampleBytes)
    private let histograms = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * 512)

    private var file: OpenFile?
    /// The raw row above the next band's first row (zeros above the image).
    private let previousRow: UnsafeMutablePointer<UInt8>
    /// Host-order 16-bit samples swapped to PNG's big-endian order, one band.
    private var swapped: UnsafeMutablePointer<UInt8>?
    private var swappedCapacity = 0
    private var segments: [Segment] = []
    private var adler: UInt32 = 1
    private var wroteHeader = false

    /// Creates `path` (or empties it; a symbolic link there is refused) and
    /// writes the signature and IHDR.
    convenience init(path: String, width: Int, height: Int, bitDepth: Int, colorType: PNGColorType,
                     threads: Int, minimumSegmentBytes: Int = defaultMinimumSegmentBytes,
                     maximumBlockBytes: Int = defaultMaximumBlockBytes) throws(ImageError) {
        let file: OpenFile
        do {
            file = try OpenFile.createOrTruncate(path)
        } catch {
            throw ImageError(path: path, kind: .cannotOpen, message: "PNG encode failed: \(error.message)")
        }
        try self.init(file: file, width: width, height: height, bitDepth: bitDepth, colorType: colorType,
                      threads: threads, minimumSegmentBytes: minimumSegmentBytes, maximumBlockBytes: maximumBlockBytes)
    }

    /// Writes the signature and IHDR to `file`, which the stream then owns
    /// (and closes): the caller passes a file of its own, or a duplicate.
    init(file: OpenFile, width: Int, height: Int, bitDepth: Int, colorType: PNGColorType,
         threads: Int, minimumSegmentBytes: Int = defaultMinimumSegmentBytes,
         maximumBlockBytes: Int = defaultMaximumBlockBytes) throws(ImageError) {
        let path = file.path
        self.path = path
        self.minimumSegmentBytes = max(1, minimumSegmentBytes)
        self.maximumBlockBytes = max(1, maximumBlockBytes)
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.threads = max(1, threads)
        pixelBytes = colorType.channels * bitDepth / 8
        rowBytes = width * pixelBytes
        guard rowBytes + 1 <= Self.maximumSegmentBytes else {
            throw ImageError(path: path, kind: .unsupported,
                             message: "PNG encode failed: rows of \(rowBytes) bytes are longer than the fast encoder takes (\(Self.maximumSegmentBytes - 1)); use another --png-compression")
        }
        previousRow = .allocate(capacity: rowBytes)
        previousRow.initialize(repeating: 0, count: rowBytes)
        self.file = file
        var header: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        Self.appendBigEndian(UInt32(width), to: &ihdr)
        Self.appendBigEndian(UInt32(height), to: &ihdr)
        let type: UInt8
        switch colorType {
        case .gray: type = 0
        case .rgb: type = 2
        case .grayAlpha: type = 4
        case .rgba: type = 6
        }
        ihdr += [UInt8(bitDepth), type, 0, 0, 0]  // deflate, adaptive filtering, not interlaced
        Self.appendChunk("IHDR", ihdr, to: &header)
        try write(header)
    }

    deinit {
        previousRow.deallocate()
        swapped?.deallocate()
        sample.deallocate()
        histograms.deallocate()
    }

    /// Encodes and writes the next `rows` rows, row `i` at `samples + i * rowStrideBytes`:
    /// 8-bit samples, or 16-bit samples in host order.
    func write(_ samples: UnsafeRawPointer, rowStrideBytes: Int, rows: Int) throws(ImageError) {
        precondition(rowsWritten + rows <= height, "more rows than the image has")
        guard rows > 0 else { return }
        guard file != nil else { throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: writer already closed") }
        let base = bitDepth == 16 ? UnsafePointer(swapToBigEndian(samples, rowStrideBytes: rowStrideBytes, rows: rows))
            : samples.assumingMemoryBound(to: UInt8.self)
        let stride = bitDepth == 16 ? rowBytes : rowStrideBytes

        // One filter for the band, chosen on a sample of its rows.
        let filter = RowFilter.choose(rows: rows, row: { base + $0 * stride }, above: previousRow, rowBytes: rowBytes,
                                      bpp: pixelBytes, samples: Self.sampleRows, sampleBytes: Self.sampleBytes,
                                      scratch: sample, histograms: histograms)

        // Blocks of whole rows, none over maximumBlockBytes (unless a row
        // is), and at least as many as the cores allow, none under
        // minimumSegmentBytes (unless the band is); encoded `count` at a time.
        let filteredRowBytes = rowBytes + 1
        let count = max(1, min(threads, rows, max(1, rows * filteredRowBytes / minimumSegmentBytes)))
        let rowsPerBlock = max(1, min(maximumBlockBytes / filteredRowBytes, (rows + count - 1) / count))
        let blocks = (rows + rowsPerBlock - 1) / rowsPerBlock
        while segments.count < min(count, blocks) { segments.append(Segment()) }

        let source = SharedMemory(base), above = SharedMemory(UnsafePointer(previousRow))
        let (rowBytes, pixelBytes) = (self.rowBytes, self.pixelBytes)
        var done = 0
        while done < blocks {
            let group = min(count, blocks - done)
            let first = !wroteHeader, firstBlock = done
            let jobs = Slots(Array(segments.prefix(group)))
            Parallel.forEach(group, workers: group) { s, _ in
                let start = (firstBlock + s) * rowsPerBlock, end = min(rows, start + rowsPerBlock)
                jobs[s].encode(rows: start..<end, base: UnsafePointer(source.pointer), stride: stride,
                               above: UnsafePointer(above.pointer), rowBytes: rowBytes, pixelBytes: pixelBytes,
                               filter: filter, zlibHeader: first && s == 0)
            }
            wroteHeader = true
            for s in 0..<group {
                let segment = segments[s]
                try write(UnsafeRawBufferPointer(start: segment.chunk, count: segment.chunkBytes))
                adler = czs_adler32_combine(adler, segment.adler, UInt64(segment.filteredBytes))
            }
            done += group
        }
        previousRow.update(from: base + (rows - 1) * stride, count: rowBytes)
        rowsWritten += rows
    }

    /// Ends the zlib stream (an empty final block, the Adler-32), writes IEND and closes the file.
    func finish() throws(ImageError) {
        guard let file else { throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: writer already closed") }
        precondition(rowsWritten == height, "not all rows were written")
        // BFINAL 1, BTYPE 1 (fixed codes), end of block (7 zero bits): 03 00.
        var end: [UInt8] = [0x03, 0x00]
        Self.appendBigEndian(adler, to: &end)
        var tail: [UInt8] = []
        Self.appendChunk("IDAT", end, to: &tail)
        Self.appendChunk("IEND", [], to: &tail)
        try write(tail)
        self.file = nil
        segments = []
        do {
            try file.close()
        } catch {
            throw ImageError(path: path, kind: .writeFailed, message: "PNG encode failed: \(error.message)")
        }
    }

    // MARK: - Bytes to the file

    private func write(_ bytes: [UInt8]) throws(ImageError) {
        var failure: ImageError?
        bytes.withUnsafeBytes { buffer in
            do throws(ImageError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(ImageError) {
        guard let file else { throw ImageError(path: path, kind: .internalError, message: "PNG encode failed: writer already closed") }
        do {
            try file.write(bytes)
        } catch {
            self.file = nil  // closed as it is; the caller removes it
            throw ImageError(path: path, kind: .writeFailed, message: "PNG encode failed: \(error.message)")
        }
    }

    private func swapToBigEndian(_ samples: UnsafeRawPointer, rowStrideBytes: Int, rows: Int) -> UnsafeMutablePointer<UInt8> {
        if swappedCapacity < rows * rowBytes {
            swapped?.deallocate()
            swappedCapacity = rows * rowBytes
            swapped = .allocate(capacity: swappedCapacity)
        }
        let out = swapped!
        for r in 0..<rows {
            let from = samples + r * rowStrideBytes
            let to = UnsafeMutableRawPointer(out + r * rowBytes)
            for i in 0..<(rowBytes / 2) {
                let value = from.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                to.storeBytes(of: value.bigEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        }
        return out
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// A whole chunk: length, type, data, CRC-32 of type and data.
    static func appendChunk(_ type: String, _ data: [UInt8], to bytes: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &bytes)
        let typed = Array(type.utf8) + data
        bytes += typed
        appendBigEndian(typed.withUnsafeBufferPointer { czs_crc32($0.baseAddress, $0.count) }, to: &bytes)
    }
}

/// The scratch memory and results of one block of a band: its filtered
/// rows, its deflate block, and the IDAT chunk that holds it, all grown to
/// the largest block seen and reused. Only one task touches a segment.
private final class Segment {
    private let block = DeflateBlock()
    /// Filtered rows: per row the filter type byte, then the filtered bytes.
    private var filtered = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var filteredCapacity = 1
    /// The IDAT chunk: length and type, (zlib header,) block, CRC-32.
    private(set) var chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var chunkCapacity = 1

    private(set) var chunkBytes = 0
    private(set) var filteredBytes = 0
    private(set) var adler: UInt32 = 1

    deinit {
        filtered.deallocate()
        chunk.deallocate()
    }

    /// Filters rows `rows` of the band (row `r` at `base + r * stride`, the
    /// row above row 0 at `above`) with `filter`, and encodes them as one
    /// IDAT chunk, the zlib header first if asked.
    func encode(rows: Range<Int>, base: UnsafePointer<UInt8>, stride: Int, above: UnsafePointer<UInt8>,
                rowBytes: Int, pixelBytes: Int, filter: RowFilter, zlibHeader: Bool) {
        let count = rows.count * (rowBytes + 1)
        if filteredCapacity < count {
            filtered.deallocate()
            filteredCapacity = count
            filtered = .allocate(capacity: count)
        }
        let worst = 8 + 2 + DeflateBlock.worstCaseBytes(count) + 4
        if chunkCapacity < worst {
            chunk.deallocate()
            chunkCapacity = worst
            chunk = .allocate(capacity: worst)
        }
        let first = rows.lowerBound
        func row(_ r: Int) -> UnsafePointer<UInt8> { base + (first + r) * stride }
        let top = first == 0 ? above : row(-1)
        for r in 0..<rows.count {
            let out = filtered + r * (rowBytes + 1)
            out[0] = filter.rawValue
            filter.apply(row(r), previous: r == 0 ? top : row(r - 1), count: rowBytes, bpp: pixelBytes, into: out + 1)
        }
        filteredBytes = count

        var data = chunk + 8
        if zlibHeader {
            // CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest; 0x7801 is a multiple of 31).
            data[0] = 0x78
            data[1] = 0x01
            data += 2
        }
        let blockBytes = block.encode(filtered, count: count, into: data)
        adler = block.adler
        let dataBytes = (zlibHeader ? 2 : 0) + blockBytes
        let length = UInt32(dataBytes)
        chunk[0] = UInt8(length >> 24)
        chunk[1] = UInt8((length >> 16) & 0xFF)
        chunk[2] = UInt8((length >> 8) & 0xFF)
        chunk[3] = UInt8(length & 0xFF)
        chunk[4] = 0x49  // IDAT
        chunk[5] = 0x44
        chunk[6] = 0x41
        chunk[7] = 0x54
        let crc = czs_crc32_update(0, chunk + 4, 4 + dataBytes)
        let end = chunk + 8 + dataBytes
        end[0] = UInt8(crc >> 24)
        end[1] = UInt8((crc >> 16) & 0xFF)
        end[2] = UInt8((crc >> 8) & 0xFF)
        end[3] = UInt8(crc & 0xFF)
        chunkBytes = 8 + dataBytes + 4
    }
}
