import FilterBankIO
import FilterBankKit

extension ApplyJob {
    /// Geometry that overrides the bank's own; `nil` keeps the bank's value,
    /// or the default (stride 1, dilation 1, SAME).
    public struct Geometry: Sendable, Equatable {
        public var strides: HeightWidth?
        public var dilations: HeightWidth?
        public var padding: Padding?
        /// What the padded area holds (default zeros, TensorFlow's).
        public var border: BorderMode

        public init(strides: HeightWidth? = nil, dilations: HeightWidth? = nil, padding: Padding? = nil,
                    border: BorderMode = .zero) {
            self.strides = strides
            self.dilations = dilations
            self.padding = padding
            self.border = border
        }
    }

    /// How inputs are read, and what fails one.
    public struct Input: Sendable, Equatable {
        /// The most pixels (`width * height`; for `.npy`, every element but the
        /// channels) an input may have, checked from its header before any
        /// pixel memory is allocated.
        public var maxPixels = ImageDecoder.defaultMaxPixels
        /// The memory budget of one input, in bytes (see `MemoryBudget`): what
        /// its decoding, orientation, padding, engine and encoders may hold
        /// together, checked from its header before any of it is allocated.
        public var maxMemory = MemoryBudget.defaultBytes
        /// The most scans a JPEG input may have.
        public var maxScans = ImageDecoder.defaultMaxScans
        /// Orientation, alpha and gray conversion of decoded images.
        public var transforms = InputTransforms()
        /// What fails an input besides errors.
        public var failOn: FailurePolicy = .truncated

        public init() {}
    }

    /// What is written for each input, and where.
    public struct Output: Sendable, Equatable {
        /// The folder for the outputs (created when missing).
        public var directory: String
        public var format: OutputFormat = .png
        public var existing: ExistingOutputs = .refuse
        /// Per-channel file names; `nil`: `{stem}_c{channel}` (`{stem}_n{n}_c{channel}` for a batch).
        public var nameTemplate: NameTemplate?
        public var encoding = ImageEncoding()
        /// A contact sheet of each image's channels, or none.
        public var montage: Montage?
        /// Also write `<stem>.json`: per channel its source, statistics and exact mapping.
        public var statistics = false
        /// Only these output channels are computed and written (`nil`: all).
        public var channels: ChannelList?
        /// Colours for the channel images: `gray` writes grayscale files,
        /// another map 8-bit RGB PNGs or JPEGs.
        public var colormap: Colormap = .gray
        /// The most output channels (times images) one input may have,
        /// checked from its header before any pixel is read.
        public var maxOutputs = ApplyJob.defaultMaxOutputs
        /// The most channel files written at once (each an open file and an
        /// encoder): an input with more outputs is computed in passes of
        /// this many channels, each pass computing only what its channels need.
        public var filesPerPass = ApplyJob.defaultFilesPerPass
        /// Write one file per output channel (the default); false with a
        /// contact sheet writes the sheet alone.
        public var channelFiles = true

        public init(directory: String) { self.directory = directory }
    }

    /// How images are encoded.
    public struct ImageEncoding: Sendable, Equatable {
        public var pngCompression: PNGCompression = .fast
        /// 8 or 16 bits per PNG sample (JPEG is 8-bit).
        public var bitDepth = 8
        /// JPEG quality, 1...100.
        public var jpegQuality = JPEGEncoder.defaultQuality

        public init() {}
    }

    /// A contact sheet per image (see `MontageLayout`).
    public struct Montage: Sendable, Equatable {
        /// Where it goes: fields `{stem}` and `{n}` as in `NameTemplate` (`{n}`
        /// is added for a batch when absent), relative to the input's output
        /// folder like every other output (folders in it are created); an
        /// absolute path is taken as given.
        public var path: String
        public var colormap: Colormap
        /// Tile width in pixels (tiles keep the outputs' aspect ratio, shrunk
        /// by area averaging); `nil`: as wide as fits a sheet of
        /// `MontageStyle.defaultMaxWidth` pixels; 0: full size.
        public var tileWidth: Int?
        /// Grid columns; `nil`: the bank's grid (see `SheetLayout`).
        public var columns: Int?

        public init(path: String, colormap: Colormap = .gray, tileWidth: Int? = nil, columns: Int? = nil) {
            self.path = path
            self.colormap = colormap
            self.tileWidth = tileWidth
            self.columns = columns
        }
    }

