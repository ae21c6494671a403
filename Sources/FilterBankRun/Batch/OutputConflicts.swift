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

/// Whether a run's outputs keep its inputs apart, decided before anything
/// runs (from paths alone, without opening an image), and, while it runs,
/// from each input's actual output paths.
///
/// Output names follow from the output folder, the input's stem and the
/// name template (`{stem}_c{channel}` unless `--name` says otherwise), but
/// their exact list needs the image header. The check before the run is
/// therefore conservative where it must be:
/// - two inputs with the same stem that write into the same folder are
///   refused (`a/x.jpg` and `b/x.png` named as files, or `x.png` and `x.jpg`
///   in one folder), even when their channel counts would happen to keep
///   every name apart;
/// - with a template that has no `{stem}`, two inputs writing into one folder
///   are refused;
/// - two inputs whose `--montage` sheets would have the same path (that
///   path does not mirror folders: only `{stem}` tells inputs apart);
/// - an input that sits in a folder receiving outputs, under a name one of
///   them could take (`x_c0.png` beside `x.png` with OUTDIR = their folder),
///   is refused: "an OUTDIR that would place outputs over an input".
/// What slips through (unusual templates such as `{stem}{channel}`, where
/// stems `a1` and `a` could both give `a10`) is caught while running by
/// `OutputClaims`: the second input fails, naming the first.
enum OutputConflicts {
    /// The first conflict among `items` (every item of the run, before
    /// sharding, so that all shards refuse alike), as one line naming both
    /// inputs; nil when there is none.
    ///
    /// Every output joins the check: channel images (or the `.npy` tensor),
    /// contact sheets, statistics sidecars, and the run report (`reportPath`).
    static func check(_ items: [BatchItem], job: ApplyJob, reportPath: String? = nil) -> String? {
        let outputs = OutputPattern(job: job)
        // (folder, stem) -> the first input writing there.
        var owners: [String: Int] = [:]
        var firstInFolder: [String: Int] = [:]
        func ownerKey(_ folder: String, _ stem: String) -> String { folder + "\u{0}" + stem }

        for (index, item) in items.enumerated() where item.isInput {
            let stem = OutputNaming.stem(of: item.path)
            if let other = firstInFolder[item.outputFolder], !outputs.usesStem {
                return "\(items[other].path) and \(item.path) would write the same files in "
                    + "\(outputs.folderPath(item.outputFolder)): the \(job.names.nameTemplate) has no {stem}"
            }
            firstInFolder[item.outputFolder] = firstInFolder[item.outputFolder] ?? index
            if let other = owners.updateValue(index, forKey: ownerKey(item.outputFolder, stem)) {
                let first = items[other]
                let advice = item.outputFolder.isEmpty && first.outputFolder.isEmpty
                    && PathText.dirname(first.path) != PathText.dirname(item.path)
                    ? "; give a folder holding both (outputs then mirror its subfolders), or run them separately"
                    : "; rename one, or run them separately"
                return "\(first.path) and \(item.path) would both write \(outputs.describe(folder: item.outputFolder, stem: stem))"
                    + advice
            }
        }
        // A relative sheet path lies in the input's output folder (mirrored folders apart); an absolute
        // one is the same for every folder, and only its {stem} keeps inputs apart.
        if let montage = job.output.montage?.path {
            var sheets: [String: Int] = [:]
            for (index, item) in items.enumerated() where item.isInput {
                let named = montage.replacingOccurrences(of: "{stem}", with: OutputNaming.stem(of: item.path))
                let sheet = PathText.normalize(named.hasPrefix("/") ? named : outputs.folderPath(item.outputFolder) + "/" + named)
                if let other = sheets.updateValue(index, forKey: sheet) {
                    return "\(items[other].path) and \(item.path) would both write the montage \(sheet): "
                        + (montage.contains("{stem}") ? "an absolute \(job.names.montagePath) does not mirror folders; run them separately"
                                                      : "put {stem} in \(job.names.montagePath)")
                }
            }
        }
        // A contact sheet given as a bare name goes beside the channel files: it must not take one's name
        // (`--montage '{stem}_c0.png'` would replace channel 0), nor the statistics sidecar's.
        if let montage = job.output.montage?.path {
            for item in items where item.isInput {
                let sheet = montage.replacingOccurrences(of: "{stem}", with: OutputNaming.stem(of: item.path))
                guard !sheet.contains("/") else { continue }
                for stem in outputs.stems(producing: sheet) {
                    let owner = stem.map { owners[ownerKey(item.outputFolder, $0)] } ?? firstInFolder[item.outputFolder]
                    guard let owner else { continue }
                    return "the montage \(PathText.join(outputs.folderPath(item.outputFolder), sheet)) of \(item.path) would "
                        + "replace an output of \(items[owner].path): choose another \(job.names.montagePath)"
                }
                if outputs.statistics, sheet.hasSuffix(".json"),
                   let owner = owners[ownerKey(item.outputFolder, String(sheet.dropLast(5)))] {
                    return "the montage \(PathText.join(outputs.folderPath(item.outputFolder), sheet)) of \(item.path) would "
                        + "replace the statistics of \(items[owner].path): choose another \(job.names.montagePath)"
                }
            }
        }
        // The run report, if it lies in a folder that receives outputs, must not take an output's name.
        if let report = reportPath, report != "-" {
            var folderOfDirectory: [FileIdentity: String] = [:]
            for folder in firstInFolder.keys {
                if let status = FileTree.status(outputs.folderPath(folder)), status.kind == .directory {
                    folderOfDirectory[status.identity] = folder
                }
            }
            let parent = PathText.dirname(report)
            let name = PathText.basename(report)
            if let identity = FileTree.status(parent.isEmpty ? "." : parent)?.identity, let folder = folderOfDirectory[identity] {
                var candidates = outputs.stems(producing: name).map { stem in
                    stem.map { owners[ownerKey(folder, $0)] } ?? firstInFolder[folder]
                }
                if outputs.statistics, name.hasSuffix(".json") { candidates.append(owners[ownerKey(folder, String(name.dropLast(5)))]) }
                if let owner = candidates.compactMap({ $0 }).first {
                    return "the report \(report) would replace an output of \(items[owner].path): choose another report file"
                }
            }
            if let montage = job.output.montage?.path, montage.contains("/") {
                for item in items where item.isInput {
                    let sheet = montage.replacingOccurrences(of: "{stem}", with: OutputNaming.stem(of: item.path))
                    if FilePaths.sameFile(sheet, report) || PathText.normalize(sheet) == PathText.normalize(report) {
                        return "the report \(report) is also the montage of \(item.path): choose another report file"
                    }
                }
            }
        }
        // A batch `.npy` named `x` writes `x_n<i>_c<k>.png`, which a plain input named `x_n<i>` writes too.
        if outputs.batchVariant != nil {
            for (index, item) in items.enumerated() where item.isInput {
                let stem = OutputNaming.stem(of: item.path)
                guard let range = stem.range(of: "_n", options: .backwards),
                      !stem[range.upperBound...].isEmpty, stem[range.upperBound...].allSatisfy(\.isASCII),
                      stem[range.upperBound...].allSatisfy(\.isNumber),
                      let other = owners[ownerKey(item.outputFolder, String(stem[..<range.lowerBound]))],
                      items[other].path.lowercased().hasSuffix(".npy") else { continue }
                return "\(items[other].path) and \(items[index].path) could both write "
                    + "\(outputs.describe(folder: item.outputFolder, stem: stem)) (the first may be a batch)"
            }
        }

        // Inputs lying in a folder that receives outputs, under an output's name.
        var folderOfDirectory: [FileIdentity: String] = [:]
        for folder in firstInFolder.keys {
            if let status = FileTree.status(outputs.folderPath(folder)), status.kind == .directory {
                folderOfDirectory[status.identity] = folder
            }
        }
        guard !folderOfDirectory.isEmpty else { return nil }
        var parentIdentity: [String: FileIdentity?] = [:]
        for item in items where item.isInput {
            let parent = PathText.dirname(item.path)
            let identity: FileIdentity?
            if let known = parentIdentity[parent] {
                identity = known
            } else {
                identity = FileTree.status(parent.isEmpty ? "." : parent)?.identity
                parentIdentity[parent] = identity
            }
            guard let identity, let folder = folderOfDirectory[identity] else { continue }
            let name = PathText.basename(item.path)
            for stem in outputs.stems(producing: name) {
                let owner: Int?
                if let stem { owner = owners[ownerKey(folder, stem)] } else { owner = firstInFolder[folder] }
                guard let owner else { continue }
                return "the outputs of \(items[owner].path) would overwrite the input \(item.path): "
                    + "choose another output directory"
            }
        }
        return nil
    }
}

