// The fuzzer's entry point: picks a target, prepares its scratch file, and
// hands control to libFuzzer's driver.
//
// Usage (see Fuzz/README.md):
//   filterbank-fuzz -target=NAME [libFuzzer flags] [CORPUS_DIR...]
//   FILTERBANK_FUZZ_TARGET=NAME filterbank-fuzz [libFuzzer flags] [CORPUS_DIR...]
import CFuzzerDriver
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// `-target=NAME` is ours, not libFuzzer's: take it out of the arguments and
/// put it in the environment, where libFuzzer's `-fork`/`-jobs` children find it.
var arguments = CommandLine.arguments
if let index = arguments.firstIndex(where: { $0.hasPrefix("-target=") }) {
    setenv(FuzzTarget.environmentKey, String(arguments[index].dropFirst("-target=".count)), 1)
    arguments.remove(at: index)
}
let name = getenv(FuzzTarget.environmentKey).map { String(cString: $0) } ?? ""
guard let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    fputs("filterbank-fuzz: choose a target with -target=NAME or \(FuzzTarget.environmentKey)=NAME"
          + " (NAME: \(names))\(name.isEmpty ? "" : "; unknown target '\(name)'")\n", stderr)
    exit(64)
}
Harness.start(target)

// libFuzzer keeps argv for its whole run (and for the commands it prints), so
// these strings are never freed.
var argc = CInt(arguments.count)
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = .allocate(capacity: arguments.count + 1)
for (i, argument) in arguments.enumerated() { argv![i] = strdup(argument) }
argv![arguments.count] = nil
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in Harness.runOne(data, size) })
