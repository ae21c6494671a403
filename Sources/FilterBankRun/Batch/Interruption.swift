import FilterBankIO
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
/// ordinary work: `BatchRun` stops handing out inputs, removes the hidden
/// temporary files of the inputs in flight (`.<output>.tmp-<pid>-<n>`, see
/// `AtomicFile`) from the folders they were being written to, says so in one
/// line and exits with 128 + the signal (130, 143). Outputs already renamed
/// into place are complete and stay; `--skip-existing` resumes the run.
///
/// SIGKILL cannot be caught: after one, those temporary files stay behind,
/// hidden and never mistaken for outputs (discovery skips hidden files), and
/// may be deleted at any time.
final class Interruption: Sendable {
    /// Per worker slot, the folder its input is writing to.
    private let folders = Mutex<[Int: String]>([:])
    /// The signal sources, made in `init` and cancelled in `cancel`, only
    /// ever touched under the lock.
    private let sources: Mutex<[any DispatchSourceSignal]>
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs the handlers; `handler` receives this object and the signal.
    init(_ handler: @escaping @Sendable (Interruption, Int32) -> Void) {
        let queue = DispatchQueue(label: "filterbank.interruption")
        var made: [any DispatchSourceSignal] = []
        for number in Self.signals {
            signal(number, SIG_IGN)   // delivered to the dispatch source instead
            made.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        sources = Mutex(made)
        sources.withLock { sources in
            for (source, number) in zip(sources, Self.signals) {
                source.setEventHandler { [unowned self] in handler(self, number) }
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

    func writing(into folder: String, slot: Int) { folders.withLock { $0[slot] = folder } }
    func finished(slot: Int) { folders.withLock { $0[slot] = nil } }

    /// Removes this process's temporary files from the folders in use.
    func removeTemporaryFiles() {
        let marker = ".tmp-\(getpid())-"
        for folder in Set(folders.withLock { Array($0.values) }) {
            for entry in FileTree.entries(of: folder) where entry.name.hasPrefix(".") && entry.name.contains(marker) {
                unlink(PathText.join(folder, entry.name))
            }
        }
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}
