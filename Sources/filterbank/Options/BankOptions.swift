import ArgumentParser
import FilterBankIO
import FilterBankRun
import FilterBankKit

/// Where the bank comes from and its geometry: shared by every subcommand that
/// needs a bank (`apply`, `inspect`). The rules live in `BankRequest`.
struct BankOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A bank file, read by its extension: .json ({\"depthwise\": {\"shape\": [kh,kw,C,M], \"values\": [...]}, optional \"pointwise\", \"bias\", \"strides\", \"padding\", \"dilations\"}), .npz (numpy.savez of depthwise/pointwise/bias arrays, Keras names accepted) or .mat (libvips matrix); or a built-in bank: edges, gradients, gabor:N, blur-pyramid:N, compass.",
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

    @Option(help: ArgumentHelp("Layout of .npy/.npz weights: tf ([kh,kw,C,M], [1,1,C*M,O]) or torch ([C*M,1,kh,kw], [O,C*M,1,1]). Default tf.", valueName: "tf|torch"))
    var layout: WeightLayout?

    @Flag(help: "Scale each depthwise kernel to sum 1 (kernels whose sum is zero, such as derivatives, are left as they are).")
    var normalize = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Add B to every output channel (replaces the bank's own bias or .mat offset).", valueName: "b"))
    var bias: Float?

    @Option(help: ArgumentHelp("Strides SH,SW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "sh,sw"))
    var strides: HeightWidthArgument?

    @Option(help: ArgumentHelp("same, valid, or explicit pads T,B,L,R. Overrides the bank file. Default same.", valueName: "mode"))
    var padding: PaddingArgument?

    @Option(help: ArgumentHelp("Dilations DH,DW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "dh,dw"))
    var dilations: HeightWidthArgument?

    @Option(help: ArgumentHelp("""
        What the padded area holds: zero (default, TensorFlow's), replicate, reflect (edge not repeated), \
        symmetric (edge repeated), wrap. Other libraries' names are accepted: \
        \(BorderMode.aliasHelp).
        """, valueName: "mode"))
    var border: BorderModeArgument?

    var request: BankRequest {
        BankRequest(bank: bank, depthwise: depthwise, pointwise: pointwise, kernels: kernels,
                    layout: layout, normalize: normalize, bias: bias)
    }

    func validate() throws {
        do { try request.validate() } catch { throw ValidationError(error.message) }
    }

    /// Loads the bank the options name (the built-in `edges` when none).
    func source() throws(FileError) -> BankSource {
        try request.load()
    }
}

extension WeightLayout: ExpressibleByArgument {}

struct HeightWidthArgument: ExpressibleByArgument {
    let value: HeightWidth
    init?(argument: String) {
        guard let value = HeightWidth(parsing: argument) else { return nil }
        self.value = value
    }
}

struct PaddingArgument: ExpressibleByArgument {
    let value: Padding
    init?(argument: String) {
        guard let value = Padding(parsing: argument) else { return nil }
        self.value = value
    }
}

struct BorderModeArgument: ExpressibleByArgument {
    let value: BorderMode
    init?(argument: String) {
        guard let value = BorderMode(name: argument) else { return nil }
        self.value = value
    }
}

extension BorderMode {
    /// `alias = mode` for every alias that is not a mode's own name, for `--help`.
    static var aliasHelp: String {
        aliases.filter { $0.name != $0.mode.rawValue }.map { "\($0.name) = \($0.mode)" }.joined(separator: ", ")
    }
}
