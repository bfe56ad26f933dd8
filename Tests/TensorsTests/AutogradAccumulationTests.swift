import Foundation
import Testing
import Tensors

/// Gradients reaching one tensor along several paths are summed in place when nothing else
/// can see the running sum, and row selections add straight into it: the sums must be exact,
/// and tensors the caller holds must never be written.
@Suite("Autograd: accumulation of gradients from several consumers")
struct AutogradAccumulationTests {
    @Test("many selections and slices of one tensor, mixed with dense uses, match finite differences")
    func selectionsMatchFiniteDifferences() throws {
        var g = RandomGenerator(seed: 21)
        let x = GradCheck.rand([6, 5], &g)
        try GradCheck.check([x]) { v in
            let a = try F.indexSelect(v[0], [0, 2, 2, 5])
            let b = try F.indexSelect(v[0], [5, 1])
            let c = try F.narrow(v[0], 0, start: 1, length: 3)
            let d = try F.reshape(F.select(v[0], 0, 4), [1, 5])
            let e = try F.indexSelect(F.scale(v[0], 2), [3])
            let dense = try F.mul(v[0], v[0])       // a dense gradient first or last in the sum
            return try F.concat([a, b, c, d, e, F.indexSelect(dense, [0, 1, 2, 3, 4, 5])], dim: 0)
        }
    }

    @Test("a float32 gradient summed from twenty selections equals the sum done by hand")
    func manySelectionsFloat32() throws {
        var g = RandomGenerator(seed: 22)
        let x = Tensor.randn([7, 33], generator: &g).requiringGrad()
        var total: Tensor? = nil
        var expected = [Double](repeating: 0, count: 7 * 33)
        for k in 0..<20 {
            let rows = [k % 7, (3 * k + 1) % 7]
            let w = Tensor.randn([2, 33], generator: &g)
            let term = try F.sum(F.mul(F.indexSelect(x, rows), w))
            total = try total.map { try F.add($0, term) } ?? term
            let wv = w.doubles()
            for (r, row) in rows.enumerated() { for j in 0..<33 { expected[row * 33 + j] += wv[r * 33 + j] } }
        }
        guard let total else { return }
        try F.backward(total)
        let got = try #require(x.grad).doubles()
        for i in 0..<expected.count { #expect(abs(got[i] - expected[i]) < 1e-5, "element \(i)") }
    }

    @Test("an output gradient given by the caller is never written, even when it reaches an input twice")
    func callerGradientIsNotModified() throws {
        let x = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float32).requiringGrad()
        let y = try F.add(F.reshape(x, [3, 2]), F.reshape(x, [3, 2]))
        let gradient = try Tensor(shape: [3, 2], values: [1, 1, 1, 1, 1, 1], dtype: .float32)
        try F.backward(y, gradient: gradient)
        #expect(gradient.doubles() == [1, 1, 1, 1, 1, 1])
        #expect(try #require(x.grad).doubles() == [2, 2, 2, 2, 2, 2])
        // the same through row selections
        let z = try F.add(F.indexSelect(x, [1, 1]), F.indexSelect(x, [0, 1]))
        let gz = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float32)
        x.zeroGrad()
        try F.backward(z, gradient: gz)
        #expect(gz.doubles() == [1, 2, 3, 4, 5, 6])
        #expect(try #require(x.grad).doubles() == [1, 2, 3, 9, 12, 15])
    }

    @Test("linear layers sharing an input (frozen, low-rank override, trainable) match finite differences")
    func sharedLinearInputMatchesFiniteDifferences() throws {
        var g = RandomGenerator(seed: 23)
        let x = GradCheck.rand([2, 3, 5], &g)
        let wq = GradCheck.rand([4, 5], &g), wk = GradCheck.rand([2, 5], &g), wv = GradCheck.rand([3, 5], &g)
        let bias = GradCheck.rand([2], &g)
        let lora = LowRankOverride(a: GradCheck.rand([2, 5], &g), b: GradCheck.rand([3, 2], &g), scale: 0.5)
        // x feeds three frozen layers (the second consumer onwards adds with beta = 1), one
        // with a frozen bias and one with a frozen low-rank override, then a dense use.
        try GradCheck.check([x]) { v in
            let h = try F.mul(v[0], v[0])
            let q = try F.linear(h, wq), k = try F.linear(h, wk, bias: bias), o = try F.linear(h, wv, override: lora)
            return try F.concat([F.reshape(q, [-1]), F.reshape(k, [-1]), F.reshape(o, [-1]), F.reshape(F.scale(h, 3), [-1])], dim: 0)
        }
        // The same with the weights needing gradients too: no accumulation, the same sums.
        try GradCheck.check([x, wq, wk]) { v in
            let q = try F.linear(v[0], v[1]), k = try F.linear(v[0], v[2]), r = try F.linear(v[0], v[1])
            return try F.concat([F.reshape(q, [-1]), F.reshape(k, [-1]), F.reshape(r, [-1])], dim: 0)
        }
    }

    @Test("a float32 input gradient summed by three linear layers equals the three gradients added")
    func sharedLinearInputFloat32() throws {
        var g = RandomGenerator(seed: 24)
        let x = Tensor.randn([7, 16], generator: &g)
        let ws = (0..<3).map { _ in Tensor.randn([9, 16], generator: &g) }
        let outGrads = (0..<3).map { _ in Tensor.randn([7, 9], generator: &g) }
        let before = ws.map { $0.doubles() } + outGrads.map { $0.doubles() }
        let leaf = x.requiringGrad()
        let h = F.scale(leaf, 1)     // a recorded node, so the sum runs in the pending gradients
        var total: Tensor? = nil
        for (w, og) in zip(ws, outGrads) {
            let term = try F.sum(F.mul(F.linear(h, w), og))
            total = try total.map { try F.add($0, term) } ?? term
        }
        try F.backward(try #require(total))
        var expected = [Double](repeating: 0, count: 7 * 16)
        for (w, og) in zip(ws, outGrads) {
            let part = try og.matmul(w).doubles()
            for i in expected.indices { expected[i] += part[i] }
        }
        let got = try #require(leaf.grad).doubles()
        for i in expected.indices { #expect(abs(got[i] - expected[i]) < 1e-4 * max(1, abs(expected[i])), "element \(i)") }
        // The weights and output gradients the caller holds are untouched.
        #expect(ws.map { $0.doubles() } + outGrads.map { $0.doubles() } == before)
    }
}
