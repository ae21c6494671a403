import ArgumentParser
@testable import filterbank

/// Usage errors parsed in-process, as swift-argument-parser's own examples
/// test them: `parse` (or `parseAsRoot`), then the one-line `message(for:)` and
/// the `exitCode(for:)` that `main` would print and exit with.
enum UsageErrors {
    /// The status every usage error exits with: `ExitCode.validationFailure`, 64 (EX_USAGE).
    static let exitCode: Int32 = ExitCode.validationFailure.rawValue

    /// What parsing `arguments` as `Command` alone reports, or nil when they parse.
    static func parse<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            _ = try Command.parse(arguments)
            return nil
        } catch {
            return (Command.message(for: error), Command.exitCode(for: error).rawValue)
        }
    }

    /// What parsing a whole command line (`filterbank <arguments>`) reports, or nil when it parses.
    static func parseAsRoot(_ arguments: [String]) -> (message: String, code: Int32)? {
        do {
            _ = try Filterbank.parseAsRoot(arguments)
            return nil
        } catch {
            return (Filterbank.message(for: error), Filterbank.exitCode(for: error).rawValue)
        }
    }
}
