/// Sizes and masking rule of one attention call, with its forward and backward kernels.
///
/// The work is a list of blocks, each a rectangle of query rows against key columns whose
/// scores and probabilities are stored contiguously (row stride `ld`):
/// - one sequence per batch row: causal attention over more than 128 queries runs in blocks
///   of 64 query rows, and a block of rows `i0 ..< i1` sees keys `0 ..< i1 + S − T` only, so
///   the score and value products skip the masked upper triangle beyond the block;
/// - several independent sequences packed along the position axis (`segments`): one block
///   per sequence, its queries against its own keys only, so no padding and no cross-sequence
///   scores are computed, and the probabilities kept for backward take Σ len² per head.
/// Every row's exponentials stop at its last visible key; backward reads exactly the same blocks.
struct AttentionGeometry {
    let b, t, s, hq, hkv, d: Int
    let scale: Double
    let causal: Bool
    let keyMask: [Bool]?
    /// The blocks of every (batch row, head), in storage order.
    let blocks: [Block]
    /// Score entries per (batch row, head): the blocks' storage.
    let headArea: Int

    /// Query rows per block of causal attention.
    static let rowBlock = 64
    /// Up to this many queries run as one block: below it the extra BLAS calls cost about
    /// what the skipped triangle saves.
    static let singleBlockRows = 128

    /// Query rows `start ..< start + rows` against keys `keyStart ..< keyStart + columns`,
    /// scores at `offset` with row stride `ld`. Query row `i` sees keys from `keyStart` up to
    /// `i + diagonal` when causal.
    struct Block {
        let start, rows, keyStart, columns, offset, ld, diagonal: Int
    }

    /// `segments`: lengths of independent sequences packed along the position axis (their sum
    /// is `t`, and `s == t`), or nil for one sequence per batch row.
    init(b: Int, t: Int, s: Int, hq: Int, hkv: Int, d: Int, scale: Double, causal: Bool, keyMask: [Bool]?, segments: [Int]? = nil) {
        (self.b, self.t, self.s, self.hq, self.hkv, self.d) = (b, t, s, hq, hkv, d)
        self.scale = scale
        self.causal = causal
        self.keyMask = keyMask
        var blocks: [Block] = []
        if let segments {
            var start = 0, offset = 0
            for n in segments {
                blocks.append(Block(start: start, rows: n, keyStart: start, columns: n, offset: offset, ld: n, diagonal: 0))
                start += n
                offset += n * n
            }
            headArea = offset
        } else {
            let step = causal && t > AttentionGeometry.singleBlockRows ? AttentionGeometry.rowBlock : Swift.max(t, 1)
            for i0 in stride(from: 0, to: t, by: step) {
                let i1 = Swift.min(t, i0 + step)
                blocks.append(Block(start: i0, rows: i1 - i0, keyStart: 0, columns: causal ? Swift.min(s, i1 + s - t) : s,
                                    offset: i0 * s, ld: s, diagonal: s - t))
            }
            headArea = t * s
        }
        self.blocks = blocks
    }

    var group: Int { hq / hkv }

    /// A `[rows, D]` view of head `h` of batch row `bi` in a `[B, ·, H, D]` tensor, from row `start`.
    func headView(_ x: Tensor, _ bi: Int, _ h: Int, start: Int = 0, rows: Int) -> Tensor {
        Tensor(unchecked: x.storage, shape: [rows, x.shape[3]], strides: [x.strides[1], x.strides[3]],
               offset: x.offset + bi * x.strides[0] + start * x.strides[1] + h * x.strides[2])
    }

    /// The `[rows, columns]` scores of `block` in a buffer whose head area starts at `base`.
    func scoreView(_ p: Tensor, base: Int, _ block: Block) -> Tensor {
        Tensor(unchecked: p.storage, shape: [block.rows, block.columns], strides: [block.ld, 1], offset: p.offset + base + block.offset)
    }

