import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Standard error on a real terminal (a pseudo-terminal): after SIGINT the bar
/// is cleared, the message is on a line of its own and nothing is drawn after it.
@Suite(.serialized) struct TerminalTests {
    final class Buffer: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        func append(_ chunk: ArraySlice<UInt8>) { bytes.withLock { $0 += chunk } }
        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    }

    #if canImport(Glibc)
    @Test func anInterruptLeavesTheCursorOnAFreshLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Enough work to be caught in the middle, made by nobody in this process: the 16-megapixel sample.
        let input = packageRoot.appendingPathComponent("SampleImages/large/jpeg-large-16mp-baseline-seeding.jpg").path
        // posix_openpt and friends are not imported from Glibc: /dev/ptmx and the two ioctls
        // they wrap (generic Linux values: TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned)).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        try #require(ioctl(master, 0x4004_5431, &unlock) == 0 && ioctl(master, 0x8004_5430, &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        try #require(slave >= 0)
        let process = Process()
        process.executableURL = try filterbankBinary()
        process.arguments = ["apply", input, "-o", dir.appendingPathComponent("out").path, "--bank", "gabor:4"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        try process.run()
        close(slave)
        let buffer = Buffer()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(master, &chunk, chunk.count)
                if n <= 0 { break }
                buffer.append(chunk[0..<n])
            }
            done.signal()
        }
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, !buffer.text.contains(" files "), Date() < deadline { usleep(5_000) }
        usleep(50_000)
        try #require(process.isRunning, "the run ended before it could be interrupted: \(buffer.text.debugDescription)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = done.wait(timeout: .now() + 10)
        let text = buffer.text
        #expect(process.terminationStatus == 130, "\(text.debugDescription)")
        let marker = try #require(text.range(of: "filterbank: error: interrupted by SIGINT"), "\(text.debugDescription)")
        #expect(text[..<marker.lowerBound].hasSuffix("\r\u{1B}[K"), "the bar is cleared first: \(text.debugDescription)")
        let after = text[marker.lowerBound...]
        // The terminal turns "\n" into "\r\n"; after that line, nothing: no bar drawn again.
        #expect(after.hasSuffix("\r\n") && after.unicodeScalars.filter({ $0 == "\n" }).count == 1 && !after.contains(" files "),
                "\(String(after).debugDescription)")
    }
    #endif
}
