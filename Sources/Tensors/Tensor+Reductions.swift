/// Reductions along one dimension and over the whole tensor. Sums accumulate in double
/// precision whatever the dtype.
extension Tensor {
    /// (outer, n, inner) sizes of a contiguous layout reduced along `d`.
    func reductionGeometry(_ d: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *))
    }

    func reducedShape(_ d: Int, keepDim: Bool) -> [Int] {
        var sh = shape
        if keepDim { sh[d] = 1 } else { sh.remove(at: d) }
        return sh
    }

    /// Applies `body(outer, n, inner, src, dst)` over a contiguous double copy of self along
    /// `d`, producing a tensor of the reduced shape in self's dtype.
    func reduce(_ dim: Int, keepDim: Bool, op: String,
                _ body: (_ src: UnsafePointer<Double>, _ dst: UnsafeMutablePointer<Double>, _ outer: Int, _ n: Int, _ inner: Int) -> Void) throws -> Tensor {
        let d = try normalizedDim(dim, op: op)
        let g = reductionGeometry(d)
        let src = to(.float64).contiguous()
        let dst = Tensor.zeros(reducedShape(d, keepDim: keepDim), dtype: .float64)
        body(src.pointer(as: Double.self), dst.pointer(as: Double.self), g.outer, g.n, g.inner)
        return dst.to(dtype)
    }

    /// Sum along `dim`.
    public func sum(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try reduce(dim, keepDim: keepDim, op: "sum") { s, o, outer, n, inner in
            for a in 0..<outer {
                for j in 0..<n {
                    let row = s + (a * n + j) * inner, out = o + a * inner
                    for i in 0..<inner { out[i] += row[i] }
                }
            }
        }
    }

    /// Mean along `dim`.
    public func mean(dim: Int, keepDim: Bool = false) throws -> Tensor {
        let d = try normalizedDim(dim, op: "mean")
        guard shape[d] > 0 else { throw TensorError.invalidArgument(op: "mean", detail: "mean over an empty dimension") }
        return try sum(dim: d, keepDim: keepDim).mul(1 / Double(shape[d]))
    }

    /// Variance along `dim` with `correction` (1: unbiased, as torch's default; 0: population).
    public func variance(dim: Int, correction: Int = 1, keepDim: Bool = false) throws -> Tensor {
        let d = try normalizedDim(dim, op: "variance")
        guard shape[d] - correction > 0 else {
            throw TensorError.invalidArgument(op: "variance", detail: "dimension of size \(shape[d]) with correction \(correction)")
        }
        return try reduce(d, keepDim: keepDim, op: "variance") { s, o, outer, n, inner in
            for a in 0..<outer {
                for i in 0..<inner {
                    var mean = 0.0
                    for j in 0..<n { mean += s[(a * n + j) * inner + i] }
                    mean /= Double(n)
                    var acc = 0.0
                    for j in 0..<n {
                        let x = s[(a * n + j) * inner + i] - mean
                        acc += x * x
                    }
                    o[a * inner + i] = acc / Double(n - correction)
                }
            }
        }
    }

    /// Maximum along `dim` and the (0-based) index of its first occurrence. NaN wins.
    public func max(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: [Int]) {
        try extremum(dim: dim, keepDim: keepDim, op: "max", better: { $0 > $1 })
    }

    /// Minimum along `dim` and the (0-based) index of its first occurrence. NaN wins.
    public func min(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: [Int]) {
        try extremum(dim: dim, keepDim: keepDim, op: "min", better: { $0 < $1 })
    }

    /// Indices (0-based) of the maxima along `dim`, in row-major order of the reduced shape.
    public func argmax(dim: Int) throws -> [Int] { try max(dim: dim).indices }

    private func extremum(dim: Int, keepDim: Bool, op: String, better: (Double, Double) -> Bool) throws -> (values: Tensor, indices: [Int]) {
        let d = try normalizedDim(dim, op: op)
        guard shape[d] > 0 else { throw TensorError.invalidArgument(op: op, detail: "\(op) over an empty dimension") }
        var indices: [Int] = []
        let values = try reduce(d, keepDim: keepDim, op: op) { s, o, outer, n, inner in
            indices = [Int](repeating: 0, count: outer * inner)
            for a in 0..<outer {
                for i in 0..<inner {
                    var best = s[a * n * inner + i], bi = 0
                    if !best.isNaN {
                        for j in 1..<Swift.max(n, 1) {
                            let x = s[(a * n + j) * inner + i]
                            if x.isNaN { best = x; bi = j; break }
                            if better(x, best) { best = x; bi = j }
                        }
                    }
                    o[a * inner + i] = best
                    indices[a * inner + i] = bi
                }
            }
        }
        return (values, indices)
    }

    /// Sum of all elements (double-precision accumulation).
    public func sum() -> Double {
        var acc = 0.0
        let loop = StridedLoop(shape: shape, strides: [strides])
        switch dtype {
        case .float32:
            let p = storage.pointer(as: Float.self)
            loop.forEachRow(base: (offset, 0, 0)) { o, _, _, n, s, _, _ in
                for i in 0..<n { acc += Double(p[o + i * s]) }
            }
        case .float64:
            let p = storage.pointer(as: Double.self)
            loop.forEachRow(base: (offset, 0, 0)) { o, _, _, n, s, _, _ in
                for i in 0..<n { acc += p[o + i * s] }
            }
        }
        return acc
    }

    /// Mean of all elements.
    public func mean() -> Double { count == 0 ? .nan : sum() / Double(count) }

    /// Largest element (NaN if any element is NaN).
    public func max() -> Double {
        let v = doubles()
        if v.contains(where: { $0.isNaN }) { return .nan }
        return v.max() ?? -.infinity
    }

    /// Smallest element (NaN if any element is NaN).
    public func min() -> Double {
        let v = doubles()
        if v.contains(where: { $0.isNaN }) { return .nan }
        return v.min() ?? .infinity
    }
}