    /// How float outputs become pixels (see `MappingMode`), over what range,
    /// and the affine `scale * x + offset` applied before clamping.
    public struct Mapping: Sendable, Equatable {
        public var mode: MappingMode = .auto
        public var scope: MappingScope = .channel
        public var scale: Float = 1
        public var offset: Float = 0
        /// The whole run's statistics, which `scope == .batch` needs for a mode
        /// that reads a range (a `BatchRun` measures every input first).
        public var runStatistics: ChannelStatistics?

        public init() {}
    }
}

/// What the job writes for each input.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// One grayscale PNG per output channel (8- or 16-bit): `<stem>_c<k>.png`.
    case png
    /// One 8-bit grayscale JPEG per output channel: `<stem>_c<k>.jpg`.
    case jpeg
    /// The whole float32 output tensor `[N, H_out, W_out, K]`: `<stem>.npy`.
    case npy
}

/// What happens when an output file already exists.
public enum ExistingOutputs: String, Sendable {
    /// The input fails with an error naming the file (the default: nothing is clobbered).
    case refuse
    /// The new output replaces it.
    case overwrite
}

/// What fails an input, besides errors: the one place this policy is decided.
public enum FailurePolicy: String, CaseIterable, Sendable {
    /// Only errors: a truncated JPEG passes, its missing rows padded with grey
    /// by libjpeg and "Premature end of JPEG file" among its warnings. (A
    /// truncated PNG cannot be completed and fails anyway.)
    case error
    /// Errors and truncated files (the default); other codec warnings pass
    /// and are listed in the report.
    case truncated
    /// Errors, truncated files and any codec warning.
    case warning

    /// Whether a JPEG that ends early is read (its missing rows grey).
    public var acceptsTruncatedFiles: Bool { self == .error }

    /// Fails the input at `path` when its codec `warnings` (so far) fail it
    /// under this policy: any warning, under `.warning`. The job checks after
    /// every band of rows, so that such an input stops early, and once more
    /// after the last row (a codec warns about the end of its file then).
    public func check(_ warnings: [String], input path: String, names: SettingNames) throws(FileError) {
        guard self == .warning, let first = warnings.first else { return }
        throw FileError(path: path, message: "codec warning: \(first) (a failure under \(names.failOnWarning))")
    }
}

/// How messages name the settings a user could change to get another
/// outcome ("use ... to replace it"). The library's own names by default; the
/// command line gives its flags, so that its messages speak its language.
public struct SettingNames: Sendable, Equatable {
    public var overwrite = "output.existing = .overwrite"
    public var skipExisting = "skipExisting"
    public var failOnWarning = "input.failOn = .warning"
    public var failFast = "failFast"
    public var recursive = "recursive"
    public var maxPixels = "input.maxPixels"
    public var maxMemory = "input.maxMemory"
    public var batchScope = "mapping.scope = .batch"
    public var nameTemplate = "output.nameTemplate"
    public var montagePath = "output.montage.path"
    public var maxOutputs = "output.maxOutputs"
    public var channels = "output.channels"
    /// How to state a weight layout, for the ambiguity message.
    public var layoutChoice = "state the layout: tf or torch"
    /// Reading weights in PyTorch's layout.
    public var layoutTorch = "layout .torch"
    /// Reading the input list from standard input.
    public var listFromStandardInput = "listFile = \"-\""
    /// Writing the one output to standard output.
    public var standardOutput = "standardOutput"
    /// The run report, which lists skipped files.
    public var report = "reportPath"
    /// The settings a channel mismatch suggests.
    public var gray = "input.transforms.gray"
    public var alphaDrop = "input.transforms.alpha = .drop"

    public init() {}
}

/// The files a job writes for one input, by what they hold.
public struct OutputFiles: Sendable, Equatable {
    /// One image per output channel of every image of the input, image `n`'s
    /// channel `k` at `n * K + k`; empty for `.npy`.
    public let channels: [String]
    /// The whole output tensor (`.npy`), or nil.
    public let tensor: String?
    /// One contact sheet per image of the input, or none.
    public let montages: [String]
    /// The statistics sidecar, or nil.
    public let statistics: String?

    /// Every file: channel images (or the tensor), contact sheets, statistics.
    public var all: [String] { channels + (tensor.map { [$0] } ?? []) + montages + (statistics.map { [$0] } ?? []) }
}
