import FilterBankIO
import FilterBankKit
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The fuzz targets: what one input is fed to.
///
/// A target passes when the API under test returns a value or throws its
/// typed error naming the file; anything else (a trap, an ASan report, a leak,
/// a timeout, an error that names another file or spans lines) is a finding.
enum FuzzTarget: String, CaseIterable {
    /// `ImageDecoder.decode(path:maxPixels:allowTruncated:)`: PNG and JPEG, told apart by their bytes.
    case image
    /// `NpyFile.decode(_:path:)` (in memory) against `NpyFile.readArray(path:)`
    /// (`pread` from the file): both must agree, value for value; then `readTensor`.
    case npy
    /// `BankFile.parse(data:path:)`.
    case bank
    /// `bank`, then every parsed bank planned (`ConvolutionPlan`) for a few small
    /// inputs and, when the output is small, run by `ConvolutionEngine` and
    /// `ReferenceConvolution`, which must agree.
    case bankPlan = "bank-plan"
    /// `NpzFile.decode(bytes:path:)` against `NpzFile.readArrays(path:)`, then
    /// `BankFile.loadNpz(path:layout:)` in both layouts, resolved for 1-3 channels.
    case npz
    /// `MatrixFile.load(path:)` against `parse(text:path:)`, then `MatrixFile.source(path:)`.
    case mat

    static let environmentKey = "FILTERBANK_FUZZ_TARGET"

    /// The scratch file's name: the decoders take paths, and some look at the suffix.
    var fileName: String {
        switch self {
        case .image: "input.img"
        case .npy: "input.npy"
        case .bank, .bankPlan: "input.json"
        case .npz: "input.npz"
        case .mat: "input.mat"
        }
    }
}

/// The state of one fuzzing process. libFuzzer calls `runOne` from one thread
/// at a time (`-jobs`/`-fork` use processes), so the unsynchronised globals
/// below are never raced.
enum Harness {
    nonisolated(unsafe) static var target = FuzzTarget.image
    /// The scratch file each input is written to, in a directory of its own.
    nonisolated(unsafe) static var path = ""
    nonisolated(unsafe) static var directory = ""

    /// Decodes stay small: 2^20 pixels (at most 16 MiB of Float). Larger headers
    /// must fail with `.tooLarge` before any pixel memory is allocated.
    static let maxPixels = 1 << 20

