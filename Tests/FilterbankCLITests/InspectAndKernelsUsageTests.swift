import ArgumentParser
import Testing
import FilterBankKit
@testable import filterbank

/// Every usage error of `filterbank inspect`, parsed in-process through
/// `Inspect.parse`: the exact message and exit status 64. The bank options are
/// apply's (BankOptionsTests, ApplyUsageTests); a few are checked here to show
/// that inspect validates them too.
@Suite struct InspectUsageTests {
    static func usageError(_ arguments: [String]) -> (message: String, code: Int32)? {
        UsageErrors.parse(Inspect.self, arguments)
    }

    @Test(arguments: [
        (["--input", "a.png", "--input-shape", "5x5x3"], "use either --input or --input-shape, not both"),
        (["--input-shape", "5x5x3", "--input", "a.npy", "--json"], "use either --input or --input-shape, not both"),
        (["--input-shape", "5x5"], "The value '5x5' is invalid for '--input-shape <hxwxc>'"),
        (["--input-shape", "0x5x3"], "The value '0x5x3' is invalid for '--input-shape <hxwxc>'"),
        (["--input-shape", "1x2x5x5x3"], "The value '1x2x5x5x3' is invalid for '--input-shape <hxwxc>'"),
        (["--input-shape", "5*5*3"], "The value '5*5*3' is invalid for '--input-shape <hxwxc>'"),
        (["--input-shape", ""], "The value '' is invalid for '--input-shape <hxwxc>'"),
        (["--input-shape"], "Missing value for '--input-shape <hxwxc>'"),
        (["--input"], "Missing value for '--input <image>'"),
        (["--json=yes"], "The option '--json' does not take any value, but 'yes' was specified."),
        (["--inputs", "a.png"], "Unknown option '--inputs'. Did you mean '--input'?"),
        (["-o", "out"], "Unknown option '-o'"),
        (["a.png"], "Unexpected argument 'a.png'"),
        (["a.png", "b.png"], "2 unexpected arguments: 'a.png', 'b.png'"),
        // The bank options, validated by inspect as by apply.
        (["--pointwise", "p.npy"], "--pointwise needs --depthwise"),
        (["--bank", "gabor:0"], "--bank 'gabor:0': bank gabor: the argument must be an integer from 1 to 64, got '0'; or give a .json, .npz, .safetensors or .mat file"),
        (["--kernel", "sobelx"], "--kernel 'sobelx': unknown kernel 'sobelx' (did you mean 'sobel-x'?); 'filterbank kernels' lists them all"),
        (["--bias", "inf"], "--bias must be a finite number, got inf"),
        (["--strides", "0"], "The value '0' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--padding", "full"], "The value 'full' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--dilations", "-1"], "The value '-1' is invalid for '--dilations <dh,dw>': expected positive integers, N or H,W"),
        (["--border", "nope"], "The value 'nope' is invalid for '--border <mode>': expected one of zero, replicate, reflect, symmetric, wrap (other libraries' names: see --help)"),
        (["--layout", "pytorch"], "The value 'pytorch' is invalid for '--layout <tf|torch>'. Please provide one of 'tf' and 'torch'."),
        // apply's own options are not inspect's.
        (["--format", "npy"], "Unknown option '--format'"),
    ] as [([String], String)])
    func usageErrors(_ arguments: [String], _ message: String) throws {
        let error = try #require(Self.usageError(arguments), "\(arguments) parsed")
        #expect(error.message == message)
        #expect(error.code == UsageErrors.exitCode)
    }

    @Test func validCommandLines() throws {
        let shape = try Inspect.parse(["--input-shape", "5x5x3", "--bank", "compass", "--strides", "2,1", "--padding", "valid"])
        #expect(shape.inputShape?.value == TensorShape(batch: 1, height: 5, width: 5, channels: 3))
        #expect(shape.input == nil && !shape.json)
        #expect(shape.bankOptions.strides?.value == HeightWidth(2, 1) && shape.bankOptions.padding?.value == .valid)
        #expect(try Inspect.parse(["--input-shape", "2X4X6X1"]).inputShape?.value == TensorShape(batch: 2, height: 4, width: 6, channels: 1))
        let file = try Inspect.parse(["--input", "photo.jpg", "--json", "--kernel", "sobel-x", "--kernel", "log:2"])
        #expect(file.input == "photo.jpg" && file.json && file.inputShape == nil)
        #expect(file.bankOptions.kernels == ["sobel-x", "log:2"])
        // No input at all is fine: the report leaves out what needs one.
        #expect(Self.usageError([]) == nil)
        #expect(Self.usageError(["--bank", "edges"]) == nil)
    }
}

