import FilterBankIO
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a batch run's messages go (standard error unless a test says
/// otherwise), and whether that is a terminal.
public struct Console: Sendable {
    /// The name that starts every line, e.g. `filterbank`.
    public let program: String
    public let isTerminal: Bool
    private let sink: @Sendable (String) -> Void
    private let width: @Sendable () -> Int

    public init(program: String, isTerminal: Bool, columns: @escaping @Sendable () -> Int = { 80 },
                write: @escaping @Sendable (String) -> Void) {
        self.program = program
        self.isTerminal = isTerminal
        self.width = columns
        self.sink = write
    }

    /// Standard error, a terminal when `isatty(2)` says so.
    public static func standardError(program: String) -> Console {
        Console(program: program, isTerminal: isatty(STDERR_FILENO) == 1, columns: {
            var size = winsize()
            guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
            return Int(size.ws_col)
        }, write: OpenFile.writeToStandardError)
    }

    func write(_ text: String) { sink(text) }
    var columns: Int { width() }
}

/// Whether a batch run shows its progress.
public enum ProgressMode: Sendable {
    /// A bar on a terminal; nothing but errors otherwise (the default).
    case automatic
    /// Always (`--progress`): a bar on a terminal, a plain line every second otherwise.
    case always
    /// Nothing but errors (`--quiet`).
    case never
}

/// The progress display of a batch run, and the only writer of its lines:
/// errors (always shown), the live bar, the final summary. Thread-safe; every
/// line is written under one lock, so an error never lands inside the bar.
///
/// The bar (terminal only) is one line redrawn in place, at most ten times a
/// second: files done / total, percent, images per second, time left.
/// Percent and time left weigh each input by its file size (a fair proxy for
/// its pixels, known without opening it), and count an input in progress by
/// the fraction of its rows read, so one long image moves the bar too.
/// Skipped inputs count as done but not in the rate.
final class BatchProgress: Sendable {
    enum Style { case silent, bar, lines }

    let console: Console
    let style: Style
    /// `--quiet`: not even the notes about skipped files.
    let quiet: Bool

    private struct State {
        var phase = ""
        var total = 0
        var done = 0
        /// Finished inputs that took real work (not skipped).
        var worked = 0
        var totalWeight = 0.0
        var doneWeight = 0.0
        var workedWeight = 0.0
        /// Per slot: the input's weight and the fraction of it read.
        var inFlight: [Int: (weight: Double, fraction: Double)] = [:]
        var start = ContinuousClock.now
        var lastDraw: ContinuousClock.Instant?
        var barShown = false
        /// Set by `interrupted`: nothing is drawn any more.
        var stopped = false
    }
    private let state = Mutex(State())

    init(console: Console, mode: ProgressMode) {
        self.console = console
        quiet = mode == .never
        switch mode {
        case .never: style = .silent
        case .automatic: style = console.isTerminal ? .bar : .silent
        case .always: style = console.isTerminal ? .bar : .lines
        }
    }

    /// Starts a phase ("" for the main one, "measuring" for `--map-scope batch`'s first pass).
    /// `weight`: the inputs' total size (see `started(slot:weight:)`).
    func begin(_ phase: String, total: Int, weight: Int) {
        state.withLock { s in
            let stopped = s.stopped
            s = State(phase: phase, total: total, totalWeight: Double(weight), start: .now, barShown: s.barShown)
            s.stopped = stopped
            if style == .bar { draw(&s, force: true) }
        }
    }

    /// An input of `weight` (its size in bytes; 0 counts as 1) starts on `slot`.
    func started(slot: Int, weight: Int) {
        state.withLock { s in s.inFlight[slot] = (Double(max(weight, 1)), 0) }
    }

    /// `fraction` (0...1) of the input on `slot` has been read.
    func advanced(slot: Int, fraction: Double) {
        guard style != .silent else { return }
        state.withLock { s in
            s.inFlight[slot]?.fraction = min(max(fraction, 0), 1)
            draw(&s, force: false)
        }
    }

    /// The input on `slot` is done; `worked`: it was not skipped.
    func finished(slot: Int, worked: Bool) {
        state.withLock { s in
            let weight = s.inFlight.removeValue(forKey: slot)?.weight ?? 1
            s.done += 1
            s.doneWeight += weight
            if worked {
                s.worked += 1
                s.workedWeight += weight
            }
            draw(&s, force: false)
        }
    }

