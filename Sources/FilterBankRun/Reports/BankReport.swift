import Foundation
import FilterBankIO
import FilterBankKit

/// Everything `filterbank inspect` says about a bank, computed without running
/// the convolution: the resolved bank and its geometry for an input, the map
/// from output channels to files, the cost (`BankCost`) and, for each
/// depthwise kernel, its rank-1 factorisation (`KernelFactorization`).
///
/// `text` is for people; `json()` gives the same content, keys as the
/// properties below; what needs an input (`input`, `pads`, `output`,
/// `multiplyAccumulates`) is left out when there is none, as is `bias`
/// without one and a kernel's name for weights from a file.
public struct BankReport: Sendable, Equatable, Encodable {
    /// Where the bank came from: `--bank gabor:8`, `bank.json`, `--kernel sobel-x --kernel log`.
    public let source: String
    /// `depthwise` or `separable`.
    public let kind: String
    /// `[N, H, W, C]`, or `nil` when no input was given.
    public let input: [Int]?
    /// The input file or `--input-shape`; `nil` without an input.
    public let inputOrigin: String?
    /// True when no input was given and the bank adapts to the channel count:
    /// the report is then for one input channel.
    public let channelsAssumed: Bool
    /// `[kh, kw, C, M]`.
    public let depthwiseShape: [Int]
    /// `[1, 1, C*M, O]`, or `nil` for a depthwise bank.
    public let pointwiseShape: [Int]?
    /// `[height, width]`.
    public let strides: [Int]
    public let dilations: [Int]
    /// `[kh, kw]`.
    public let kernelSize: [Int]
    /// `[(kh - 1) * dh + 1, (kw - 1) * dw + 1]`.
    public let effectiveKernel: [Int]
    /// `SAME`, `VALID` or `explicit`.
    public let padding: String
    /// What the padded area holds: zero, replicate, reflect, symmetric or wrap.
    public let border: String
    /// The zero rows / columns added on each side for this input.
    public let pads: Pads?
    /// `[N, H_out, W_out, K]`.
    public let output: [Int]?
    /// Per output channel, or `nil`.
    public let bias: [Float]?
    /// The depthwise channels `k = c*M + m`: which input channel and kernel.
    public let depthwiseChannels: [DepthwiseChannel]
    /// The output channels and the files `apply` writes for them.
    public let outputs: [OutputChannel]
    public let cost: Cost
    /// Each distinct depthwise kernel and whether it is separable.
    public let kernels: [KernelEntry]

    public struct Pads: Sendable, Equatable, Encodable {
        public let top: Int, bottom: Int, left: Int, right: Int
    }

    public struct DepthwiseChannel: Sendable, Equatable, Encodable {
        /// `k = c*M + m`.
        public let channel: Int
        public let inputChannel: Int
        /// The multiplier slot `m`.
        public let slot: Int
        /// The kernel's name when the bank was built from named kernels.
        public let kernel: String?
    }

    public struct OutputChannel: Sendable, Equatable, Encodable {
        public let channel: Int
        /// `<stem>_c<k>.png` for the first image of the input.
        public let file: String
        /// `input channel 0 * kernel 1 (sobel-y)`, or `pointwise mix of depthwise channels 0-5`.
        public let from: String
        /// The mapping `apply`'s default `--map auto` gives it: `symmetric`
        /// when its weights have both signs (or its bias is negative), else `clamp`.
        public let map: String
    }

    public struct Cost: Sendable, Equatable, Encodable {
        public struct Step: Sendable, Equatable, Encodable {
            public let parameters: Int
            /// Per image; `nil` without an input.
            public let multiplyAccumulates: Int?
        }
        public let standard: Step
        public let depthwise: Step
        public let pointwise: Step
        /// Depthwise + pointwise.
        public let separable: Step
        /// `separable / standard` (the same for parameters and multiply-accumulates).
        public let ratio: Double
        /// Bias values, not included in the parameters above.
        public let biasParameters: Int
    }

    public struct KernelEntry: Sendable, Equatable, Encodable {
        public let slot: Int
        /// The input channels that use this kernel in this slot.
        public let channels: [Int]
        public let kernel: String?
        /// `[kh, kw]`.
        public let size: [Int]
        /// `||K - column x row||_F / ||K||_F` of the best rank-1 factorisation.
        public let relativeError: Double
        /// `relativeError <= 1e-6`: a `kh x 1` pass then a `1 x kw` pass gives the same result.
        public let separable: Bool
        public let column: [Float]
        public let row: [Float]
    }

