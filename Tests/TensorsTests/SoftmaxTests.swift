import Foundation
import Testing
import Tensors

/// Applies `f` to each lane of `a` along `dim`, writing the lane back (same shape).
func refAlongDim(_ a: Ref, dim: Int, _ f: ([Double]) -> [Double]) -> Ref {
    let d = dim < 0 ? dim + a.rank : dim
    var outer = a.shape
    outer[d] = 1
    var out = a
    for idx in multiIndices(outer) {
        var i = idx
        var lane: [Double] = []
        for j in 0..<a.shape[d] { i[d] = j; lane.append(a[i]) }
        let r = f(lane)
        for j in 0..<a.shape[d] { i[d] = j; out[i] = r[j] }
    }
    return out
}

/// The textbook formulas, without the max-subtraction trick (inputs stay moderate).
func refSoftmax(_ x: [Double]) -> [Double] {
    let e = x.map { Foundation.exp($0) }
    let z = e.reduce(0, +)
    return e.map { $0 / z }
}
func refLogSumExp(_ x: [Double]) -> Double { Foundation.log(x.map { Foundation.exp($0) }.reduce(0, +)) }
func refLogSoftmax(_ x: [Double]) -> [Double] {
    let l = refLogSumExp(x)
    return x.map { $0 - l }
}

