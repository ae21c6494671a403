import FilterBankKit

/// How filter arrays in `.npy` and `.npz` files are laid out.
public enum WeightLayout: String, CaseIterable, Sendable {
    /// TensorFlow / Keras: depthwise `[kh, kw, C, M]`, pointwise `[1, 1, C*M, O]`.
    case tf
    /// PyTorch: depthwise `Conv2d(C, C*M, k, groups=C).weight` `[C*M, 1, kh, kw]`,
    /// pointwise `Conv2d(C*M, O, 1).weight` `[O, C*M, 1, 1]`.
    ///
    /// PyTorch's grouped convolution sends input channel `c` to outputs
    /// `c*M ..< (c+1)*M`, so its output `j` is TensorFlow's `c*M + m`: loading
    /// transposes the taps (`tf[i, j, k] = torch[k, 0, i, j]` with `k = c*M + m`)
    /// and keeps the channel order. The weights do not say how `C*M` splits
    /// into `C` and `M` (that is the layer's `groups`), so the split is made
    /// for each input: `M = (C*M) / C` with `C` the input's channel count.
    case torch
}

/// Where an array came from, for messages: a file, or an entry of an archive.
struct ArrayOrigin {
    let path: String
    let entry: String?

    func fail(_ message: String) -> FileError {
        FileError(path: path, message: entry.map { "'\($0)': \(message)" } ?? message)
    }
}

