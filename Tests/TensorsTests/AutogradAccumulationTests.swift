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
}
