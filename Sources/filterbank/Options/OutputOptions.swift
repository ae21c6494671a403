import ArgumentParser
import FilterBankIO
import FilterBankRun
import FilterBankKit

/// How output channels become files.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("png (one grayscale PNG per output channel), jpeg (one grayscale JPEG per channel) or npy (the float32 tensor [N, H, W, K]).", valueName: "format"))
    var format: OutputFormat = .png

    @Option(help: ArgumentHelp("JPEG quality, 1-100 (with --format jpeg).", valueName: "q"))
    var quality: Int = 90

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
        fast (zlib 1, RLE, Sub filter; default), default (zlib 6, libpng's filters), small (zlib 9, libpng's filters).
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

    @Option(help: ArgumentHelp("""
        Also write a contact sheet of every output channel of an image to this PNG: one row per input \
        channel and one column per kernel (depthwise), or a near-square grid (separable). Fields {stem} \
        and {n} as in --name, e.g. 'sheets/{stem}.png'.
        """, valueName: "file.png"))
    var montage: String?

    @Option(help: ArgumentHelp("Montage colours: gray, viridis, magma, coolwarm (diverging: use with --map symmetric).", valueName: "map"))
    var colormap: Colormap = .gray

    func validate() throws {
        guard bitDepth == 8 || bitDepth == 16 else { throw ValidationError("--bit-depth must be 8 or 16, got \(bitDepth)") }
        guard scale.isFinite, offset.isFinite else { throw ValidationError("--scale and --offset must be finite numbers") }
        if let name {
            do { _ = try NameTemplate(name) } catch { throw ValidationError(error.description) }
        }
        if format == .npy && (bitDepth != 8 || name != nil || stats) {
            throw ValidationError("--format npy writes the float tensor as it is: --bit-depth, --name and --stats apply to image formats")
        }
        if format == .jpeg && bitDepth != 8 { throw ValidationError("--format jpeg is 8-bit only; use png for --bit-depth 16") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100, got \(quality)") }
        if let montage, !montage.lowercased().hasSuffix(".png") {
            throw ValidationError("--montage writes a PNG: give a file name ending in .png, got '\(montage)'")
        }
        if colormap != .gray && montage == nil { throw ValidationError("--colormap applies to --montage") }
    }

    func configure(_ job: inout ApplyJob) {
        job.output.format = format
        job.output.nameTemplate = name.flatMap { try? NameTemplate($0) }
        job.output.statistics = stats
        job.output.encoding.bitDepth = bitDepth
        job.output.encoding.pngCompression = pngCompression.compression
        job.output.encoding.jpegQuality = quality
        job.output.montage = montage.map { ApplyJob.Montage(path: $0, colormap: colormap) }
        job.mapping.mode = map
        job.mapping.scope = mapScope
        job.mapping.scale = scale
        job.mapping.offset = offset
    }
}

enum PNGCompressionPreset: String, CaseIterable, ExpressibleByArgument {
    case fast, `default`, small
    var compression: PNGCompression {
        switch self {
        case .fast: return .fast
        case .default: return .standard
        case .small: return PNGCompression(level: 9)
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension MappingMode: ExpressibleByArgument {}
extension MappingScope: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
