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
    /// layout a `.torch` source that splits `C*M` per input.
    public static func loadNpy(depthwise: String, pointwise: String?, layout: WeightLayout) throws(FileError) -> BankSource {
        let dw = try NpyFile.readArray(path: depthwise)
        let pw = try pointwise.map { p throws(FileError) in (try NpyFile.readArray(path: p), ArrayOrigin(path: p, entry: nil)) }
        let made = try source(depthwise: (dw, ArrayOrigin(path: depthwise, entry: nil)), pointwise: pw, bias: nil, layout: layout)
        // A fixed bank is checked now, as a JSON bank is (kernel size and the other limits), not at each input.
        if case let .file(spec) = made {
            do { _ = try spec.resolve(strides: nil, dilations: nil, padding: nil) } catch { throw FileError(path: depthwise, error) }
        }
        return made
    }

    /// The names `.npz` arrays may have: ours, and what Keras calls a layer's weights
    /// (`numpy.savez(f, **{w.name...: w.numpy() for w in layer.weights})`).
    static let npzKeys: [(role: String, names: [String])] = [
        ("depthwise", ["depthwise", "depthwise_kernel"]),
        ("pointwise", ["pointwise", "pointwise_kernel"]),
        ("bias", ["bias"]),
    ]

    /// Reads a bank from an `.npz` archive holding `depthwise` (or Keras'
    /// `depthwise_kernel`), optionally `pointwise` (`pointwise_kernel`) and
    /// `bias`, in `layout`. Other names, a missing depthwise array, or both
    /// spellings of one are errors.
    public static func loadNpz(path: String, layout: WeightLayout) throws(FileError) -> BankSource {
        let arrays = try NpzFile.readArrays(path: path)
        let allowed = npzKeys.flatMap(\.names)
        if let unknown = arrays.first(where: { !allowed.contains($0.name) }) {
            throw FileError(path: path, message: "unknown array '\(unknown.name)' (allowed: \(allowed.joined(separator: ", ")))")
        }
        func find(_ role: String) throws(FileError) -> (NpyArray, ArrayOrigin)? {
            let names = npzKeys.first { $0.role == role }!.names
            let found = arrays.filter { names.contains($0.name) }
            guard found.count <= 1 else {
                throw FileError(path: path, message: "holds both '\(found[0].name)' and '\(found[1].name)': keep one")
            }
            return found.first.map { ($0.array, ArrayOrigin(path: path, entry: $0.name)) }
        }
        guard let dw = try find("depthwise") else {
            throw FileError(path: path, message: "missing the depthwise filter: expected an array named 'depthwise' or 'depthwise_kernel' (found: \(arrays.map(\.name).joined(separator: ", ")))")
        }
        return try source(depthwise: dw, pointwise: try find("pointwise"), bias: try find("bias"), layout: layout)
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
