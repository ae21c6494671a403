import ArgumentParser
import FilterBankIO
import FilterBankKit

/// How output channels become files.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("png (one grayscale PNG per output channel) or npy (the float32 tensor [N, H, W, K]).", valueName: "format"))
    var format: OutputFormat = .png

    @Option(help: ArgumentHelp("""
        How float outputs become pixels: clamp (round(clamp(v, 0, 1) * max)), minmax (each range \
        stretched from its min..max; constant -> mid-grey), abs (|v| clamped), symmetric (0 -> mid-grey, \
        +-max|v| -> white/black).
        """, valueName: "mode"))
    var map: MappingMode = .clamp

    @Option(name: .customLong("map-scope"), help: ArgumentHelp("""
        Range of minmax/symmetric: channel (each output channel), image (all channels of one image), \
        batch (the whole run, so maps stay comparable across files).
        """, valueName: "scope"))
    var mapScope: MappingScope = .channel

    @Option(help: ArgumentHelp("Multiply the mapped value by S before clamping (default 1).", valueName: "S"))
    var scale: Float = 1

    @Option(help: ArgumentHelp("Add O to the mapped value before clamping (default 0), e.g. --offset 0.5 for signed output.", valueName: "O"))
    var offset: Float = 0

    @Option(name: .customLong("bit-depth"), help: ArgumentHelp("PNG sample depth: 8 or 16 (16 keeps 256 times the levels).", valueName: "bits"))
    var bitDepth: Int = 8

    @Option(name: .customLong("png-compression"), help: ArgumentHelp("""
        fast (zlib 1, RLE, Sub filter; default), default (zlib 6, libpng's filters), small (zlib 9, all filters).
        """, valueName: "level"))
    var pngCompression: PNGCompressionPreset = .fast

    @Option(help: ArgumentHelp("""
        Output file name template (no extension). Fields: {stem} {channel} {n} (batch index) {c} (input \
        channel) {m} (kernel index) {kernel} (kernel name). Default '{stem}_c{channel}' \
        ('{stem}_n{n}_c{channel}' for a batch).
        """, valueName: "template"))
    var name: String?

    @Flag(help: "Also write OUTDIR/<stem>.json: each channel's source, min, max, mean, std and the exact mapping used.")
    var stats = false

    func validate() throws {
        guard bitDepth == 8 || bitDepth == 16 else { throw ValidationError("--bit-depth must be 8 or 16, got \(bitDepth)") }
        guard scale.isFinite, offset.isFinite else { throw ValidationError("--scale and --offset must be finite numbers") }
        if let name {
            do { _ = try NameTemplate(name) } catch { throw ValidationError(error.description) }
        }
        if format == .npy && (bitDepth != 8 || map != .clamp || name != nil || stats) {
            throw ValidationError("--format npy writes the float tensor as it is: --map, --bit-depth, --name and --stats apply to image formats")
        }
    }

    func configure(_ job: inout ApplyJob) {
        job.format = format
        job.mapping = map
        job.mappingScope = mapScope
        job.mappingScale = scale
        job.mappingOffset = offset
        job.bitDepth = bitDepth
        job.pngCompression = pngCompression.compression
        job.nameTemplate = name.flatMap { try? NameTemplate($0) }
        job.writeStatistics = stats
    }
}

enum PNGCompressionPreset: String, CaseIterable, ExpressibleByArgument {
    case fast, `default`, small
    var compression: PNGCompression {
        switch self {
        case .fast: return .fast
        case .default: return .standard
        case .small: return PNGCompression(level: 9, strategy: .defaultStrategy, filters: [])
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension MappingMode: ExpressibleByArgument {}
extension MappingScope: ExpressibleByArgument {}
