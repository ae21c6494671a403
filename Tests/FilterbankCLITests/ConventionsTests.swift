import Foundation
import Testing
import FilterBankKit
@testable import filterbank

/// The command line behaves like its neighbours: --version, errors with one
/// prefix that state the rule, misspelt subcommands, and problems that do not
/// depend on an input said once, before any work, with exit status 64
/// (helpers from EndToEndTests.swift).
@Suite(.serialized) struct ConventionsTests {
    @Test func versionComesFromThePackage() throws {
        let result = try runFilterbank(["--version"])
        #expect(result.status == 0 && result.stderr.isEmpty)
        #expect(result.stdout == FilterBankVersion.string + "\n")
        #expect(FilterBankVersion.string.split(separator: ".").count == 3)
    }

    /// The completion scripts the README installs.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(_ shell: String) throws {
        let result = try runFilterbank(["--generate-completion-script", shell])
        #expect(result.status == 0 && result.stderr.isEmpty)
        for word in ["apply", "inspect", "kernels", "layer", "pointwise-layer", "border"] {
            #expect(result.stdout.contains(word), "\(shell): \(word)")
        }
    }

    @Test(arguments: [
        (["aply", "in.png", "-o", "out"], "unknown command 'aply': did you mean 'apply'?"),
        (["inspekt", "--bank", "edges"], "unknown command 'inspekt': did you mean 'inspect'?"),
        (["kernel"], "unknown command 'kernel': did you mean 'kernels'?"),
        (["frobnicate"], "unknown command 'frobnicate' (commands: apply, inspect, kernels)"),
    ] as [([String], String)])
    func aMisspeltSubcommandSuggestsTheNearest(_ arguments: [String], _ message: String) throws {
        let result = try runFilterbank(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("filterbank: error: \(message)\n"), "\(result.stderr)")
        #expect(Filterbank.unknownSubcommand(arguments) == message)
    }

    /// Every value error: the prefix, the rule, the usage line, and no long help line.
    @Test(arguments: [
        (["--strides", "0"], "The value '0' is invalid for '--strides <sh,sw>': expected positive integers, N or H,W"),
        (["--dilations", "-1"], "The value '-1' is invalid for '--dilations <dh,dw>': expected positive integers, N or H,W"),
        (["--padding", "1,1"], "The value '1,1' is invalid for '--padding <mode>': expected same, valid, or four integers T,B,L,R (0 or more)"),
        (["--border", "foo"], "The value 'foo' is invalid for '--border <mode>': expected one of zero, replicate, reflect, symmetric, wrap (other libraries' names: see --help)"),
        (["--map", "foo"], "The value 'foo' is invalid for '--map <mode>'. Please provide one of 'auto', 'clamp', 'minmax', 'abs' or 'symmetric'."),
        (["--layout", "keras"], "The value 'keras' is invalid for '--layout <tf|torch>'. Please provide one of 'tf' and 'torch'."),
    ] as [([String], String)])
    func valueErrorsStateTheRule(_ extra: [String], _ message: String) throws {
        let result = try runFilterbank(["apply", "in.png", "-o", "out"] + extra)
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first.map(String.init) == "filterbank: error: " + message, "\(result.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix("Usage: filterbank apply") == true, "\(result.stderr)")
        #expect(!result.stderr.contains("Help:") && lines.allSatisfy { $0.count <= 200 }, "\(result.stderr)")
    }

    /// Every enumeration's values on one line (swift-argument-parser lists six or more as bullets).
    @Test(arguments: ["--map", "--map-scope", "--format", "--colormap", "--png-compression", "--fail-on", "--alpha", "--layout"])
    func enumerationErrorsAreOneLine(_ option: String) throws {
        let result = try runFilterbank(["apply", "in.png", "-o", "out", option, "nonsense"])
        #expect(result.status == 64)
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("filterbank: error: The value 'nonsense' is invalid for '\(option) <") && first.contains("Please provide one of '"),
                "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").dropFirst().first?.hasPrefix("Usage:") == true, "\(result.stderr)")
    }

    /// An OUTDIR that is a file, and a bank that does not load: one line, exit 64, for any number of inputs.
    @Test func inputIndependentProblemsAreSaidOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let inputs = ["png-rgb8-coffee.png", "png-gray8-camera.png", "jpeg-gray-cat.jpg"].map(sample)
        let outdir = try runFilterbank(["apply"] + inputs + ["-o", file])
        #expect(outdir.status == 64)
        #expect(outdir.stderr == "filterbank: error: \(file): exists and is not a folder, so it cannot hold the outputs\n")
        let below = try runFilterbank(["apply"] + inputs + ["-o", file + "/sub"])
        #expect(below.status == 64)
        #expect(below.stderr == "filterbank: error: \(file)/sub: the output folder cannot be created: \(file) is not a folder\n")
        let bank = try runFilterbank(["apply"] + inputs + ["-o", dir.path + "/out", "--bank", dir.path + "/missing.npz"])
        #expect(bank.status == 64)
        #expect(bank.stderr == "filterbank: error: \(dir.path)/missing.npz: no such file\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
        // A name template no input of this bank can satisfy.
        let separable = packageRoot.appendingPathComponent("Tests/Fixtures/banks/separable.json").path
        let template = try runFilterbank(["apply"] + inputs + ["-o", dir.path + "/out", "--bank", separable, "--name", "{stem}_{m}"])
        #expect(template.status == 64)
        #expect(template.stderr == "filterbank: error: --name template '{stem}_{m}' uses {c}, {m} or {kernel}, which a separable bank's outputs do not have\n")
    }

    /// A bank for 3 channels on RGBA, and one for 1 channel on RGB: the option that fixes it.
    @Test func aChannelMismatchSaysWhichOptionFixesIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bank = packageRoot.appendingPathComponent("Tests/Fixtures/banks/edges_depthwise.json").path
        let rgba = sample("png-rgba8-cutout-earth.png")
        let result = try runFilterbank(["apply", rgba, "-o", dir.path, "--bank", bank])
        #expect(result.status == 1)
        #expect(result.stderr.contains("expects 3 input channels, but the input [1, 184, 200, 4] has 4; --alpha drop would give 3"), "\(result.stderr)")
        #expect(try runFilterbank(["apply", rgba, "-o", dir.path, "--bank", bank, "--alpha", "drop", "-q"]).status == 0)
        let oneChannel = dir.appendingPathComponent("one.json").path
        let values = (0..<18).map { String($0 % 3 - 1) }.joined(separator: ",")
        try Data(#"{"depthwise": {"shape": [3, 3, 1, 2], "values": [\#(values)]}}"#.utf8).write(to: URL(fileURLWithPath: oneChannel))
        let rgb = try runFilterbank(["apply", sample("png-rgb8-coffee.png"), "-o", dir.path + "/g", "--bank", oneChannel])
        #expect(rgb.stderr.contains("has 3; --gray would give 1"), "\(rgb.stderr)")
        let rgbaToOne = try runFilterbank(["apply", rgba, "-o", dir.path + "/g", "--bank", oneChannel])
        #expect(rgbaToOne.stderr.contains("has 4; --gray --alpha drop would give 1"), "\(rgbaToOne.stderr)")
        // Four channels of a JPEG are CMYK: --gray makes one, and nothing makes three.
        let cmyk = packageRoot.appendingPathComponent("Tests/Fixtures/images/jpeg-cmyk-adobe-blocks.jpg").path
        let cmykToOne = try runFilterbank(["apply", cmyk, "-o", dir.path + "/k", "--bank", oneChannel])
        #expect(cmykToOne.stderr.contains("has 4; --gray would give 1\n"), "\(cmykToOne.stderr)")
        let cmykToThree = try runFilterbank(["apply", cmyk, "-o", dir.path + "/k", "--bank", bank])
        #expect(cmykToThree.stderr.hasSuffix("has 4\n"), "\(cmykToThree.stderr)")
    }
}
