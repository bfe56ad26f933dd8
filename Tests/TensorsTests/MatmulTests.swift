import Testing
import Tensors

/// Reference matrix product with NumPy semantics (1-D promotion, broadcast batch dimensions),
/// by a naive triple loop; also returns Σₖ|aᵢₖ bₖⱼ| per element to scale the tolerance.
func refMatmul(_ a: Ref, _ b: Ref) -> (value: Ref, magnitude: Ref) {
    let a2 = a.rank == 1 ? Ref(shape: [1] + a.shape, data: a.data) : a
    let b2 = b.rank == 1 ? Ref(shape: b.shape + [1], data: b.data) : b
    let n = a2.shape[a2.rank - 2], k = a2.shape[a2.rank - 1], m = b2.shape[b2.rank - 1]
    precondition(b2.shape[b2.rank - 2] == k)
    let batchA = Array(a2.shape.dropLast(2)), batchB = Array(b2.shape.dropLast(2))
    let batch = refBroadcast(batchA, batchB)!
    var out = Ref(shape: batch + [n, m], repeating: 0), mag = out
    func sourceBatch(_ idx: [Int], _ own: [Int]) -> [Int] {
        let lead = idx.count - own.count
        return (0..<own.count).map { own[$0] == 1 ? 0 : idx[$0 + lead] }
    }
    for bidx in multiIndices(batch) {
        let ai = sourceBatch(bidx, batchA), bi = sourceBatch(bidx, batchB)
        for i in 0..<n {
            for j in 0..<m {
                var s = 0.0, g = 0.0
                for p in 0..<k {
                    let x = a2[ai + [i, p]], y = b2[bi + [p, j]]
                    s += x * y
                    g += abs(x * y)
                }
                out[bidx + [i, j]] = s
                mag[bidx + [i, j]] = g
            }
        }
    }
    var shape = batch + [n, m]
    if b.rank == 1 { shape.removeLast() }
    if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
    return (Ref(shape: shape, data: out.data), Ref(shape: shape, data: mag.data))
}

