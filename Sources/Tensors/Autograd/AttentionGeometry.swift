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
/// The query heads that share a KV head run together: their rows of a block are gathered into
/// one `[group · rows, D]` matrix, so each product of a block covers the whole group (3× fewer,
/// taller BLAS calls for SmolLM2's 9 query heads on 3 KV heads), and their probabilities are
/// kept stacked, `[group, rows, ld]` per block.
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
    /// scores at `offset` of one head's area with row stride `ld` (a KV head's group keeps
    /// them stacked from `group · offset`: `stackedBase`). Query row `i` sees keys from
    /// `keyStart` up to `i + diagonal` when causal.
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
        let z = keyMask == nil ? VectorMath.expShiftedSum(row, row, n, shift: m)
            : VectorMath.expShiftedSumSkippingUnderflow(row, row, n, shift: m)
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

    /// Largest number of query rows in a block.
    var maxBlockRows: Int { blocks.reduce(0) { Swift.max($0, $1.rows) } }
    /// Largest number of key columns in a block.
    var maxBlockColumns: Int { blocks.reduce(0) { Swift.max($0, $1.columns) } }

    /// Where block `blk` of KV head `kh` of batch row `bi` keeps its probabilities: the
    /// `group` query heads that share the KV head are stacked, `[group, rows, ld]` contiguous,
    /// so one product computes the scores of all of them.
    func stackedBase(_ bi: Int, _ kh: Int, _ blk: Block) -> Int {
        ((bi * hkv) + kh) * group * headArea + group * blk.offset
    }

    /// Copies rows `start ..< start + rows` of the `group` query heads of KV head `kh`, batch
    /// row `bi`, from `x` (`[B, T, Hq, D]`, any strides) into `dst` as `[group · rows, D]`.
    func gatherHeads<T: TensorScalar>(_ x: Tensor, _ bi: Int, _ kh: Int, start: Int, rows: Int, into dst: UnsafeMutablePointer<T>) {
        let px = x.pointer(as: T.self)
        let (st, sh, sd) = (x.strides[1], x.strides[2], x.strides[3])
        for j in 0..<group {
            let head = px + bi * x.strides[0] + (kh * group + j) * sh + start * st
            for r in 0..<rows {
                let src = head + r * st, out = dst + (j * rows + r) * d
                if sd == 1 {
                    out.update(from: src, count: d)
                } else {
                    for e in 0..<d { out[e] = src[e * sd] }
                }
            }
        }
    }

    /// The inverse of `gatherHeads` into the contiguous `x`.
    func scatterHeads<T: TensorScalar>(_ src: UnsafePointer<T>, into x: Tensor, _ bi: Int, _ kh: Int, start: Int, rows: Int) {
        let px = x.pointer(as: T.self)
        for j in 0..<group {
            for r in 0..<rows {
                (px + ((bi * t + start + r) * hq + kh * group + j) * d).update(from: src + (j * rows + r) * d, count: d)
            }
        }
    }

    /// A `[rows, columns]` matrix over raw memory with row stride `ld` (a view for `gemm2D`).
    func matrix(_ storage: Tensor, offset: Int, rows: Int, columns: Int, ld: Int) -> Tensor {
        Tensor(unchecked: storage.storage, shape: [rows, columns], strides: [ld, 1], offset: storage.offset + offset)
    }

    func forward<T: TensorScalar>(q: Tensor, k: Tensor, v: Tensor, keepProbabilities: Bool, _: T.Type) -> (Tensor, Tensor?) {
        let out = Tensor.uninitialized([b, t, hq, d], dtype: T.dtype)
        // Probabilities of every head when they are kept for backward; one KV head's group
        // worth otherwise.
        let buffer = Tensor.uninitialized(keepProbabilities ? [b * hq * headArea] : [group * headArea], dtype: T.dtype)
        let pb = buffer.pointer(as: T.self)
        let stackRows = group * maxBlockRows
        // Stacked queries and outputs of one block: [group · rows, D].
        let scratch = Tensor.uninitialized([2 * stackRows * d], dtype: T.dtype)
        let qs = scratch.pointer(as: T.self), os = qs + stackRows * d
        for bi in 0..<b {
            for kh in 0..<hkv {
                for blk in blocks {
                    // Without a tape every group reuses the first group's area.
                    let base = keepProbabilities ? stackedBase(bi, kh, blk) : stackedBase(0, 0, blk)
                    let rows = group * blk.rows
                    gatherHeads(q, bi, kh, start: blk.start, rows: blk.rows, into: qs)
                    let p = matrix(buffer, offset: base, rows: rows, columns: blk.columns, ld: blk.ld)
                    let kv = headView(k, bi, kh, start: blk.keyStart, rows: blk.columns)
                    let vv = headView(v, bi, kh, start: blk.keyStart, rows: blk.columns)
                    Tensor.gemm2D(matrix(scratch, offset: 0, rows: rows, columns: d, ld: d), kv.transposedView(), p,
                                  ldc: blk.ld, alpha: T(scale), beta: 0)
                    for j in 0..<group { softmaxRows(pb + base + j * blk.rows * blk.ld, batch: bi, blk) }
                    Tensor.gemm2D(p, vv, matrix(scratch, offset: stackRows * d, rows: rows, columns: d, ld: d), ldc: d, alpha: T(1), beta: 0)
                    scatterHeads(os, into: out, bi, kh, start: blk.start, rows: blk.rows)
                }
            }
        }
        return (out, keepProbabilities ? buffer : nil)
    }

    func backward<T: TensorScalar>(g: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, need: [Bool], _: T.Type) -> [Tensor?] {
        let dq = need[0] ? Tensor.uninitialized([b, t, hq, d], dtype: T.dtype) : nil
        let dk = need[1] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dv = need[2] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let stackRows = group * maxBlockRows
        // Stacked output gradients, queries and query gradients of one block, then dP.
        let scratch = Tensor.uninitialized([3 * stackRows * d + stackRows * maxBlockColumns], dtype: T.dtype)
        let gs = scratch.pointer(as: T.self), qs = gs + stackRows * d, dqs = qs + stackRows * d
        let dpOffset = 3 * stackRows * d
        let pdp = gs + dpOffset, pp0 = probs.pointer(as: T.self)
        for bi in 0..<b {
            for kh in 0..<hkv {
                for blk in blocks {
                    let base = stackedBase(bi, kh, blk)
                    let rows = group * blk.rows
                    let p = matrix(probs, offset: base, rows: rows, columns: blk.columns, ld: blk.ld)
                    gatherHeads(g, bi, kh, start: blk.start, rows: blk.rows, into: gs)
                    let go = matrix(scratch, offset: 0, rows: rows, columns: d, ld: d)
                    let kv = headView(k, bi, kh, start: blk.keyStart, rows: blk.columns)
                    let vv = headView(v, bi, kh, start: blk.keyStart, rows: blk.columns)
                    if let dv {
                        // dV += Pᵀ dO over the stacked heads at once.
                        Tensor.gemm2D(p.transposedView(), go, headView(dv, bi, kh, start: blk.keyStart, rows: blk.columns),
                                      ldc: hkv * d, alpha: T(1), beta: T(1))
                    }
                    guard need[0] || need[1] else { continue }
                    // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P))
                    let dpv = matrix(scratch, offset: dpOffset, rows: rows, columns: blk.columns, ld: blk.columns)
                    Tensor.gemm2D(go, vv.transposedView(), dpv, ldc: blk.columns, alpha: T(1), beta: T(0))
                    for r in 0..<rows {
                        softmaxGradientRow(pdp + r * blk.columns, pp0 + base + r * blk.ld, blk.columns)
                    }
                    if let dq {
                        Tensor.gemm2D(dpv, kv, matrix(scratch, offset: 2 * stackRows * d, rows: rows, columns: d, ld: d),
                                      ldc: d, alpha: T(scale), beta: T(0))
                        scatterHeads(dqs, into: dq, bi, kh, start: blk.start, rows: blk.rows)
                    }
                    if let dk {
                        gatherHeads(q, bi, kh, start: blk.start, rows: blk.rows, into: qs)
                        Tensor.gemm2D(dpv.transposedView(), matrix(scratch, offset: stackRows * d, rows: rows, columns: d, ld: d),
                                      headView(dk, bi, kh, start: blk.keyStart, rows: blk.columns),
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
            VectorMath.apply(Lane.SoftmaxGradient(dot: SIMD8(repeating: VectorMath.dot(x, y, n))), x, y, x, n)
            return
        }
        var dot: T = 0
        for j in 0..<n { dot += dp[j] * p[j] }
        for j in 0..<n { dp[j] = p[j] * (dp[j] - dot) }
    }
}