/// Every usage error of `filterbank kernels [spec ...]`, parsed in-process
/// through `Kernels.parse`: each kind of bad spec, quoted, with exit status 64.
@Suite struct KernelsUsageTests {
    static func usageError(_ arguments: [String]) -> (message: String, code: Int32)? {
        UsageErrors.parse(Kernels.self, arguments)
    }

    @Test(arguments: [
        ([""], "'': empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""),
        (["   "], "'   ': empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""),
        (["sobelx"], "'sobelx': unknown kernel 'sobelx' (did you mean 'sobel-x'?); 'filterbank kernels' lists them all"),
        (["zzz"], "'zzz': unknown kernel 'zzz'; 'filterbank kernels' lists them all"),
        (["sobel-x", "gausian:2"], "'gausian:2': unknown kernel 'gausian' (did you mean 'gaussian'?); 'filterbank kernels' lists them all"),
        (["gaussian:sgima=2"], "'gaussian:sgima=2': gaussian has no parameter 'sgima' (its parameters: sigma, size)"),
        (["sobel-x:3"], "'sobel-x:3': sobel-x takes no parameters, got '3'"),
        (["gaussian:sigma=1,sigma=2"], "'gaussian:sigma=1,sigma=2': gaussian: parameter 'sigma' is given twice"),
        (["gaussian:1,2"], "'gaussian:1,2': gaussian: argument 2 '2' needs a name, as in name=value (only the first may omit it; parameters: sigma, size)"),
        (["gaussian:"], "'gaussian:': gaussian: argument 1 is empty"),
        (["gaussian:sigma=1,"], "'gaussian:sigma=1,': gaussian: argument 2 is empty"),
        (["gaussian:sigma=-1"], "'gaussian:sigma=-1': gaussian: sigma must be a positive number, got '-1'"),
        (["gaussian:size=256"], "'gaussian:size=256': gaussian: size must be an integer from 1 to 255, got '256'"),
        (["gaussian:sigma=100"], "'gaussian:sigma=100': gaussian: the default size 2*ceil(3*sigma)+1 = 601 exceeds the maximum 255; use a smaller value"),
        (["0x3: 1"], "'0x3: 1': kernel literal: the size '0x3' must be WxH with positive integers, as in 3x3:"),
        (["300x1: 1"], "'300x1: 1': kernel literal: the size 300x1 exceeds the maximum 255x255"),
        (["3x1: 1, x, 1"], "'3x1: 1, x, 1': kernel literal: value 2 'x' is not a number"),
        (["1x1: inf"], "'1x1: inf': kernel literal: value 1 'inf' is not a finite number"),
        (["3x3: 1,2"], "'3x3: 1,2': kernel literal 3x3 needs 9 values, got 2"),
        (["1 2"], "'1 2': kernel literal has 2 values, not an odd square (1, 9, 25, 49, ...): give its size first, as in WxH: v1, v2, ..."),
        // A literal that starts with a minus sign reads as an option; `--` before it avoids that.
        (["-1 0 1 -2 0 2 -1 0 1"], "Unknown option '-1 0 1 -2 0 2 -1 0 1'"),
        (["--all"], "Unknown option '--all'"),
    ] as [([String], String)])
    func usageErrors(_ arguments: [String], _ message: String) throws {
        let error = try #require(Self.usageError(arguments), "\(arguments) parsed")
        #expect(error.message == message)
        #expect(error.code == UsageErrors.exitCode)
    }

    @Test func validSpecs() throws {
        #expect(try Kernels.parse([]).specs.isEmpty)
        let specs = ["sobel-x", "gaussian:sigma=1.5", "2x1: -1, 1", "gabor:theta=45,sigma=3,lambda=8", "1 2 1 2 4 2 1 2 1"]
        #expect(try Kernels.parse(specs).specs == specs)
        #expect(try Kernels.parse(["--", "-1 0 1 -2 0 2 -1 0 1"]).specs == ["-1 0 1 -2 0 2 -1 0 1"])
    }
}
