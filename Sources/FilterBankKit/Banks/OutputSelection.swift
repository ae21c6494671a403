/// A list of output channels such as `0,3,5-7`: single indices and inclusive
/// ranges, separated by commas (what `--channels` takes).
public struct ChannelList: Sendable, Equatable, CustomStringConvertible {
    /// The ranges as written, each `lower...upper`.
    public let ranges: [ClosedRange<Int>]
    public let description: String

    /// Parses `text`; the message says what is wrong.
    public init(parsing text: String) throws(ChannelListError) {
        var ranges: [ClosedRange<Int>] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for raw in items {
            let item = raw.trimmingSpaces
            guard !item.isEmpty else { throw ChannelListError("channel list '\(text)' has an empty item") }
            let parts = item.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count <= 2, let low = Int(parts[0]), low >= 0,
                  let high = parts.count == 2 ? Int(parts[1]) : low, high >= 0 else {
                throw ChannelListError("channel list '\(text)': '\(item)' is not an index (0, 1, ...) or a range (5-7)")
            }
            guard low <= high else { throw ChannelListError("channel list '\(text)': range '\(item)' runs backwards") }
            ranges.append(low...high)
        }
        self.ranges = ranges
        description = text
    }

    /// The ranges sorted and merged where they overlap or touch.
    var merged: [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// How many distinct channels the list names.
    public var distinctCount: Int { merged.reduce(0) { $0 + $1.count } }

    /// The channels listed, sorted, each once; throws when one is `count` or more.
    public func indices(count: Int) throws(ChannelListError) -> [Int] {
        let merged = self.merged
        if let last = merged.last, last.upperBound >= count {
            throw ChannelListError("channel list '\(description)' names channel \(last.upperBound), "
                                   + "but there are \(count) output channels (0-\(count - 1))")
        }
        return merged.flatMap { Array($0) }
    }

    /// The largest channel named.
    public var largest: Int { ranges.map(\.upperBound).max() ?? 0 }
}

public struct ChannelListError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

/// A bank cut down to some of its output channels, with what it reads: the
/// smaller bank computes exactly `outputs` (in that order), from the input
/// channels `inputChannels` of the original input (in that order, an input
/// channel listed once for each output that reads it when needed).
///
/// - Depthwise: when the outputs are every kernel of a set of kernels on
///   every channel of a set of channels (`C' x M'`), the bank keeps that
///   shape; otherwise each output becomes a channel of its own with one
///   kernel (`M = 1`), so that no filter is computed that no output needs.
/// - Separable: the pointwise columns of `outputs`, and the depthwise
///   channels whose pointwise rows feed them (cut down as above).
public struct OutputSelection: Sendable {
    public let bank: FilterBank
    /// Output `i` of `bank` is output `outputs[i]` of the original.
    public let outputs: [Int]
    /// Input channel `j` of `bank` is input channel `inputChannels[j]` of the original input.
    public let inputChannels: [Int]
    /// Whether the smaller bank reads the original input's channels as they are.
    public let readsAllChannels: Bool

