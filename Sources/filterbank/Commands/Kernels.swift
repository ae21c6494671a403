import ArgumentParser
import FilterBankKit
import FilterBankRun

struct Kernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in kernels and banks, or print the kernels of given specs.",
        discussion: """
            Without arguments: every built-in kernel with its parameters, defaults, formula and a \
            small preview, then the built-in banks. With SPECs: each kernel in full (up to 15x15), \
            its size and sum.

            Spec grammar (--kernel SPEC takes the same):
              name                       sobel-x, laplacian, emboss
              name:value                 the first parameter: gaussian:2, laplacian:8
              name:key=value,...         gaussian:sigma=2,size=9
                                         gabor:theta=45,sigma=3,lambda=8
              "WxH: v,v,..."             a literal, row-major, H rows of W values:
                                         "3x3: 1,0,-1, 2,0,-2, 1,0,-1"
              "v v v ..."                1, 9, 25, ... values: an odd square

            Kernels are applied as correlations (not flipped). Kernels of different sizes in one \
            bank are zero-padded to the largest height and width with their anchors aligned: the \
            anchor of size k is tap floor((k-1)/2), the one TensorFlow's SAME padding puts on the \
            output pixel, so an even kernel reaches one pixel further down/right.

            Examples:
              filterbank kernels
              filterbank kernels gaussian:sigma=1.5 "2x1: -1, 1"

            Output fits 80 columns: long lines wrap, and a kernel shows as many of its \
            values around the anchor as fit.
            """
    )

    @Argument(help: ArgumentHelp("Kernel specs to print in full.", valueName: "spec"))
    var specs: [String] = []

    func validate() throws {
        for text in specs {
            do { _ = try KernelSpec(parsing: text) } catch { throw ValidationError("'\(text)': \(error.description)") }
        }
    }

    func run() throws {
        if specs.isEmpty {
            print(TextWrap.wrapLines(Self.catalog()), terminator: "")
            return
        }
        var blocks: [String] = []
        for text in specs {
            let kernel = try KernelSpec(parsing: text).kernel
            var lines = TextWrap.wrap("\(kernel.name): \(kernel.width)x\(kernel.height), sum \(SpecText.number((kernel.sum * 1e6).rounded() / 1e6))")
            // Up to 15x15 values around the anchor, fewer where the rows would pass 80 columns.
            var side = 15, preview = KernelPreview.lines(kernel, maxSide: side, decimals: 4)
            while side > 3, preview.contains(where: { $0.count + 2 > TextWrap.columns }) {
                side -= 2
                preview = KernelPreview.lines(kernel, maxSide: side, decimals: 4)
            }
            lines += preview.map { "  " + $0 }
            blocks.append(lines.joined(separator: "\n"))
        }
        print(blocks.joined(separator: "\n\n"))
    }

    /// The listing printed without arguments.
    static func catalog() -> String {
        var out: [String] = ["Built-in kernels (--kernel SPEC; parameters as name=value, defaults shown):", ""]
        for definition in KernelLibrary.all {
            out.append("\(definition.name)  \(definition.summary)")
            for p in definition.parameters {
                out.append("    \(p.name)=\(p.defaultText)  \(p.help); \(p.kind.expected)")
            }
            out.append("    formula: \(definition.formula)")
            // The defaults never fail to build.
            let kernel = try! definition.kernel()
            out.append("    \(kernel.name) (\(kernel.width)x\(kernel.height)):")
            out += KernelPreview.lines(kernel, maxSide: 5, decimals: 3).map { "      " + $0 }
            out.append("")
        }
        out.append("Built-in banks (--bank NAME; every kernel on every input channel):")
        out.append("")
        for entry in NamedBank.catalog {
            let defaultName = entry.argument.map { "\(entry.name):\($0.defaultValue)" } ?? entry.name
            // The catalog's own names always parse.
            let bank = try! NamedBank(parsing: defaultName)
            let argument = entry.argument.map { " (\($0.name) from \($0.range.lowerBound) to \($0.range.upperBound), default \($0.defaultValue))" } ?? ""
            out.append("\(entry.usage)  \(entry.summary)\(argument)")
            out.append("    \(bank.name): " + bank.kernels.map(\.name).joined(separator: ", "))
            out.append("")
        }
        return out.joined(separator: "\n")
    }
}