extension BankFile {
    /// Reads `.npy` filters in `layout` (`depthwise` required, `pointwise`
    /// optional). TensorFlow layout gives a fixed bank (`.file`); PyTorch
    /// layout a `.torch` source that splits `C*M` per input; no layout (nil)
    /// the TensorFlow reading, or `.eitherLayout` when the shapes read in
    /// both layouts (each input then decides, or is refused).
    public static func loadNpy(depthwise: String, pointwise: String?, layout: WeightLayout?) throws(FileError) -> BankSource {
        let dw = try NpyFile.readArray(path: depthwise)
        let pw = try pointwise.map { p throws(FileError) in (try NpyFile.readArray(path: p), ArrayOrigin(path: p, entry: nil)) }
        let made = try source(depthwise: (dw, ArrayOrigin(path: depthwise, entry: nil)), pointwise: pw, bias: nil, layout: layout)
        // A fixed bank is checked now, as a JSON bank is (kernel size and the other limits), not at each input.
        if case let .file(spec) = made {
            do { _ = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch { throw FileError(path: depthwise, error) }
        }
        return made
    }

    /// Reads a bank from an `.npz` archive (see `WeightArchive` for the names
    /// it understands) in `layout`.
    public static func loadNpz(path: String, layout: WeightLayout) throws(FileError) -> BankSource {
        try loadWeights(path: path, layout: layout)
    }

    /// Reads a bank from an `.npz` or `.safetensors` weight file: the arrays
    /// `layers` names, or those the file's names imply (`WeightArchive`).
    /// `layout` nil: the layout the names imply (PyTorch for `state_dict`
    /// names, TensorFlow for Keras'), else decided for each input
    /// (`BankSource.eitherLayout`). Only the arrays used are read from a
    /// `.safetensors` file.
    public static func loadWeights(path: String, layout: WeightLayout?, layers: LayerChoice = LayerChoice()) throws(FileError) -> BankSource {
        let archive = try WeightArchive.open(path: path)
        let selection = try archive.select(layers, layout: layout)
        func load(_ name: String?) throws(FileError) -> (NpyArray, ArrayOrigin)? {
            guard let name else { return nil }
            return (try archive.read(name), ArrayOrigin(path: path, entry: name))
        }
        let reading = layout ?? selection.impliedLayout
        // The bank's kernel limit, from the header's shape, before the weights are read.
        if let shape = archive.entries.first(where: { $0.name == selection.depthwise })?.shape, shape.count == 4 {
            let sides = (reading ?? .tf) == .torch ? (shape[2], shape[3]) : (shape[0], shape[1])
            if max(sides.0, sides.1) > KernelLibrary.maximumSize {
                throw ArrayOrigin(path: path, entry: selection.depthwise).fail(
                    "\(shape) holds \(sides.0)x\(sides.1) kernels, larger than \(KernelLibrary.maximumSize)x\(KernelLibrary.maximumSize), the largest a bank may have")
            }
        }
        let dw = try load(selection.depthwise)!
        let pw = try load(selection.pointwise)
        var bias = try load(selection.bias)
        if let (dwBias, origin) = try load(selection.depthwiseBias), let (pwArray, pwOrigin) = pw {
            bias = (try fold(depthwiseBias: dwBias, origin: origin, into: pwArray, pwOrigin: pwOrigin,
                             bias: bias?.0, layout: reading ?? .torch), origin)
        }
        return try source(depthwise: dw, pointwise: pw, bias: bias, layout: reading)
    }

    /// The bias after a pointwise layer that follows a depthwise layer with
    /// its own bias: `b[o] = b_pw[o] + sum_k W_pw[o, k] * b_dw[k]`.
    static func fold(depthwiseBias: NpyArray, origin: ArrayOrigin, into pointwise: NpyArray, pwOrigin: ArrayOrigin,
                     bias: NpyArray?, layout: WeightLayout) throws(FileError) -> NpyArray {
        let s = pointwise.shape
        guard s.count == 4 else { throw pwOrigin.fail("a pointwise weight must have rank 4, got shape \(s)") }
        let (outputs, depth) = layout == .torch ? (s[0], s[1]) : (s[3], s[2])
        guard depthwiseBias.shape == [depth] else {
            throw origin.fail("the depthwise bias must have \(depth) values to follow into the pointwise weight \(s), got shape \(depthwiseBias.shape)")
        }
        if let bias, bias.shape != [outputs] {
            throw pwOrigin.fail(FilterBankError.biasCountMismatch(expected: outputs, got: bias.values.count).description)
        }
        var folded = bias?.values ?? [Float](repeating: 0, count: outputs)
        for o in 0..<outputs {
            var sum: Float = 0
            for k in 0..<depth {
                let w = layout == .torch ? pointwise.values[o * depth + k] : pointwise.values[k * outputs + o]
                sum += w * depthwiseBias.values[k]
            }
            folded[o] += sum
        }
        return NpyArray(shape: [outputs], values: folded)
    }

    /// As `source(depthwise:pointwise:bias:layout:)` in one layout, or, for
    /// `layout` nil, the TensorFlow reading unless the PyTorch one works too
    /// (then `.eitherLayout`).
    static func source(depthwise: (NpyArray, ArrayOrigin), pointwise: (NpyArray, ArrayOrigin)?,
                       bias: (NpyArray, ArrayOrigin)?, layout: WeightLayout?) throws(FileError) -> BankSource {
        if let layout { return try source(depthwise: depthwise, pointwise: pointwise, bias: bias, layout: layout) }
        let tf = try source(depthwise: depthwise, pointwise: pointwise, bias: bias, layout: WeightLayout.tf)
        guard case let .file(spec) = tf else { return tf }
        let torch = try? source(depthwise: depthwise, pointwise: pointwise, bias: bias, layout: WeightLayout.torch)
        // The TensorFlow reading must be a bank at all (kernel size and the other limits) to compete.
        do { _ = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch {
            throw depthwise.1.fail(error.description + (torch == nil ? ""
                : "; as PyTorch's [C*M, 1, kh, kw] the weights read otherwise: read it in the torch layout"))
        }
        guard case let .torch(weights)? = torch else { return tf }
        return .eitherLayout(tf: spec, torch: weights)
    }

    /// Checks arrays in `layout` and builds the source: `.file` for TensorFlow
    /// layout, `.torch` for PyTorch layout.
    static func source(depthwise: (NpyArray, ArrayOrigin), pointwise: (NpyArray, ArrayOrigin)?,
                       bias: (NpyArray, ArrayOrigin)?, layout: WeightLayout) throws(FileError) -> BankSource {
        let (dw, dwOrigin) = depthwise
        for (array, origin) in [depthwise] + [pointwise, bias].compactMap({ $0 }) {
            if array.shape.contains(0) { throw origin.fail("array shape \(array.shape) is empty") }
            if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
                throw origin.fail("value at flat index \(bad) is not finite (NaN or infinity)")
            }
        }
        var biasValues: [Float]? = nil
        if let (b, origin) = bias {
            guard b.shape.count == 1 else {
                throw origin.fail("the bias must have rank 1 [outputs], got shape \(b.shape)")
            }
            biasValues = b.values
        }
        switch layout {
        case .tf:
            guard dw.shape.count == 4 else {
                throw dwOrigin.fail("a depthwise filter must have rank 4 [kh, kw, C, M] (TensorFlow layout), got shape \(dw.shape)")
            }
            var spec: BankSpec
            do { spec = BankSpec(depthwise: try DepthwiseFilter(shape: dw.shape, values: dw.values)) } catch {
                throw dwOrigin.fail(error.description)
            }
            if let (pw, origin) = pointwise {
                do {
                    spec.pointwise = try PointwiseFilter(shape: pw.shape, values: pw.values)
                    _ = try spec.resolve(strides: nil, dilations: nil, padding: nil)
                } catch {
                    let looksTorch = pw.shape.count == 4 && pw.shape[0] != 1 && pw.shape[2] == 1 && pw.shape[3] == 1
                    throw origin.fail(error.description + (looksTorch ? "; this looks like PyTorch's [O, C*M, 1, 1]: read it in the torch layout" : ""))
                }
            }
            if let biasValues, let (_, origin) = bias {
                spec.bias = biasValues
                do { _ = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch { throw origin.fail(error.description) }
            }
            return .file(spec)
        case .torch:
            guard dw.shape.count == 4, dw.shape[1] == 1 else {
                throw dwOrigin.fail("a PyTorch depthwise weight must be [C*M, 1, kh, kw] (Conv2d with groups = C), got shape \(dw.shape)")
            }
            let (depth, kh, kw) = (dw.shape[0], dw.shape[2], dw.shape[3])
            // tf[(i * kw + j) * depth + k] = torch[(k * kh + i) * kw + j]
            var values = [Float](repeating: 0, count: dw.values.count)
            for k in 0..<depth {
                for t in 0..<(kh * kw) { values[t * depth + k] = dw.values[k * kh * kw + t] }
            }
            var pointwiseFilter: PointwiseFilter? = nil
            if let (pw, origin) = pointwise {
                guard pw.shape.count == 4, pw.shape[2] == 1, pw.shape[3] == 1 else {
                    let hint = pw.shape.count == 4 && pw.shape[0] == 1 && pw.shape[1] == 1 ? "; this looks like TensorFlow's [1, 1, C*M, O]: read it in the tf layout" : ""
                    throw origin.fail("a PyTorch pointwise weight must be [O, C*M, 1, 1], got shape \(pw.shape)\(hint)")
                }
                let (o, cm) = (pw.shape[0], pw.shape[1])
                guard cm == depth else {
                    throw origin.fail("the PyTorch pointwise weight \(pw.shape) must have C*M = \(depth) input channels to follow the depthwise weight \(dw.shape)")
                }
                // tf[k * O + o] = torch[o * C*M + k]
                var transposed = [Float](repeating: 0, count: pw.values.count)
                for oi in 0..<o { for k in 0..<cm { transposed[k * o + oi] = pw.values[oi * cm + k] } }
                do { pointwiseFilter = try PointwiseFilter(shape: [1, 1, cm, o], values: transposed) } catch {
                    throw origin.fail(error.description)
                }
            }
            if let biasValues, let (_, origin) = bias {
                let outputs = pointwiseFilter?.outputChannels ?? depth
                guard biasValues.count == outputs else {
                    throw origin.fail(FilterBankError.biasCountMismatch(expected: outputs, got: biasValues.count).description)
                }
            }
            return .torch(TorchWeights(kernelHeight: kh, kernelWidth: kw, depth: depth, values: values,
                                       pointwise: pointwiseFilter, bias: biasValues))
        }
    }
}
