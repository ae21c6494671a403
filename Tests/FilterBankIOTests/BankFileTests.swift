import Foundation
import Testing
import FilterBankTestSupport
@testable import FilterBankIO
import FilterBankKit

private typealias S = BankIOTestSupport

@Suite struct BankFileTests {
    @Test func loadsTheEdgesExample() throws {
        let spec = try BankFile.load(path: S.bank("edges_depthwise.json"))
        #expect(spec.depthwise.shape == [3, 3, 3, 2])
        #expect(spec.depthwise.weight(0, 0, 0, 0) == -1)   // Sobel x top-left
        #expect(spec.depthwise.weight(1, 2, 1, 0) == 2)    // Sobel x middle-right, channel 1
        #expect(spec.depthwise.weight(2, 1, 2, 1) == 2)    // Sobel y bottom-middle, channel 2
        #expect(spec.pointwise == nil)
        #expect(spec.strides == .one && spec.dilations == .one && spec.padding == .same)
        #expect(spec.name == "edges")
        #expect(spec.summary == "Sobel x (m=0) and Sobel y (m=1) per RGB channel")
        #expect(try spec.resolve(strides: nil, dilations: nil, padding: nil).kind == .depthwise)
    }

    @Test func loadsTheSeparableExampleAndResolvesWithCommandLineFirst() throws {
        let spec = try BankFile.load(path: S.bank("separable.json"))
        #expect(spec.depthwise.shape == [3, 3, 3, 1])
        #expect(spec.depthwise.weight(1, 1, 0, 0) == 0.25)
        #expect(spec.pointwise?.shape == [1, 1, 3, 4])
        #expect(spec.pointwise?.values.prefix(4) == [0.299, 1, -0.5, 0.25])
        #expect(spec.padding == .explicit(top: 1, bottom: 1, left: 1, right: 1))
        #expect(spec.strides == nil && spec.dilations == nil && spec.summary == nil)

        let fromFile = try spec.resolve(strides: nil, dilations: nil, padding: nil)
        #expect(fromFile.kind == .separable && fromFile.outputChannels == 4)
        #expect(fromFile.strides == .one && fromFile.dilations == .one)
        #expect(fromFile.padding == .explicit(top: 1, bottom: 1, left: 1, right: 1))
        let overridden = try spec.resolve(strides: HeightWidth(2, 3), dilations: HeightWidth(2), padding: .valid)
        #expect(overridden.strides == HeightWidth(2, 3) && overridden.dilations == HeightWidth(2))
        #expect(overridden.padding == .valid)
    }

