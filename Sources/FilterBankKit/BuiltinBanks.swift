/// Filter banks the tool can apply without a bank file.
public enum BuiltinBanks {
    /// Sobel x, `[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]` (a cross-correlation: it
    /// responds positively where brightness increases to the right).
    public static let sobelX: [Float] = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
    /// Sobel y, the transpose of Sobel x (positive where brightness increases downwards).
    public static let sobelY: [Float] = [-1, -2, -1, 0, 0, 0, 1, 2, 1]

    /// The default bank, `edges`: Sobel x and Sobel y applied to every input
    /// channel (M = 2), SAME padding, stride 1. Output channel `2c` is the x
    /// gradient of input channel `c`, `2c + 1` its y gradient.
    public static func edges(channels: Int) throws(FilterBankError) -> FilterBank {
        let filter = try DepthwiseFilter(kernels: [sobelX, sobelY], height: 3, width: 3, channels: channels)
        return try FilterBank(depthwise: filter)
    }
}
