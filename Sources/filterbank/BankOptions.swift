import ArgumentParser
import FilterBankIO
import FilterBankKit

/// Where the bank comes from and its geometry: shared by every subcommand that
/// needs a bank.
struct BankOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON bank file: {\"depthwise\": {\"shape\": [kh,kw,C,M], \"values\": [...]}, optional \"pointwise\", \"strides\", \"padding\", \"dilations\"}.", valueName: "bank.json"))
    var bank: String?

    @Option(help: ArgumentHelp("Depthwise filter as a .npy array [kh, kw, C, M] (TensorFlow layout).", valueName: "dw.npy"))
    var depthwise: String?

    @Option(help: ArgumentHelp("Pointwise filter as a .npy array [1, 1, C*M, O]; needs --depthwise.", valueName: "pw.npy"))
    var pointwise: String?

    @Option(help: ArgumentHelp("Strides SH,SW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "sh,sw"))
    var strides: HeightWidthArgument?

    @Option(help: ArgumentHelp("same, valid, or explicit pads T,B,L,R. Overrides the bank file. Default same.", valueName: "mode"))
    var padding: PaddingArgument?

    @Option(help: ArgumentHelp("Dilations DH,DW (or one number for both). Overrides the bank file. Default 1,1.", valueName: "dh,dw"))
    var dilations: HeightWidthArgument?

    func validate() throws {
        if bank != nil && (depthwise != nil || pointwise != nil) {
            throw ValidationError("use either --bank or --depthwise/--pointwise, not both")
        }
        if pointwise != nil && depthwise == nil {
            throw ValidationError("--pointwise needs --depthwise")
        }
        if let bank, !bank.lowercased().hasSuffix(".json") {
            throw ValidationError("--bank takes a .json bank file, got '\(bank)'")
        }
    }

    /// Loads the bank the options name (the built-in `edges` when none).
    func source() throws(FileError) -> BankSource {
        if let bank { return .file(try BankFile.load(path: bank)) }
        if let depthwise { return .file(try BankFile.loadNpy(depthwise: depthwise, pointwise: pointwise)) }
        return .edges
    }
}

struct HeightWidthArgument: ExpressibleByArgument {
    let value: HeightWidth
    init?(argument: String) {
        guard let value = ArgumentValues.heightWidth(argument) else { return nil }
        self.value = value
    }
}

struct PaddingArgument: ExpressibleByArgument {
    let value: Padding
    init?(argument: String) {
        guard let value = ArgumentValues.padding(argument) else { return nil }
        self.value = value
    }
}
