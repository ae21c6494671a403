import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM during a batch run: Ctrl-C, or a scheduler ending the
/// job (Slurm and Kubernetes send SIGTERM, then SIGKILL after a grace period).
///
/// The handler runs on its own queue (not in signal context), so it may do
/// ordinary work: `BatchRun` stops handing out inputs, removes every temporary
/// file of this process (`.<output>.tmp-<host>-<pid>-<random>`, see `AtomicFile` and
/// `TemporaryFiles`, which refuses to create any after that), says so in one
/// line and exits with 128 + the signal (130, 143). Outputs already renamed
/// into place are complete and stay; `--skip-existing` resumes the run.
///
/// SIGKILL cannot be caught: after one, those temporary files stay behind,
/// hidden and never mistaken for outputs (discovery skips hidden files), and
/// may be deleted at any time; the next run on this machine removes those of
/// the outputs it writes (`TemporaryName.removeStale`).
final class Interruption: Sendable {
    /// The signal sources, made in `init` and cancelled in `cancel`, only
    /// ever touched under the lock.
    private let sources: Mutex<[any DispatchSourceSignal]>
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs the handlers; `handler` receives the signal.
    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "filterbank.interruption")
        var made: [any DispatchSourceSignal] = []
        for number in Self.signals {
            signal(number, SIG_IGN)   // delivered to the dispatch source instead
            made.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        sources = Mutex(made)
        sources.withLock { sources in
            for (source, number) in zip(sources, Self.signals) {
                source.setEventHandler { handler(number) }
                source.resume()
            }
        }
    }

    /// Puts the default handlers back.
    func cancel() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources.removeAll()
        }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}
