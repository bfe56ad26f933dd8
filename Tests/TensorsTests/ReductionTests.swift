import Foundation
import Testing
import Tensors

/// Reduces each lane of `a` along `dim` with `f` (the lane's values in order).
func refReduce(_ a: Ref, dim: Int, keepDim: Bool, _ f: ([Double]) -> Double) -> Ref {
    let d = dim < 0 ? dim + a.rank : dim
    var outShape = a.shape
    outShape[d] = 1
    var out = Ref(shape: outShape, repeating: 0)
    for idx in multiIndices(outShape) {
        var lane: [Double] = []
        var i = idx
        for j in 0..<a.shape[d] {
            i[d] = j
            lane.append(a[i])
        }
        out[idx] = f(lane)
    }
    if !keepDim { out.shape.remove(at: d) }
    return out
}

func refSum(_ x: [Double]) -> Double { x.reduce(0, +) }
func refMean(_ x: [Double]) -> Double { refSum(x) / Double(x.count) }
func refVariance(_ x: [Double], correction: Int) -> Double {
    let m = refMean(x)
    return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - correction)
}
/// Index of the first maximum (first minimum with `less`).
func refArgBest(_ x: [Double], _ better: (Double, Double) -> Bool) -> Int {
    var b = 0
    for j in 1..<x.count where better(x[j], x[b]) { b = j }
    return b
}

@Suite struct ReductionTests {
    static let shapes: [[Int]] = [[3, 4, 5], [2, 3, 4, 5]]

