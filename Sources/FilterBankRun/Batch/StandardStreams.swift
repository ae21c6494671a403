import FilterBankIO
import Foundation

/// `-` as an input (one image read from standard input) and as the output
/// folder (the run's one output written to standard output), around an
/// ordinary `BatchRun`:
///
/// - Standard input is copied to a private temporary folder first, as
///   `stdin.png`, `stdin.jpg` or `stdin.npy` after what its first bytes say it
///   is (anything else fails, naming what it is), so that every reader works
///   on it as on a file; outputs are then named `stdin_c<k>` (unless a name
///   template says otherwise), and messages and reports call it `standard input`.
/// - With `standardOutput`, the outputs go to a private temporary folder; an
///   input that would write more than one file is refused before any work, as
///   a usage error saying how many; the one file is copied to standard output
///   once it is complete, so standard output gets a whole file or nothing.
///   With a contact sheet, the sheet is that one output (no channel files).
/// The temporary folder is removed at the end.
enum StandardStreams {
    /// The input argument that means standard input.
    static let input = "-"
    /// How messages and reports name it.
    static let inputName = "standard input"

    static func run(_ batch: BatchRun) -> BatchSummary {
        var configuration = batch.configuration
        var job = batch.job
        var arguments = batch.arguments
        let console = batch.console
        func refuse(_ message: String) -> BatchSummary {
            console.write("\(console.program): error: \(message)\n")
            var summary = BatchSummary()
            summary.refused = message
            return summary
        }
        let scratch: String
        do {
            scratch = try makeScratchFolder()
        } catch {
            return refuse(error.description)
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        if arguments.contains(input) {
            if configuration.listFile == input {
                return refuse("\(inputName) is read once: use either - as an input or \(job.names.listFromStandardInput), not both")
            }
            switch spoolStandardInput(into: scratch) {
            case let .success(path):
                arguments = arguments.map { $0 == input ? path : $0 }
                configuration.displayNames[path] = inputName
            case let .failure(error):
                // Like a named file that is not an image: the input fails (exit status 1).
                console.write("\(console.program): error: \(error.description)\n")
                var summary = BatchSummary()
                summary.failed = 1
                return summary
            }
        }
        var outputFolder: String?
        if configuration.standardOutput {
            let folder = PathText.join(scratch, "out")
            outputFolder = folder
            job.output.directory = folder
            if job.output.montage != nil { job.output.channelFiles = false }
            configuration.standardOutput = false
            configuration.singleOutput = true
        }
        var summary = BatchRun(job: job, arguments: arguments, configuration: configuration, console: console).run()
        if let outputFolder, summary.exitStatus == 0 {
            let written = files(under: outputFolder)
            guard written.count == 1 else {
                // Every input was skipped or wrote nothing: nothing to send.
                if written.count > 1 { summary.failed += 1 }
                return summary
            }
            do throws(FileError) {
                try copyToStandardOutput(written[0])
            } catch {
                console.write("\(console.program): error: \(error.description)\n")
                summary.failed += 1
            }
        }
        return summary
    }

    /// A new folder only this process uses, under the system's temporary folder.
    static func makeScratchFolder() throws(FileError) -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array(PathText.join(base, "filterbank-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw FileError(path: base, message: "cannot create a temporary folder: \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Copies standard input to `folder/stdin.<ext>`, the extension from its
    /// first bytes, a chunk at a time (never the whole of it in memory).
    static func spoolStandardInput(into folder: String) -> Result<String, FileError> {
        let handle = FileHandle.standardInput
        func next() -> Data { (try? handle.read(upToCount: 1 << 20)) ?? Data() }
        var first = next()
        // A pipe may deliver fewer than 16 bytes at first.
        while first.count < 16 {
            let more = next()
            if more.isEmpty { break }
            first.append(more)
        }
        let ext: String
        switch InputFile.describeContents([UInt8](first.prefix(16))) {
        case "a PNG image": ext = "png"
        case "a JPEG image": ext = "jpg"
        case "a NumPy .npy array": ext = "npy"
        case let other:
            return .failure(FileError(path: inputName, message: "\(other) by its first bytes: only PNG, JPEG and .npy are read"))
        }
        let path = PathText.join(folder, "stdin." + ext)
        do throws(FileError) {
            let file = try OpenFile.createNew(path)
            var chunk = first
            while !chunk.isEmpty {
                try file.write([UInt8](chunk))
                chunk = next()
            }
            try file.close()
        } catch {
            return .failure(error)
        }
        return .success(path)
    }

    /// The regular files under `folder`, at any depth.
    static func files(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = PathText.join(folder, relative)
            if FileTree.status(path, followLinks: false)?.kind == .file { out.append(path) }
        }
        return out
    }

    static func copyToStandardOutput(_ path: String) throws(FileError) {
        let file = try OpenFile.forReading(path)
        let size = try file.regularFileSize()
        let out = try OpenFile.standardOutput()
        var offset = 0
        while offset < size {
            let chunk = try file.read(offset..<min(size, offset + (1 << 20)))
            try out.write(chunk)
            offset += chunk.count
        }
        try out.close()
    }
}