@Suite struct SoftmaxTests {
    @Test("softmax, logSoftmax and logSumExp along every axis match the formulas",
          arguments: DType.allCases, Layout.allCases)
    func everyAxis(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 31)
        let (rtol, atol) = dtype == .float32 ? (1e-5, 1e-6) : (1e-12, 1e-13)
        for shape in [[3, 4, 5], [2, 3, 2, 4], [6]] {
            let a = try randomTensor(shape, dtype, layout, &rng, low: -5, high: 5)
            let ra = try ref(a)
            for d in Array(0..<shape.count) + [-1] {
                let label = "\(shape) \(layout) dim \(d)"
                let s = try a.softmax(dim: d)
                try expectClose(s, refAlongDim(ra, dim: d, refSoftmax), rtol: rtol, atol: atol, "softmax " + label)
                // each lane sums to one
                try expectClose(s.sum(dim: d), Ref(shape: refReduce(ra, dim: d, keepDim: false, refSum).shape, repeating: 1),
                                rtol: 0, atol: dtype == .float32 ? 1e-6 : 1e-14, "softmax sums " + label)
                try expectClose(a.logSoftmax(dim: d), refAlongDim(ra, dim: d, refLogSoftmax), rtol: rtol, atol: 10 * atol,
                                "logSoftmax " + label)
                for keep in [false, true] {
                    try expectClose(a.logSumExp(dim: d, keepDim: keep), refReduce(ra, dim: d, keepDim: keep, refLogSumExp),
                                    rtol: rtol, atol: atol, "logSumExp keepDim \(keep) " + label)
                }
            }
        }
        // default dimension is the last
        let a = try randomTensor([3, 4], dtype, layout, &rng)
        #expect(try a.softmax().doubles() == a.softmax(dim: 1).doubles())
        #expect(try a.logSoftmax().doubles() == a.logSoftmax(dim: -1).doubles())
        #expect(try a.logSumExp().doubles() == a.logSumExp(dim: 1).doubles())
    }

    @Test("large inputs: no overflow, no NaN, correct values (along the last and the first axis)",
          arguments: DType.allCases)
    func stability(dtype: DType) throws {
        let row: [Double] = [1000, -1000, 999, 0]
        let l1 = Foundation.log1p(Foundation.exp(-1.0))
        let wantSoft = [1 / (1 + Foundation.exp(-1.0)), 0, Foundation.exp(-1.0) / (1 + Foundation.exp(-1.0)), 0]
        let wantLog = [-l1, -2000 - l1, -1 - l1, -1000 - l1]
        let wantLSE = 1000 + l1
        let (rtol, atol) = dtype == .float32 ? (1e-6, 1e-6) : (1e-14, 1e-14)
        let rowsT = try Tensor(shape: [2, 4], values: row + [-1000, -1000, -1000, -1000], dtype: dtype)
        let colsT = try rowsT.t() // [4, 2], a transposed view: the same lanes down the columns
        for (t, dim) in [(rowsT, 1), (colsT, 0)] {
            let s = try t.softmax(dim: dim), ls = try t.logSoftmax(dim: dim), lse = try t.logSumExp(dim: dim)
            #expect(s.isFinite && ls.isFinite && lse.isFinite, "dim \(dim)")
            let lane0 = { (x: Tensor) throws -> [Double] in try (0..<4).map { try x.value(at: dim == 1 ? [0, $0] : [$0, 0]) } }
            let lane1 = { (x: Tensor) throws -> [Double] in try (0..<4).map { try x.value(at: dim == 1 ? [1, $0] : [$0, 1]) } }
            expectClose(try lane0(s), wantSoft, rtol: rtol, atol: atol, "softmax dim \(dim)")
            expectClose(try lane0(ls), wantLog, rtol: rtol, atol: atol, "logSoftmax dim \(dim)")
            expectClose(lse.doubles(), [wantLSE, -1000 + Foundation.log(4)], rtol: rtol, atol: atol, "logSumExp dim \(dim)")
            expectClose(try lane1(s), [0.25, 0.25, 0.25, 0.25], rtol: rtol, atol: atol, "uniform at -1000")
            expectClose(try lane1(ls), [Double](repeating: -Foundation.log(4), count: 4), rtol: rtol, atol: atol, "log uniform")
        }
        // +1000 everywhere: exp would overflow without the shift
        let hot = Tensor.full([3], 1000, dtype: dtype)
        expectClose(try hot.softmax().doubles(), [1.0 / 3, 1.0 / 3, 1.0 / 3], rtol: rtol, atol: atol, "softmax of 1000s")
        expectClose(try hot.logSumExp(dim: 0).doubles(), [1000 + Foundation.log(3)], rtol: rtol, atol: atol, "lse of 1000s")
    }

    @Test("lanes containing -inf: zero probability, -inf log-probability; all -inf gives logSumExp -inf",
          arguments: DType.allCases)
    func negativeInfinity(dtype: DType) throws {
        let t = try Tensor(shape: [3, 3], values: [0, -.infinity, 1,
                                                  -.infinity, -.infinity, -.infinity,
                                                  -.infinity, 2, -.infinity], dtype: dtype)
        let (rtol, atol) = dtype == .float32 ? (1e-6, 1e-7) : (1e-14, 1e-15)
        let e = Foundation.exp(1.0)
        let s = try t.softmax(dim: 1)
        expectClose(try (0..<3).map { try s.value(at: [0, $0]) }, [1 / (1 + e), 0, e / (1 + e)], rtol: rtol, atol: atol, "softmax row 0")
        expectClose(try (0..<3).map { try s.value(at: [2, $0]) }, [0, 1, 0], rtol: rtol, atol: atol, "softmax row 2")
        let ls = try t.logSoftmax(dim: 1)
        let l = Foundation.log(1 + e)
        expectClose(try (0..<3).map { try ls.value(at: [0, $0]) }, [-l, -.infinity, 1 - l], rtol: rtol, atol: atol, "logSoftmax row 0")
        expectClose(try (0..<3).map { try ls.value(at: [2, $0]) }, [-.infinity, 0, -.infinity], rtol: rtol, atol: atol, "logSoftmax row 2")
        let lse = try t.logSumExp(dim: 1)
        expectClose(lse.doubles(), [l, -.infinity, 2], rtol: rtol, atol: atol, "logSumExp rows")
        expectClose(try t.logSumExp(dim: 0).doubles(), [0, 2, 1], rtol: rtol, atol: atol, "logSumExp columns")
        let p = try Tensor(shape: [2], values: [.infinity, 1], dtype: dtype)
        #expect(try p.logSumExp(dim: 0).item() == .infinity)
    }

    @Test("bad dimensions throw outOfRange")
    func errors() throws {
        let a = Tensor.ones([2, 3])
        expectError(.outOfRange) { try a.softmax(dim: 2) }
        expectError(.outOfRange) { try a.logSoftmax(dim: -3) }
        expectError(.outOfRange) { try a.logSumExp(dim: 2) }
        #expect(try Tensor.zeros([0, 3]).softmax(dim: 1).shape == [0, 3])
    }
}
