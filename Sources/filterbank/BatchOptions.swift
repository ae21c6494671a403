import ArgumentParser
import FilterBankIO

/// How a run goes through its inputs.
struct BatchOptions: ParsableArguments {
    /// Whether inputs can come from somewhere other than the argument list.
    var providesInputs: Bool { false }

    /// Runs `job` on every input; returns the exit status (0 all succeeded, 1 some failed).
    func run(_ job: ApplyJob, inputs: [String]) -> Int32 {
        var failures = 0
        for input in inputs {
            do {
                _ = try job.run(input: input)
            } catch {
                failures += 1
                printError(error.description)
            }
        }
        return failures > 0 ? 1 : 0
    }
}