/// Expects `got` to equal the reference product of `a` and `b` within the rounding error of
/// a k-term dot product: (k + 2)·ε·Σ|aᵢₖ bₖⱼ| per element.
func expectProduct(_ got: Tensor, _ a: Ref, _ b: Ref, _ dtype: DType, _ what: @autoclosure () -> String,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (want, mag) = refMatmul(a, b)
    guard got.shape == want.shape else {
        Issue.record("\(what()): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
        return
    }
    let k = a.shape.last!
    let g = try ref(got).data
    var bad = 0, first = -1
    for i in 0..<g.count {
        let bound = Double(k + 2) * eps(dtype) * mag.data[i] + Double.leastNormalMagnitude
        if !(abs(g[i] - want.data[i]) <= bound) { bad += 1; if first < 0 { first = i } }
    }
    if bad > 0 {
        Issue.record("\(what()): \(bad) of \(g.count) elements wrong; first at \(first): got \(g[first]), expected \(want.data[first])",
                     sourceLocation: sourceLocation)
    }
}

@Suite struct MatmulTests {
    static let shapes2D: [(Int, Int, Int)] = [(3, 4, 5), (1, 4, 5), (3, 4, 1), (1, 1, 1), (5, 1, 3), (7, 16, 9)]

    @Test("2-D products on every pair of layouts match a triple loop", arguments: DType.allCases, Layout.allCases)
    func matrices(dtype: DType, layoutA: Layout) throws {
        var rng = RandomGenerator(seed: 11)
        for layoutB in Layout.allCases {
            for (n, k, m) in Self.shapes2D {
                let a = try randomTensor([n, k], dtype, layoutA, &rng)
                let b = try randomTensor([k, m], dtype, layoutB, &rng)
                let ra = try ref(a), rb = try ref(b)
                let c = try a.matmul(b)
                try expectProduct(c, ra, rb, dtype, "[\(n),\(k)](\(layoutA)) x [\(k),\(m)](\(layoutB))")
                #expect(c.dtype == dtype && c.isContiguous)
                try expectProduct(a.mm(b), ra, rb, dtype, "mm")
                #expect(try ref(a).data == ra.data && ref(b).data == rb.data, "operands untouched")
            }
        }
    }

    @Test("transposed operands through t() and transposed(), and strides BLAS cannot take", arguments: DType.allCases)
    func transposedAndOddStrides(dtype: DType) throws {
        var rng = RandomGenerator(seed: 12)
        let a = uniform([6, 4], dtype, &rng), b = uniform([6, 5], dtype, &rng)
        let ra = try ref(a), rb = try ref(b)
        // Aᵀ B, Bᵀ A, (Aᵀ B)ᵀ-style combinations through flags
        try expectProduct(a.t().matmul(b), refTranspose(ra), rb, dtype, "Aᵀ B")
        try expectProduct(b.transposed(0, 1).matmul(a), refTranspose(rb), ra, dtype, "Bᵀ A")
        try expectProduct(a.t().matmul(a), refTranspose(ra), ra, dtype, "Aᵀ A (same storage)")
        try expectProduct(b.matmul(b.t()), rb, refTranspose(rb), dtype, "B Bᵀ")
        try expectProduct(a.t().matmul(b.t().t()), refTranspose(ra), rb, dtype, "t().t()")

        // a narrowed-with-step permuted view: neither stride is 1 (needs a copy inside)
        let big = uniform([8, 3, 10], dtype, &rng)
        let odd = try big.select(1, 2).narrow(1, start: 1, length: 6).t() // [6, 8], leading dimension 30
        #expect(odd.strides == [1, 30])
        let stepped = try uniform([5, 2, 6], dtype, &rng).select(1, 1).t() // [6, 5], strides [1, 12]
        let steppedBoth = try uniform([4, 7, 2], dtype, &rng).select(2, 0).permuted([1, 0]) // [7, 4], strides [2, 14]
        #expect(steppedBoth.strides == [2, 14])
        let rOdd = try ref(odd), rStepped = try ref(stepped), rBoth = try ref(steppedBoth)
        try expectProduct(odd.t().matmul(stepped), refTranspose(rOdd), rStepped, dtype, "odd strides")
        try expectProduct(steppedBoth.t().matmul(steppedBoth), refTranspose(rBoth), rBoth, dtype, "strides [14, 2] x [2, 14]")
        try expectProduct(steppedBoth.matmul(steppedBoth.t()), rBoth, refTranspose(rBoth), dtype, "strides [2, 14] x [14, 2]")
        // a broadcast (stride 0) operand
        let rowE = try uniform([1, 4], dtype, &rng).expanded(to: [7, 4])
        try expectProduct(rowE.matmul(steppedBoth.t()), try ref(rowE), refTranspose(rBoth), dtype, "expanded rows")
    }

    @Test("vector operands: 1-D x 2-D, 2-D x 1-D, 1-D x 1-D, and with batches", arguments: DType.allCases, Layout.allCases)
    func vectors(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 13)
        let cases: [([Int], [Int])] = [([4], [4, 5]), ([3, 4], [4]), ([4], [4]), ([4], [2, 4, 3]), ([2, 3, 4], [4]),
                                       ([1], [1, 3]), ([0], [0, 3]), ([5], [5, 1])]
        for (sa, sb) in cases {
            let a = try randomTensor(sa, dtype, layout, &rng)
            let b = try randomTensor(sb, dtype, .steppedPermuted, &rng)
            let c = try a.matmul(b)
            try expectProduct(c, ref(a), ref(b), dtype, "\(sa)(\(layout)) x \(sb)")
        }
        // the dot product is a zero-dimensional tensor
        let d = try Tensor(shape: [3], values: [1, 2, 3], dtype: dtype).matmul(Tensor(shape: [3], values: [4, -5, 6], dtype: dtype))
        #expect(d.shape == [])
        #expect(try d.item() == 12)
    }

    @Test("batched products broadcast their batch dimensions", arguments: DType.allCases, Layout.allCases)
    func batched(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 14)
        let cases: [([Int], [Int], [Int])] = [
            ([2, 1, 3, 4], [5, 4, 6], [2, 5, 3, 6]),
            ([4, 3, 5], [5, 2], [4, 3, 2]),
            ([2, 3, 4, 5], [5, 6], [2, 3, 4, 6]),
            ([3, 4, 5], [3, 5, 2], [3, 4, 2]),
            ([1, 3, 4], [2, 1, 4, 5], [2, 1, 3, 5]),
            ([3, 4], [2, 4, 5], [2, 3, 5]),
            ([2, 3, 4], [1, 4, 5], [2, 3, 5]),
            ([0, 3, 4], [4, 2], [0, 3, 2]),
            ([2, 0, 4], [2, 4, 3], [2, 0, 3]),
        ]
        let layouts = Layout.allCases
        for (i, (sa, sb, sc)) in cases.enumerated() {
            let layoutB = layouts[(i + 1) % layouts.count]
            let a = try randomTensor(sa, dtype, layout, &rng)
            let b = try randomTensor(sb, dtype, layoutB, &rng)
            let c = try a.matmul(b)
            #expect(c.shape == sc, "\(sa) x \(sb)")
            try expectProduct(c, ref(a), ref(b), dtype, "\(sa)(\(layout)) x \(sb)(\(layoutB))")
        }
    }

    @Test("matmul(_:into:alpha:beta:) writes alpha·A·B + beta·C into a row-major view only", arguments: DType.allCases)
    func into(dtype: DType) throws {
        var rng = RandomGenerator(seed: 15)
        let a = try randomTensor([3, 4], dtype, .transposed, &rng)
        let b = try randomTensor([4, 5], dtype, .steppedPermuted, &rng)
        let ra = try ref(a), rb = try ref(b)
        let (ab, mag) = refMatmul(ra, rb)
        for (alpha, beta) in [(1.0, 0.0), (2.0, 0.5), (-0.5, 1.0), (0.0, -1.0)] {
            let base = uniform([5, 7], dtype, &rng)
            let before = try ref(base)
            let out = try base.narrow(0, start: 1, length: 3).narrow(1, start: 2, length: 5) // ld = 7
            let v = base.version
            try a.matmul(b, into: out, alpha: alpha, beta: beta)
            #expect(base.version == v + 1)
            let after = try ref(base)
            for idx in multiIndices([5, 7]) {
                let (r, c) = (idx[0], idx[1])
                if (1...3).contains(r) && (2...6).contains(c) {
                    let i = r - 1, j = c - 2
                    let want = alpha * ab.data[i * 5 + j] + beta * before[idx]
                    let bound = 6 * eps(dtype) * (abs(alpha) * mag.data[i * 5 + j] + abs(beta * before[idx])) + 1e-300
                    #expect(abs(after[idx] - want) <= bound, "alpha \(alpha) beta \(beta) at \(idx): \(after[idx]) vs \(want)")
                } else {
                    #expect(after[idx] == before[idx], "element \(idx) outside the output view changed")
                }
            }
        }
        // bad outputs
        let good = Tensor.zeros([3, 5], dtype: dtype)
        expectError(.invalidArgument, "transposed output") { try a.matmul(b, into: Tensor.zeros([5, 3], dtype: dtype).t()) }
        expectError(.invalidArgument, "broadcast output") { try a.matmul(b, into: Tensor.zeros([1, 5], dtype: dtype).expanded(to: [3, 5])) }
        expectError(.shapeMismatch, "wrong output shape") { try a.matmul(b, into: Tensor.zeros([3, 4], dtype: dtype)) }
        expectError(.shapeMismatch, "inner sizes") { try a.matmul(a, into: good) }
        expectError(.invalidArgument, "not matrices") { try a.matmul(Tensor.zeros([4], dtype: dtype), into: Tensor.zeros([3], dtype: dtype)) }
        let other: DType = dtype == .float32 ? .float64 : .float32
        expectError(.dtypeMismatch, "output dtype") { try a.matmul(b, into: Tensor.zeros([3, 5], dtype: other)) }
        expectError(.dtypeMismatch, "operand dtype") { try a.matmul(b.to(other), into: good) }
        #expect(good.doubles().allSatisfy { $0 == 0 }, "failed calls leave the output alone")
        // beta = 0 means the output's old contents are ignored (BLAS convention), even NaN
        let garbage = Tensor.full([3, 5], .nan, dtype: dtype)
        try a.matmul(b, into: garbage, alpha: 1, beta: 0)
        try expectProduct(garbage, ra, rb, dtype, "beta 0 over NaN")
    }

    @Test("a zero-size inner dimension gives zeros (or beta·C); empty outer sizes give empty results",
          arguments: DType.allCases)
    func zeroSizes(dtype: DType) throws {
        let a = Tensor.ones([3, 0], dtype: dtype), b = Tensor.ones([0, 4], dtype: dtype)
        let c = try a.matmul(b)
        #expect(c.shape == [3, 4] && c.doubles() == [Double](repeating: 0, count: 12))
        let cb = try Tensor.ones([2, 3, 0], dtype: dtype).matmul(Tensor.ones([2, 0, 4], dtype: dtype))
        #expect(cb.shape == [2, 3, 4] && cb.doubles().allSatisfy { $0 == 0 })
        #expect(try Tensor.ones([0], dtype: dtype).matmul(Tensor.ones([0], dtype: dtype)).item() == 0)

        let out = Tensor.full([3, 4], 6, dtype: dtype)
        try a.matmul(b, into: out, alpha: 1, beta: 0.5)
        #expect(out.doubles() == [Double](repeating: 3, count: 12))
        try a.matmul(b, into: out, alpha: 1, beta: 1)
        #expect(out.doubles() == [Double](repeating: 3, count: 12))
        try a.matmul(b, into: out)
        #expect(out.doubles() == [Double](repeating: 0, count: 12))
        let garbage = Tensor.full([3, 4], .nan, dtype: dtype)
        try a.matmul(b, into: garbage, alpha: 2, beta: 0)
        #expect(garbage.doubles() == [Double](repeating: 0, count: 12), "beta 0 ignores NaN in the output")

        #expect(try Tensor.ones([0, 3], dtype: dtype).matmul(Tensor.ones([3, 4], dtype: dtype)).shape == [0, 4])
        #expect(try Tensor.ones([3, 4], dtype: dtype).matmul(Tensor.ones([4, 0], dtype: dtype)).shape == [3, 0])
    }

    @Test("mismatched operands throw")
    func errors() throws {
        let f = Tensor.ones([3, 4])
        expectError(.shapeMismatch) { try f.matmul(Tensor.ones([5, 6])) }
        expectError(.shapeMismatch) { try f.matmul(Tensor.ones([3])) }
        expectError(.shapeMismatch) { try Tensor.ones([4]).matmul(Tensor.ones([5])) }
        expectError(.shapeMismatch, "batch shapes") { try Tensor.ones([2, 3, 4]).matmul(Tensor.ones([3, 4, 5])) }
        expectError(.invalidArgument) { try Tensor.scalar(2).matmul(f) }
        expectError(.invalidArgument) { try f.matmul(Tensor.scalar(2)) }
        expectError(.dtypeMismatch) { try f.matmul(Tensor.ones([4, 2], dtype: .float64)) }
        expectError(.invalidArgument) { try Tensor.ones([2, 3, 4]).mm(Tensor.ones([4, 2])) }
        expectError(.invalidArgument) { try Tensor.ones([4]).mm(Tensor.ones([4, 2])) }
    }

    @Test("medium products (BLAS blocking paths) stay within the rounding bound")
    func medium() throws {
        var rng = RandomGenerator(seed: 16)
        let a = try randomTensor([96, 80], .float32, .transposed, &rng)
        let b = try randomTensor([80, 112], .float32, .narrowed, &rng)
        try expectProduct(a.matmul(b), ref(a), ref(b), .float32, "f32 96x80x112")
        let c = try randomTensor([4, 32, 64], .float64, .contiguous, &rng)
        let d = try randomTensor([64, 48], .float64, .transposed, &rng)
        try expectProduct(c.matmul(d), ref(c), ref(d), .float64, "f64 [4,32,64] x [64,48]")
    }

    @Test("a panelled product into its own mapping (32 MB and more) adds into zeros and equals the plain product")
    func panelledIntoMapping() throws {
        var rng = RandomGenerator(seed: 17)
        let n = 1024, k = 8, m = Heap.mappedFrom / (4 * n) + 24   // just past the mapping size
        let a = uniform([n, k], .float32, &rng), b = uniform([k, m], .float32, &rng)
        let panelled = try a.matmul(b, columnPanel: 4096)
        #expect(panelled.storage.startsZeroed, "the output is its own zero-filled mapping")
        #expect(panelled.toArray(Float.self) == (try a.matmul(b)).toArray(Float.self),
                "each element is the same dot product with beta = 1 over zeros as with beta = 0")
        let small = try uniform([4, k], .float32, &rng).matmul(uniform([k, 9000], .float32, &rng), columnPanel: 4096)
        #expect(!small.storage.startsZeroed, "small outputs come from the heap")
        let zeros = Tensor.zeros([n, m])
        #expect(zeros.storage.startsZeroed && zeros.toArray(Float.self).allSatisfy { $0 == 0 })
    }
}
