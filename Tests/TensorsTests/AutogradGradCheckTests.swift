import Testing
import Foundation
import Tensors

/// Central finite differences in double precision against the tape's gradients.
enum GradCheck {
    /// Random float64 tensor.
    static func rand(_ shape: [Int], _ gen: inout RandomGenerator, low: Double = -1, high: Double = 1) -> Tensor {
        Tensor.rand(shape, low: low, high: high, dtype: .float64, generator: &gen)
    }

    /// Causal attention output of one (batch row, query, head) computed entry by entry in float64
    /// (query `t` of `T` sees keys up to `t + S − T` that the key mask keeps; GQA head sharing).
    static func naiveAttention(q: Tensor, k: Tensor, v: Tensor, keyMask: [Bool], batch bi: Int, query ti: Int, head h: Int) throws -> [Double] {
        let (t, hq, d) = (q.shape[1], q.shape[2], q.shape[3])
        let (s, hkv) = (k.shape[1], k.shape[2])
        let kh = h / (hq / hkv)
        var scores: [Double] = [], idx: [Int] = []
        for j in 0..<s where j <= ti + s - t && keyMask[bi * s + j] {
            var dot = 0.0
            for e in 0..<d { dot += try q.value(at: [bi, ti, h, e]) * k.value(at: [bi, j, kh, e]) }
            scores.append(dot / Double(d).squareRoot())
            idx.append(j)
        }
        let m = scores.max() ?? 0
        let z = scores.map { exp($0 - m) }.reduce(0, +)
        return try (0..<d).map { e in
            var out = 0.0
            for (n, j) in idx.enumerated() { out += exp(scores[n] - m) / z * (try v.value(at: [bi, j, kh, e])) }
            return out
        }
    }

