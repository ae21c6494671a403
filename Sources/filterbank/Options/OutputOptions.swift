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
        How float outputs become pixels: auto (default: symmetric for a channel whose weights have both \
        signs, clamp for one whose weights are all non-negative), clamp (round(clamp(v, 0, 1) * max)), \
        minmax (each range stretched from its min..max; constant -> mid-grey), abs (|v| clamped), \
        symmetric (0 -> mid-grey, +-max|v| -> white/black).
        """, valueName: "mode"))
    var map: MappingMode = .auto

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
        fast (filterbank's own deflate encoder: about the size of zlib 1, several times faster; default), \
        default (zlib 6, libpng's filters), small (zlib 9, libpng's filters).
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
        Write only these output channels, and compute only what they need: indices and ranges, e.g. 0,3,5-7.
        """, valueName: "list"))
    var channels: String?

    @Option(name: .customLong("max-outputs"), help: ArgumentHelp("""
        Refuse an input with more output channels (times images) than this, before reading its pixels (default 4096).
        """, valueName: "n"))
    var maxOutputs: Int = ApplyJob.defaultMaxOutputs

    @Option(help: ArgumentHelp("""
        Also write a labelled contact sheet of an image's output channels to this PNG, under OUTDIR: one \
        row per input channel and one column per kernel (depthwise), or a near-square grid; a title and a \
        colour bar. Fields {stem} and {n} as in --name, e.g. 'sheets/{stem}.png' (folders are created).
        """, valueName: "file.png"))
    var montage: String?

    @Option(name: .customLong("tile-width"), help: ArgumentHelp("""
        Contact sheet tile width in pixels (tiles shrunk by area averaging); 0 = full size. Default: the \
        widest that keeps the sheet within 4096 pixels.
        """, valueName: "w"))
    var tileWidth: Int?

    @Option(help: ArgumentHelp("Contact sheet columns (a grid filled row by row) instead of the bank's grid.", valueName: "n"))
    var columns: Int?

    @Option(help: ArgumentHelp("""
        Colours for channel files and the contact sheet: gray, viridis, magma, coolwarm (diverging: 0 in the \
        middle, as --map auto or symmetric put it). Other than gray, channel files are 8-bit RGB.
        """, valueName: "map"))
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
        if let montage { try Self.validateMontage(montage) }
        if colormap != .gray && format == .npy && montage == nil {
            throw ValidationError("--colormap applies to image files and --montage, not to --format npy")
        }
        if colormap != .gray && bitDepth == 16 && format != .npy {
            throw ValidationError("--colormap writes 8-bit RGB files: it cannot be used with --bit-depth 16")
        }
        guard maxOutputs > 0 else { throw ValidationError("--max-outputs must be a positive integer, got \(maxOutputs)") }
        if let tileWidth, tileWidth < 0 { throw ValidationError("--tile-width must be 0 (full size) or a positive width, got \(tileWidth)") }
        if let columns, columns <= 0 { throw ValidationError("--columns must be a positive integer, got \(columns)") }
        if (tileWidth != nil || columns != nil) && montage == nil {
            throw ValidationError("--tile-width and --columns apply to --montage")
        }
        if let channels {
            let list: ChannelList
            do { list = try ChannelList(parsing: channels) } catch { throw ValidationError("--channels: \(error.description)") }
            if list.distinctCount > maxOutputs {
                throw ValidationError("--channels '\(channels)' lists \(list.distinctCount) channels, over --max-outputs \(maxOutputs)")
            }
        }
    }

    /// A montage path: a .png file name, fields {stem} and {n} only, under OUTDIR.
    static func validateMontage(_ montage: String) throws {
        guard montage.lowercased().hasSuffix(".png"), !PathText.basename(montage).hasPrefix(".png") || montage.count > 4 else {
            throw ValidationError("--montage writes a PNG: give a file name ending in .png, got '\(montage)'")
        }
        guard !montage.hasSuffix("/"), PathText.basename(montage).count > 4 else {
            throw ValidationError("--montage '\(montage)' needs a file name before .png")
        }
        var rest = Substring(montage)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw ValidationError("--montage '\(montage)' has an unclosed '{'")
            }
            let field = rest[rest.index(after: open)..<close]
            guard field == "stem" || field == "n" else {
                throw ValidationError("--montage '\(montage)' has an unknown field {\(field)}; fields: {stem}, {n}")
            }
            rest = rest[rest.index(after: close)...]
        }
        if !montage.hasPrefix("/"), montage.split(separator: "/").contains("..") {
            throw ValidationError("--montage '\(montage)' must stay under OUTDIR: no '..' in it (or give an absolute path)")
        }
    }

    func configure(_ job: inout ApplyJob) {
        job.output.format = format
        job.output.nameTemplate = name.flatMap { try? NameTemplate($0) }
        job.output.statistics = stats
        job.output.encoding.bitDepth = bitDepth
        job.output.encoding.pngCompression = pngCompression.compression
        job.output.encoding.jpegQuality = quality
        job.output.montage = montage.map { ApplyJob.Montage(path: $0, colormap: colormap, tileWidth: tileWidth, columns: columns) }
        job.output.colormap = format == .npy ? .gray : colormap
        job.output.channels = channels.flatMap { try? ChannelList(parsing: $0) }
        job.output.maxOutputs = maxOutputs
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
