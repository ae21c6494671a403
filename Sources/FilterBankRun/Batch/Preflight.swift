import FilterBankIO

/// What a run checks once, before it looks at any input: problems that would
/// fail every input alike are one usage error (exit status 64), not one
/// error per input.
enum Preflight {
    /// Why the output folder `path` cannot be used, as one line naming it, or
    /// nil: it is a folder, or it can be created because the nearest
    /// existing path above it is a folder.
    static func outputDirectory(_ path: String) -> String? {
        if let status = FileTree.status(path) {
            return status.kind == .directory ? nil : "\(path): exists and is not a folder, so it cannot hold the outputs"
        }
        var parent = path
        while true {
            let up = PathText.dirname(parent)
            guard up != parent, !up.isEmpty else { return nil }
            parent = up
            if let status = FileTree.status(parent) {
                return status.kind == .directory ? nil
                    : "\(path): the output folder cannot be created: \(parent) is not a folder"
            }
        }
    }

    /// A name template that no input of this bank can satisfy: `{c}`, `{m}` or
    /// `{kernel}` with a separable bank (whose outputs mix every depthwise
    /// channel), or nil. (A template without `{n}` on a batch `.npy` depends
    /// on the input, and fails that input.)
    static func nameTemplate(_ job: ApplyJob) -> String? {
        guard let template = job.output.nameTemplate, template.usesDepthwiseFields,
              let spec = try? job.bank.spec(channels: job.bank.fixedChannels ?? 1), spec.pointwise != nil else { return nil }
        return "\(job.names.nameTemplate) '\(template.text)' uses {c}, {m} or {kernel}, which a separable bank's outputs do not have"
    }
}
