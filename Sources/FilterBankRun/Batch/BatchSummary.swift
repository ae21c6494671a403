/// A whole run's counts: the final summary line and the exit status.
public struct BatchSummary: Sendable, Equatable {
    /// Inputs processed successfully.
    public var processed = 0
    /// Inputs skipped: outputs present (`skipExisting`), or not images.
    public var skipped = 0
    public var failed = 0
    /// Inputs never started because `failFast` stopped the run.
    public var notStarted = 0
    public var outputsWritten = 0
    public var seconds = 0.0
    /// Set when the run was refused before starting (the one-line reason).
    public var refused: String?
    /// Inputs that failed on a usage error (`FileError.isUsageError`): the run stopped there.
    public var usageErrors = 0
    /// Extra lines for the summary (files skipped as not images, folders not searched, the shard).
    /// Those about skipped files start with `skippedNotePrefix` and are shown even without a terminal.
    public var notes: [String] = []
    public static let skippedNotePrefix = "skipped "

    public init() {}

    /// 64 when refused or stopped by a usage error, 1 when an input failed, else 0.
    public var exitStatus: Int32 {
        if refused != nil || usageErrors > 0 { return 64 }
        return failed > 0 ? 1 : 0
    }

    /// `12 processed, 3 skipped, 1 failed, 72 outputs written in 4.2 s`.
    public func line(names: SettingNames = SettingNames()) -> String {
        var text = "\(processed) processed, \(skipped) skipped, \(failed) failed, "
            + "\(outputsWritten) output\(outputsWritten == 1 ? "" : "s") written in \(Self.duration(seconds))"
        if notStarted > 0 { text += "; \(notStarted) not started (\(names.failFast))" }
        return text
    }

    /// `0.4 s`, `12 s`, `3:07`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 9.95 {
            let tenths = Int((max(0, seconds) * 10).rounded())
            return "\(tenths / 10).\(tenths % 10) s"
        }
        if seconds < 59.5 { return "\(Int(seconds.rounded())) s" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        let mm = h > 0 && m < 10 ? "0\(m)" : "\(m)"
        return (h > 0 ? "\(h):" : "") + mm + ":" + (s < 10 ? "0\(s)" : "\(s)")
    }
}
