import ArgumentParser
import Testing
import FilterBankIO
import FilterBankKit
import FilterBankTestSupport
@testable import filterbank

/// The bank options' rules, parsed in-process as swift-argument-parser's own
/// tests do: every usage error with its exact message, and what valid
/// combinations load.
@Suite struct BankOptionsTests {
    /// The one-line message a usage error prints, or nil when the arguments parse.
    static func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try BankOptions.parse(arguments)
            return nil
        } catch {
            return BankOptions.message(for: error)
        }
    }

    @Test(arguments: [
        (["--bank", "b.json", "--depthwise", "d.npy"], "use either --bank or --depthwise/--pointwise, not both"),
        (["--bank", "b.json", "--kernel", "sobel-x"], "use either --kernel or --bank/--depthwise, not both"),
        (["--depthwise", "d.npy", "--kernel", "sobel-x"], "use either --kernel or --bank/--depthwise, not both"),
        (["--pointwise", "p.npy"], "--pointwise needs --depthwise"),
        (["--bank", "bank.npy"], "--bank takes a .json, .npz, .safetensors or .mat file or a built-in bank name; give .npy filters with --depthwise (and --pointwise)"),
        (["--bank", "bank.txt"], "--bank 'bank.txt' has the extension '.txt': expected a .json, .npz, .safetensors or .mat file, or a built-in bank name (edges, gradients, gabor:N, blur-pyramid:N, compass)"),
        (["--bank", "banks/edges"], "--bank 'banks/edges' has no file extension: expected a .json, .npz, .safetensors or .mat file, or a built-in bank name (edges, gradients, gabor:N, blur-pyramid:N, compass)"),
        (["--bank", "gabr"], "--bank 'gabr': unknown bank 'gabr' (did you mean 'gabor'?); built-in banks: edges, gradients, gabor:N, blur-pyramid:N, compass; or give a .json, .npz, .safetensors or .mat file"),
        (["--bank", "gabor:100"], "--bank 'gabor:100': bank gabor: the argument must be an integer from 1 to 64, got '100'; or give a .json, .npz, .safetensors or .mat file"),
        (["--kernel", "sobel-x", "--kernel", "gaussian:sigma=-1"], "--kernel 'gaussian:sigma=-1': gaussian: sigma must be a positive number, got '-1'"),
        (["--kernel", "sobelx"], "--kernel 'sobelx': unknown kernel 'sobelx' (did you mean 'sobel-x'?); 'filterbank kernels' lists them all"),
        (["--bank", "b.json", "--layout", "torch"], "--layout torch applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only"),
        (["--kernel", "sobel-x", "--layout", "tf"], "--layout tf applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only"),
        (["--layout", "torch"], "--layout torch applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only"),
        (["--bias", "inf"], "--bias must be a finite number, got inf"),
    ])
    func usageErrors(_ arguments: [String], _ message: String) {
        #expect(Self.usageError(arguments) == message)
    }

    @Test func validCombinations() throws {
        for arguments in [[], ["--bank", "x.json"], ["--bank", "x.npz", "--layout", "torch"],
                          ["--depthwise", "d.npy", "--pointwise", "p.npy", "--layout", "torch"],
                          ["--bank", "x.mat", "--normalize", "--bias", "1"], ["--kernel", "sobel-x", "--kernel", "log", "--normalize"],
                          ["--bank", "blur-pyramid:3"], ["--kernel", "sobel-x"]] {
            #expect(Self.usageError(arguments) == nil, "\(arguments)")
        }
        let options = try BankOptions.parse(["--kernel", "sobel-x", "--kernel", "3x3: 1 2 1 2 4 2 1 2 1", "--normalize", "--bias", "-0.5"])
        #expect(options.displayName == #"--kernel sobel-x --kernel "3x3: 1 2 1 2 4 2 1 2 1" --normalize --bias -0.5"#)
        #expect(try BankOptions.parse([]).displayName == "edges (the default)")
    }

    /// The library says which layout would read a weight; the command line says it as the flag.
    @Test func layoutHintsNameTheFlag() throws {
        let torchPointwise = BankIOTestSupport.bank("torch_pw.npy"), tfPointwise = BankIOTestSupport.bank("separable_pw.npy")
        func message(_ arguments: [String]) throws -> String? {
            let options = try BankOptions.parse(arguments)
            do throws(FileError) { _ = try options.source(); return nil } catch { return error.description }
        }
        #expect(try message(["--depthwise", BankIOTestSupport.bank("separable_dw.npy"), "--pointwise", torchPointwise])
                == "\(torchPointwise): pointwise filter shape [4, 6, 1, 1] is invalid: expected [1, 1, C*M, O]; "
                + "this looks like PyTorch's [O, C*M, 1, 1]: use --layout torch")
        #expect(try message(["--depthwise", BankIOTestSupport.bank("torch_dw.npy"), "--pointwise", tfPointwise, "--layout", "torch"])
                == "\(tfPointwise): a PyTorch pointwise weight must be [O, C*M, 1, 1], got shape [1, 1, 3, 4]; "
                + "this looks like TensorFlow's [1, 1, C*M, O]: use --layout tf")
    }

    @Test func whatTheOptionsLoad() throws {
        #expect(try BankOptions.parse([]).source() == .edges)
        #expect(try BankOptions.parse(["--bank", "gabor:2"]).source() == .named(NamedBank(parsing: "gabor:2")))
        let separable = BankIOTestSupport.bank("separable.json")
        #expect(try BankOptions.parse(["--bank", separable]).source() == .file(try BankFile.load(path: separable)))
        let listed = try BankOptions.parse(["--kernel", "sobel-x", "--kernel", "3x3: -1,-2,-1, 0,0,0, 1,2,1"]).source()
        #expect(try listed.spec(channels: 3).depthwise == BankSource.edges.spec(channels: 3).depthwise)
        let adjusted = try BankOptions.parse(["--kernel", "box", "--normalize", "--bias", "2"]).source()
        #expect(try adjusted.spec(channels: 1).bias == [2])
        BankIOTestSupport.expectFileError("no such file", path: "/no/such.npz") {
            _ = try BankOptions.parse(["--bank", "/no/such.npz"]).source()
        }
    }

    @Test func bankKinds() throws {
        #expect(try BankOptions.bankKind("BANK.JSON") == .file(.json))
        #expect(try BankOptions.bankKind("dir.v2/bank.Npz") == .file(.npz))
        #expect(try BankOptions.bankKind("compass") == .builtin(NamedBank(parsing: "compass")))
    }
}