    /// Builds the report of `source` for `input` (or, when `nil`, without
    /// geometry: for the bank's own channel count, or one channel). Geometry
    /// arguments win over the source's, as in `apply`. `stem` names the files
    /// (`<stem>_c<k>.png`). Throws what resolving and planning throw (a
    /// channel mismatch, a kernel larger than a VALID input, ...).
    public init(source: BankSource, sourceName: String, input: TensorShape?, inputOrigin: String?,
                strides: HeightWidth?, dilations: HeightWidth?, padding: Padding?, border: BorderMode = .zero,
                stem: String) throws(FilterBankError) {
        let channels = input?.channels ?? source.fixedChannels ?? 1
        let spec = try source.spec(channels: channels)
        let bank = try spec.resolve(strides: strides, dilations: dilations, padding: padding, border: border)
        self.border = border.rawValue
        let plan = try input.map { i throws(FilterBankError) in try ConvolutionPlan(input: i, bank: bank) }
        let d = bank.depthwise
        let (c, m) = (d.inputChannels, d.multiplier)

        self.source = sourceName
        kind = bank.kind.rawValue
        self.input = input?.dimensions
        self.inputOrigin = input == nil ? nil : inputOrigin
        channelsAssumed = input == nil && source.fixedChannels == nil
        depthwiseShape = d.shape
        pointwiseShape = bank.pointwise?.shape
        self.strides = [bank.strides.height, bank.strides.width]
        self.dilations = [bank.dilations.height, bank.dilations.width]
        kernelSize = [d.kernelHeight, d.kernelWidth]
        effectiveKernel = [(d.kernelHeight - 1) * bank.dilations.height + 1, (d.kernelWidth - 1) * bank.dilations.width + 1]
        switch bank.padding {
        case .same: self.padding = "SAME"
        case .valid: self.padding = "VALID"
        case .explicit: self.padding = "explicit"
        }
        pads = plan.map { Pads(top: $0.rows.padBefore, bottom: $0.rows.padAfter, left: $0.columns.padBefore, right: $0.columns.padAfter) }
        output = plan?.output.dimensions
        bias = bank.bias

        let names = spec.kernelNames
        func kernelName(_ slot: Int) -> String? { names.flatMap { slot < $0.count ? $0[slot] : nil } }
        depthwiseChannels = (0..<(c * m)).map { k in
            DepthwiseChannel(channel: k, inputChannel: k / m, slot: k % m, kernel: kernelName(k % m))
        }
        let outputCount = bank.outputChannels
        let batch = input?.batch ?? 1
        let signed = bank.signedOutputs
        outputs = (0..<outputCount).map { k in
            let file = OutputNaming.channelFileName(stem: stem, channel: k, channelCount: outputCount,
                                                    batch: 0, batchCount: batch, fileExtension: "png")
            let from: String
            if bank.pointwise != nil {
                from = "pointwise mix of depthwise channels 0-\(c * m - 1)"
            } else {
                from = "input channel \(k / m) * kernel \(k % m)" + (kernelName(k % m).map { " (\($0))" } ?? "")
            }
            return OutputChannel(channel: k, file: file, from: from, map: MappingMode.auto.resolved(signed: signed[k]).rawValue)
        }

        let cost = plan.map(BankCost.init(plan:)) ?? BankCost(bank: bank, outputPixels: nil)
        func step(_ s: BankCost.Step) -> Cost.Step { Cost.Step(parameters: s.parameters, multiplyAccumulates: s.multiplyAccumulates) }
        self.cost = Cost(standard: step(cost.standard), depthwise: step(cost.depthwise), pointwise: step(cost.pointwise),
                         separable: step(cost.separable), ratio: cost.parameterRatio, biasParameters: cost.biasParameters)

        var entries: [KernelEntry] = []
        for slot in 0..<m {
            var groups: [(values: [Float], channels: [Int])] = []
            for ch in 0..<c {
                let values = d.kernel(channel: ch, slot: slot)
                if let g = groups.firstIndex(where: { $0.values == values }) { groups[g].channels.append(ch) } else {
                    groups.append((values, [ch]))
                }
            }
            for group in groups {
                let f = KernelFactorization(kernel: group.values, height: d.kernelHeight, width: d.kernelWidth)
                entries.append(KernelEntry(slot: slot, channels: group.channels, kernel: kernelName(slot),
                                           size: [d.kernelHeight, d.kernelWidth], relativeError: f.relativeError,
                                           separable: f.isSeparable(), column: f.column, row: f.row))
            }
        }
        kernels = entries
    }

    // MARK: - Inputs