    /// The run was interrupted: clears the bar, writes `program: error:
    /// message` on a line of its own, and never draws again, so that the
    /// cursor is left at the start of a fresh line for the shell's prompt.
    func interrupted(_ message: String) {
        state.withLock { s in
            clear(&s)
            s.stopped = true
            console.write("\(console.program): error: \(message)\n")
        }
    }

    /// `program: error: message`, always shown.
    func error(_ message: String) {
        state.withLock { s in
            clear(&s)
            console.write("\(console.program): error: \(message)\n")
            draw(&s, force: true)
        }
    }

    /// Clears the bar and, unless silent, writes the summary and its notes.
    func end(_ summary: BatchSummary, names: SettingNames) {
        state.withLock { s in
            clear(&s)
            // Files passed over are said even without a terminal: a script sees what was not done.
            let skipped = summary.notes.filter { $0.hasPrefix(BatchSummary.skippedNotePrefix) }
            guard style != .silent else {
                if !quiet && !skipped.isEmpty {
                    console.write(skipped.map { "\(console.program): note: \($0)\n" }.joined())
                }
                return
            }
            var text = "\(console.program): \(summary.line(names: names))\n"
            for note in summary.notes { text += "\(console.program): note: \(note)\n" }
            console.write(text)
        }
    }

    // MARK: - Drawing (under the lock)

    private func clear(_ s: inout State) {
        if s.barShown { console.write("\r\u{1B}[K") }
        s.barShown = false
    }

    private func draw(_ s: inout State, force: Bool) {
        guard style != .silent, s.total > 0, !s.stopped else { return }
        let now = ContinuousClock.now
        let interval: Duration = style == .bar ? .milliseconds(100) : .seconds(1)
        if !force, let last = s.lastDraw, now - last < interval { return }
        if style == .lines && s.lastDraw == nil && !force { s.lastDraw = now; return }
        s.lastDraw = now
        let partial = s.inFlight.values.reduce(0) { $0 + $1.weight * $1.fraction }
        let line = Self.line(phase: s.phase, done: s.done, total: s.total,
                             worked: Double(s.worked) + s.inFlight.values.reduce(0) { $0 + $1.fraction },
                             complete: (s.doneWeight + partial) / max(s.totalWeight, 1),
                             workRate: (s.workedWeight + partial) / max(Self.seconds(now - s.start), 1e-9),
                             remaining: max(0, s.totalWeight - s.doneWeight - partial),
                             seconds: Self.seconds(now - s.start), bar: style == .bar)
        if style == .bar {
            let width = max(20, console.columns - 1)
            console.write("\r\u{1B}[K" + console.program + ": " + String(line.prefix(width - console.program.count - 2)))
            s.barShown = true
        } else {
            console.write(console.program + ": " + line + "\n")
        }
    }

    /// `37/120 files  31% [======>             ]  2.4 img/s  0:34 left`.
    /// - Parameters:
    ///   - worked: inputs processed (not skipped), in-flight ones by fraction.
    ///   - complete: the weighted fraction done, 0...1.
    ///   - workRate: weight processed per second; `remaining`: weight left.
    static func line(phase: String, done: Int, total: Int, worked: Double, complete: Double, workRate: Double,
                     remaining: Double, seconds: Double, bar: Bool) -> String {
        let complete = min(max(complete, 0), 1)
        let percent = Int((complete * 100).rounded(.down))
        var text = (phase.isEmpty ? "" : phase + " ") + "\(done)/\(total) files  \(percent)%"
        if bar {
            let cells = 20
            let filled = Int((complete * Double(cells)).rounded(.down))
            text += " [" + String(repeating: "=", count: filled)
                + (filled < cells ? ">" + String(repeating: " ", count: cells - filled - 1) : "") + "]"
        }
        if seconds > 0.5, worked > 0, workRate > 0 {
            let rate = worked / seconds
            let tenths = Int((rate * 10).rounded())
            text += "  " + (rate >= 10 ? "\(Int(rate.rounded()))" : "\(tenths / 10).\(tenths % 10)") + " img/s  "
                + clock(remaining / workRate) + " left"
        }
        return bar ? text : text.replacingOccurrences(of: "  ", with: ", ")
    }

    /// `0:34`, `12:05`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e7 else { return "--:--" }
        let total = Int(seconds.rounded(.up))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):" + (m < 10 ? "0\(m)" : "\(m)") + ":" + ss }
        return "\(m):" + ss
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
