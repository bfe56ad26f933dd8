/// Sizes and masking rule of one attention call, with its forward and backward kernels.
///
/// Causal attention over more than 128 queries runs in blocks of 64 query rows: a block of
/// rows `i0 ..< i1` sees keys `0 ..< i1 + S − T` only, so the score and value products skip
/// the masked upper triangle beyond the block (and every row's exponentials stop at its
/// last visible key in any case). The probabilities kept for backward are defined
/// on those columns only; backward reads exactly the same blocks.
struct AttentionGeometry {
    let b, t, s, hq, hkv, d: Int
    let scale: Double
    let causal: Bool
    let keyMask: [Bool]?

    /// Query rows per block of causal attention.
    static let rowBlock = 64
    /// Up to this many queries run as one block: below it the extra BLAS calls cost about
    /// what the skipped triangle saves.
    static let singleBlockRows = 128

    var group: Int { hq / hkv }

    /// The blocks of query rows: (first row, row count, visible key columns).
    var blocks: [(start: Int, rows: Int, columns: Int)] {
        let step = causal && t > AttentionGeometry.singleBlockRows ? AttentionGeometry.rowBlock : Swift.max(t, 1)
        return stride(from: 0, to: t, by: step).map { i0 in
            let i1 = Swift.min(t, i0 + step)
            return (i0, i1 - i0, causal ? Swift.min(s, i1 + s - t) : s)
        }
    }

    /// A `[rows, D]` view of head `h` of batch row `bi` in a `[B, ·, H, D]` tensor, from row `start`.
    func headView(_ x: Tensor, _ bi: Int, _ h: Int, start: Int = 0, rows: Int) -> Tensor {
        Tensor(unchecked: x.storage, shape: [rows, x.shape[3]], strides: [x.strides[1], x.strides[3]],
               offset: x.offset + bi * x.strides[0] + start * x.strides[1] + h * x.strides[2])
    }

    /// Rows `start ..< start + rows`, columns `0 ..< columns` of a row-major `[T, S]` block at `base`.
    func scoreView(_ p: Tensor, base: Int, start: Int, rows: Int, columns: Int) -> Tensor {
        Tensor(unchecked: p.storage, shape: [rows, columns], strides: [s, 1], offset: base + start * s)
    }