    /// `HxWxC` (or `NxHxWxC`), positive integers: `5x5x3`.
    public static func parseShape(_ text: String) -> TensorShape? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        switch parts.count {
        case 3: return TensorShape(batch: 1, height: parts[0]!, width: parts[1]!, channels: parts[2]!)
        case 4: return TensorShape(batch: parts[0]!, height: parts[1]!, width: parts[2]!, channels: parts[3]!)
        default: return nil
        }
    }

    /// The tensor shape `apply` would give the file at `path`: an image's from
    /// its header alone (no pixels decoded), a `.npy` array's from the array.
    public static func inputShape(of path: String) throws(FileError) -> TensorShape {
        if path.lowercased().hasSuffix(".npy") { return try NpyFile.readTensor(path: path).shape }
        do {
            let reader = try ImageRowReader(path: path)
            return TensorShape(batch: 1, height: reader.height, width: reader.width, channels: reader.channels)
        } catch {
            throw FileError(error)
        }
    }

    // MARK: - Output

    /// The report as pretty-printed JSON with sorted keys.
    public func json() -> String {
        JSONOutput.pretty(self)
    }

    /// The report for people, one fact per line.
    public var text: String { text(inputHint: "an input shape") }

    /// The report for people; `inputHint` says how to give an input when
    /// none was (the command line names its flags).
    public func text(inputHint: String) -> String {
        var out: [String] = []
        func dims(_ d: [Int]) -> String { "[" + d.map(String.init).joined(separator: ", ") + "]" }
        func pair(_ d: [Int]) -> String { d[0] == d[1] ? "\(d[0])" : "\(d[0]),\(d[1])" }
        out.append("bank:             \(source)")
        out.append("kind:             \(kind)")
        if let input {
            out.append("input:            \(dims(input))" + (inputOrigin.map { " (\($0))" } ?? ""))
        } else {
            let note = channelsAssumed ? "; the bank adapts to the input's channels, shown for 1" : ""
            out.append("input:            none given (\(inputHint) for pads, output size and multiply-accumulates\(note))")
        }
        out.append("depthwise filter: \(dims(depthwiseShape))  [kh, kw, C, M]")
        out.append("pointwise filter: " + (pointwiseShape.map { "\(dims($0))  [1, 1, C*M, O]" } ?? "none"))
        out.append("strides:          \(pair(strides))    dilations: \(pair(dilations))")
        out.append("kernel:           \(kernelSize[0])x\(kernelSize[1]), effective \(effectiveKernel[0])x\(effectiveKernel[1])")
        if let pads {
            out.append("padding:          \(padding): top \(pads.top), bottom \(pads.bottom), left \(pads.left), right \(pads.right)")
        } else {
            out.append("padding:          \(padding)")
        }
        out.append("border:           \(border)")
        if let output { out.append("output:           \(dims(output))") }
        if let bias { out.append("bias:             \(dims0(bias))") }

        out.append("")
        out.append("output channels (map: what the default --map auto gives each):")
        let fileWidth = outputs.map(\.file.count).max() ?? 4
        let numberWidth = max(3, String(max(0, outputs.count - 1)).count)
        for o in outputs {
            out.append("  \(padLeft(String(o.channel), numberWidth))  \(o.file.padding(toLength: max(fileWidth, 4), withPad: " ", startingAt: 0))"
                       + "  \(o.map.padding(toLength: 9, withPad: " ", startingAt: 0))  \(o.from)")
        }

        out.append("")
        let perImage = input.map { $0[0] > 1 ? " (per image)" : "" } ?? ""
        out.append("cost:" + String(repeating: " ", count: 24) + "parameters    multiply-accumulates\(perImage)")
        func row(_ name: String, _ s: Cost.Step) {
            let macs = s.multiplyAccumulates.map(TextWrap.grouped) ?? "-"
            out.append("  \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(padLeft(TextWrap.grouped(s.parameters), 12))  \(padLeft(macs, 22))")
        }
        row("standard convolution", cost.standard)
        row("depthwise step", cost.depthwise)
        row("pointwise step", cost.pointwise)
        row("separable (dw + pw)", cost.separable)
        out.append("  separable / standard = \(String(format: "%.4f", cost.ratio))" +
                   (cost.biasParameters > 0 ? "; plus \(TextWrap.grouped(cost.biasParameters)) bias values" : ""))

        out.append("")
        out.append("kernel separability (rank 1: a column pass then a row pass):")
        for k in kernels {
            let channels = k.channels.count == depthwiseShape[2] ? "all channels" :
                "channel" + (k.channels.count > 1 ? "s " : " ") + k.channels.map(String.init).joined(separator: ",")
            let verdict = k.separable ? "separable" : "not separable"
            let error = String(format: "%.3g", k.relativeError)
            out.append("  m=\(k.slot)" + (k.kernel.map { " \($0)" } ?? "") + " (\(channels)): \(verdict), relative error \(error)")
            if k.separable, k.size[0] > 1 || k.size[1] > 1 {
                out.append("      column \(dims0(k.column))  row \(dims0(k.row))")
            }
        }
        return out.flatMap { TextWrap.wrap($0, continuation: "        ") }.joined(separator: "\n") + "\n"
    }

    private func dims0(_ values: [Float]) -> String {
        let shown = values.prefix(9).map { SpecText.number((Double($0) * 1e4).rounded() / 1e4) }
        return "[" + shown.joined(separator: ", ") + (values.count > 9 ? ", ... (\(values.count))" : "") + "]"
    }

    private func padLeft(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