    @Test func defaultsAreStrideOneDilationOneSame() throws {
        let spec = try BankFile.parse(data: Data(#"{"depthwise": {"shape": [1, 1, 1, 1], "values": [2]}}"#.utf8),
                                      path: "min.json")
        let bank = try spec.resolve(strides: nil, dilations: nil, padding: nil)
        #expect(bank.strides == .one && bank.dilations == .one && bank.padding == .same)
    }

    @Test func npyFiltersEqualTheJSONOnes() throws {
        let json = try BankFile.load(path: S.bank("separable.json"))
        let npy = try BankFile.loadNpy(depthwise: S.bank("separable_dw.npy"), pointwise: S.bank("separable_pw.npy"))
        #expect(npy.depthwise == json.depthwise)
        #expect(npy.pointwise == json.pointwise)
        #expect(npy.strides == nil && npy.dilations == nil && npy.padding == nil)
        let depthwiseOnly = try BankFile.loadNpy(depthwise: S.bank("separable_dw.npy"), pointwise: nil)
        #expect(depthwiseOnly.pointwise == nil && depthwiseOnly.depthwise == json.depthwise)
    }

    @Test func npyFiltersAreValidated() {
        let rank3 = S.npy("f32_2x3x4.npy")
        S.expectFileError("rank 4 [kh, kw, C, M]", "[2, 3, 4]", path: rank3) {
            _ = try BankFile.loadNpy(depthwise: rank3, pointwise: nil)
        }
        let pointwise = S.bank("separable_dw.npy")   // [3, 3, 3, 1] is no [1, 1, C*M, O]
        S.expectFileError("pointwise filter shape [3, 3, 3, 1] is invalid", path: pointwise) {
            _ = try BankFile.loadNpy(depthwise: S.bank("separable_dw.npy"), pointwise: pointwise)
        }
        let mismatch = S.bank("separable_pw.npy")    // as depthwise: C*M = 12, pointwise depth 3
        S.expectFileError("C*M = 12", path: mismatch) {
            _ = try BankFile.loadNpy(depthwise: mismatch, pointwise: mismatch)
        }
        S.expectFileError("not a .npy file", path: S.bank("separable.json")) {
            _ = try BankFile.loadNpy(depthwise: S.bank("separable.json"), pointwise: nil)
        }
    }

    @Test(arguments: [
        ("bad_unknown_key.json", ["unknown key \"strides_h\"", "(allowed: depthwise, pointwise, strides, padding, dilations, bias, name, description)"]),
        ("bad_wrong_count.json", ["depthwise filter shape [3, 3, 3, 2] needs 54 values, got 53"]),
        ("bad_nan_huge.json", ["invalid JSON", "1e999"]),
        ("bad_nan_string.json", ["depthwise.values[0] must be a number", "\"NaN\""]),
        ("bad_pointwise_mismatch.json", ["pointwise filter [1, 1, 3, 4] must have input depth C*M = 6"]),
        ("bad_shape_rank3.json", ["depthwise filter shape [3, 3, 3] is invalid: expected [kh, kw, C, M]"]),
        ("missing.json", ["no such file"]),
    ])
    func rejectsBadFixtures(_ name: String, _ fragments: [String]) {
        let path = S.bank(name)
        let error = #expect(throws: FileError.self) { _ = try BankFile.load(path: path) }
        #expect(error?.path == path)
        for fragment in fragments {
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }

    static let dw = #""depthwise": {"shape": [1, 1, 1, 2], "values": [1, 2]}"#

    @Test(arguments: [
        (#"{"depthwise": {"shape": [true, 1, 1, 1], "values": [1]}}"#, "depthwise.shape[0] must be an integer, got a boolean (true)"),
        (#"{"depthwise": {"shape": [1, 1.5, 1, 1], "values": [1]}}"#, "depthwise.shape[1] must be an integer, got the number 1.5"),
        (#"{"depthwise": {"shape": [1, "1", 1, 1], "values": [1]}}"#, "depthwise.shape[1] must be an integer, got a string"),
        (#"{"depthwise": {"shape": 4, "values": [1]}}"#, "depthwise.shape must be an array"),
        (#"{"depthwise": {"shape": [1, 1, 1, 1], "values": [false]}}"#, "depthwise.values[0] must be a number, got a boolean (false)"),
        (#"{"depthwise": {"shape": [1, 1, 1, 1], "values": [[1]]}}"#, "depthwise.values[0] must be a number, got an array"),
        (#"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1e39]}}"#, "depthwise.values[0] = 1e+39 is not a finite Float32 value"),
        (#"{"depthwise": {"shape": [1, 1, 1, 1], "value": [1]}}"#, #"unknown key "value" in "depthwise" (allowed: shape, values)"#),
        (#"{"depthwise": {"shape": [1, 1, 1, 1]}}"#, #"depthwise is missing "values""#),
        (#"{"depthwise": [1, 2]}"#, "depthwise must be an object"),
        (#"{"pointwise": {"shape": [1, 1, 1, 1], "values": [1]}}"#, #"missing required key "depthwise""#),
        (#"{"depthwise": null}"#, #"missing required key "depthwise""#),
        (#"[1, 2]"#, "the top level must be a JSON object, got an array of 2"),
        (#"{"depthwise": {"shape": [1, 1, 1, 1], "values": [1}}"#, "invalid JSON"),
        (#"{"# + dw + #", "strides": [1]}"#, "strides must be [height, width] with two positive integers"),
        (#"{"# + dw + #", "strides": 2}"#, "strides must be [height, width]"),
        (#"{"# + dw + #", "strides": [0, 1]}"#, "strides must be positive, got [0, 1]"),
        (#"{"# + dw + #", "dilations": [1, true]}"#, "dilations[1] must be an integer, got a boolean"),
        (#"{"# + dw + #", "padding": "FULL"}"#, #"padding must be "SAME", "VALID" or [[top, bottom], [left, right]], got "FULL""#),
        (#"{"# + dw + #", "padding": [[1, 1]]}"#, "padding must be"),
        (#"{"# + dw + #", "padding": 1}"#, "padding must be"),
        (#"{"# + dw + #", "padding": [[1, -1], [0, 0]]}"#, "padding must not be negative"),
        (#"{"# + dw + #", "padding": [[1, 1], [0, 0.5]]}"#, "padding[1][1] must be an integer"),
        (#"{"# + dw + #", "name": 5}"#, "name must be a string, got the number 5"),
        (#"{"# + dw + #", "description": ["x"]}"#, "description must be a string"),
        (#"{"# + dw + #", "pointwise": {"shape": [1, 1, 3, 1], "values": [1, 2, 3]}}"#, "must have input depth C*M = 2"),
        (#"{"# + dw + #", "pointwise": {"shape": [1, 1, 2, 1], "values": [1, 2, 3]}}"#, "pointwise filter shape [1, 1, 2, 1] needs 2 values, got 3"),
        (#"{"# + dw + #", "pointwise": {"shape": [1, 1, 2, 1], "values": [1, 2], "bias": [0]}}"#, #"unknown key "bias" in "pointwise""#),
        (#"{"depthwise": {"shape": [1, 0, 1, 1], "values": []}}"#, "depthwise filter shape [1, 0, 1, 1] is invalid"),
        (#"{"depthwise": {"shape": [4611686018427387904, 4, 1, 1], "values": [1]}}"#, "depthwise filter shape"),
    ])
    func rejectsMalformedJSON(_ json: String, _ fragment: String) {
        S.expectFileError(fragment, path: "bank.json") { _ = try BankFile.parse(data: Data(json.utf8), path: "bank.json") }
    }

    @Test func acceptsEveryDocumentedForm() throws {
        let json = #"""
        {"name": "n", "description": "d", "depthwise": {"values": [1, 2.5], "shape": [1, 1, 1.0, 2]},
         "pointwise": null, "strides": [2, 1], "dilations": [1, 3], "padding": "valid"}
        """#
        let spec = try BankFile.parse(data: Data(json.utf8), path: "ok.json")
        #expect(spec.depthwise.values == [1, 2.5] && spec.depthwise.multiplier == 2)
        #expect(spec.pointwise == nil)
        #expect(spec.strides == HeightWidth(2, 1) && spec.dilations == HeightWidth(1, 3))
        #expect(spec.padding == .valid && spec.name == "n" && spec.summary == "d")
        for (text, padding) in [("\"Same\"", Padding.same), ("\"VALID\"", .valid),
                                ("[[0, 2], [1, 0]]", .explicit(top: 0, bottom: 2, left: 1, right: 0))] {
            let doc = #"{"# + Self.dw + #", "padding": "# + text + "}"
            #expect(try BankFile.parse(data: Data(doc.utf8), path: "p.json").padding == padding)
        }
    }
}

@Suite struct OneLineErrorTests {
    /// Parsers quote the bad text and file names may hold line breaks: the
    /// printed error stays on one line.
    @Test func errorsWithLineBreaksPrintOnOneLine() throws {
        let error = FileError(path: "odd\nname.json", message: "invalid JSON near \"0{\n \"")
        #expect(!error.description.contains("\n"))
        #expect(error.description == #"odd\nname.json: invalid JSON near "0{\n ""#)
        let bad = try #require(throws: FileError.self) {
            try BankFile.parse(data: Data("{\"a\\nb\": 1, \"depthwise\": {\"shape\": [1,1,1,1], \"values\": [1]}}".utf8), path: "k.json")
        }
        #expect(!bad.description.contains("\n") && bad.description.contains("unknown key"), "\(bad.description)")
    }
}

@Suite struct ControlCharacterErrorTests {
    @Test func controlCharactersAreEscaped() {
        let error = FileError(path: "a\u{0C}b.npy", message: "key 'x\u{07}\u{1B}[31m' \u{2028}bad")
        #expect(error.description == #"a\u{c}b.npy: key 'x\u{7}\u{1b}[31m' \u{2028}bad"#)
        #expect(FileError(path: "p", message: "tab\there").description == #"p: tab\there"#)
    }
}
