import Foundation

/// Rotary position embeddings (rotate-half layout) and causal multi-head attention with
/// grouped KV heads and a key padding mask. Activations use the `[batch, position, head,
/// head_dim]` layout throughout (TransformerLens's `hook_z` layout), so no transposes are
/// needed around attention.
extension F {
    /// cos/sin tables computed as Hugging Face does in float32: `inv_freq = 1 / theta^(2i/d)`,
    /// angle = position · inv_freq (for float64 the same formula runs in double precision),
    /// one `[headDim/2]` row per distinct position (positions repeat across a batch), with
    /// the row of each token.
    static func ropeDistinctTables<T: TensorScalar>(positions: [Int], headDim: Int, theta: Double,
                                                   _: T.Type) -> (cos: [T], sin: [T], row: [Int]) {
        let half = headDim / 2
        var invFreq = [T](repeating: 0, count: half)
        for i in 0..<half {
            let p = T(Foundation.pow(T(theta).asDouble, (T(2 * i) / T(headDim)).asDouble))
            invFreq[i] = 1 / p
        }
        var rowOf: [Int: Int] = [:]
        var distinct: [Int] = []
        let index = positions.map { pos in
            if let r = rowOf[pos] { return r }
            rowOf[pos] = distinct.count
            distinct.append(pos)
            return distinct.count - 1
        }
        var c = [T](repeating: 0, count: distinct.count * half), s = c
        for (r, pos) in distinct.enumerated() {
            for i in 0..<half {
                let angle = T(Double(pos)) * invFreq[i]
                c[r * half + i] = T(Foundation.cos(angle.asDouble))
                s[r * half + i] = T(Foundation.sin(angle.asDouble))
            }
        }
        return (c, s, index)
    }

    /// Applies RoPE (rotate-half, as Hugging Face Llama) to `x` of shape
    /// `[batch, seq, heads, headDim]`; `positions` gives the position of each (batch, seq)
    /// token in row-major order (left padding shifts them).
    public static func rope(_ x: Tensor, positions: [Int], theta: Double) throws -> Tensor {
        guard x.rank == 4 else { throw TensorError.invalidArgument(op: "rope", detail: "expects [batch, seq, heads, headDim], got \(shapeString(x.shape))") }
        return try rope(x, tables: RopeTables(positions: positions, headDim: x.shape[3], theta: theta, dtype: x.dtype))
    }