/// The names a job gives its outputs, as patterns over the stem.
struct OutputPattern {
    let directory: String
    let format: OutputFormat
    /// The per-channel template (PNG only).
    let template: NameTemplate
    /// The template used for a batch `.npy` when no `--name` was given.
    let batchVariant: NameTemplate?
    let statistics: Bool

    init(job: ApplyJob) {
        directory = job.output.directory
        format = job.output.format
        template = job.output.nameTemplate ?? .standard
        batchVariant = job.output.format == .png && job.output.nameTemplate == nil ? .standardForBatch : nil
        statistics = job.output.statistics
    }

    var usesStem: Bool { format == .npy || template.pieces.contains(.stem) }

    func folderPath(_ folder: String) -> String { PathText.join(directory, folder) }

    /// `out/sub/x_c{channel}.png`: what one input's outputs look like.
    func describe(folder: String, stem: String) -> String {
        let name = format == .npy ? stem + ".npy"
            : template.text.replacingOccurrences(of: "{stem}", with: stem) + (format == .png ? ".png" : "." + format.rawValue)
        return PathText.join(folderPath(folder), name)
    }

    /// The stems whose outputs could be named `name`; a nil element means
    /// "any input in the folder" (a template without `{stem}`). Per-channel
    /// image names are matched whatever their extension.
    func stems(producing name: String) -> [String?] {
        if format == .npy {
            return name.hasSuffix(".npy") ? [String(name.dropLast(4))] : []
        }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return [] }
        let base = name[..<dot]
        var result: [String?] = []
        for candidate in [template] + (batchVariant.map { [$0] } ?? []) {
            if candidate.pieces.contains(.stem) {
                result += Self.captures(base, candidate.pieces).map { Optional($0) }
            } else if !Self.captures(base, candidate.pieces).isEmpty {
                result.append(nil)
            }
        }
        return result
    }

    /// Every way `name` matches `pieces`, as the text `{stem}` stands for
    /// ("" when the template has no stem). Numbers match one or more digits,
    /// `{kernel}` and `{stem}` one or more characters.
    static func captures(_ name: Substring, _ pieces: [NameTemplate.Piece]) -> Set<String> {
        var found = Set<String>()
        func go(_ i: Int, _ rest: Substring, _ stem: Substring?) {
            guard i < pieces.count else {
                if rest.isEmpty { found.insert(stem.map(String.init) ?? "") }
                return
            }
            switch pieces[i] {
            case let .literal(text):
                if rest.hasPrefix(text) { go(i + 1, rest.dropFirst(text.count), stem) }
            case .stem:
                if let stem {
                    if rest.hasPrefix(stem) { go(i + 1, rest.dropFirst(stem.count), stem) }
                } else {
                    var end = rest.startIndex
                    while end < rest.endIndex {
                        end = rest.index(after: end)
                        go(i + 1, rest[end...], rest[..<end])
                    }
                }
            case .channel, .batch, .inputChannel, .multiplier:
                var end = rest.startIndex
                while end < rest.endIndex, rest[end].isASCII, rest[end].isNumber {
                    end = rest.index(after: end)
                    go(i + 1, rest[end...], stem)
                }
            case .kernel:
                var end = rest.startIndex
                while end < rest.endIndex {
                    end = rest.index(after: end)
                    go(i + 1, rest[end...], stem)
                }
            }
        }
        go(0, name, nil)
        return found
    }
}

