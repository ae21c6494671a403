import Foundation
import FilterBankIO
import FilterBankKit

/// The `--stats` sidecar, `<stem>.json`: for each output channel its source,
/// its statistics, and the exact mapping used, so that the real values can be
/// recovered from the pixels:
///
///     v = (pixel / max_value - offset) / scale     (|v| when "absolute"; pixels at 0 or max_value may be clamped)
struct StatisticsReport: Encodable {
    struct Mapping: Encodable {
        /// The mode asked for (`auto` resolves per channel: see each channel's `mode`).
        let mode: String
        let scope: String
        let bit_depth: Int
        let max_value: Int
        /// `gray`, or the colour map that made the files RGB (the pixel above is then the map's index).
        let colormap: String
        let formula = "pixel = round(clamp(scale * (absolute ? |v| : v) + offset, 0, 1) * max_value); v = (pixel / max_value - offset) / scale"
    }
    struct Source: Encodable {
        let input_channel: Int?
        let kernel: Int?
        let pointwise_output: Int?
    }
    struct Channel: Encodable {
        let batch: Int
        let channel: Int
        let file: String
        let source: Source
        /// The mode this channel got: with `auto`, `symmetric` for a channel whose weights have both signs, else `clamp`.
        let mode: String
        let count: Int
        let min: Double?
        let max: Double?
        let mean: Double?
        let std: Double?
        let absolute: Bool
        let scale: Double
        let offset: Double
    }
    let input: String
    let kind: String
    let depthwise_shape: [Int]
    let pointwise_shape: [Int]?
    let output_shape: [Int]
    let mapping: Mapping
    let channels: [Channel]

    init(input: String, bank: FilterBank, output: TensorShape, selected: [Int], files: [String],
         statistics: [[ChannelStatistics]], mappings: [[ChannelMapping]], modes: [MappingMode], mode: MappingMode,
         scope: MappingScope, bitDepth: Int, colormap: Colormap) {
        self.input = input
        kind = bank.kind.rawValue
        depthwise_shape = bank.depthwise.shape
        pointwise_shape = bank.pointwise?.shape
        output_shape = output.dimensions
        mapping = Mapping(mode: mode.rawValue, scope: scope.rawValue, bit_depth: bitDepth,
                          max_value: bitDepth == 16 ? 65535 : 255, colormap: colormap.rawValue)
        let m = bank.depthwise.multiplier
        var list: [Channel] = []
        for n in 0..<output.batch {
            for (i, k) in selected.enumerated() {
                let s = statistics[n][k]
                let map = mappings[n][k]
                let finite = s.count > 0
                let source = bank.pointwise == nil
                    ? Source(input_channel: k / m, kernel: k % m, pointwise_output: nil)
                    : Source(input_channel: nil, kernel: nil, pointwise_output: k)
                list.append(Channel(batch: n, channel: k, file: (files[n * selected.count + i] as NSString).lastPathComponent,
                                    source: source, mode: modes[k].rawValue, count: s.count,
                                    min: finite ? Double(s.minimum) : nil, max: finite ? Double(s.maximum) : nil,
                                    mean: finite ? s.mean : nil, std: finite ? s.standardDeviation : nil,
                                    absolute: map.absolute, scale: Double(map.scale), offset: Double(map.offset)))
            }
        }
        channels = list
    }

    /// Writes the JSON to a temporary file staged for `finalPath`.
    func write(to finalPath: String, staged: StagedFiles) throws(FileError) {
        do {
            let file = try staged.createFile(finalPath)
            try file.write(Array((JSONOutput.pretty(self) + "\n").utf8))
            try file.close()
        } catch {
            throw FileError(path: finalPath, message: "cannot write statistics: \(error.message)")
        }
    }
}
