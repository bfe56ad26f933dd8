/// RMSNorm and LayerNorm over the last dimension, as fused kernels with hand-written
/// backward passes. Per-row statistics accumulate in double precision.
private func rmsNormForward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, eps: Double, _: T.Type) -> (Tensor, [Double]) {
    let d = x.shape[x.rank - 1], rows = x.count / Swift.max(d, 1)
    let xc = x.contiguous(), wc = w.contiguous()
    let out = Tensor.uninitialized(x.shape, dtype: x.dtype)
    let px = xc.pointer(as: T.self), pw = wc.pointer(as: T.self), po = out.pointer(as: T.self)
    var rinv = [Double](repeating: 0, count: rows)
    if T.self == Float.self {
        let x = xc.pointer(as: Float.self), w = wc.pointer(as: Float.self), y = out.pointer(as: Float.self)
        for r in 0..<rows {
            let inv = 1 / (VectorMath.sumOfSquares(x + r * d, d) / Double(d) + eps).squareRoot()
            rinv[r] = inv
            let ti = Float(inv)
            VectorMath.apply(Lane.TimesScaled(t: SIMD8(repeating: ti)), w, x + r * d, y + r * d, d)
        }
        return (out, rinv)
    }
    for r in 0..<rows {
        let row = px + r * d, o = po + r * d
        var ss = 0.0
        for j in 0..<d { let v = row[j].asDouble; ss += v * v }
        let inv = 1 / (ss / Double(d) + eps).squareRoot()
        rinv[r] = inv
        let ti = T(inv)
        for j in 0..<d { o[j] = pw[j] * (row[j] * ti) }
    }
    return (out, rinv)
}

private func rmsNormBackward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ rinv: [Double], _ g: Tensor,
                                             needX: Bool, needW: Bool, _: T.Type) -> (Tensor?, Tensor?) {
    let d = x.shape[x.rank - 1], rows = x.count / Swift.max(d, 1)
    let xc = x.contiguous(), wc = w.contiguous(), gc = g.contiguous()
    let px = xc.pointer(as: T.self), pw = wc.pointer(as: T.self), pg = gc.pointer(as: T.self)
    let dx = needX ? Tensor.uninitialized(x.shape, dtype: x.dtype) : nil
    var dwAcc = needW ? [Double](repeating: 0, count: d) : []
    if T.self == Float.self, let dx {
        let x = xc.pointer(as: Float.self), w = wc.pointer(as: Float.self), g = gc.pointer(as: Float.self)
        let o = dx.pointer(as: Float.self)
        for r in 0..<rows {
            let xr = x + r * d, gr = g + r * d
            let inv = rinv[r]
            let dot = VectorMath.weightedDot(gr, w, xr, d)
            let c = Float(inv * inv * inv * dot / Double(d)), ti = Float(inv)
            VectorMath.apply(Lane.ScaledProduct(t: SIMD8(repeating: ti)), gr, w, o + r * d, d)
            VectorMath.apply(Lane.MinusScaled(c: SIMD8(repeating: c)), o + r * d, xr, o + r * d, d)
            if needW {
                for j in 0..<d { dwAcc[j] += Double(gr[j]) * Double(xr[j]) * inv }
            }
        }
        let dw = needW ? Tensor.build([d], as: T.self) { b in for j in 0..<d { b[j] = T(dwAcc[j]) } } : nil
        return (dx, dw)
    }
    for r in 0..<rows {
        let row = px + r * d, gr = pg + r * d
        let inv = rinv[r]
        if let dx {
            var dot = 0.0
            for j in 0..<d { dot += (gr[j] * pw[j]).asDouble * row[j].asDouble }
            let c = T(inv * inv * inv * dot / Double(d)), ti = T(inv)
            let o = dx.pointer(as: T.self) + r * d
            for j in 0..<d { o[j] = ti * (gr[j] * pw[j]) - row[j] * c }
        }
        if needW {
            for j in 0..<d { dwAcc[j] += gr[j].asDouble * row[j].asDouble * inv }
        }
    }
    let dw = needW ? Tensor.build([d], as: T.self) { b in for j in 0..<d { b[j] = T(dwAcc[j]) } } : nil
    return (dx, dw)
}

private func layerNormForward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ b: Tensor, eps: Double, _: T.Type)
    -> (Tensor, [Double], [Double]) {
    let d = x.shape[x.rank - 1], rows = x.count / Swift.max(d, 1)
    let xc = x.contiguous(), wc = w.contiguous(), bc = b.contiguous()
    let out = Tensor.uninitialized(x.shape, dtype: x.dtype)
    let px = xc.pointer(as: T.self), pw = wc.pointer(as: T.self), pb = bc.pointer(as: T.self), po = out.pointer(as: T.self)
    var means = [Double](repeating: 0, count: rows), rinv = [Double](repeating: 0, count: rows)
    for r in 0..<rows {
        let row = px + r * d, o = po + r * d
        var s = 0.0
        for j in 0..<d { s += row[j].asDouble }
        let mu = s / Double(d)
        var v = 0.0
        for j in 0..<d { let c = row[j].asDouble - mu; v += c * c }
        let inv = 1 / (v / Double(d) + eps).squareRoot()
        means[r] = mu
        rinv[r] = inv
        let tm = T(mu), ti = T(inv)
        for j in 0..<d { o[j] = (row[j] - tm) * ti * pw[j] + pb[j] }
    }
    return (out, means, rinv)
}

