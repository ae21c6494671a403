/// A pair of per-axis integers: strides, dilations, sizes.
public struct HeightWidth: Hashable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same value on both axes.
    public init(_ both: Int) { self.init(both, both) }

    public static let one = HeightWidth(1, 1)

    public var description: String { "[\(height), \(width)]" }

    /// Parses `"2"` (both axes) or `"2,3"` (height, width): positive integers,
    /// blanks around each allowed; `nil` for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.blankTrimmed) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        switch parts.count {
        case 1: self.init(parts[0]!)
        case 2: self.init(parts[0]!, parts[1]!)
        default: return nil
        }
    }
}

/// How the input is padded (with zeros) before the kernel slides over it.
///
/// - `same`: TensorFlow's `SAME`. Output size `ceil(in / stride)`; total padding
///   `max((out - 1) * stride + effectiveKernel - in, 0)`, split with the odd
///   pixel at the bottom / right.
/// - `valid`: TensorFlow's `VALID`, no padding. Output size
///   `ceil((in - effectiveKernel + 1) / stride)`; the kernel must fit.
/// - `explicit`: the given pads per side, output size
///   `(in + top + bottom - effectiveKernel) / stride + 1` (floor), as
///   `tf.nn.depthwise_conv2d(padding=[[0,0],[t,b],[l,r],[0,0]])` computes.
public enum Padding: Hashable, Sendable, CustomStringConvertible {
    case same
    case valid
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    public var description: String {
        switch self {
        case .same: return "SAME"
        case .valid: return "VALID"
        case let .explicit(t, b, l, r): return "explicit [[\(t), \(b)], [\(l), \(r)]]"
        }
    }

    /// Parses `same`, `valid` (any case) or explicit pads `T,B,L,R`
    /// (non-negative integers); `nil` for anything else.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "same": self = .same
        case "valid": self = .valid
        default:
            let pads = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.blankTrimmed) }
            guard pads.count == 4, pads.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            self = .explicit(top: pads[0]!, bottom: pads[1]!, left: pads[2]!, right: pads[3]!)
        }
    }
}

