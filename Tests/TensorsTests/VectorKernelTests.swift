import Foundation
import Testing
import Tensors

/// The vectorised float32 kernels (activations, elementwise rows, norms, RoPE, blocked causal
/// attention, Gram matrices) against the float64 paths, which run the scalar formulas.
@Suite("Vectorised float32 kernels against float64")
struct VectorKernelTests {
    /// Random float64 tensor in [low, high).
    func rand(_ shape: [Int], _ gen: inout RandomGenerator, low: Double = -3, high: Double = 3) -> Tensor {
        Tensor.rand(shape, low: low, high: high, dtype: .float64, generator: &gen)
    }

    /// Largest |a − b| over max(1, max |b|), with `a` converted to float64.
    func relativeError(_ a: Tensor, _ b: Tensor) throws -> Double {
        let scale = Swift.max(1, b.doubles().map(abs).max() ?? 0)
        return try a.to(.float64).maxAbsDifference(b) / scale
    }

    /// Runs `f` on float64 inputs and on their float32 copies; the results must agree to `tol`.
    func agree(_ inputs: [Tensor], tol: Double = 2e-6, sourceLocation: SourceLocation = #_sourceLocation,
               _ f: ([Tensor]) throws -> [Tensor?]) throws {
        let ref = try f(inputs)
        let got = try f(inputs.map { $0.to(.float32) })
        #expect(ref.count == got.count, sourceLocation: sourceLocation)
        for (i, (r, g)) in zip(ref, got).enumerated() {
            guard let r, let g else {
                #expect(r == nil && g == nil, "output \(i): present in one precision only", sourceLocation: sourceLocation)
                continue
            }
            #expect(g.dtype == .float32, sourceLocation: sourceLocation)
            let e = try relativeError(g, r)
            #expect(e < tol, "output \(i): relative error \(e)", sourceLocation: sourceLocation)
        }
    }

    /// Forward and the gradients of Σ f(x) ⊙ r with respect to every input.
    func forwardAndGradients(_ xs: [Tensor], _ r: Tensor, _ f: ([Tensor]) throws -> Tensor) throws -> [Tensor?] {
        let leaves = xs.map { $0.clone().requiringGrad() }
        let y = try f(leaves)
        try F.backward(F.sum(F.mul(y, r.to(y.dtype))))
        return [y.detached()] + leaves.map { $0.grad }
    }

    @Test("sizes around the eight-lane width", arguments: [1, 7, 8, 13, 64, 1000])
    func activationsAndElementwise(n: Int) throws {
        var g = RandomGenerator(seed: UInt64(n))
        let x = rand([n], &g, low: -12, high: 12), y = rand([n], &g), r = rand([n], &g)
        for op in [UnaryOp.exp, .sigmoid, .silu, .geluTanh, .neg, .square, .addScalar(0.5), .mulScalar(-2), .divScalar(3)] {
            try agree([x]) { [$0[0].unary(op)] }
        }
        try agree([x, y]) { t in try BinaryOp.allCases.filter { $0 != .pow }.map { try t[0].binary($0, t[1]) } }
        let scalar = try Tensor(shape: [1], values: [1.75])
        try agree([x, scalar]) { t in try [BinaryOp.add, .sub, .mul, .div].map { try t[0].binary($0, t[1]) } }
        try agree([x, y]) { t in [try t[0].clone().addInPlace(t[1]), try t[0].clone().mulInPlace(t[1])] }
        try agree([x]) { t in try forwardAndGradients(t, r) { try F.silu($0[0]) } }
        try agree([x]) { t in try forwardAndGradients(t, r) { try F.gelu($0[0], approximate: true) } }
        try agree([x, y]) { t in try forwardAndGradients(t, r) { try F.swiglu(gate: $0[0], up: $0[1]) } }
    }

    @Test("softmax and log-softmax rows of a vocabulary-sized tensor, with extreme values")
    func softmaxRows() throws {
        var g = RandomGenerator(seed: 3)
        let x = rand([3, 1003], &g, low: -40, high: 40)
        try x.setValue(1e4, at: [2, 1000])
        try agree([x], tol: 1e-6) { [try $0[0].softmax(dim: -1), try $0[0].logSoftmax(dim: -1)] }
        try x.setValue(-.infinity, at: [1, 5])
        try agree([x], tol: 1e-6) { [try $0[0].softmax(dim: -1)] }
        let p = try x.to(.float32).softmax(dim: -1)
        #expect(try x.to(.float32).logSoftmax(dim: -1).value(at: [1, 5]) == -.infinity)
        #expect(try p.value(at: [1, 5]) == 0)
        #expect(abs(try p.sum(dim: -1).to(.float64).maxAbsDifference(Tensor.ones([3], dtype: .float64))) < 1e-6)
    }

