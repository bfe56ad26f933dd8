import Foundation

/// Rotary position embeddings (rotate-half layout) and causal multi-head attention with
/// grouped KV heads and a key padding mask. Activations use the `[batch, position, head,
/// head_dim]` layout throughout (TransformerLens's `hook_z` layout), so no transposes are
/// needed around attention.
extension F {
    /// cos/sin tables `[positions.count, headDim/2]` computed as Hugging Face does in float32:
    /// `inv_freq = 1 / theta^(2i/d)`, angle = position · inv_freq.
    /// For float64 the same formula runs in double precision.
    static func ropeTables<T: TensorScalar>(positions: [Int], headDim: Int, theta: Double, _: T.Type) -> (cos: [T], sin: [T]) {
        let half = headDim / 2
        var invFreq = [T](repeating: 0, count: half)
        for i in 0..<half {
            let p = T(Foundation.pow(T(theta).asDouble, (T(2 * i) / T(headDim)).asDouble))
            invFreq[i] = 1 / p
        }
        var c = [T](repeating: 0, count: positions.count * half), s = c
        for (r, pos) in positions.enumerated() {
            for i in 0..<half {
                let angle = T(Double(pos)) * invFreq[i]
                c[r * half + i] = T(Foundation.cos(angle.asDouble))
                s[r * half + i] = T(Foundation.sin(angle.asDouble))
            }
        }
        return (c, s)
    }