/// The outputs claimed so far in a run, to catch (while running) what the
/// check before the run could not: two inputs whose actual output paths meet,
/// or an output that is another input of the run.
///
/// Memory: one 64-bit hash (FNV-1a of the normalised path) and an index per
/// output, and one inode per input. A hash collision between two different
/// paths (odds about n^2 / 2^64) would fail an input needlessly, never
/// overwrite one.
final class OutputClaims: Sendable {
    private let claimed = Mutex<[UInt64: Int]>([:])
    private let inputs: [FileIdentity: Int]

    init(items: [BatchItem]) {
        var inputs: [FileIdentity: Int] = [:]
        for (index, item) in items.enumerated() where item.isInput {
            if let identity = item.identity { inputs[identity] = inputs[identity] ?? index }
        }
        self.inputs = inputs
    }

    /// Claims `outputs` for item `index` of `items`; returns the problem, if
    /// an output belongs to another input or is another input.
    func claim(_ outputs: [String], for index: Int, of items: [BatchItem]) -> String? {
        for output in outputs {
            if let status = FileTree.status(output), let owner = inputs[status.identity], owner != index {
                return "output \(output) would overwrite the input \(items[owner].path)"
            }
        }
        let hashes = outputs.map { Shard.fnv1a64(PathText.normalize($0)) }
        return claimed.withLock { table -> String? in
            for (output, hash) in zip(outputs, hashes) {
                if let owner = table[hash], owner != index {
                    return "output \(output) is also an output of \(items[owner].path)"
                }
            }
            for hash in hashes { table[hash] = index }
            return nil
        }
    }
}
