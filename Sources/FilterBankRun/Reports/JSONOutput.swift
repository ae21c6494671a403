import Foundation

/// How the reports become JSON: `Codable` types through one `JSONEncoder`
/// set-up, keys sorted (so that output is the same from run to run), slashes
/// left as they are, and non-finite numbers as the strings `inf`, `-inf`, `nan`.
enum JSONOutput {
    /// One line, no line breaks (JSON escapes those inside strings).
    static func line(_ value: some Encodable) -> String { encode(value, pretty: false) }

    /// Indented, one key per line.
    static func pretty(_ value: some Encodable) -> String { encode(value, pretty: true) }

    private static func encode(_ value: some Encodable, pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        // The reports are plain structs of strings, numbers and arrays, whose encoding cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
