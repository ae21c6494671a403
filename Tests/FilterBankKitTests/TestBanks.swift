import FilterBankKit

/// Sobel x, written out here (not taken from the library) so that tests check
/// the library's kernels against it: positive where brightness increases to the right.
let sobelX: [Float] = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
/// Sobel y, the transpose: positive where brightness increases downwards.
let sobelY: [Float] = [-1, -2, -1, 0, 0, 0, 1, 2, 1]

/// The default `edges` bank for `channels` input channels.
func edgesBank(channels: Int) throws -> FilterBank {
    try FilterBank(depthwise: NamedBank.edges.depthwise(channels: channels))
}