    /// Applies RoPE (rotate-half, as Hugging Face Llama) to `x` of shape
    /// `[batch, seq, heads, headDim]`; `positions` gives the position of each (batch, seq)
    /// token in row-major order (left padding shifts them).
    public static func rope(_ x: Tensor, positions: [Int], theta: Double) throws -> Tensor {
        guard x.rank == 4 else { throw TensorError.invalidArgument(op: "rope", detail: "expects [batch, seq, heads, headDim], got \(shapeString(x.shape))") }
        let (b, t, h, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard d % 2 == 0 else { throw TensorError.invalidArgument(op: "rope", detail: "head dimension \(d) is odd") }
        guard positions.count == b * t else {
            throw TensorError.shapeMismatch(op: "rope", detail: "\(positions.count) positions for \(b)x\(t) tokens")
        }
        switch x.dtype {
        case .float32: return ropeTyped(x, positions: positions, theta: theta, heads: h, headDim: d, Float.self)
        case .float64: return ropeTyped(x, positions: positions, theta: theta, heads: h, headDim: d, Double.self)
        }
    }

    private static func ropeTyped<T: TensorScalar>(_ x: Tensor, positions: [Int], theta: Double, heads h: Int, headDim d: Int,
                                                   _: T.Type) -> Tensor {
        let tables = ropeTables(positions: positions, headDim: d, theta: theta, T.self)
        let out = rotate(x.contiguous(), tables, heads: h, headDim: d, inverse: false)
        return out.recording("rope", inputs: [x]) { g in
            [rotate(g.contiguous(), tables, heads: h, headDim: d, inverse: true)]
        }
    }

    /// Rotates every head of every token; `inverse` applies the transpose (for backward).
    private static func rotate<T: TensorScalar>(_ x: Tensor, _ tables: (cos: [T], sin: [T]), heads: Int, headDim: Int, inverse: Bool) -> Tensor {
        let out = Tensor.uninitialized(x.shape, dtype: x.dtype)
        let half = headDim / 2
        let px = x.pointer(as: T.self), po = out.pointer(as: T.self)
        let tokens = x.count / (heads * headDim)
        tables.cos.withUnsafeBufferPointer { cb in
            tables.sin.withUnsafeBufferPointer { sb in
                for tok in 0..<tokens {
                    guard let c0 = cb.baseAddress, let s0 = sb.baseAddress else { return }
                    let c = c0 + tok * half, s = s0 + tok * half
                    for hd in 0..<heads {
                        let base = (tok * heads + hd) * headDim
                        let xi = px + base, o = po + base
                        if inverse {
                            for i in 0..<half {
                                let a = xi[i], bb = xi[i + half]
                                o[i] = a * c[i] + bb * s[i]
                                o[i + half] = bb * c[i] - a * s[i]
                            }
                        } else {
                            for i in 0..<half {
                                let a = xi[i], bb = xi[i + half]
                                o[i] = a * c[i] - bb * s[i]
                                o[i + half] = bb * c[i] + a * s[i]
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Causal scaled dot-product attention with grouped KV heads.
    ///
    /// - `q`: `[batch, T, Hq, D]`; `k`, `v`: `[batch, S, Hkv, D]` with `Hq` a multiple of `Hkv`
    ///   (query head `h` reads KV head `h / (Hq/Hkv)`). The queries are the last `T` of the
    ///   `S` key positions (S > T with a KV cache): query `t` sees keys `0 ... t + S − T`.
    /// - `keyMask`: optional `batch·S` flags, true where a key is a real token (false for padding).
    /// - Returns `[batch, T, Hq, D]`. A query that sees no key at all (a padding position under
    ///   left padding) outputs zeros.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, keyMask: [Bool]? = nil,
                                 causal: Bool = true, scale: Double? = nil) throws -> Tensor {
        guard q.rank == 4, k.rank == 4, v.rank == 4 else {
            throw TensorError.invalidArgument(op: "attention", detail: "expects rank-4 q, k, v in [batch, seq, heads, headDim]")
        }
        let (b, t, hq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, hkv) = (k.shape[1], k.shape[2])
        guard k.shape == v.shape, k.shape[0] == b, k.shape[3] == d, hkv > 0, hq % hkv == 0, s >= t else {
            throw TensorError.shapeMismatch(op: "attention", detail: "q \(shapeString(q.shape)), k \(shapeString(k.shape)), v \(shapeString(v.shape))")
        }
        guard k.dtype == q.dtype, v.dtype == q.dtype else {
            throw TensorError.dtypeMismatch(op: "attention", expected: q.dtype, got: k.dtype == q.dtype ? v.dtype : k.dtype)
        }
        if let keyMask, keyMask.count != b * s {
            throw TensorError.shapeMismatch(op: "attention", detail: "key mask of \(keyMask.count) for \(b)x\(s) keys")
        }
        let geo = AttentionGeometry(b: b, t: t, s: s, hq: hq, hkv: hkv, d: d, scale: scale ?? 1 / Double(d).squareRoot(),
                                    causal: causal, keyMask: keyMask)
        let record = Autograd.isRecording && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
        let qd = q.detached(), kd = k.detached(), vd = v.detached()
        let (out, probs) = q.dtype == .float32
            ? geo.forward(q: qd, k: kd, v: vd, keepProbabilities: record, Float.self)
            : geo.forward(q: qd, k: kd, v: vd, keepProbabilities: record, Double.self)
        guard record, let probs else { return out }
        let need = [q.requiresGrad, k.requiresGrad, v.requiresGrad]
        return out.recording("attention", inputs: [q, k, v], saving: [q, k, v]) { g in
            qd.dtype == .float32
                ? geo.backward(g: g.contiguous(), q: qd, k: kd, v: vd, probs: probs, need: need, Float.self)
                : geo.backward(g: g.contiguous(), q: qd, k: kd, v: vd, probs: probs, need: need, Double.self)
        }
    }
}

/// Sizes and masking rule of one attention call, with its forward and backward kernels.
struct AttentionGeometry {
    let b, t, s, hq, hkv, d: Int
    let scale: Double
    let causal: Bool
    let keyMask: [Bool]?

    var group: Int { hq / hkv }

    /// A `[rows, D]` view of head `h` of batch row `bi` in a `[B, rows, H, D]` tensor.
    func headView(_ x: Tensor, _ bi: Int, _ h: Int, rows: Int) -> Tensor {
        Tensor(unchecked: x.storage, shape: [rows, x.shape[3]], strides: [x.strides[1], x.strides[3]],
               offset: x.offset + bi * x.strides[0] + h * x.strides[2])
    }

    /// The `[T, S]` block of (batch row, head) in a `[B, Hq, T, S]` buffer.
    func probView(_ p: Tensor, _ bi: Int, _ h: Int) -> Tensor {
        Tensor(unchecked: p.storage, shape: [t, s], strides: [s, 1], offset: ((bi * hq) + h) * t * s)
    }

    /// Masks and softmaxes the score rows of one head in place.
    func softmaxRows<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, batch bi: Int) {
        for i in 0..<t {
            let row = p + i * s
            let last = causal ? i + s - t : s - 1
            var m = -T.infinity
            for j in 0..<s {
                let visible = j <= last && (keyMask?[bi * s + j] ?? true)
                if !visible { row[j] = -.infinity } else { m = Swift.max(m, row[j]) }
            }
            if m == -.infinity {
                for j in 0..<s { row[j] = 0 }
                continue
            }
            var z: T = 0
            for j in 0..<s {
                let e = row[j] == -.infinity ? 0 : T.expf(row[j] - m)
                row[j] = e
                z += e
            }
            let inv = 1 / z
            for j in 0..<s { row[j] *= inv }
        }
    }

    func forward<T: TensorScalar>(q: Tensor, k: Tensor, v: Tensor, keepProbabilities: Bool, _: T.Type) -> (Tensor, Tensor?) {
        let out = Tensor.uninitialized([b, t, hq, d], dtype: T.dtype)
        // Probabilities of every head when they are kept for backward; one head's worth otherwise.
        let buffer = Tensor.uninitialized(keepProbabilities ? [b, hq, t, s] : [t, s], dtype: T.dtype)
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let p = keepProbabilities ? probView(buffer, bi, h) : buffer
                let qv = headView(q, bi, h, rows: t), kv = headView(k, bi, kh, rows: s), vv = headView(v, bi, kh, rows: s)
                Tensor.gemm2D(qv, kv.transposedView(), p, ldc: s, alpha: T(scale), beta: 0)
                softmaxRows(p.pointer(as: T.self), batch: bi)
                let ov = headView(out, bi, h, rows: t)
                Tensor.gemm2D(p, vv, ov, ldc: hq * d, alpha: T(1), beta: 0)
            }
        }
        return (out, keepProbabilities ? buffer : nil)
    }

    func backward<T: TensorScalar>(g: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, need: [Bool], _: T.Type) -> [Tensor?] {
        let dq = need[0] ? Tensor.uninitialized([b, t, hq, d], dtype: T.dtype) : nil
        let dk = need[1] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dv = need[2] ? Tensor.zeros([b, s, hkv, d], dtype: T.dtype) : nil
        let dp = Tensor.uninitialized([t, s], dtype: T.dtype)
        let pdp = dp.pointer(as: T.self)
        for bi in 0..<b {
            for h in 0..<hq {
                let kh = h / group
                let p = probView(probs, bi, h)
                let go = headView(g, bi, h, rows: t)
                let qv = headView(q, bi, h, rows: t), kv = headView(k, bi, kh, rows: s), vv = headView(v, bi, kh, rows: s)
                if let dv {
                    Tensor.gemm2D(p.transposedView(), go, headView(dv, bi, kh, rows: s), ldc: hkv * d, alpha: T(1), beta: T(1))
                }
                guard need[0] || need[1] else { continue }
                // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P))
                Tensor.gemm2D(go, vv.transposedView(), dp, ldc: s, alpha: T(1), beta: T(0))
                let pp = p.pointer(as: T.self)
                for i in 0..<t {
                    var dot: T = 0
                    for j in 0..<s { dot += pdp[i * s + j] * pp[i * s + j] }
                    for j in 0..<s { pdp[i * s + j] = pp[i * s + j] * (pdp[i * s + j] - dot) }
                }
                if let dq {
                    Tensor.gemm2D(dp, kv, headView(dq, bi, h, rows: t), ldc: hq * d, alpha: T(scale), beta: T(0))
                }
                if let dk {
                    Tensor.gemm2D(dp.transposedView(), qv, headView(dk, bi, kh, rows: s), ldc: hkv * d, alpha: T(scale), beta: T(1))
                }
            }
        }
        return [dq, dk, dv]
    }
}

extension Tensor {
    /// The transpose of a matrix view (no checks; internal).
    func transposedView() -> Tensor {
        Tensor(unchecked: storage, shape: [shape[1], shape[0]], strides: [strides[1], strides[0]], offset: offset)
    }
}