    /// Masks and softmaxes score rows `start ..< start + rows` of one head in place, over
    /// their first `columns` entries (row `i` sees keys `0 ... i + S − T` when causal, and
    /// only real tokens under the key mask). Rows that see no key become zeros.
    func softmaxRows<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, batch bi: Int, start: Int, rows: Int, columns: Int) {
        for i in start..<(start + rows) {
            let row = p + i * s
            let visible = causal ? Swift.min(i + s - t + 1, columns) : columns
            if let keyMask {
                for j in 0..<visible where !keyMask[bi * s + j] { row[j] = -.infinity }
            }
            for j in visible..<columns { row[j] = 0 }
            if T.self == Float.self {
                softmaxPrefix(UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self), visible)
            } else {
                softmaxPrefix(row, visible)
            }
        }
    }

    /// Softmax of the first `n` entries of a row in place (`-inf` entries get 0; all `-inf`
    /// gives zeros), float32, vectorised.
    private func softmaxPrefix(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        let m = VectorMath.maximum(row, n)
        if m == -.infinity {
            row.update(repeating: 0, count: n)
            return
        }
        let z = VectorMath.expShiftedSum(row, row, n, shift: m)
        VectorMath.scale(row, n, by: Float(1 / z))
    }

    /// Softmax of the first `n` entries of a row in place, any precision.
    private func softmaxPrefix<T: TensorScalar>(_ row: UnsafeMutablePointer<T>, _ n: Int) {
        var m = -T.infinity
        for j in 0..<n { m = Swift.max(m, row[j]) }
        if m == -.infinity {
            for j in 0..<n { row[j] = 0 }
            return
        }
        var z: T = 0
        for j in 0..<n {
            let e = row[j] == -.infinity ? 0 : T.expf(row[j] - m)
            row[j] = e
            z += e
        }
        let inv = 1 / z
        for j in 0..<n { row[j] *= inv }
    }

    func forward<T: TensorScalar>(q: Tensor, k: Tensor, v: Tensor, keepProbabilities: Bool, _: T.Type) -> (Tensor, Tensor?) {
        let out = Tensor.uninitialized([b, t, hq, d], dtype: T.dtype)
        // Probabilities of every head when they are kept for backward; one head's worth otherwise.
        let buffer = Tensor.uninitialized(keepProbabilities ? [b, hq, t, s] : [t, s], dtype: T.dtype)
        let pb = buffer.pointer(as: T.self)
        let parts = blocks
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let base = keepProbabilities ? ((bi * hq) + h) * t * s : 0
                for (i0, rows, cols) in parts {
                    let p = scoreView(buffer, base: base, start: i0, rows: rows, columns: cols)
                    let qv = headView(q, bi, h, start: i0, rows: rows)
                    let kv = headView(k, bi, kh, rows: cols), vv = headView(v, bi, kh, rows: cols)
                    Tensor.gemm2D(qv, kv.transposedView(), p, ldc: s, alpha: T(scale), beta: 0)
                    softmaxRows(pb + base, batch: bi, start: i0, rows: rows, columns: cols)
                    Tensor.gemm2D(p, vv, headView(out, bi, h, start: i0, rows: rows), ldc: hq * d, alpha: T(1), beta: 0)
                }
            }
        }
        return (out, keepProbabilities ? buffer : nil)
    }

    func backward<T: TensorScalar>(g: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, need: [Bool], _: T.Type) -> [Tensor?] {
        let dq = need[0] ? Tensor.uninitialized([b, t, hq, d], dtype: T.dtype) : nil
        let dk = need[1] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dv = need[2] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dp = Tensor.uninitialized([t, s], dtype: T.dtype)
        let pdp = dp.pointer(as: T.self), pp0 = probs.pointer(as: T.self)
        let parts = blocks
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let base = ((bi * hq) + h) * t * s
                for (i0, rows, cols) in parts {
                    let p = scoreView(probs, base: base, start: i0, rows: rows, columns: cols)
                    let go = headView(g, bi, h, start: i0, rows: rows)
                    let qv = headView(q, bi, h, start: i0, rows: rows)
                    let kv = headView(k, bi, kh, rows: cols), vv = headView(v, bi, kh, rows: cols)
                    if let dv {
                        Tensor.gemm2D(p.transposedView(), go, headView(dv, bi, kh, rows: cols), ldc: hkv * d, alpha: T(1), beta: T(1))
                    }
                    guard need[0] || need[1] else { continue }
                    // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P))
                    let dpv = scoreView(dp, base: 0, start: i0, rows: rows, columns: cols)
                    Tensor.gemm2D(go, vv.transposedView(), dpv, ldc: s, alpha: T(1), beta: T(0))
                    for i in i0..<(i0 + rows) {
                        softmaxGradientRow(pdp + i * s, pp0 + base + i * s, cols)
                    }
                    if let dq {
                        Tensor.gemm2D(dpv, kv, headView(dq, bi, h, start: i0, rows: rows), ldc: hq * d, alpha: T(scale), beta: T(0))
                    }
                    if let dk {
                        Tensor.gemm2D(dpv.transposedView(), qv, headView(dk, bi, kh, rows: cols), ldc: hkv * d, alpha: T(scale), beta: T(1))
                    }
                }
            }
        }
        return [dq, dk, dv]
    }

    /// `dp = p ⊙ (dp − Σ dp ⊙ p)` over one row of `n` entries.
    private func softmaxGradientRow<T: TensorScalar>(_ dp: UnsafeMutablePointer<T>, _ p: UnsafePointer<T>, _ n: Int) {
        if T.self == Float.self {
            let x = UnsafeMutableRawPointer(dp).assumingMemoryBound(to: Float.self)
            let y = UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
            let dot = VectorMath.dot(x, y, n)
            VectorMath.map(x, y, x, n) { g, pr in pr * (g - dot) }
            return
        }
        var dot: T = 0
        for j in 0..<n { dot += dp[j] * p[j] }
        for j in 0..<n { dp[j] = p[j] * (dp[j] - dot) }
    }
}
