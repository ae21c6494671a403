import FilterBankIO
import FilterBankKit

/// What the bank options of a command ask for, before anything is read:
/// the command line's `--bank`, `--depthwise`, `--pointwise`, `--kernel`,
/// `--layout`, `--normalize` and `--bias`. `validate()` finds usage errors
/// (conflicting or malformed options, exit status 64); `load()` reads the files.
///
/// `--bank` takes a file, read by its extension (`.json`, `.npz`, `.mat`, any
/// case), or the name of a built-in bank (`edges`, `gradients`, `gabor:N`,
/// `blur-pyramid:N`, `compass`): a value with no `.` and no `/` is a name.
public struct BankRequest: Sendable, Equatable {
    public var bank: String?
    public var depthwise: String?
    public var pointwise: String?
    public var kernels: [String]
    /// `nil` = not given (TensorFlow layout).
    public var layout: WeightLayout?
    public var normalize: Bool
    public var bias: Float?

    public init(bank: String? = nil, depthwise: String? = nil, pointwise: String? = nil, kernels: [String] = [],
                layout: WeightLayout? = nil, normalize: Bool = false, bias: Float? = nil) {
        self.bank = bank
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.kernels = kernels
        self.layout = layout
        self.normalize = normalize
        self.bias = bias
    }

    /// The options as a command line would spell them, for reports:
    /// `--bank gabor:8`, `--kernel sobel-x --kernel log --normalize`, `edges (the default)`.
    public var displayName: String {
        var parts: [String] = []
        if let bank { parts.append("--bank \(bank)") }
        if let depthwise { parts.append("--depthwise \(depthwise)") }
        if let pointwise { parts.append("--pointwise \(pointwise)") }
        parts += kernels.map { $0.contains(" ") ? "--kernel \"\($0)\"" : "--kernel \($0)" }
        if parts.isEmpty { parts.append("edges (the default)") }
        if let layout { parts.append("--layout \(layout.rawValue)") }
        if normalize { parts.append("--normalize") }
        if let bias { parts.append("--bias \(SpecText.number(bias))") }
        return parts.joined(separator: " ")
    }

    /// What `--bank` names.
    public enum BankKind: Sendable, Equatable {
        case json, npz, mat
        case builtin(NamedBank)
    }

    /// Classifies a `--bank` value, or says why it is not one.
    public static func bankKind(_ value: String) throws(BankRequestError) -> BankKind {
        let last = value.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let isPath = value.contains("/") || last.dropFirst().contains(".")
        guard isPath else {
            do { return .builtin(try NamedBank(parsing: value)) } catch {
                throw BankRequestError("--bank '\(value)': \(error.description); or give a .json, .npz or .mat file")
            }
        }
        let ext = last.dropFirst().contains(".") ? String(last[last.index(after: last.lastIndex(of: ".")!)...]).lowercased() : ""
        switch ext {
        case "json": return .json
        case "npz": return .npz
        case "mat": return .mat
        case "npy":
            throw BankRequestError("--bank takes a .json, .npz or .mat file or a built-in bank name; give .npy filters with --depthwise (and --pointwise)")
        default:
            let what = ext.isEmpty ? "has no file extension" : "has the extension '.\(ext)'"
            throw BankRequestError("--bank '\(value)' \(what): expected a .json, .npz or .mat file, or a built-in bank name (\(NamedBank.catalog.map(\.usage).joined(separator: ", ")))")
        }
    }

    /// Checks the combination and the spellings, reading no file.
    public func validate() throws(BankRequestError) {
        if bank != nil && (depthwise != nil || pointwise != nil) {
            throw BankRequestError("use either --bank or --depthwise/--pointwise, not both")
        }
        if !kernels.isEmpty && (bank != nil || depthwise != nil || pointwise != nil) {
            throw BankRequestError("use either --kernel or --bank/--depthwise, not both")
        }
        if pointwise != nil && depthwise == nil {
            throw BankRequestError("--pointwise needs --depthwise")
        }
        var kind: BankKind? = nil
        if let bank { kind = try Self.bankKind(bank) }
        for text in kernels {
            do { _ = try KernelSpec(parsing: text) } catch {
                throw BankRequestError("--kernel '\(text)': \(error.description)")
            }
        }
        if let layout {
            let takesLayout = depthwise != nil || kind == .npz
            if !takesLayout {
                throw BankRequestError("--layout \(layout.rawValue) applies to .npy filters (--depthwise/--pointwise) and .npz banks only")
            }
        }
        if let bias, !bias.isFinite { throw BankRequestError("--bias must be a finite number, got \(bias)") }
    }

    /// Reads what the options name (the built-in `edges` when nothing is
    /// named), with `--normalize` and `--bias` applied. Call `validate()`
    /// first: a usage error found here is reported as a `FileError` about the option.
    public func load() throws(FileError) -> BankSource {
        do { try validate() } catch { throw FileError(path: "bank options", message: error.message) }
        let layout = layout ?? .tf
        let base: BankSource
        if let bank {
            switch try? Self.bankKind(bank) {
            case .json?: base = .file(try BankFile.load(path: bank))
            case .npz?: base = try BankFile.loadNpz(path: bank, layout: layout)
            case .mat?: base = try MatrixFile.source(path: bank)
            case let .builtin(named)?: base = .named(named)
            case nil: preconditionFailure("validated above")
            }
        } else if let depthwise {
            base = try BankFile.loadNpy(depthwise: depthwise, pointwise: pointwise, layout: layout)
        } else if !kernels.isEmpty {
            var list: [Kernel] = []
            for text in kernels {
                do { list.append(try KernelSpec(parsing: text).kernel) } catch {
                    throw FileError(path: "--kernel", message: error.description)
                }
            }
            base = .kernels(list, name: nil)
        } else {
            base = .edges
        }
        return base.adjusted(normalize: normalize, bias: bias)
    }
}

/// A usage error in the bank options: one line, for the command line to print
/// as a usage error (exit status 64).
public struct BankRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
