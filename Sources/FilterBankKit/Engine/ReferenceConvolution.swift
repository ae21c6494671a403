/// The plain reference loop: the definition of `tf.nn.depthwise_conv2d` and
/// `tf.nn.separable_conv2d`, written for clarity, accumulated in Double.
///
/// It is the yardstick for every fast path (tests compare them on random
/// shapes); it is never used to produce the tool's output.
///
///     depthwise[n, y, x, c*M + m] = sum_{i, j} in[n, y*sh + i*dh - padTop, x*sw + j*dw - padLeft, c] * f[i, j, c, m]
///     separable[n, y, x, o]       = sum_k depthwise[n, y, x, k] * p[0, 0, k, o]
///
/// Samples outside the input are zero, or, under another `BorderMode`, the
/// sample that `BorderMode.sourceIndex` maps the position to (a plain index
/// mapping per axis). A bank's bias is added last.
public enum ReferenceConvolution {
    public static func apply(_ bank: FilterBank, to input: Tensor) throws(FilterBankError) -> Tensor {
        let plan = try ConvolutionPlan(input: input.shape, bank: bank)
        let out = plan.output
        let f = bank.depthwise
        let cm = f.outputChannels
        var result = Tensor(zeros: out)
        var depth = [Double](repeating: 0, count: cm)
        for n in 0..<out.batch {
            for y in 0..<out.height {
                for x in 0..<out.width {
                    for c in 0..<f.inputChannels {
                        for m in 0..<f.multiplier {
                            var sum = 0.0
                            for i in 0..<f.kernelHeight {
                                let py = plan.rows.inputIndex(output: y, tap: i)
                                guard let iy = bank.border.sourceIndex(py, size: input.shape.height) else { continue }
                                for j in 0..<f.kernelWidth {
                                    let px = plan.columns.inputIndex(output: x, tap: j)
                                    guard let ix = bank.border.sourceIndex(px, size: input.shape.width) else { continue }
                                    sum += Double(input[n, iy, ix, c]) * Double(f.weight(i, j, c, m))
                                }
                            }
                            depth[c * f.multiplier + m] = sum
                        }
                    }
                    if let p = bank.pointwise {
                        for o in 0..<p.outputChannels {
                            var sum = 0.0
                            for k in 0..<cm { sum += depth[k] * Double(p.values[k * p.outputChannels + o]) }
                            result[n, y, x, o] = Float(sum + Double(bank.bias?[o] ?? 0))
                        }
                    } else {
                        for k in 0..<cm { result[n, y, x, k] = Float(depth[k] + Double(bank.bias?[k] ?? 0)) }
                    }
                }
            }
        }
        return result
    }
}
