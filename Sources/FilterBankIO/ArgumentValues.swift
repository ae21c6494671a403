import FilterBankKit

/// Parsers for the values users type on the command line. They live here, not
/// in the executable, so that scripts and tests share one grammar.
public enum ArgumentValues {
    /// `"2"` (both axes) or `"2,3"` (height, width): positive integers.
    public static func heightWidth(_ text: String) -> HeightWidth? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: " ")) }
        guard parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        switch parts.count {
        case 1: return HeightWidth(parts[0]!)
        case 2: return HeightWidth(parts[0]!, parts[1]!)
        default: return nil
        }
    }

    /// `same`, `valid` (any case), or explicit pads `T,B,L,R` (non-negative integers).
    public static func padding(_ text: String) -> Padding? {
        switch text.lowercased() {
        case "same": return .same
        case "valid": return .valid
        default:
            let pads = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: " ")) }
            guard pads.count == 4, pads.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
            return .explicit(top: pads[0]!, bottom: pads[1]!, left: pads[2]!, right: pads[3]!)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return s
    }
}