    static func start(_ target: FuzzTarget) {
        self.target = target
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/filterbank-fuzz.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            FileHandle.standardError.write(Data("filterbank-fuzz: cannot create a scratch directory in \(base)\n".utf8))
            exit(1)
        }
        directory = String(cString: made)
        path = directory + "/" + target.fileName
        atexit {
            unlink(Harness.path)
            rmdir(Harness.directory)
        }
    }

    static func runOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
        writeScratch(bytes)
        switch target {
        case .image: fuzzImage(size: bytes.count)
        case .npy: fuzzNpy(Data(bytes))
        case .bank: _ = fuzzBank(Data(bytes))
        case .bankPlan: if let spec = fuzzBank(Data(bytes)) { plan(spec) }
        case .npz: fuzzNpz([UInt8](bytes))
        case .mat: fuzzMat([UInt8](bytes))
        }
        runs += 1
        if runs % 4096 == 0 { checkDescriptors() }
        return 0
    }

    nonisolated(unsafe) static var runs = 0
    nonisolated(unsafe) static var baselineDescriptors = -1

    /// LeakSanitizer sees memory, not file descriptors: every 4096 inputs, the
    /// number of open descriptors must not have grown (a reader that forgets to
    /// close its file on some error path would leak one per such input).
    static func checkDescriptors() {
        guard let dir = opendir("/proc/self/fd") else { return }
        var count = 0
        while readdir(dir) != nil { count += 1 }
        closedir(dir)
        if baselineDescriptors < 0 { baselineDescriptors = count }
        guard count <= baselineDescriptors + 16 else {
            fatalError("file descriptors leak: \(count) open after \(runs) inputs, \(baselineDescriptors) after 4096")
        }
    }

    /// Replaces the scratch file's contents with `bytes`.
    static func writeScratch(_ bytes: UnsafeRawBufferPointer) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot write the scratch file \(path): errno \(errno)") }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("cannot write the scratch file \(path): errno \(errno)") }
            done += n
        }
        close(fd)
    }

    /// `FILTERBANK_FUZZ_ALLOW=multiline` lets error descriptions span lines (a known,
    /// reported finding) so that a run can look for other things meanwhile.
    static let allowed = (getenv("FILTERBANK_FUZZ_ALLOW").map { String(cString: $0) } ?? "").split(separator: ",")
    static let allowMultiline = allowed.contains("multiline")
    /// `FILTERBANK_FUZZ_ALLOW=huge-geometry`: `bank-plan` skips banks with a stride,
    /// dilation or pad over 2^32 (AxisGeometry.resolve traps on them: reported).
    static let skipHugeGeometry = allowed.contains("huge-geometry")

    /// A clean error: about this file, with a message, printed on one line (the
    /// `description` is what the tool prints; `message` may quote the file's
    /// bytes, which `description` escapes).
    static func checkError(path errorPath: String, message: String, description: String, from api: String) {
        guard errorPath == path else { fatalError("\(api) threw an error about '\(errorPath)', not '\(path)'") }
        guard !message.isEmpty else { fatalError("\(api) threw an empty message") }
        guard description.hasPrefix(path + ": "), allowMultiline || !description.contains(where: \.isNewline) else {
            fatalError("\(api) threw an error that does not print as one line: \(description.debugDescription)")
        }
    }

    // MARK: - Targets

    static func fuzzImage(size: Int) {
        do {
            // Half the inputs (by length) also accept truncated JPEGs, as `--fail-on error` does.
            let image = try ImageDecoder.decode(path: path, maxPixels: maxPixels, allowTruncated: size % 2 == 1)
            let shape = image.tensor.shape
            guard shape.batch == 1, shape.height > 0, shape.width > 0, (1...4).contains(shape.channels),
                  image.tensor.values.count == shape.count, shape.height * shape.width <= maxPixels,
                  image.bitDepth == 8 || image.bitDepth == 16 else {
                fatalError("ImageDecoder returned an inconsistent image: \(shape), \(image.bitDepth)-bit")
            }
            let inRange = image.tensor.values.withUnsafeBufferPointer { values in
                var ok = true
                for v in values where !(v >= 0 && v <= 1) { ok = false }
                return ok
            }
            guard inRange else { fatalError("ImageDecoder returned a sample outside [0, 1]") }
        } catch {
            checkError(path: error.path, message: error.message, description: error.description, from: "ImageDecoder.decode")
        }
    }

    static func fuzzNpy(_ data: Data) {
        let inMemory = Result { () throws(FileError) in try NpyFile.decode(data, path: path) }
        let fromFile = Result { () throws(FileError) in try NpyFile.readArray(path: path) }
        switch (inMemory, fromFile) {
        case let (.success(a), .success(b)):
            guard a.shape == b.shape, a.values.map(\.bitPattern) == b.values.map(\.bitPattern) else {
                fatalError("NpyFile.decode and readArray disagree: \(a.shape) vs \(b.shape)")
            }
            guard a.values.count == a.shape.reduce(1, *) else { fatalError("value count does not match \(a.shape)") }
        case let (.failure(a), .failure(b)):
            checkError(path: a.path, message: a.message, description: a.description, from: "NpyFile.decode")
            checkError(path: b.path, message: b.message, description: b.description, from: "NpyFile.readArray")
            guard a.message == b.message else {
                fatalError("NpyFile.decode and readArray fail differently: \(a.message) / \(b.message)")
            }
        case let (.success(a), .failure(b)):
            fatalError("NpyFile.decode read \(a.shape) but readArray failed: \(b.message)")
        case let (.failure(a), .success(b)):
            fatalError("NpyFile.readArray read \(b.shape) but decode failed: \(a.message)")
        }
        do {
            let tensor = try NpyFile.readTensor(path: path)
            guard tensor.values.count == tensor.shape.count, tensor.shape.count > 0 else {
                fatalError("readTensor returned \(tensor.shape) with \(tensor.values.count) values")
            }
        } catch {
            checkError(path: error.path, message: error.message, description: error.description, from: "NpyFile.readTensor")
        }
    }

    static func fuzzBank(_ data: Data) -> BankSpec? {
        do {
            return try BankFile.parse(data: data, path: path)
        } catch {
            checkError(path: error.path, message: error.message, description: error.description, from: "BankFile.parse")
            return nil
        }
    }

    static func fuzzNpz(_ bytes: [UInt8]) {
        let inMemory = Result { () throws(FileError) in try NpzFile.decode(bytes: bytes, path: path) }
        let fromFile = Result { () throws(FileError) in try NpzFile.readArrays(path: path) }
        switch (inMemory, fromFile) {
        case let (.success(a), .success(b)):
            guard a.map(\.name) == b.map(\.name), a.map(\.array.shape) == b.map(\.array.shape),
                  a.map({ $0.array.values.map(\.bitPattern) }) == b.map({ $0.array.values.map(\.bitPattern) }) else {
                fatalError("NpzFile.decode and readArrays disagree")
            }
        case let (.failure(a), .failure(b)):
            checkError(path: a.path, message: a.message, description: a.description, from: "NpzFile.decode")
            guard a == b else { fatalError("NpzFile.decode and readArrays fail differently: \(a.message) / \(b.message)") }
        default:
            fatalError("NpzFile.decode and readArrays disagree on success")
        }
        for layout in WeightLayout.allCases {
            do {
                let source = try BankFile.loadNpz(path: path, layout: layout)
                for channels in 1...3 { _ = try? source.spec(channels: channels) }
            } catch {
                checkError(path: error.path, message: error.message, description: error.description, from: "BankFile.loadNpz")
            }
        }
    }

    static func fuzzMat(_ bytes: [UInt8]) {
        do {
            let matrix = try MatrixFile.load(path: path)
            guard matrix.values.count == matrix.width * matrix.height, matrix.scale != 0,
                  matrix.values.allSatisfy(\.isFinite) else {
                fatalError("MatrixFile.load returned \(matrix.width)x\(matrix.height) with \(matrix.values.count) values")
            }
            if let text = String(bytes: bytes, encoding: .utf8) {
                guard (try? MatrixFile.parse(text: text, path: path)) == matrix else {
                    fatalError("MatrixFile.parse(text:) and load(path:) disagree")
                }
            }
        } catch {
            checkError(path: error.path, message: error.message, description: error.description, from: "MatrixFile.load")
        }
        do {
            let source = try MatrixFile.source(path: path)
            for channels in [1, 3] { _ = try? source.spec(channels: channels) }
        } catch {
            checkError(path: error.path, message: error.message, description: error.description, from: "MatrixFile.source")
        }
    }

    /// Plans a parsed bank for a few small inputs; runs it when the work is small.
    static func plan(_ spec: BankSpec) {
        let bank: FilterBank
        do { bank = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch {
            fatalError("BankFile.parse accepted a bank that does not resolve: \(error)")
        }
        let channels = bank.depthwise.inputChannels
        guard channels <= 64 else { return }
        if skipHugeGeometry {
            var steps = [bank.strides.height, bank.strides.width, bank.dilations.height, bank.dilations.width]
            if case let .explicit(t, b, l, r) = bank.padding { steps += [t, b, l, r] }
            if steps.contains(where: { $0 > 1 << 32 }) { return }
        }
        for (n, h, w) in [(1, 1, 1), (1, 5, 7), (2, 3, 2)] {
            let shape = TensorShape(batch: n, height: h, width: w, channels: channels)
            let plan: ConvolutionPlan
            do { plan = try ConvolutionPlan(input: shape, bank: bank) } catch { continue }
            let out = plan.output
            guard out.height >= 0, out.width >= 0 else { fatalError("plan for \(shape) gives output \(out)") }
            // Skip the run when the output or the work is large (overflow-safe products).
            let sizes = [out.batch, out.height, out.width, bank.outputChannels,
                         bank.depthwise.kernelHeight * bank.depthwise.kernelWidth + (bank.pointwise?.inputDepth ?? 0)]
            var work = 1
            for s in sizes {
                let (p, overflow) = work.multipliedReportingOverflow(by: max(s, 1))
                work = overflow ? Int.max : p
            }
            guard out.count <= 1 << 14, work <= 1 << 20 else { continue }
            compare(bank, plan: plan, input: shape)
        }
    }

    /// The engine against the reference loop, on a deterministic input in [0, 1].
    static func compare(_ bank: FilterBank, plan: ConvolutionPlan, input shape: TensorShape) {
        let values = (0..<shape.count).map { Float(($0 &* 2_654_435_761) % 1000) / 999 }
        let input = Tensor(shape: shape, values: values)
        let fast = ConvolutionEngine(plan: plan).apply(to: input, parallel: false)
        let slow: Tensor
        do { slow = try ReferenceConvolution.apply(bank, to: input) } catch {
            fatalError("the reference loop rejects a bank the plan accepted: \(error)")
        }
        guard fast.shape == slow.shape else { fatalError("engine \(fast.shape) vs reference \(slow.shape)") }
        // Rounding bound: every output is a sum of products of magnitude at most
        // sum|w| (depthwise) times sum|p| (pointwise), since inputs are in [0, 1].
        let dw = bank.depthwise.values.reduce(0) { $0 + Double(abs($1)) }
        let pw = bank.pointwise.map { $0.values.reduce(0) { $0 + Double(abs($1)) } } ?? 1
        let bias = bank.bias.map { $0.reduce(0) { $0 + Double(abs($1)) } } ?? 0
        let tolerance = 1e-4 * (1 + dw * max(pw, 1) + bias)
        guard tolerance.isFinite, tolerance < 1e30 else { return }
        for (a, b) in zip(fast.values, slow.values) where a.isFinite && b.isFinite {
            guard abs(Double(a) - Double(b)) <= tolerance else {
                fatalError("engine and reference disagree on \(shape): \(a) vs \(b) (tolerance \(tolerance))")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Harness.runOne(data, size)
}