    @Test("sum, mean and variance along every axis, with and without keepDim", arguments: DType.allCases, Layout.allCases)
    func sumMeanVariance(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 21)
        let rtol = dtype == .float32 ? 4 * eps(dtype) : 1e-13
        let atol = 1e-12
        for shape in Self.shapes {
            let a = try randomTensor(shape, dtype, layout, &rng)
            let ra = try ref(a)
            let dims = Array(0..<shape.count) + [-1, -shape.count]
            for d in dims {
                for keep in [false, true] {
                    let label = "\(shape) \(layout) dim \(d) keepDim \(keep)"
                    let s = try a.sum(dim: d, keepDim: keep)
                    #expect(s.dtype == dtype)
                    try expectClose(s, refReduce(ra, dim: d, keepDim: keep, refSum), rtol: rtol, atol: atol, "sum " + label)
                    try expectClose(a.mean(dim: d, keepDim: keep), refReduce(ra, dim: d, keepDim: keep, refMean),
                                    rtol: rtol, atol: atol, "mean " + label)
                    for c in [0, 1] {
                        try expectClose(a.variance(dim: d, correction: c, keepDim: keep),
                                        refReduce(ra, dim: d, keepDim: keep) { refVariance($0, correction: c) },
                                        rtol: rtol, atol: atol, "variance(correction: \(c)) " + label)
                    }
                }
            }
            // the default correction is 1 (unbiased)
            try expectClose(a.variance(dim: 1), refReduce(ra, dim: 1, keepDim: false) { refVariance($0, correction: 1) },
                            rtol: rtol, atol: atol, "default correction")
        }
    }

    @Test("keepDim keeps a size-1 dimension in place")
    func keepDimShapes() throws {
        let a = Tensor.ones([2, 3, 4])
        #expect(try a.sum(dim: 1).shape == [2, 4])
        #expect(try a.sum(dim: 1, keepDim: true).shape == [2, 1, 4])
        #expect(try a.mean(dim: -1, keepDim: true).shape == [2, 3, 1])
        #expect(try a.variance(dim: 0, keepDim: true).shape == [1, 3, 4])
        #expect(try a.max(dim: 2, keepDim: true).values.shape == [2, 3, 1])
        #expect(try a.min(dim: 0).values.shape == [3, 4])
        #expect(try a.logSumExp(dim: 1, keepDim: true).shape == [2, 1, 4])
        #expect(try a.norm(dim: 2, keepDim: true).shape == [2, 3, 1])
        #expect(try Tensor.ones([5]).sum(dim: 0).shape == [])
        #expect(try Tensor.ones([5]).sum(dim: 0, keepDim: true).shape == [1])
    }

    @Test("max/min values and first-occurrence indices, argmax, along every axis (with ties)",
          arguments: DType.allCases, Layout.allCases)
    func extrema(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 22)
        for shape in Self.shapes {
            let a = try tiedTensor(shape, dtype, layout, &rng)
            let ra = try ref(a)
            for d in Array(0..<shape.count) + [-1] {
                for keep in [false, true] {
                    let label = "\(shape) \(layout) dim \(d) keepDim \(keep)"
                    let mx = try a.max(dim: d, keepDim: keep), mn = try a.min(dim: d, keepDim: keep)
                    try expectClose(mx.values, refReduce(ra, dim: d, keepDim: keep) { $0.max()! }, rtol: 0, "max " + label)
                    try expectClose(mn.values, refReduce(ra, dim: d, keepDim: keep) { $0.min()! }, rtol: 0, "min " + label)
                    let wantMax = refReduce(ra, dim: d, keepDim: keep) { Double(refArgBest($0, >)) }.data.map { Int($0) }
                    let wantMin = refReduce(ra, dim: d, keepDim: keep) { Double(refArgBest($0, <)) }.data.map { Int($0) }
                    #expect(mx.indices == wantMax, "max indices \(label)")
                    #expect(mn.indices == wantMin, "min indices \(label)")
                    #expect(mx.values.dtype == dtype)
                }
                #expect(try a.argmax(dim: d) == refReduce(ra, dim: d, keepDim: false) { Double(refArgBest($0, >)) }.data.map { Int($0) })
            }
        }
    }

    @Test("first occurrence is pinned on a hand-made example; NaN wins")
    func extremaByHand() throws {
        let a = try Tensor(shape: [2, 4], values: [1, 3, 3, 0, 2, 2, -1, -1], dtype: .float32)
        #expect(try a.max(dim: 1).indices == [1, 0])
        #expect(try a.min(dim: 1).indices == [3, 2])
        #expect(try a.max(dim: 0).indices == [1, 0, 0, 0])
        #expect(try a.min(dim: 0).indices == [0, 1, 1, 1])
        #expect(try a.argmax(dim: -1) == [1, 0])
        let n = try Tensor(shape: [2, 3], values: [1, .nan, 5, 4, 3, 2], dtype: .float64)
        let m = try n.max(dim: 1)
        #expect(try m.values.value(at: [0]).isNaN && m.values.value(at: [1]) == 4)
        #expect(m.indices == [1, 0])
        #expect(try n.min(dim: 1).indices == [1, 2])
        #expect(n.max().isNaN && n.min().isNaN)
    }

    @Test("whole-tensor sum, mean, max and min", arguments: DType.allCases, Layout.allCases)
    func wholeTensor(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 23)
        for shape in [[3, 4, 5], [7], [2, 3, 4, 5], []] {
            let a = try randomTensor(shape, dtype, layout, &rng)
            let x = try ref(a).data
            #expect(close(a.sum(), refSum(x), rtol: 1e-12, atol: 1e-12), "sum \(shape) \(layout)")
            #expect(close(a.mean(), refMean(x), rtol: 1e-12, atol: 1e-12), "mean \(shape) \(layout)")
            #expect(a.max() == x.max()!, "max \(shape) \(layout)")
            #expect(a.min() == x.min()!, "min \(shape) \(layout)")
        }
    }

    @Test("float32 sums accumulate in double precision")
    func doubleAccumulation() throws {
        let n = 10_000
        let a = Tensor.full([n], 0.1, dtype: .float32)
        let exact = Double(n) * Double(Float(0.1)) // 1000.0000149...
        #expect(abs(a.sum() - exact) < 1e-9)
        // a float accumulator ends near 999.90 here
        var f: Float = 0
        for _ in 0..<n { f += Float(0.1) }
        #expect(abs(Double(f) - exact) > 1e-5, "the check above can tell the two apart")
        let col = try Tensor.full([n, 1], 0.1, dtype: .float32).sum(dim: 0)
        #expect(abs(try col.value(at: [0]) - Double(Float(exact))) == 0)
        // cancellation: 1e8 + 1 - 1e8 in float32 elements
        let c = try Tensor(shape: [3], values: [1e8, 1, -1e8], dtype: .float32)
        #expect(c.sum() == 1)
        #expect(try c.sum(dim: 0).item() == 1)
    }

    @Test("empty tensors and bad arguments")
    func emptyAndErrors() throws {
        let e = Tensor.zeros([3, 0, 2])
        #expect(try e.sum(dim: 1).shape == [3, 2])
        #expect(try e.sum(dim: 1).doubles() == [0, 0, 0, 0, 0, 0])
        #expect(try e.sum(dim: 0).shape == [0, 2])
        #expect(try e.max(dim: 0).values.shape == [0, 2])
        #expect(try e.max(dim: 0).indices.isEmpty)
        #expect(e.sum() == 0)
        #expect(e.mean().isNaN)
        #expect(e.max() == -.infinity && e.min() == .infinity)
        expectError(.invalidArgument, "max over an empty dim") { try e.max(dim: 1) }
        expectError(.invalidArgument, "min over an empty dim") { try e.min(dim: 1) }
        expectError(.invalidArgument, "mean over an empty dim") { try e.mean(dim: 1) }
        expectError(.invalidArgument, "variance with n - correction <= 0") { try Tensor.ones([3, 1]).variance(dim: 1) }
        #expect(try Tensor.ones([3, 1]).variance(dim: 1, correction: 0).doubles() == [0, 0, 0])
        let a = Tensor.ones([2, 3])
        expectError(.outOfRange) { try a.sum(dim: 2) }
        expectError(.outOfRange) { try a.mean(dim: -3) }
        expectError(.outOfRange) { try a.variance(dim: 5) }
        expectError(.outOfRange) { try a.max(dim: 2) }
        expectError(.outOfRange) { try a.argmax(dim: -3) }
        expectError(.outOfRange) { try Tensor.scalar(1).sum(dim: 0) }
    }
}