    @Test("rmsNorm forward and backward, RoPE forward and backward")
    func normAndRope() throws {
        var g = RandomGenerator(seed: 4)
        let x = rand([2, 5, 3, 20], &g), w = rand([20], &g), r = rand([2, 5, 3, 20], &g)
        try agree([x, w]) { t in try forwardAndGradients(t, r) { try F.rmsNorm($0[0], weight: $0[1], eps: 1e-5) } }
        let positions = [0, 1, 2, 3, 4, 0, 0, 1, 2, 3]   // second row left-padded
        try agree([x]) { t in try forwardAndGradients(t, r) { try F.rope($0[0], positions: positions, theta: 10000) } }
    }

    @Test("causal attention over several row blocks matches the float64 path and a naive reference")
    func blockedAttention() throws {
        var g = RandomGenerator(seed: 5)
        // 150 queries = three blocks of 64 rows (the last partial); 160 keys: 10 cached.
        let (b, t, s, hq, hkv, d) = (2, 150, 160, 4, 2, 8)
        let q = rand([b, t, hq, d], &g, low: -1, high: 1), k = rand([b, s, hkv, d], &g, low: -1, high: 1)
        let v = rand([b, s, hkv, d], &g, low: -1, high: 1), r = rand([b, t, hq, d], &g)
        let mask = (0..<(b * s)).map { $0 >= 3 }   // row 0: three padding keys
        try agree([q, k, v], tol: 1e-5) { t in
            try forwardAndGradients(t, r) { try F.attention(q: $0[0], k: $0[1], v: $0[2], keyMask: mask) }
        }
        let out = try F.attention(q: q, k: k, v: v, keyMask: mask)
        for (bi, ti, h) in [(0, 0, 0), (0, 63, 1), (0, 64, 2), (1, 100, 3), (1, 149, 0), (0, 128, 1)] {
            let expected = try GradCheck.naiveAttention(q: q, k: k, v: v, keyMask: mask, batch: bi, query: ti, head: h)
            for e in 0..<d { #expect(abs(try out.value(at: [bi, ti, h, e]) - expected[e]) < 1e-12, "row \(ti) head \(h)") }
        }
    }

    @Test("attention gradients over several row blocks match finite differences")
    func blockedAttentionGradients() throws {
        var g = RandomGenerator(seed: 6)
        // 140 queries: blocks of 64, 64 and 12 rows; 142 keys (two cached), one of them padding
        let q = rand([1, 140, 2, 2], &g, low: -1, high: 1), k = rand([1, 142, 1, 2], &g, low: -1, high: 1)
        let v = rand([1, 142, 1, 2], &g, low: -1, high: 1)
        let mask = (0..<142).map { $0 != 1 }
        try GradCheck.check([q, k, v]) { try F.attention(q: $0[0], k: $0[1], v: $0[2], keyMask: mask) }
    }

    @Test("gram(into:) is the upper triangle of AᵀA for row-major and transposed operands, in both precisions",
          arguments: [DType.float32, .float64])
    func gram(dtype: DType) throws {
        var g = RandomGenerator(seed: 7)
        let a = rand([37, 11], &g).to(dtype)
        let expected = try a.t().matmul(a).to(.float64)
        for operand in [a, try a.t().contiguous().t()] {
            let out = Tensor.full([11, 11], -5, dtype: dtype)
            try operand.gram(into: out)
            for i in 0..<11 {
                for j in 0..<11 {
                    let got = try out.value(at: [i, j])
                    if j >= i {
                        #expect(abs(got - (try expected.value(at: [i, j]))) < 1e-4 * (1 + abs(got)), "(\(i), \(j))")
                    } else {
                        #expect(got == -5, "the strict lower triangle must be left alone")
                    }
                }
            }
            // beta accumulates; symmetrising completes the matrix
            try operand.gram(into: out, alpha: 1, beta: 1)
            try out.symmetrizeFromUpper()
            #expect(try out.to(.float64).maxAbsDifference(expected.mul(2)) < 1e-3)
        }
        // float32 Gram blocks added into a float64 accumulator
        let acc = Tensor.zeros([11, 11], dtype: .float64)
        let block = Tensor.zeros([11, 11], dtype: dtype)
        for start in stride(from: 0, to: 37, by: 10) {
            try a.narrow(0, start: start, length: Swift.min(10, 37 - start)).gram(into: block)
            try acc.addUpperTriangle(of: block)
        }
        try acc.symmetrizeFromUpper()
        #expect(try acc.maxAbsDifference(expected) < 1e-4)
        #expect(throws: TensorError.self) { try a.gram(into: Tensor.zeros([10, 10], dtype: dtype)) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4]).symmetrizeFromUpper() }
    }
}