    init(bank: FilterBank, outputs: [Int], inputChannels: [Int], originalChannels: Int) {
        self.bank = bank
        self.outputs = outputs
        self.inputChannels = inputChannels
        readsAllChannels = inputChannels == Array(0..<originalChannels)
    }
}

extension FilterBank {
    /// This bank cut down to `outputs` (sorted, distinct, in range); see `OutputSelection`.
    public func selecting(outputs: [Int]) throws(FilterBankError) -> OutputSelection {
        precondition(!outputs.isEmpty && zip(outputs, outputs.dropFirst()).allSatisfy { $0 < $1 }
                     && outputs.last! < outputChannels && outputs.first! >= 0)
        if outputs.count == outputChannels {
            return OutputSelection(bank: self, outputs: outputs, inputChannels: Array(0..<depthwise.inputChannels),
                                   originalChannels: depthwise.inputChannels)
        }
        let bias = self.bias.map { b in outputs.map { b[$0] } }
        guard let pointwise else {
            let (dw, channels) = try depthwise.selecting(outputs)
            return OutputSelection(bank: try FilterBank(depthwise: dw, strides: strides, dilations: dilations,
                                                        padding: padding, bias: bias, border: border),
                                   outputs: outputs, inputChannels: channels, originalChannels: depthwise.inputChannels)
        }
        let o = pointwise.outputChannels
        var needed = (0..<pointwise.inputDepth).filter { k in outputs.contains { pointwise.values[k * o + $0] != 0 } }
        if needed.isEmpty { needed = [0] }  // outputs that are bias alone: keep one (zero-weighted) channel
        let (dw, channels) = try depthwise.selecting(needed)
        var values: [Float] = []
        values.reserveCapacity(needed.count * outputs.count)
        for k in needed { for j in outputs { values.append(pointwise.values[k * o + j]) } }
        let pw = try PointwiseFilter(shape: [1, 1, needed.count, outputs.count], values: values)
        return OutputSelection(bank: try FilterBank(depthwise: dw, pointwise: pw, strides: strides, dilations: dilations,
                                                    padding: padding, bias: bias, border: border),
                               outputs: outputs, inputChannels: channels, originalChannels: depthwise.inputChannels)
    }

    /// Per output channel, whether it can be negative for a non-negative
    /// input: a negative weight on some input channel (for a separable bank,
    /// in the combined kernel `sum_m pointwise[c*M+m, o] * depthwise[c, m]`),
    /// or a negative bias. What `MappingMode.auto` reads.
    public var signedOutputs: [Bool] {
        let d = depthwise, m = d.multiplier, taps = d.kernelHeight * d.kernelWidth
        let depthwiseSigned: [Bool]
        if let pointwise {
            let o = pointwise.outputChannels
            depthwiseSigned = (0..<o).map { out in
                for c in 0..<d.inputChannels {
                    for t in 0..<taps {
                        var w: Float = 0
                        for s in 0..<m { w += pointwise.values[(c * m + s) * o + out] * d.values[(t * d.inputChannels + c) * m + s] }
                        if w < 0 { return true }
                    }
                }
                return false
            }
        } else {
            depthwiseSigned = (0..<d.outputChannels).map { k in
                (0..<taps).contains { t in d.values[t * d.outputChannels + k] < 0 }
            }
        }
        guard let bias else { return depthwiseSigned }
        return zip(depthwiseSigned, bias).map { $0 || $1 < 0 }
    }
}

extension DepthwiseFilter {
    /// The filter that computes only depthwise channels `channels` (sorted,
    /// distinct), and the input channels it reads.
    func selecting(_ channels: [Int]) throws(FilterBankError) -> (DepthwiseFilter, [Int]) {
        let m = multiplier, taps = kernelHeight * kernelWidth
        var inputs: [Int] = [], slots: [Int] = []
        for k in channels {
            if inputs.last != k / m { inputs.append(k / m) }
            if !slots.contains(k % m) { slots.append(k % m) }
        }
        slots.sort()
        let rectangle = inputs.count * slots.count == channels.count
            && channels == inputs.flatMap { c in slots.map { c * m + $0 } }
        if rectangle {
            var values: [Float] = []
            values.reserveCapacity(taps * inputs.count * slots.count)
            for t in 0..<taps { for c in inputs { for s in slots { values.append(self.values[(t * inputChannels + c) * m + s]) } } }
            return (try DepthwiseFilter(shape: [kernelHeight, kernelWidth, inputs.count, slots.count], values: values), inputs)
        }
        // One channel per output, each with its own kernel.
        var values: [Float] = []
        values.reserveCapacity(taps * channels.count)
        for t in 0..<taps { for k in channels { values.append(self.values[t * outputChannels + k]) } }
        return (try DepthwiseFilter(shape: [kernelHeight, kernelWidth, channels.count, 1], values: values),
                channels.map { $0 / m })
    }
}