    /// Checks d f(inputs) / d inputs[i] for every input, where `f` builds a tensor from
    /// differentiable ops; the scalar differentiated is Σ f(inputs) ⊙ R for a fixed random R.
    static func check(_ inputs: [Tensor], eps: Double = 1e-6, tolerance: Double = 1e-6, seed: UInt64 = 99,
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ f: ([Tensor]) throws -> Tensor) throws {
        var gen = RandomGenerator(seed: seed)
        let leaves = inputs.map { $0.clone().requiringGrad() }
        let out = try f(leaves)
        let r = rand(out.shape, &gen)
        let loss = try F.sum(F.mul(out, r))
        try F.backward(loss)
        func value(_ xs: [Tensor]) throws -> Double {
            try Autograd.noGrad { try f(xs).mul(r).sum() }
        }
        for (i, leaf) in leaves.enumerated() {
            let analytic = leaf.grad ?? Tensor.zeros(leaf.shape, dtype: .float64)
            let base = inputs.map { $0.clone() }
            let flat = base[i].doubles()
            var worst = 0.0
            let scale = Swift.max(1, analytic.doubles().map(abs).max() ?? 0)
            for j in 0..<flat.count {
                var plus = flat, minus = flat
                plus[j] += eps
                minus[j] -= eps
                var bp = base, bm = base
                bp[i] = try Tensor(shape: base[i].shape, values: plus)
                bm[i] = try Tensor(shape: base[i].shape, values: minus)
                let numeric = (try value(bp) - value(bm)) / (2 * eps)
                let a = analytic.doubles()[j]
                worst = Swift.max(worst, abs(numeric - a) / scale)
            }
            #expect(worst < tolerance, "input \(i): max relative gradient error \(worst)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Autograd: gradients against finite differences (float64)")
struct AutogradGradCheckTests {
    @Test func broadcastArithmetic() throws {
        var g = RandomGenerator(seed: 1)
        let a = GradCheck.rand([3, 1, 4], &g), b = GradCheck.rand([2, 1], &g)
        try GradCheck.check([a, b]) { try F.add($0[0], $0[1]) }
        try GradCheck.check([a, b]) { try F.sub($0[0], $0[1]) }
        try GradCheck.check([a, b]) { try F.mul($0[0], $0[1]) }
        let pos = GradCheck.rand([2, 1], &g, low: 0.5, high: 2)
        try GradCheck.check([a, pos]) { try F.div($0[0], $0[1]) }
        try GradCheck.check([a]) { F.addScalar(F.scale($0[0], 3), 2) }
    }

    @Test(arguments: [UnaryOp.exp, .tanh, .sigmoid, .silu, .geluTanh, .geluErf, .square, .neg, .mulScalar(2.5), .powScalar(3)])
    func unaryOps(_ op: UnaryOp) throws {
        var g = RandomGenerator(seed: 2)
        try GradCheck.check([GradCheck.rand([3, 5], &g, low: -2, high: 2)]) { try F.unary(op, $0[0]) }
    }

    @Test func positiveDomainOps() throws {
        var g = RandomGenerator(seed: 3)
        let x = GradCheck.rand([4, 3], &g, low: 0.5, high: 2)
        for op in [UnaryOp.log, .sqrt, .rsqrt, .reciprocal] {
            try GradCheck.check([x]) { try F.unary(op, $0[0]) }
        }
    }

    @Test func reductions() throws {
        var g = RandomGenerator(seed: 4)
        let x = GradCheck.rand([3, 4, 2], &g)
        try GradCheck.check([x]) { F.sum($0[0]) }
        try GradCheck.check([x]) { F.mean($0[0]) }
        try GradCheck.check([x]) { F.norm($0[0]) }
        try GradCheck.check([x]) { F.sumOfSquares($0[0]) }
        for d in 0..<3 {
            try GradCheck.check([x]) { try F.sum($0[0], dim: d) }
            try GradCheck.check([x]) { try F.mean($0[0], dim: d, keepDim: true) }
        }
    }

    @Test func matmulShapes() throws {
        var g = RandomGenerator(seed: 5)
        try GradCheck.check([GradCheck.rand([3, 4], &g), GradCheck.rand([4, 5], &g)]) { try F.matmul($0[0], $0[1]) }
        try GradCheck.check([GradCheck.rand([4], &g), GradCheck.rand([4, 5], &g)]) { try F.matmul($0[0], $0[1]) }
        try GradCheck.check([GradCheck.rand([3, 4], &g), GradCheck.rand([4], &g)]) { try F.matmul($0[0], $0[1]) }
        try GradCheck.check([GradCheck.rand([2, 1, 3, 4], &g), GradCheck.rand([3, 4, 2], &g)]) { try F.matmul($0[0], $0[1]) }
        try GradCheck.check([GradCheck.rand([2, 3, 4], &g), GradCheck.rand([4, 2], &g)]) { try F.matmul($0[0], $0[1]) }
        // transposed operand through a view
        try GradCheck.check([GradCheck.rand([3, 4], &g), GradCheck.rand([5, 4], &g)]) {
            try F.matmul($0[0], F.transpose($0[1], 0, 1))
        }
    }

    @Test func linearWithBiasAndLowRankOverride() throws {
        var g = RandomGenerator(seed: 6)
        let x = GradCheck.rand([2, 3, 4], &g), w = GradCheck.rand([5, 4], &g), b = GradCheck.rand([5], &g)
        try GradCheck.check([x, w, b]) { try F.linear($0[0], $0[1], bias: $0[2]) }
        let a = GradCheck.rand([2, 4], &g), bb = GradCheck.rand([5, 2], &g)
        try GradCheck.check([x, w, a, bb]) {
            try F.linear($0[0], $0[1], override: LowRankOverride(a: $0[2], b: $0[3], scale: 0.7))
        }
        // the override equals materialising W + s·B·A
        let direct = try Autograd.noGrad { try F.linear(x, w.add(bb.matmul(a).mul(0.7))) }
        let viaOverride = try Autograd.noGrad { try F.linear(x, w, override: LowRankOverride(a: a, b: bb, scale: 0.7)) }
        #expect(try direct.maxAbsDifference(viaOverride) < 1e-12)
    }

    @Test func linearAddingResidual() throws {
        var g = RandomGenerator(seed: 16)
        let x = GradCheck.rand([2, 3, 4], &g), w = GradCheck.rand([5, 4], &g), b = GradCheck.rand([5], &g)
        let r = GradCheck.rand([2, 3, 5], &g), a = GradCheck.rand([2, 4], &g), bb = GradCheck.rand([5, 2], &g)
        // Every input differentiable at once, then only the input and the residual (a block's
        // residual stream through a frozen projection).
        try GradCheck.check([x, w, b, r, a, bb]) {
            try F.linear($0[0], $0[1], bias: $0[2], override: LowRankOverride(a: $0[4], b: $0[5], scale: 0.7), adding: $0[3])
        }
        try GradCheck.check([x, r]) { try F.linear($0[0], w, adding: $0[1]) }
        // The same numbers as adding afterwards; the residual itself is left untouched.
        let before = r.doubles()
        let fused = try Autograd.noGrad { try F.linear(x, w, bias: b, adding: r) }
        let apart = try Autograd.noGrad { try F.add(r, F.linear(x, w, bias: b)) }
        #expect(try fused.maxAbsDifference(apart) < 1e-12)
        #expect(fused.shape == [2, 3, 5] && r.doubles() == before)
        // A non-contiguous residual (a transposed view) is read through its strides.
        let rt = try GradCheck.rand([5, 3, 2], &g).transposed(0, 2)
        let viaView = try Autograd.noGrad { try F.linear(x, w, adding: rt) }
        #expect(try viaView.maxAbsDifference(F.add(rt, F.linear(x, w))) < 1e-12)
        #expect(throws: TensorError.self) { try F.linear(x, w, adding: GradCheck.rand([2, 3, 4], &g)) }
        #expect(throws: TensorError.self) { try F.linear(x, w, adding: Tensor.zeros([2, 3, 5], dtype: .float32)) }
    }

    @Test func normalisations() throws {
        var g = RandomGenerator(seed: 7)
        let x = GradCheck.rand([2, 3, 6], &g), w = GradCheck.rand([6], &g, low: 0.5, high: 1.5), b = GradCheck.rand([6], &g)
        try GradCheck.check([x, w]) { try F.rmsNorm($0[0], weight: $0[1], eps: 1e-5) }
        try GradCheck.check([x, w, b]) { try F.layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-5) }
    }

    @Test func swigluAndGelu() throws {
        var g = RandomGenerator(seed: 8)
        let a = GradCheck.rand([3, 7], &g, low: -3, high: 3), b = GradCheck.rand([3, 7], &g)
        try GradCheck.check([a, b]) { try F.swiglu(gate: $0[0], up: $0[1]) }
        try GradCheck.check([a]) { try F.gelu($0[0], approximate: true) }
        try GradCheck.check([a]) { try F.gelu($0[0], approximate: false) }
    }

    @Test func ropeRotateHalf() throws {
        var g = RandomGenerator(seed: 9)
        let x = GradCheck.rand([2, 3, 2, 8], &g)
        try GradCheck.check([x]) { try F.rope($0[0], positions: [0, 1, 2, 5, 6, 7], theta: 10000) }
    }

    @Test func ropeMatchesDefinition() throws {
        // Position p rotates the pair (x_i, x_{i+d/2}) by angle p · θ^(−2i/d).
        var g = RandomGenerator(seed: 10)
        let x = GradCheck.rand([1, 1, 1, 4], &g)
        let y = try F.rope(x, positions: [3], theta: 100)
        let v = x.doubles(), out = y.doubles()
        for i in 0..<2 {
            let angle = 3 * pow(100, -2 * Double(i) / 4)
            #expect(abs(out[i] - (v[i] * cos(angle) - v[i + 2] * sin(angle))) < 1e-12)
            #expect(abs(out[i + 2] - (v[i + 2] * cos(angle) + v[i] * sin(angle))) < 1e-12)
        }
    }

    @Test("RoPE with tables computed once equals RoPE from positions, values and gradients; mismatched tables are refused")
    func ropeWithSharedTables() throws {
        var g = RandomGenerator(seed: 12)
        let positions = [4, 5, 6, 0, 1, 2]
        for dtype in [DType.float32, .float64] {
            let x = Tensor.randn([2, 3, 3, 8], dtype: dtype, generator: &g).requiringGrad()
            let tables = RopeTables(positions: positions, headDim: 8, theta: 10000, dtype: dtype)
            let a = try F.rope(x, positions: positions, theta: 10000), b = try F.rope(x, tables: tables)
            #expect(a.doubles() == b.doubles())
            try F.backward(F.sum(F.mul(b, b)))
            let viaTables = try #require(x.grad).doubles()
            x.zeroGrad()
            try F.backward(F.sum(F.mul(a, a)))
            #expect(try #require(x.grad).doubles() == viaTables)
        }
        let x = Tensor.randn([2, 3, 3, 8], generator: &g)
        #expect(throws: TensorError.self) { try F.rope(x, tables: RopeTables(positions: [0, 1, 2], headDim: 8, theta: 1e4, dtype: .float32)) }
        #expect(throws: TensorError.self) { try F.rope(x, tables: RopeTables(positions: positions, headDim: 4, theta: 1e4, dtype: .float32)) }
        #expect(throws: TensorError.self) { try F.rope(x, tables: RopeTables(positions: positions, headDim: 8, theta: 1e4, dtype: .float64)) }
    }

    @Test func attentionWithGQAPaddingAndCache() throws {
        var g = RandomGenerator(seed: 11)
        // batch 2, T 3 queries over S 4 keys (one cached), 4 query heads on 2 KV heads
        let q = GradCheck.rand([2, 3, 4, 4], &g), k = GradCheck.rand([2, 4, 2, 4], &g), v = GradCheck.rand([2, 4, 2, 4], &g)
        let mask = [false, true, true, true, true, true, true, true]   // row 0 left-padded by one
        try GradCheck.check([q, k, v]) { try F.attention(q: $0[0], k: $0[1], v: $0[2], keyMask: mask) }
        try GradCheck.check([q, k, v]) { try F.attention(q: $0[0], k: $0[1], v: $0[2], keyMask: nil, causal: false) }
    }

    @Test func attentionMatchesNaiveReference() throws {
        var g = RandomGenerator(seed: 12)
        let (b, t, s, hq, hkv, d) = (2, 3, 5, 4, 2, 3)
        let q = GradCheck.rand([b, t, hq, d], &g), k = GradCheck.rand([b, s, hkv, d], &g), v = GradCheck.rand([b, s, hkv, d], &g)
        let mask = (0..<(b * s)).map { $0 != 0 && $0 != 1 }          // row 0: first two keys are padding
        let out = try F.attention(q: q, k: k, v: v, keyMask: mask)
        for bi in 0..<b { for ti in 0..<t { for h in 0..<hq {
            let expected = try GradCheck.naiveAttention(q: q, k: k, v: v, keyMask: mask, batch: bi, query: ti, head: h)
            for e in 0..<d { #expect(abs(try out.value(at: [bi, ti, h, e]) - expected[e]) < 1e-12) }
        } } }
    }

    @Test func softmaxFamilyAndLosses() throws {
        var g = RandomGenerator(seed: 13)
        let z = GradCheck.rand([4, 6], &g, low: -3, high: 3), ref = GradCheck.rand([4, 6], &g, low: -3, high: 3)
        try GradCheck.check([z]) { try F.softmax($0[0]) }
        try GradCheck.check([z]) { try F.logSoftmax($0[0]) }
        try GradCheck.check([z]) { try F.crossEntropy($0[0], targets: [1, 5, 0, 2], weights: [1, 0, 0.5, 2]) }
        try GradCheck.check([z]) { try F.crossEntropy($0[0], targets: [1, 5, 0, 2], normalize: false) }
        try GradCheck.check([z]) { try F.klDivergence($0[0], reference: ref) }
    }

    @Test func crossEntropyAndKLValues() throws {
        let z = try Tensor(shape: [2, 3], values: [1, 2, 3, 0, 0, 0])
        let ce = try F.crossEntropy(z, targets: [2, 0], weights: [1, 3]).item()
        let lse0 = log(exp(1.0) + exp(2.0) + exp(3.0))
        let expected = (1 * (lse0 - 3) + 3 * log(3.0)) / 4
        #expect(abs(ce - expected) < 1e-12)
        // KL(P‖P) = 0 and KL against uniform = log V − H(P)
        #expect(abs(try F.klDivergence(z, reference: z).item()) < 1e-12)
        let p = try z.softmax(dim: -1).doubles()
        let h0 = -(0..<3).map { p[$0] * log(p[$0]) }.reduce(0, +)
        let kl = try F.klDivergence(z, reference: Tensor.zeros([2, 3], dtype: .float64)).item()
        #expect(abs(kl - ((log(3.0) - h0) + 0) / 2) < 1e-12)
    }

    @Test func shapeOps() throws {
        var g = RandomGenerator(seed: 14)
        let x = GradCheck.rand([2, 3, 4], &g), y = GradCheck.rand([2, 2, 4], &g)
        try GradCheck.check([x]) { try F.reshape($0[0], [6, -1]) }
        try GradCheck.check([x]) { try F.transpose($0[0], 0, 2) }
        try GradCheck.check([x]) { try F.permute($0[0], [2, 0, 1]) }
        try GradCheck.check([x]) { try F.narrow($0[0], 1, start: 1, length: 2) }
        try GradCheck.check([x]) { try F.select($0[0], 2, -1) }
        try GradCheck.check([x]) { F.contiguous(try F.transpose($0[0], 1, 2)) }
        try GradCheck.check([x, y]) { try F.concat([$0[0], $0[1]], dim: 1) }
        let table = GradCheck.rand([5, 3], &g)
        try GradCheck.check([table]) { try F.indexSelect($0[0], [4, 0, 4, 2]) }
        let vals = GradCheck.rand([3, 3], &g)
        try GradCheck.check([table, vals]) { try F.indexAdd($0[0], [1, 3, 1], $0[1]) }
    }
}
