import CEngineKernels

/// Which build of the engine's inner loops runs: the portable Swift kernels
/// (SSE2 on x86-64, NEON on arm64), or the C kernels compiled for AVX2+FMA or
/// AVX-512 (Sources/CEngineKernels), chosen once per process from what the
/// CPU reports (`current`). No compiler flag is involved, so the default
/// `swift build -c release` runs the best level the machine has.
///
/// The environment variable `FILTERBANK_ISA` (`sse2` or `portable`, `avx2`,
/// `avx512`) forces a level, for tests and comparisons. A name it does not
/// know, or a level the CPU lacks, is ignored with one line on standard error,
/// and the best level the CPU has runs.
///
/// Every level computes the same convolution; results differ from level to
/// level only in float32 rounding (AVX2 and AVX-512 fuse each multiply-add).
public enum InstructionSet: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// The Swift kernels, for the baseline of the architecture.
    case portable
    /// AVX2 with FMA: 8-lane vectors, fused multiply-adds.
    case avx2
    /// AVX-512 (F, VL, BW, DQ): 16-lane vectors, 32 registers.
    case avx512

    public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .portable: 0
        case .avx2: 1
        case .avx512: 2
        }
    }

    /// The name `FILTERBANK_ISA` takes (`sse2` for the portable level on x86-64).
    public var description: String {
        switch self {
        case .portable:
            #if arch(x86_64)
            "sse2"
            #else
            "portable"
            #endif
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The levels this CPU can run, lowest first (always `portable`).
    public static let available: [InstructionSet] = {
        let bits = Int(cek_supported_levels())
        return allCases.filter { bits & (1 << $0.rank) != 0 }
    }()

    /// The level a `FILTERBANK_ISA` value names, if any.
    public init?(name: String) {
        switch name.lowercased() {
        case "sse2", "portable", "baseline": self = .portable
        case "avx2": self = .avx2
        case "avx512", "avx-512": self = .avx512
        default: return nil
        }
    }

    /// The level the engine uses unless told otherwise: `FILTERBANK_ISA` when
    /// it names a level this CPU has, else the best available.
    public static let current: InstructionSet = {
        let best = available.last ?? .portable
        guard let raw = cek_requested_level() else { return best }
        let value = String(cString: raw)
        guard let level = InstructionSet(name: value) else {
            cek_warn("filterbank: FILTERBANK_ISA=\(value) is not a level (sse2, avx2, avx512); using \(best)")
            return best
        }
        guard available.contains(level) else {
            cek_warn("filterbank: FILTERBANK_ISA=\(value): this CPU lacks \(level); using \(best)")
            return best
        }
        return level
    }()
}
