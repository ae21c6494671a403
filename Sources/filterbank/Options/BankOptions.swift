import ArgumentParser
import FilterBankIO
import FilterBankKit
import FilterBankRun

/// Where the bank comes from and its geometry: shared by every subcommand that
/// needs a bank (`apply`, `inspect`). `validate()` finds the usage errors
/// (conflicting or malformed options, exit status 64) without reading a
/// file; `source()` reads what the options name.
///
/// `--bank` takes a file, read by its extension (`.json`, `.npz`, `.mat`, any
/// case), or the name of a built-in bank (`edges`, `gradients`, `gabor:N`,
/// `blur-pyramid:N`, `compass`): a value with no `.` and no `/` is a name.
struct BankOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A bank file, read by its extension: .json ({\"depthwise\": {\"shape\": [kh,kw,C,M], \"values\": [...]}, optional \"pointwise\", \"bias\", \"strides\", \"padding\", \"dilations\"}), .npz (numpy.savez of depthwise/pointwise/bias arrays; Keras names, Keras arr_0..arr_2 and PyTorch state_dict names accepted), .safetensors (PyTorch state_dict; see --layer) or .mat (libvips matrix); or a built-in bank: edges, gradients, gabor:N, blur-pyramid:N, compass.",
        valueName: "file|name"))
    var bank: String?

    @Option(help: ArgumentHelp("Depthwise filter as a .npy array [kh, kw, C, M] (TensorFlow layout) or [C*M, 1, kh, kw] (--layout torch).", valueName: "dw.npy"))
    var depthwise: String?

    @Option(help: ArgumentHelp("Pointwise filter as a .npy array [1, 1, C*M, O] or [O, C*M, 1, 1] (--layout torch); needs --depthwise.", valueName: "pw.npy"))
    var pointwise: String?

    @Option(name: .customLong("kernel"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "A kernel applied to every input channel; repeat for more (M = number of kernels): sobel-x, gaussian:sigma=2, gabor:theta=45,sigma=3,lambda=8, or a literal \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\". 'filterbank kernels' lists them.",
        valueName: "spec"))
    var kernels: [String] = []

    @Option(help: ArgumentHelp("Layout of .npy/.npz/.safetensors weights: tf ([kh,kw,C,M], [1,1,C*M,O]) or torch ([C*M,1,kh,kw], [O,C*M,1,1]). Default: torch for state_dict names, tf for Keras names; arrays that read both ways for an input are refused until you say.", valueName: "tf|torch"))
    var layout: WeightLayout?

    @Option(help: ArgumentHelp("With a .npz/.safetensors --bank: the depthwise layer, PREFIX.weight [C*M,1,kh,kw] (Conv2d with groups=C) and its optional PREFIX.bias. 'filterbank inspect --bank FILE' lists the candidates.", valueName: "prefix"))
    var layer: String?

    @Option(name: .customLong("pointwise-layer"), help: ArgumentHelp("With --layer: the 1x1 layer after it, PREFIX.weight [O,C*M,1,1] and its optional PREFIX.bias.", valueName: "prefix"))
    var pointwiseLayer: String?

    @Flag(help: "Scale each depthwise kernel to sum 1 (kernels whose sum is zero, such as derivatives, are left as they are).")
    var normalize = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Add B to every output channel (replaces the bank's own bias or .mat offset).", valueName: "b"))
    var bias: Float?

    // `.unconditional`: a value such as -1 is taken as the value (and refused with the rule),
    // not as an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Strides SH,SW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "sh,sw"),
            transform: HeightWidthArgument.parse)
    var strides: HeightWidthArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("same, valid, or explicit pads T,B,L,R. Overrides the bank file. Default same.", valueName: "mode"),
            transform: PaddingArgument.parse)
    var padding: PaddingArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Dilations DH,DW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "dh,dw"),
            transform: HeightWidthArgument.parse)
    var dilations: HeightWidthArgument?

    @Option(help: ArgumentHelp("""
        What the padded area holds: zero (default, TensorFlow's), replicate, reflect (edge not repeated), \
        symmetric (edge repeated), wrap. Other libraries' names are accepted: \
        \(BorderMode.aliasHelp).
        """, valueName: "mode"), transform: BorderModeArgument.parse)
    var border: BorderModeArgument?

    /// The geometry the options give (nil where the bank's own applies).
    var geometry: ApplyJob.Geometry {
        ApplyJob.Geometry(strides: strides?.value, dilations: dilations?.value, padding: padding?.value,
                         border: border?.value ?? .zero)
    }

    /// What `--bank` names.
    enum BankKind: Equatable {
        case file(BankFile.Kind)
        case builtin(NamedBank)
    }

    /// Classifies a `--bank` value, or says why it is not one.
    static func bankKind(_ value: String) throws(ValidationError) -> BankKind {
        let last = value.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let isPath = value.contains("/") || last.dropFirst().contains(".")
        guard isPath else {
            do { return .builtin(try NamedBank(parsing: value)) } catch {
                throw ValidationError("--bank '\(value)': \(error.description); or give a .json, .npz, .safetensors or .mat file")
            }
        }
        if let kind = BankFile.Kind(path: value) { return .file(kind) }
        let ext = last.dropFirst().contains(".") ? String(last[last.index(after: last.lastIndex(of: ".")!)...]).lowercased() : ""
        if ext == "npy" {
            throw ValidationError("--bank takes a .json, .npz, .safetensors or .mat file or a built-in bank name; give .npy filters with --depthwise (and --pointwise)")
        }
        let what = ext.isEmpty ? "has no file extension" : "has the extension '.\(ext)'"
        throw ValidationError("--bank '\(value)' \(what): expected a .json, .npz, .safetensors or .mat file, or a built-in bank name (\(NamedBank.catalog.map(\.usage).joined(separator: ", ")))")
    }

    func validate() throws {
        if bank != nil && (depthwise != nil || pointwise != nil) {
            throw ValidationError("use either --bank or --depthwise/--pointwise, not both")
        }
        if !kernels.isEmpty && (bank != nil || depthwise != nil || pointwise != nil) {
            throw ValidationError("use either --kernel or --bank/--depthwise, not both")
        }
        if pointwise != nil && depthwise == nil {
            throw ValidationError("--pointwise needs --depthwise")
        }
        let kind = try bank.map(Self.bankKind)
        for text in kernels {
            do { _ = try KernelSpec(parsing: text) } catch {
                throw ValidationError("--kernel '\(text)': \(error.description)")
            }
        }
        let weightFile = kind == .file(.npz) || kind == .file(.safetensors)
        if let layout, depthwise == nil && !weightFile {
            throw ValidationError("--layout \(layout.rawValue) applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only")
        }
        if layer != nil && !weightFile {
            throw ValidationError("--layer picks a layer of a .npz or .safetensors --bank")
        }
        if pointwiseLayer != nil && layer == nil {
            throw ValidationError("--pointwise-layer needs --layer (the depthwise layer it follows)")
        }
        for (flag, value) in [("--layer", layer), ("--pointwise-layer", pointwiseLayer)] where value?.isEmpty == true {
            throw ValidationError("\(flag) needs a layer name prefix, such as 'features.1.conv.0'")
        }
        if let bias, !bias.isFinite { throw ValidationError("--bias must be a finite number, got \(bias)") }
    }

    /// Reads the bank the options name (the built-in `edges` when none), with
    /// `--normalize` and `--bias` applied. `validate()` has run.
    func source() throws(FileError) -> BankSource {
        let base: BankSource
        if let bank {
            if case let .builtin(named)? = try? Self.bankKind(bank) {
                base = .named(named)
            } else {
                base = try Self.naming(flags: { () throws(FileError) in try BankFile.source(path: bank, layout: layout, layers: layers) })
            }
        } else if let depthwise {
            base = try Self.naming(flags: { () throws(FileError) in
                try BankFile.loadNpy(depthwise: depthwise, pointwise: pointwise, layout: layout)
            })
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

    /// The layers `--layer` and `--pointwise-layer` name.
    var layers: LayerChoice { LayerChoice(layer: layer, pointwiseLayer: pointwiseLayer) }

    /// The library's hints about weight layouts and layers, in the flags that choose them.
    static let layoutHints = [("read it in the torch layout", "use --layout torch"),
                              ("read it in the tf layout", "use --layout tf"),
                              ("state the layout: tf or torch", "give --layout tf or --layout torch"),
                              ("pick the pointwise layer by its prefix", "pick it with --pointwise-layer PREFIX"),
                              ("pick the layer by its prefix", "pick one with --layer PREFIX")]

    /// `load`, with the library's layout hints in its error said as flags.
    static func naming(flags load: () throws(FileError) -> BankSource) throws(FileError) -> BankSource {
        do { return try load() } catch { throw naming(error) }
    }

    /// `error` with the library's layout and layer hints said as flags.
    static func naming(_ error: FileError) -> FileError {
        var message = error.message
        for (hint, flag) in layoutHints { message = message.replacing(hint, with: flag) }
        return FileError(path: error.path, message: message, isUsageError: error.isUsageError)
    }

    /// The options as a command line would spell them, for reports:
    /// `--bank gabor:8`, `--kernel sobel-x --kernel log --normalize`, `edges (the default)`.
    var displayName: String {
        var parts: [String] = []
        if let bank { parts.append("--bank \(bank)") }
        if let depthwise { parts.append("--depthwise \(depthwise)") }
        if let pointwise { parts.append("--pointwise \(pointwise)") }
        parts += kernels.map { $0.contains(" ") ? "--kernel \"\($0)\"" : "--kernel \($0)" }
        if parts.isEmpty { parts.append("edges (the default)") }
        if let layer { parts.append("--layer \(layer)") }
        if let pointwiseLayer { parts.append("--pointwise-layer \(pointwiseLayer)") }
        if let layout { parts.append("--layout \(layout.rawValue)") }
        if normalize { parts.append("--normalize") }
        if let bias { parts.append("--bias \(SpecText.number(bias))") }
        return parts.joined(separator: " ")
    }
}

extension WeightLayout: ExpressibleByArgument {}

/// A value that does not parse, said as the rule it breaks: ArgumentParser
/// prints it after "The value 'x' is invalid for '--option <name>': ".
struct ValueRule: Error, CustomStringConvertible {
    let description: String
}

struct HeightWidthArgument {
    let value: HeightWidth
    static let rule = "expected positive integers, N or H,W"

    static func parse(_ text: String) throws -> HeightWidthArgument {
        guard let value = HeightWidth(parsing: text) else { throw ValueRule(description: rule) }
        return HeightWidthArgument(value: value)
    }
}

struct PaddingArgument {
    let value: Padding
    static let rule = "expected same, valid, or four integers T,B,L,R (0 or more)"

    static func parse(_ text: String) throws -> PaddingArgument {
        guard let value = Padding(parsing: text) else { throw ValueRule(description: rule) }
        return PaddingArgument(value: value)
    }
}

struct BorderModeArgument {
    let value: BorderMode
    static var rule: String {
        "expected one of " + BorderMode.allCases.map(\.rawValue).joined(separator: ", ") + " (other libraries' names: see --help)"
    }

    static func parse(_ text: String) throws -> BorderModeArgument {
        guard let value = BorderMode(name: text) else { throw ValueRule(description: rule) }
        return BorderModeArgument(value: value)
    }
}

extension BorderMode {
    /// `alias = mode` for every alias that is not a mode's own name, for `--help`.
    static var aliasHelp: String {
        aliases.filter { $0.name != $0.mode.rawValue }.map { "\($0.name) = \($0.mode)" }.joined(separator: ", ")
    }
}
