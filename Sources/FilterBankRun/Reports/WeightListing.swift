import Foundation
import FilterBankIO

/// What `filterbank inspect --bank FILE` says about a weight file (`.npz` or
/// `.safetensors`) before a layer is chosen: every array that can serve as a
/// depthwise or pointwise weight, its shape, dtype and how it would be read.
public struct WeightListing: Sendable, Equatable, Encodable {
    public let file: String
    /// `torch` or `tf`: the layout the readings assume.
    public let layout: String
    /// `__metadata__` of a `.safetensors` file.
    public let metadata: [String: String]
    public let candidates: [Candidate]
    /// Arrays that can serve as neither.
    public let others: Int

    public struct Candidate: Sendable, Equatable, Encodable {
        public let name: String
        public let shape: [Int]
        public let dtype: String
        /// `depthwise` or `pointwise`.
        public let role: String
        public let reading: String
    }

    /// `layout` nil: PyTorch's for `state_dict` names (`.weight`), else TensorFlow's.
    public init(archive: WeightArchive, layout: WeightLayout?) {
        let reading = layout ?? (archive.entries.contains { $0.name.hasSuffix(".weight") } ? .torch : .tf)
        let found = archive.candidates(layout: reading)
        file = archive.path
        self.layout = reading.rawValue
        metadata = archive.metadata
        candidates = found.map { Candidate(name: $0.name, shape: $0.shape, dtype: $0.dtype, role: $0.role.rawValue, reading: $0.reading) }
        others = archive.entries.count - found.count
    }

    /// The listing for people; `note` (why no bank was made) ends it.
    public func text(note: String? = nil) -> String {
        var lines = ["Weights in \(file) (\(layout == "torch" ? "PyTorch" : "TensorFlow") layout"
                     + "\(others > 0 ? "; \(others) other array\(others == 1 ? "" : "s") not listed" : "")):"]
        if !metadata.isEmpty {
            lines.append("  metadata: " + metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }.joined(separator: ", "))
        }
        let width = min(48, candidates.map(\.name.count).max() ?? 0)
        for c in candidates {
            let name = c.name.padding(toLength: max(width, c.name.count), withPad: " ", startingAt: 0)
            lines.append("  \(c.role == "depthwise" ? "depthwise" : "1x1      ")  \(name)  \(c.shape) \(c.dtype)  \(c.reading)")
        }
        if candidates.isEmpty { lines.append("  no array can serve as a depthwise or 1x1 weight") }
        if let note { lines.append(note) }
        return lines.joined(separator: "\n")
    }

    public func json() -> String { JSONOutput.pretty(self) }
}