    /// Masks and softmaxes the score rows of `block` (stored from `p`) in place: row `i` sees
    /// keys up to `i + diagonal` when causal, and only real tokens under the key mask; entries
    /// beyond a row's last visible key become 0, and rows that see no key become zeros.
    func softmaxRows<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, batch bi: Int, _ block: Block) {
        let columns = block.columns
        for r in 0..<block.rows {
            let i = block.start + r
            let row = p + r * block.ld
            let visible = causal ? Swift.max(0, Swift.min(i + block.diagonal - block.keyStart + 1, columns)) : columns
            if let keyMask {
                let maskBase = bi * s + block.keyStart
                for j in 0..<visible where !keyMask[maskBase + j] { row[j] = -.infinity }
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
        let buffer = Tensor.uninitialized(keepProbabilities ? [b * hq * headArea] : [headArea], dtype: T.dtype)
        let pb = buffer.pointer(as: T.self)
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let base = keepProbabilities ? ((bi * hq) + h) * headArea : 0
                for blk in blocks {
                    let p = scoreView(buffer, base: base, blk)
                    let qv = headView(q, bi, h, start: blk.start, rows: blk.rows)
                    let kv = headView(k, bi, kh, start: blk.keyStart, rows: blk.columns)
                    let vv = headView(v, bi, kh, start: blk.keyStart, rows: blk.columns)
                    Tensor.gemm2D(qv, kv.transposedView(), p, ldc: blk.ld, alpha: T(scale), beta: 0)
                    softmaxRows(pb + base + blk.offset, batch: bi, blk)
                    Tensor.gemm2D(p, vv, headView(out, bi, h, start: blk.start, rows: blk.rows), ldc: hq * d, alpha: T(1), beta: 0)
                }
            }
        }
        return (out, keepProbabilities ? buffer : nil)
    }

    func backward<T: TensorScalar>(g: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, need: [Bool], _: T.Type) -> [Tensor?] {
        let dq = need[0] ? Tensor.uninitialized([b, t, hq, d], dtype: T.dtype) : nil
        let dk = need[1] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dv = need[2] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dp = Tensor.uninitialized([headArea], dtype: T.dtype)
        let pdp = dp.pointer(as: T.self), pp0 = probs.pointer(as: T.self)
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let base = ((bi * hq) + h) * headArea
                for blk in blocks {
                    let p = scoreView(probs, base: base, blk)
                    let go = headView(g, bi, h, start: blk.start, rows: blk.rows)
                    let qv = headView(q, bi, h, start: blk.start, rows: blk.rows)
                    let kv = headView(k, bi, kh, start: blk.keyStart, rows: blk.columns)
                    let vv = headView(v, bi, kh, start: blk.keyStart, rows: blk.columns)
                    if let dv {
                        Tensor.gemm2D(p.transposedView(), go, headView(dv, bi, kh, start: blk.keyStart, rows: blk.columns),
                                      ldc: hkv * d, alpha: T(1), beta: T(1))
                    }
                    guard need[0] || need[1] else { continue }
                    // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P))
                    let dpv = scoreView(dp, base: 0, blk)
                    Tensor.gemm2D(go, vv.transposedView(), dpv, ldc: blk.ld, alpha: T(1), beta: T(0))
                    for r in 0..<blk.rows {
                        softmaxGradientRow(pdp + blk.offset + r * blk.ld, pp0 + base + blk.offset + r * blk.ld, blk.columns)
                    }
                    if let dq {
                        Tensor.gemm2D(dpv, kv, headView(dq, bi, h, start: blk.start, rows: blk.rows), ldc: hq * d, alpha: T(scale), beta: T(0))
                    }
                    if let dk {
                        Tensor.gemm2D(dpv.transposedView(), qv, headView(dk, bi, kh, start: blk.keyStart, rows: blk.columns),
                                      ldc: hkv * d, alpha: T(scale), beta: T(1))
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
