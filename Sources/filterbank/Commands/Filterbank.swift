import ArgumentParser
import FilterBankKit

@main
struct Filterbank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filterbank",
        abstract: "Apply convolution filter banks to PNG, JPEG and .npy images; write one grayscale image per output channel.",
        discussion: """
            A bank is depthwise (TensorFlow's tf.nn.depthwise_conv2d: filter [kh, kw, C, M], output \
            channel c*M + m) or depthwise-separable (tf.nn.separable_conv2d: the depthwise step, then a \
            1x1 pointwise filter [1, 1, C*M, O]). Images are decoded to NHWC Float32 tensors with values \
            in [0, 1] (8-bit / 255, 16-bit / 65535); .npy tensors are used as they are.

            Examples:
              filterbank apply photo.jpg -o out          # Sobel x and y per channel
              filterbank apply *.png -o out --bank bank.json
              filterbank apply x.npy -o out --depthwise dw.npy --format npy
            """,
        version: FilterBankVersion.string,
        subcommands: [Apply.self, Inspect.self, Kernels.self]
    )

    /// Parses and runs as swift-argument-parser's own `main` does, with two
    /// differences: every error is printed as `filterbank: error: <message>`
    /// (the prefix of every other error the tool prints) followed by the
    /// usage lines, without the option's help text; and a misspelt
    /// subcommand is named, with the nearest one, before its options are
    /// taken for the root's.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let problem = unknownSubcommand(arguments) {
            printError(problem + "\n  See 'filterbank --help' for more information.")
            Self.exit(withError: ExitCode.validationFailure)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            Self.exit(withError: code)
        } catch {
            let code = exitCode(for: error)
            // Help and --version: ArgumentParser prints them to standard output.
            if code == .success { Self.exit(withError: error) }
            let usage = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
                .drop { !$0.hasPrefix("Usage:") }.joined(separator: "\n")
            printError(message(for: error) + (usage.isEmpty ? "" : "\n" + usage))
            Self.exit(withError: code)
        }
    }

    static let subcommandNames = ["apply", "inspect", "kernels", "help"]

    /// "unknown command 'aply': did you mean 'apply'?" when the first argument
    /// is a word that names no subcommand; nil otherwise.
    static func unknownSubcommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !subcommandNames.contains(first) else { return nil }
        let nearest = subcommandNames.map { ($0, editDistance(first.lowercased(), $0)) }.min { $0.1 < $1.1 }
        if let (name, distance) = nearest, distance <= max(2, name.count / 3) {
            return "unknown command '\(first)': did you mean '\(name)'?"
        }
        return "unknown command '\(first)' (commands: apply, inspect, kernels)"
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
