import ArgumentParser
import Testing
import FilterBankIO
import FilterBankKit
import FilterBankRun
@testable import filterbank

/// Every usage error `filterbank apply` can give before it reads a file, parsed
/// in-process through `Apply.parse`: the exact message and exit status 64.
/// The messages of the `validate()` rules are ours; those of malformed values,
/// unknown options and missing arguments are swift-argument-parser's, as it
/// words them today. BankOptionsTests has the bank rules that are not here.
@Suite struct ApplyUsageTests {
    /// An input and an output folder: the least a valid `apply` needs.
    static let minimal = ["in.png", "-o", "out"]

    /// The message and exit status of the usage error `arguments` give, or nil when they parse.
    static func usageError(_ arguments: [String]) -> (message: String, code: Int32)? {
        UsageErrors.parse(Apply.self, arguments)
    }

    /// `Apply.parse(minimal + extra)`, which must succeed.
    static func parsed(_ extra: [String]) throws -> Apply {
        try Apply.parse(minimal + extra)
    }

    static func expectUsageError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = try #require(usageError(arguments), "\(arguments) parsed", sourceLocation: sourceLocation)
        #expect(error.message == message, "\(arguments)", sourceLocation: sourceLocation)
        #expect(error.code == UsageErrors.exitCode, "\(arguments)", sourceLocation: sourceLocation)
    }

    // MARK: - validate() rules

    @Test(arguments: [
        (["-o", "out"], "give at least one input file"),
        (["-o", "out", "--recursive"], "give at least one input file"),
        (["--output", "out", "--report", "run.jsonl"], "give at least one input file"),
    ] as [([String], String)])
    func noInputs(_ arguments: [String], _ message: String) throws {
        try Self.expectUsageError(arguments, message)
    }

    @Test(arguments: [
        (["--jobs", "0"], "--jobs must be at least 1, got 0"),
        (["-j", "0"], "--jobs must be at least 1, got 0"),
        (["--jobs=-2"], "--jobs must be at least 1, got -2"),
        (["--max-pixels", "0"], "--max-pixels must be at least 1, got 0"),
        (["--max-pixels=-1"], "--max-pixels must be at least 1, got -1"),
        (["--max-memory", "1X"], "--max-memory must be a size of at least 16M (bytes, or a number with K, M or G), got '1X'"),
        (["--max-memory", "8M"], "--max-memory must be a size of at least 16M (bytes, or a number with K, M or G), got '8M'"),
        (["--max-memory", "99999999999G"], "--max-memory must be a size of at least 16M (bytes, or a number with K, M or G), got '99999999999G'"),
        (["--max-scans", "0"], "--max-scans must be at least 1, got 0"),
        (["--shard", "4/4"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '4/4'"),
        (["--shard", "0/0"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '0/0'"),
        (["--shard", "1"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '1'"),
        (["--shard", "a/b"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got 'a/b'"),
        (["--shard", "1/2/3"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '1/2/3'"),
        (["--shard=-1/4"], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '-1/4'"),
        (["--shard", ""], "--shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got ''"),
        (["--progress", "--quiet"], "--progress and --quiet cannot be used together"),
        (["-q", "--progress"], "--progress and --quiet cannot be used together"),
        (["--from", ""], "--from needs a file name, or - for standard input"),
        (["--report", ""], "--report needs a file name, or - for standard output"),
    ] as [([String], String)])
    func batchOptionErrors(_ extra: [String], _ message: String) throws {
        try Self.expectUsageError(Self.minimal + extra, message)
    }

    /// `--from` stands in for the inputs, so an empty one is reported as such, not as "no inputs".
    @Test func emptyFromWithoutInputs() throws {
        try Self.expectUsageError(["-o", "out", "--from", ""], "--from needs a file name, or - for standard input")
    }

    @Test(arguments: [
        (["--bit-depth", "12"], "--bit-depth must be 8 or 16, got 12"),
        (["--bit-depth", "0"], "--bit-depth must be 8 or 16, got 0"),
        (["--format", "npy", "--bit-depth", "12"], "--bit-depth must be 8 or 16, got 12"),
        (["--scale", "inf"], "--scale and --offset must be finite numbers"),
        (["--scale", "nan"], "--scale and --offset must be finite numbers"),
        (["--offset", "inf"], "--scale and --offset must be finite numbers"),
        (["--offset=-inf"], "--scale and --offset must be finite numbers"),
        (["--name", "{stem}/{channel}"], "name template '{stem}/{channel}' must not contain '/'"),
        (["--name", "{stem"], "name template '{stem' has an unclosed '{'"),
        (["--name", "{stem}_{k}"], "name template '{stem}_{k}' has an unknown field {k}; fields: {stem}, {channel}, {n}, {c}, {m}, {kernel}"),
        (["--name", ""], "name template is empty"),
        (["--format", "npy", "--bit-depth", "16"], "--format npy writes the float tensor as it is: --bit-depth, --name and --stats apply to image formats"),
        (["--format", "npy", "--name", "{stem}"], "--format npy writes the float tensor as it is: --bit-depth, --name and --stats apply to image formats"),
        (["--format", "npy", "--stats"], "--format npy writes the float tensor as it is: --bit-depth, --name and --stats apply to image formats"),
        (["--format", "jpeg", "--bit-depth", "16"], "--format jpeg is 8-bit only; use png for --bit-depth 16"),
        (["--quality", "0"], "--quality must be 1...100, got 0"),
        (["--quality", "101"], "--quality must be 1...100, got 101"),
        (["--format", "jpeg", "--quality", "0"], "--quality must be 1...100, got 0"),
        (["--montage", "x.jpg"], "--montage writes a PNG: give a file name ending in .png, got 'x.jpg'"),
        (["--montage", "sheets/{stem}"], "--montage writes a PNG: give a file name ending in .png, got 'sheets/{stem}'"),
        (["--format", "npy", "--colormap", "viridis"], "--colormap applies to image files and --montage, not to --format npy"),
        (["--colormap", "coolwarm", "--bit-depth", "16"], "--colormap writes 8-bit RGB files: it cannot be used with --bit-depth 16"),
        (["--montage", "sheets/{stem}_{k}.png"], "--montage 'sheets/{stem}_{k}.png' has an unknown field {k}; fields: {stem}, {n}"),
        (["--montage", "sheets/{stem.png"], "--montage 'sheets/{stem.png' has an unclosed '{'"),
        (["--montage", "../{stem}.png"], "--montage '../{stem}.png' must stay under OUTDIR: no '..' in it (or give an absolute path)"),
        (["--montage", "sheets/.png"], "--montage 'sheets/.png' needs a file name before .png"),
        (["--tile-width=-1", "--montage", "s.png"], "--tile-width must be 0 (full size) or a positive width, got -1"),
        (["--columns", "0", "--montage", "s.png"], "--columns must be a positive integer, got 0"),
        (["--tile-width", "100"], "--tile-width and --columns apply to --montage"),
        (["--columns", "3"], "--tile-width and --columns apply to --montage"),
        (["--channels", "3-1"], "--channels: channel list '3-1': range '3-1' runs backwards"),
        (["--channels", "0,,2"], "--channels: channel list '0,,2' has an empty item"),
        (["--channels", "x"], "--channels: channel list 'x': 'x' is not an index (0, 1, ...) or a range (5-7)"),
        (["--channels", "0-9", "--max-outputs", "4"], "--channels '0-9' lists 10 channels, over --max-outputs 4"),
        (["--max-outputs", "0"], "--max-outputs must be a positive integer, got 0"),
    ] as [([String], String)])
    func outputOptionErrors(_ extra: [String], _ message: String) throws {
        try Self.expectUsageError(Self.minimal + extra, message)
    }

    /// The bank rules BankOptionsTests leaves out, reached through `apply`.
    @Test(arguments: [
        (["--bank", "b.json", "--pointwise", "p.npy"], "use either --bank or --depthwise/--pointwise, not both"),
        (["--pointwise", "p.npy", "--kernel", "sobel-x"], "use either --kernel or --bank/--depthwise, not both"),
        (["--bias", "nan"], "--bias must be a finite number, got nan"),
        (["--bias", "-inf"], "--bias must be a finite number, got -inf"),
        (["--bank", "edges:2"], "--bank 'edges:2': bank edges: the argument must be absent (edges takes no argument), got '2'; or give a .json, .npz, .safetensors or .mat file"),
        (["--bank", "gabor:x"], "--bank 'gabor:x': bank gabor: the argument must be an integer from 1 to 64, got 'x'; or give a .json, .npz, .safetensors or .mat file"),
        (["--bank", "GABOR:0"], "--bank 'GABOR:0': bank gabor: the argument must be an integer from 1 to 64, got '0'; or give a .json, .npz, .safetensors or .mat file"),
        (["--bank", ""], "--bank '': unknown bank ''; built-in banks: edges, gradients, gabor:N, blur-pyramid:N, compass; or give a .json, .npz, .safetensors or .mat file"),
        (["--kernel", ""], "--kernel '': empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""),
        (["--bank", "gabor:4", "--layout", "tf"], "--layout tf applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only"),
        (["--bank", "sharpen.mat", "--layout", "torch"], "--layout torch applies to .npy filters (--depthwise/--pointwise) and .npz or .safetensors banks only"),
    ] as [([String], String)])
    func bankOptionErrors(_ extra: [String], _ message: String) throws {
        try Self.expectUsageError(Self.minimal + extra, message)
    }

    // MARK: - Values the parser cannot read

    @Test(arguments: [
        (["--strides", "0"], "The value '0' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--strides", "a,b"], "The value 'a,b' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--strides", "1,2,3"], "The value '1,2,3' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--strides", "2,"], "The value '2,' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--strides", ""], "The value '' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--strides=-1"], "The value '-1' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--dilations", "0,1"], "The value '0,1' is invalid for '--dilations <dh,dw>': expected positive integers, N or H,W"),
        (["--dilations", "1,2,3"], "The value '1,2,3' is invalid for '--dilations <dh,dw>': expected positive integers, N or H,W"),
        (["--dilations", "x"], "The value 'x' is invalid for '--dilations <dh,dw>': expected positive integers, N or H,W"),
        (["--padding", "sideways"], "The value 'sideways' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--padding", "1,1,1"], "The value '1,1,1' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--padding", "1,1,1,-1"], "The value '1,1,1,-1' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--padding", "same,valid"], "The value 'same,valid' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--border", "mirrored"], "The value 'mirrored' is invalid for '--border <mode>': expected one of zero, replicate, reflect, symmetric, wrap (other libraries' names: see --help)"),
        (["--border", ""], "The value '' is invalid for '--border <mode>': expected one of zero, replicate, reflect, symmetric, wrap (other libraries' names: see --help)"),
        (["--layout", "keras"], "The value 'keras' is invalid for '--layout <tf|torch>'. Please provide one of 'tf' and 'torch'."),
        (["--bias", "abc"], "The value 'abc' is invalid for '--bias <b>'"),
        (["--alpha", "premultiply"], "The value 'premultiply' is invalid for '--alpha <keep|drop>'. Please provide one of 'keep' and 'drop'."),
        (["--format", "tiff"], "The value 'tiff' is invalid for '--format <format>'. Please provide one of 'png', 'jpeg' or 'npy'."),
        (["--format", "PNG"], "The value 'PNG' is invalid for '--format <format>'. Please provide one of 'png', 'jpeg' or 'npy'."),
        (["--quality", "high"], "The value 'high' is invalid for '--quality <q>'"),
        (["--map", "linear"], "The value 'linear' is invalid for '--map <mode>'. Please provide one of 'auto', 'clamp', 'minmax', 'abs' or 'symmetric'."),
        (["--map-scope", "global"], "The value 'global' is invalid for '--map-scope <scope>'. Please provide one of 'channel', 'image' or 'batch'."),
        (["--scale", "x"], "The value 'x' is invalid for '--scale <S>'"),
        (["--offset", "half"], "The value 'half' is invalid for '--offset <O>'"),
        (["--bit-depth", "eight"], "The value 'eight' is invalid for '--bit-depth <bits>'"),
        (["--png-compression", "best"], "The value 'best' is invalid for '--png-compression <level>'. Please provide one of 'fast', 'default' or 'small'."),
        (["--colormap", "jet"], "The value 'jet' is invalid for '--colormap <map>'. Please provide one of 'gray', 'viridis', 'magma' or 'coolwarm'."),
        (["--jobs", "many"], "The value 'many' is invalid for '--jobs <n>'"),
        (["-j", "2.5"], "The value '2.5' is invalid for '-j <n>'"),
        (["--max-pixels", "1e6"], "The value '1e6' is invalid for '--max-pixels <n>'"),
        (["--fail-on", "never"], "The value 'never' is invalid for '--fail-on <level>'. Please provide one of 'error', 'truncated' or 'warning'."),
    ] as [([String], String)])
    func valueErrors(_ extra: [String], _ message: String) throws {
        try Self.expectUsageError(Self.minimal + extra, message)
    }

    // MARK: - Options and arguments

    @Test(arguments: [
        ([], "Missing expected argument '--output <outdir>'"),
        (["in.png"], "Missing expected argument '--output <outdir>'"),
        (["in.png", "-o"], "Missing value for '-o <outdir>'"),
        (["in.png", "--output"], "Missing value for '--output <outdir>'"),
        (["in.png", "-o", "out", "--no-such-option"], "Unknown option '--no-such-option'"),
        (["in.png", "-o", "out", "--stride", "2"], "Unknown option '--stride'. Did you mean '--strides'?"),
        (["in.png", "-o", "out", "-x"], "Unknown option '-x'"),
        (["in.png", "-o", "out", "--bank"], "Missing value for '--bank <file|name>'"),
        (["in.png", "-o", "out", "--kernel"], "Missing value for '--kernel <spec>'"),
        (["in.png", "-o", "out", "--strides"], "Missing value for '--strides <sh,sw>'"),
        (["in.png", "-o", "out", "--bias"], "Missing value for '--bias <b>'"),
        (["in.png", "-o", "out", "--stats=yes"], "The option '--stats' does not take any value, but 'yes' was specified."),
        // A negative value needs `--offset=-0.5`: only --bias and --kernel take the next argument unconditionally.
        (["in.png", "-o", "out", "--offset", "-0.5"], "Missing value for '--offset <O>'"),
        (["in.png", "-o", "out", "--jobs", "-1"], "Missing value for '--jobs <n>'"),
        (["in.png", "-o", "out", "--scale", "-1"], "Missing value for '--scale <S>'"),
        (["in.png", "-o", "out", "--quality", "-5"], "Missing value for '--quality <q>'"),
        (["in.png", "-o", "out", "--bias", "-x"], "The value '-x' is invalid for '--bias <b>'"),
        (["-o", "out", "--frm", "list.txt"], "Unknown option '--frm'. Did you mean '--from'?"),
        (["in.png", "-o", "out", "--bogus", "x"], "Unknown option '--bogus'. Did you mean '--bias'?"),
        // The validate() rules are checked before an unknown option is reported.
        (["in.png", "-o", "out", "--jobs", "0", "--bogus"], "--jobs must be at least 1, got 0"),
    ] as [([String], String)])
    func commandLineErrors(_ arguments: [String], _ message: String) throws {
        try Self.expectUsageError(arguments, message)
    }

    // MARK: - What valid command lines give

    @Test func defaults() throws {
        let apply = try Apply.parse(Self.minimal)
        #expect(apply.inputs == ["in.png"])
        #expect(apply.outputDirectory == "out")
        #expect(apply.bankOptions.geometry == ApplyJob.Geometry())
        #expect(apply.outputOptions.format == .png && apply.outputOptions.bitDepth == 8 && apply.outputOptions.quality == 90)
        #expect(apply.batchOptions.maxPixels == ImageDecoder.defaultMaxPixels && apply.batchOptions.failOn == .truncated)
        #expect(apply.batchOptions.jobs == nil && apply.batchOptions.shard == nil)
        #expect(apply.inputOptions.alpha == .keep)
    }

    @Test(arguments: [
        (["--strides", "2,1"], ApplyJob.Geometry(strides: HeightWidth(2, 1))),
        (["--strides", "3"], ApplyJob.Geometry(strides: HeightWidth(3, 3))),
        (["--strides", " 2 , 1 "], ApplyJob.Geometry(strides: HeightWidth(2, 1))),
        (["--dilations", "2"], ApplyJob.Geometry(dilations: HeightWidth(2, 2))),
        (["--dilations", "1,3"], ApplyJob.Geometry(dilations: HeightWidth(1, 3))),
        (["--padding", "same"], ApplyJob.Geometry(padding: .same)),
        (["--padding", "VALID"], ApplyJob.Geometry(padding: .valid)),
        (["--padding", "1,2,0,3"], ApplyJob.Geometry(padding: .explicit(top: 1, bottom: 2, left: 0, right: 3))),
        (["--border", "edge"], ApplyJob.Geometry(border: .replicate)),
        (["--border", "BORDER_REFLECT_101"], ApplyJob.Geometry(border: .reflect)),
        (["--border", "grid-mirror"], ApplyJob.Geometry(border: .symmetric)),
        (["--border", "circular"], ApplyJob.Geometry(border: .wrap)),
        (["--strides", "2", "--dilations", "1,2", "--padding", "valid", "--border", "zeros"],
         ApplyJob.Geometry(strides: HeightWidth(2, 2), dilations: HeightWidth(1, 2), padding: .valid, border: .zero)),
    ] as [([String], ApplyJob.Geometry)])
    func geometry(_ extra: [String], _ expected: ApplyJob.Geometry) throws {
        #expect(try Self.parsed(extra).bankOptions.geometry == expected)
    }

    @Test func outputSettings() throws {
        func output(_ extra: [String]) throws -> ApplyJob {
            var job = ApplyJob(outputDirectory: "out")
            try Self.parsed(extra).outputOptions.configure(&job)
            return job
        }
        let jpeg = try output(["--format", "jpeg", "--quality", "1"])
        #expect(jpeg.output.format == .jpeg && jpeg.output.encoding.jpegQuality == 1)
        let png = try output(["--bit-depth", "16", "--png-compression", "small", "--name", "{stem}_{kernel}", "--stats"])
        #expect(png.output.encoding.bitDepth == 16 && png.output.encoding.pngCompression == PNGCompression(level: 9))
        let template = try NameTemplate("{stem}_{kernel}")
        #expect(png.output.nameTemplate == template && png.output.statistics)
        let npy = try output(["--format", "npy", "--quality", "100"])
        #expect(npy.output.format == .npy && npy.output.nameTemplate == nil)
        let sheet = try output(["--montage", "sheets/{stem}.PNG", "--colormap", "viridis", "--map", "symmetric", "--map-scope", "batch"])
        #expect(sheet.output.montage == ApplyJob.Montage(path: "sheets/{stem}.PNG", colormap: .viridis))
        #expect(sheet.mapping.mode == .symmetric && sheet.mapping.scope == .batch)
        let signed = try output(["--map", "abs", "--scale", "2", "--offset=-0.5"])
        #expect(signed.mapping.mode == .abs && signed.mapping.scale == 2 && signed.mapping.offset == -0.5)
    }

    @Test func inputAndBatchSettings() throws {
        let apply = try Self.parsed(["--alpha", "drop", "--gray", "--no-orient", "-j", "3", "--shard", "3/4", "--max-pixels", "1000",
                                     "--fail-on", "warning", "-r", "--quiet", "--report", "-", "--bias", "-0.5"])
        var job = ApplyJob(outputDirectory: "out")
        apply.inputOptions.configure(&job)
        #expect(job.input.transforms == InputTransforms(orient: false, alpha: .drop, gray: true))
        #expect(apply.batchOptions.jobs == 3 && apply.batchOptions.shard == "3/4" && apply.batchOptions.maxPixels == 1000)
        #expect(apply.batchOptions.failOn == .warning && apply.batchOptions.recursive && apply.batchOptions.quiet)
        #expect(apply.batchOptions.report == "-")
        #expect(apply.bankOptions.bias == -0.5)
        // --from is enough without inputs.
        let listed = try Apply.parse(["-o", "out", "--from", "-"])
        #expect(listed.inputs.isEmpty && listed.batchOptions.from == "-")
        // The last of a repeated option wins.
        #expect(try Self.parsed(["--format", "jpeg", "--format", "png", "--bit-depth", "16"]).outputOptions.format == .png)
    }

    /// Help is not a usage error: it exits 0.
    @Test func helpExitsZero() {
        let help = Self.usageError(["--help"])
        #expect(help?.code == 0)
        #expect(help?.message.contains("--max-pixels") == true)
    }
}