private func layerNormBackward<T: TensorScalar>(_ x: Tensor, _ w: Tensor, _ means: [Double], _ rinv: [Double], _ g: Tensor,
                                               need: [Bool], _: T.Type) -> [Tensor?] {
    let d = x.shape[x.rank - 1], rows = x.count / Swift.max(d, 1)
    let xc = x.contiguous(), wc = w.contiguous(), gc = g.contiguous()
    let px = xc.pointer(as: T.self), pw = wc.pointer(as: T.self), pg = gc.pointer(as: T.self)
    let dx = need[0] ? Tensor.uninitialized(x.shape, dtype: x.dtype) : nil
    var dw = [Double](repeating: 0, count: need[1] ? d : 0), db = [Double](repeating: 0, count: need[2] ? d : 0)
    var xhat = [Double](repeating: 0, count: d), dxhat = [Double](repeating: 0, count: d)
    for r in 0..<rows {
        let row = px + r * d, gr = pg + r * d
        let mu = means[r], inv = rinv[r]
        var m1 = 0.0, m2 = 0.0
        for j in 0..<d {
            xhat[j] = (row[j].asDouble - mu) * inv
            dxhat[j] = gr[j].asDouble * pw[j].asDouble
            m1 += dxhat[j]
            m2 += dxhat[j] * xhat[j]
        }
        m1 /= Double(d)
        m2 /= Double(d)
        if let dx {
            let o = dx.pointer(as: T.self) + r * d
            for j in 0..<d { o[j] = T(inv * (dxhat[j] - m1 - xhat[j] * m2)) }
        }
        if need[1] { for j in 0..<d { dw[j] += gr[j].asDouble * xhat[j] } }
        if need[2] { for j in 0..<d { db[j] += gr[j].asDouble } }
    }
    let tw = need[1] ? Tensor.build([d], as: T.self) { b in for j in 0..<d { b[j] = T(dw[j]) } } : nil
    let tb = need[2] ? Tensor.build([d], as: T.self) { b in for j in 0..<d { b[j] = T(db[j]) } } : nil
    return [dx, tw, tb]
}

extension F {
    /// RMSNorm over the last dimension: `w ⊙ x / sqrt(mean(x²) + eps)` (Llama).
    public static func rmsNorm(_ x: Tensor, weight: Tensor, eps: Double) throws -> Tensor {
        let d = x.shape.last ?? 0
        guard weight.shape == [d] else {
            throw TensorError.shapeMismatch(op: "rmsNorm", detail: "weight \(shapeString(weight.shape)) for input \(shapeString(x.shape))")
        }
        guard x.dtype == weight.dtype else { throw TensorError.dtypeMismatch(op: "rmsNorm", expected: x.dtype, got: weight.dtype) }
        let (out, rinv): (Tensor, [Double])
        switch x.dtype {
        case .float32: (out, rinv) = rmsNormForward(x, weight, eps: eps, Float.self)
        case .float64: (out, rinv) = rmsNormForward(x, weight, eps: eps, Double.self)
        }
        let xd = x.detached(), wd = weight.detached()
        let needX = x.requiresGrad, needW = weight.requiresGrad
        return out.recording("rmsNorm", inputs: [x, weight], saving: [x, weight]) { g in
            let r: (Tensor?, Tensor?)
            switch xd.dtype {
            case .float32: r = rmsNormBackward(xd, wd, rinv, g, needX: needX, needW: needW, Float.self)
            case .float64: r = rmsNormBackward(xd, wd, rinv, g, needX: needX, needW: needW, Double.self)
            }
            return [r.0, r.1]
        }
    }

    /// LayerNorm over the last dimension: `(x − mean) / sqrt(var + eps) ⊙ w + b`
    /// (population variance, as PyTorch).
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Double) throws -> Tensor {
        let d = x.shape.last ?? 0
        guard weight.shape == [d], bias.shape == [d] else {
            throw TensorError.shapeMismatch(op: "layerNorm", detail: "weight \(shapeString(weight.shape)), bias \(shapeString(bias.shape)) for input \(shapeString(x.shape))")
        }
        guard x.dtype == weight.dtype, x.dtype == bias.dtype else {
            throw TensorError.dtypeMismatch(op: "layerNorm", expected: x.dtype, got: weight.dtype == x.dtype ? bias.dtype : weight.dtype)
        }
        let (out, means, rinv): (Tensor, [Double], [Double])
        switch x.dtype {
        case .float32: (out, means, rinv) = layerNormForward(x, weight, bias, eps: eps, Float.self)
        case .float64: (out, means, rinv) = layerNormForward(x, weight, bias, eps: eps, Double.self)
        }
        let xd = x.detached(), wd = weight.detached()
        let need = [x.requiresGrad, weight.requiresGrad, bias.requiresGrad]
        return out.recording("layerNorm", inputs: [x, weight, bias], saving: [x, weight]) { g in
            switch xd.dtype {
            case .float32: return layerNormBackward(xd, wd, means, rinv, g, need: need, Float.self)
            case .float64: return layerNormBackward(xd, wd, means, rinv, g, need: need, Double.self)
            }
        }
    }
}