    /// Applies RoPE with tables computed beforehand (a forward pass computes them once for
    /// all of its layers' queries and keys): same result as `rope(_:positions:theta:)`.
    public static func rope(_ x: Tensor, tables: RopeTables) throws -> Tensor {
        guard x.rank == 4 else { throw TensorError.invalidArgument(op: "rope", detail: "expects [batch, seq, heads, headDim], got \(shapeString(x.shape))") }
        let (b, t, h, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard d % 2 == 0 else { throw TensorError.invalidArgument(op: "rope", detail: "head dimension \(d) is odd") }
        guard d == tables.headDim else {
            throw TensorError.shapeMismatch(op: "rope", detail: "tables for head dimension \(tables.headDim), input has \(d)")
        }
        guard tables.row.count == b * t else {
            throw TensorError.shapeMismatch(op: "rope", detail: "\(tables.row.count) positions for \(b)x\(t) tokens")
        }
        guard tables.dtype == x.dtype else { throw TensorError.dtypeMismatch(op: "rope", expected: tables.dtype, got: x.dtype) }
        switch tables.values {
        case .float32(let c, let s): return ropeTyped(x, (c, s, tables.row), heads: h, headDim: d)
        case .float64(let c, let s): return ropeTyped(x, (c, s, tables.row), heads: h, headDim: d)
        }
    }

    private static func ropeTyped<T: TensorScalar>(_ x: Tensor, _ tables: (cos: [T], sin: [T], row: [Int]), heads h: Int,
                                                   headDim d: Int) -> Tensor {
        let out = rotate(x.contiguous(), tables, heads: h, headDim: d, inverse: false)
        return out.recording("rope", inputs: [x]) { g in
            [rotate(g.contiguous(), tables, heads: h, headDim: d, inverse: true)]
        }
    }

    /// Rotates every head of every token (token `k` uses table row `row[k]`); `inverse`
    /// applies the transpose (for backward).
    private static func rotate<T: TensorScalar>(_ x: Tensor, _ tables: (cos: [T], sin: [T], row: [Int]), heads: Int, headDim: Int,
                                                inverse: Bool) -> Tensor {
        let out = Tensor.uninitialized(x.shape, dtype: x.dtype)
        let half = headDim / 2
        let px = x.pointer(as: T.self), po = out.pointer(as: T.self)
        let tokens = x.count / Swift.max(heads * headDim, 1)
        tables.cos.withUnsafeBufferPointer { cb in
            tables.sin.withUnsafeBufferPointer { sb in
                guard let c0 = cb.baseAddress, let s0 = sb.baseAddress else { return }
                for tok in 0..<tokens {
                    let c = c0 + tables.row[tok] * half, s = s0 + tables.row[tok] * half
                    for hd in 0..<heads {
                        let base = (tok * heads + hd) * headDim
                        if T.self == Float.self {
                            rotateHalves(px + base, po + base, c, s, half, inverse: inverse)
                            continue
                        }
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

    /// One head's rotate-half in float32, eight lanes at a time.
    @inline(__always)
    private static func rotateHalves<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ o: UnsafeMutablePointer<T>,
                                                      _ c: UnsafePointer<T>, _ s: UnsafePointer<T>, _ half: Int, inverse: Bool) {
        let a = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
        let y = UnsafeMutableRawPointer(o).assumingMemoryBound(to: Float.self)
        let cf = UnsafeRawPointer(c).assumingMemoryBound(to: Float.self)
        let sf = UnsafeRawPointer(s).assumingMemoryBound(to: Float.self)
        let b = a + half, yb = y + half
        // Two outputs per step, so not a `LaneFunction`: the loop is written out.
        let sign: Float = inverse ? -1 : 1
        var i = 0
        while i + 8 <= half {
            let (va, vb) = (VectorMath.load(a, i), VectorMath.load(b, i))
            let (vc, vs) = (VectorMath.load(cf, i), sign * VectorMath.load(sf, i))
            VectorMath.store(va * vc - vb * vs, y, i)
            VectorMath.store(vb * vc + va * vs, yb, i)
            i += 8
        }
        if i < half {
            let r = half - i
            let (va, vb) = (VectorMath.loadPartial(a + i, r), VectorMath.loadPartial(b + i, r))
            let (vc, vs) = (VectorMath.loadPartial(cf + i, r), sign * VectorMath.loadPartial(sf + i, r))
            VectorMath.storePartial(va * vc - vb * vs, y + i, r)
            VectorMath.storePartial(vb * vc + va * vs, yb + i, r)
        }
    }

    /// Causal scaled dot-product attention with grouped KV heads.
    ///
    /// - `q`: `[batch, T, Hq, D]`; `k`, `v`: `[batch, S, Hkv, D]` with `Hq` a multiple of `Hkv`
    ///   (query head `h` reads KV head `h / (Hq/Hkv)`). The queries are the last `T` of the
    ///   `S` key positions (S > T with a KV cache): query `t` sees keys `0 ... t + S − T`.
    /// - `keyMask`: optional `batch·S` flags, true where a key is a real token (false for padding).
    /// - `segments`: lengths of independent sequences packed along the position axis (they
    ///   sum to `T`; needs `S == T`): each attends only within itself, as if it were its own
    ///   batch row, without padding.
    /// - Returns `[batch, T, Hq, D]`. A query that sees no key at all (a padding position under
    ///   left padding) outputs zeros.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, keyMask: [Bool]? = nil,
                                 causal: Bool = true, scale: Double? = nil, segments: [Int]? = nil) throws -> Tensor {
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
        if let segments, s != t || segments.contains(where: { $0 <= 0 }) || segments.reduce(0, +) != t {
            throw TensorError.invalidArgument(op: "attention", detail: "packed segments \(segments) do not cover \(t) queries over \(s) keys")
        }
        let geo = AttentionGeometry(b: b, t: t, s: s, hq: hq, hkv: hkv, d: d, scale: scale ?? 1 / Double(d).squareRoot(),
                                    causal: causal, keyMask: keyMask, segments: segments)
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

extension Tensor {
    /// The transpose of a matrix view (no checks; internal).
    func transposedView() -> Tensor {
        Tensor(unchecked: storage, shape: [shape[1], shape[0]], strides: [strides[1], strides[0]], offset: offset)
    }
}
