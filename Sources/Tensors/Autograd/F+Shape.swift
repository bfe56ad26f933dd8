/// Differentiable shape operations: views forward, their adjoints backward.
extension F {
    /// The same elements with a new shape (a view when possible). One size may be -1.
    public static func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
        let s = x.shape
        return try x.reshaped(shape).recording("reshape", inputs: [x]) { g in [try g.reshaped(s)] }
    }

    /// Swaps two dimensions (a view).
    public static func transpose(_ x: Tensor, _ d0: Int, _ d1: Int) throws -> Tensor {
        try x.transposed(d0, d1).recording("transpose", inputs: [x]) { g in [try g.transposed(d0, d1)] }
    }

    /// Reorders dimensions (a view).
    public static func permute(_ x: Tensor, _ order: [Int]) throws -> Tensor {
        let out = try x.permuted(order)
        let dims = try order.map { try x.normalizedDim($0, op: "permute") }
        var inverse = [Int](repeating: 0, count: dims.count)
        for (i, d) in dims.enumerated() { inverse[d] = i }
        return out.recording("permute", inputs: [x]) { g in [try g.permuted(inverse)] }
    }

    /// A contiguous copy when needed (identity for the gradient).
    public static func contiguous(_ x: Tensor) -> Tensor {
        if x.isContiguous { return x }
        return x.contiguous().recording("contiguous", inputs: [x]) { g in [g] }
    }

    /// `length` elements of dimension `dim` from `start` (a view).
    public static func narrow(_ x: Tensor, _ dim: Int, start: Int, length: Int) throws -> Tensor {
        let s = x.shape, dt = x.dtype
        let d = try x.normalizedDim(dim, op: "narrow")
        let st = start < 0 ? start + s[d] : start
        return try x.narrow(d, start: st, length: length).recording("narrow", inputs: [x], backward: { g in
            let full = Tensor.zeros(s, dtype: dt)
            try full.narrow(d, start: st, length: length).copy(from: g)
            return [full]
        }, accumulate: { g, acc in
            try acc.narrow(d, start: st, length: length).addInPlace(g)
        })
    }

    /// The slice at `index` of dimension `dim`, that dimension removed (a view).
    public static func select(_ x: Tensor, _ dim: Int, _ index: Int) throws -> Tensor {
        let s = x.shape, dt = x.dtype
        let d = try x.normalizedDim(dim, op: "select")
        let i = index < 0 ? index + s[d] : index
        return try x.select(d, i).recording("select", inputs: [x], backward: { g in
            let full = Tensor.zeros(s, dtype: dt)
            try full.select(d, i).copy(from: g)
            return [full]
        }, accumulate: { g, acc in
            try acc.select(d, i).addInPlace(g)
        })
    }

    /// Concatenation along `dim`.
    public static func concat(_ xs: [Tensor], dim: Int) throws -> Tensor {
        guard let first = xs.first else { throw TensorError.invalidArgument(op: "concat", detail: "no tensors") }
        let d = try first.normalizedDim(dim, op: "concat")
        var shape = first.shape
        var total = 0
        for x in xs {
            guard x.rank == first.rank, x.dtype == first.dtype,
                  (0..<x.rank).allSatisfy({ $0 == d || x.shape[$0] == first.shape[$0] }) else {
                throw TensorError.shapeMismatch(op: "concat", detail: "\(xs.map { shapeString($0.shape) }) along dimension \(dim)")
            }
            total += x.shape[d]
        }
        shape[d] = total
        let out = Tensor.uninitialized(shape, dtype: first.dtype)
        var at = 0
        var starts: [Int] = []
        for x in xs {
            starts.append(at)
            try out.narrow(d, start: at, length: x.shape[d]).copy(from: x)
            at += x.shape[d]
        }
        let lengths = xs.map { $0.shape[d] }
        let needs = xs.map { $0.requiresGrad }
        return out.recording("concat", inputs: xs) { g in
            try (0..<needs.count).map { i in needs[i] ? try g.narrow(d, start: starts[i], length: lengths[i]).contiguous() : nil }
        }
    }

    /// Rows of `x` (dimension 0) at `indices`, in that order: `[indices.count] + x.shape[1...]`.
    /// This is the embedding lookup (`x` = the embedding matrix, `indices` = token ids) and the
    /// selection of chosen positions. The gradient scatter-adds back (repeated indices add).
    public static func indexSelect(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        guard x.rank >= 1 else { throw TensorError.invalidArgument(op: "indexSelect", detail: "needs at least one dimension") }
        let n = x.shape[0]
        for i in indices where i < 0 || i >= n {
            throw TensorError.outOfRange(op: "indexSelect", detail: "index \(i) for \(n) rows")
        }
        let rowShape = Array(x.shape.dropFirst())
        let rowLen = rowShape.reduce(1, *)
        let xc = x.contiguous()
        let out = Tensor.uninitialized([indices.count] + rowShape, dtype: x.dtype)
        switch x.dtype {
        case .float32: copyRows(from: xc, to: out, indices, rowLen, Float.self)
        case .float64: copyRows(from: xc, to: out, indices, rowLen, Double.self)
        }
        let s = x.shape, dt = x.dtype
        return out.recording("indexSelect", inputs: [x], backward: { g in
            let full = Tensor.zeros(s, dtype: dt)
            let gc = g.contiguous()
            switch dt {
            case .float32: scatterAddRows(from: gc, to: full, indices, rowLen, Float.self)
            case .float64: scatterAddRows(from: gc, to: full, indices, rowLen, Double.self)
            }
            return [full]
        }, accumulate: { g, acc in
            // acc: the contiguous gradient of x accumulated so far (shape s)
            let gc = g.contiguous()
            switch dt {
            case .float32: scatterAddRows(from: gc, to: acc, indices, rowLen, Float.self)
            case .float64: scatterAddRows(from: gc, to: acc, indices, rowLen, Double.self)
            }
            acc.storage.bumpVersion()
        })
    }

    /// `x` with `values[i]` added to row `indices[i]` (dimension 0); `values` has shape
    /// `[indices.count] + x.shape[1...]`. ROME/MEMIT add their δ at chosen positions this way.
    public static func indexAdd(_ x: Tensor, _ indices: [Int], _ values: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw TensorError.invalidArgument(op: "indexAdd", detail: "needs at least one dimension") }
        let rowShape = Array(x.shape.dropFirst())
        guard values.shape == [indices.count] + rowShape else {
            throw TensorError.shapeMismatch(op: "indexAdd", detail: "values \(shapeString(values.shape)) for \(indices.count) rows of \(shapeString(rowShape))")
        }
        guard values.dtype == x.dtype else { throw TensorError.dtypeMismatch(op: "indexAdd", expected: x.dtype, got: values.dtype) }
        let n = x.shape[0]
        for i in indices where i < 0 || i >= n {
            throw TensorError.outOfRange(op: "indexAdd", detail: "index \(i) for \(n) rows")
        }
        let rowLen = rowShape.reduce(1, *)
        let out = x.clone()
        let vc = values.contiguous()
        switch x.dtype {
        case .float32: scatterAddRows(from: vc, to: out, indices, rowLen, Float.self)
        case .float64: scatterAddRows(from: vc, to: out, indices, rowLen, Double.self)
        }
        let dt = x.dtype
        let needX = x.requiresGrad, needV = values.requiresGrad
        return out.recording("indexAdd", inputs: [x, values]) { g in
            guard needV else { return [g, nil] }
            let gc = g.contiguous()
            let gv = Tensor.uninitialized([indices.count] + rowShape, dtype: dt)
            switch dt {
            case .float32: copyRows(from: gc, to: gv, indices, rowLen, Float.self)
            case .float64: copyRows(from: gc, to: gv, indices, rowLen, Double.self)
            }
            return [needX ? g : nil, gv]
        }
    }
}

private func copyRows<T: TensorScalar>(from src: Tensor, to dst: Tensor, _ indices: [Int], _ rowLen: Int, _: T.Type) {
    let ps = src.pointer(as: T.self), pd = dst.pointer(as: T.self)
    for (r, i) in indices.enumerated() {
        (pd + r * rowLen).update(from: ps + i * rowLen, count: rowLen)
    }
}

private func scatterAddRows<T: TensorScalar>(from src: Tensor, to dst: Tensor, _ indices: [Int], _ rowLen: Int, _: T.Type) {
    let ps = src.pointer(as: T.self), pd = dst.pointer(as: T.self)
    if T.self == Float.self {
        let fs = UnsafeRawPointer(ps).assumingMemoryBound(to: Float.self)
        let fd = UnsafeMutableRawPointer(pd).assumingMemoryBound(to: Float.self)
        for (r, i) in indices.enumerated() {
            VectorMath.apply(Lane.Add(), fd + i * rowLen, fs + r * rowLen, fd + i * rowLen, rowLen)
        }
        return
    }
    for (r, i) in indices.enumerated() {
        let s = ps + r * rowLen, d = pd + i * rowLen
        for j in 0..<rowLen { d[j] += s[j] }
    }
}
