import Foundation
import Testing
import Tensors

// Every routine is checked by its defining identity, evaluated with plain Double loops
// (`refMatmul2D`), never with the module's own matmul.

/// A·B of reference matrices.
func mm(_ a: Ref, _ b: Ref) -> Ref { refMatmul2D(a, b).value }
/// A vector as an n×1 reference matrix.
func column(_ v: Ref) -> Ref { Ref(shape: [v.count, 1], data: v.data) }
/// Frobenius norm of a reference array.
func frob(_ r: Ref) -> Double { refNorm(r.data) }
/// ‖a − b‖_F.
func distance(_ a: Ref, _ b: Ref) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    return refNorm(zip(a.data, b.data).map { $0 - $1 })
}

/// Random n×n matrix plus n·I: strictly diagonally dominant, so well conditioned.
func wellConditioned(_ n: Int, _ rng: inout RandomGenerator) -> Ref {
    var r = Ref(shape: [n, n], data: (0..<(n * n)).map { _ in 2 * rng.nextDouble() - 1 })
    for i in 0..<n { r.data[i * n + i] += Double(n) }
    return r
}

/// Random symmetric positive definite n×n matrix M·Mᵀ + I.
func spdMatrix(_ n: Int, _ rng: inout RandomGenerator) -> Ref {
    let m = Ref(shape: [n, n], data: (0..<(n * n)).map { _ in 2 * rng.nextDouble() - 1 })
    var s = mm(m, refTranspose(m))
    for i in 0..<n { s.data[i * n + i] += 1 }
    return s
}

/// Random m×n reference matrix, uniform in [-1, 1).
func randomRef(_ m: Int, _ n: Int, _ rng: inout RandomGenerator) -> Ref {
    Ref(shape: [m, n], data: (0..<(m * n)).map { _ in 2 * rng.nextDouble() - 1 })
}

@Suite struct LinearAlgebraTests {
    /// Backward-error tolerance for an n-dimensional problem.
    func tol(_ dtype: DType, _ n: Int) -> Double { 30 * Double(max(n, 1)) * eps(dtype) }

    @Test("solve: A x = b for vectors and matrices of right-hand sides (also a transposed A)",
          arguments: DType.allCases, [1, 4, 16, 40])
    func solve(dtype: DType, n: Int) throws {
        var rng = RandomGenerator(seed: 51 + UInt64(n))
        let a0 = try ref(tensor(wellConditioned(n, &rng), dtype)) // values as stored
        let aT = try tensor(refTranspose(a0), dtype).t() // same matrix, transposed view
        for a in [try tensor(a0, dtype), aT] {
            // vector right-hand side with a known solution
            let xTrue = Ref(shape: [n], data: (0..<n).map { _ in 2 * rng.nextDouble() - 1 })
            let b = Ref(shape: [n], data: rounded(mm(a0, column(xTrue)).data, dtype))
            let bt = try tensor(b, dtype)
            let x = try a.solve(bt)
            #expect(x.shape == [n] && x.dtype == dtype)
            let rx = try ref(x)
            let residual = distance(mm(a0, column(rx)), column(b))
            #expect(residual <= tol(dtype, n) * frob(a0) * frob(rx), "n \(n): residual \(residual)")
            // diagonally dominant: the forward error is small too
            #expect(distance(rx, xTrue) <= 100 * tol(dtype, n) * frob(xTrue), "n \(n): forward error")
            #expect(try ref(a).data == a0.data, "A untouched")
            #expect(try ref(bt).data == b.data, "b untouched")

            // several right-hand sides given as a strided view
            let bm = try randomTensor([n, 3], dtype, .steppedPermuted, &rng)
            let rbm = try ref(bm)
            let xm = try a.solve(bm)
            #expect(xm.shape == [n, 3])
            let rxm = try ref(xm)
            #expect(distance(mm(a0, rxm), rbm) <= tol(dtype, n) * frob(a0) * frob(rxm), "n \(n): matrix rhs")
        }
    }

    @Test("inverse: A A⁻¹ = A⁻¹ A = I", arguments: DType.allCases)
    func inverse(dtype: DType) throws {
        var rng = RandomGenerator(seed: 52)
        for n in [1, 3, 12] {
            let a = try ref(tensor(wellConditioned(n, &rng), dtype))
            let inv = try ref(tensor(a, dtype).inverse())
            #expect(inv.shape == [n, n])
            #expect(distance(mm(a, inv), refEye(n)) <= tol(dtype, n) * frob(a) * frob(inv), "A A⁻¹, n \(n)")
            #expect(distance(mm(inv, a), refEye(n)) <= tol(dtype, n) * frob(a) * frob(inv), "A⁻¹ A, n \(n)")
        }
        let two = try Tensor(shape: [2, 2], values: [4, 7, 2, 6], dtype: dtype).inverse()
        expectClose(two.doubles(), [0.6, -0.7, -0.2, 0.4], rtol: 1e-6, "2x2 inverse by hand")
    }

    @Test("solveSPD and cholesky on symmetric positive definite matrices", arguments: DType.allCases, [1, 5, 24])
    func spd(dtype: DType, n: Int) throws {
        var rng = RandomGenerator(seed: 53 + UInt64(n))
        let a = try ref(tensor(spdMatrix(n, &rng), dtype))
        let at = try tensor(a, dtype)
        // solveSPD
        let b = try randomTensor([n], dtype, .selected, &rng)
        let x = try at.solveSPD(b)
        #expect(x.shape == [n])
        let rx = try ref(x)
        #expect(distance(mm(a, column(rx)), column(try ref(b))) <= tol(dtype, n) * frob(a) * frob(rx), "solveSPD vector")
        let bm = try randomTensor([n, 2], dtype, .transposed, &rng)
        let xm = try ref(at.solveSPD(bm))
        #expect(distance(mm(a, xm), try ref(bm)) <= tol(dtype, n) * frob(a) * frob(xm), "solveSPD matrix")
        // agrees with the general solver
        let xg = try ref(at.solve(b))
        #expect(distance(rx, xg) <= 1e3 * tol(dtype, n) * frob(xg))

        // cholesky: L Lᵀ = A, L lower triangular with a positive diagonal
        let l = try at.cholesky()
        let rl = try ref(l)
        #expect(l.shape == [n, n] && l.dtype == dtype)
        #expect(distance(mm(rl, refTranspose(rl)), a) <= tol(dtype, n) * frob(a), "L Lᵀ = A")
        for i in 0..<n {
            #expect(rl[[i, i]] > 0)
            for j in (i + 1)..<max(n, i + 1) { #expect(rl[[i, j]] == 0, "L[\(i),\(j)] must be 0") }
        }
        // only the lower triangle is read: garbage above the diagonal changes nothing
        if n > 1 {
            var g = a
            for i in 0..<n { for j in (i + 1)..<n { g[[i, j]] = 1000 + Double(i + j) } }
            #expect(try ref(tensor(g, dtype).cholesky()).data == rl.data)
        }
        // by hand: [[4, 2], [2, 10]] = [[2, 0], [1, 3]] [[2, 1], [0, 3]]
        let h = try Tensor(shape: [2, 2], values: [4, 2, 2, 10], dtype: dtype).cholesky()
        expectClose(h.doubles(), [2, 0, 1, 3], rtol: 1e-6, "2x2 Cholesky by hand")
    }

    @Test("symmetricEigen: Q Λ Qᵀ = A, QᵀQ = I, ascending values, A q = λ q", arguments: DType.allCases, [1, 2, 6, 20])
    func eigen(dtype: DType, n: Int) throws {
        var rng = RandomGenerator(seed: 54 + UInt64(n))
        let m = randomRef(n, n, &rng)
        let sym = Ref(shape: [n, n], data: zip(m.data, refTranspose(m).data).map { ($0 + $1) / 2 })
        let a = try ref(tensor(sym, dtype))
        let (values, vectors) = try tensor(a, dtype).symmetricEigen()
        #expect(values.shape == [n] && vectors.shape == [n, n])
        let lam = try ref(values), q = try ref(vectors)
        for i in 1..<max(n, 1) { #expect(lam.data[i - 1] <= lam.data[i], "ascending") }
        var qLam = q
        for i in 0..<n { for j in 0..<n { qLam[[i, j]] *= lam.data[j] } }
        #expect(distance(mm(qLam, refTranspose(q)), a) <= tol(dtype, n) * frob(a), "Q Λ Qᵀ = A")
        #expect(distance(mm(refTranspose(q), q), refEye(n)) <= tol(dtype, n) * Double(n).squareRoot(), "QᵀQ = I")
        // each column is an eigenvector of its value
        let aq = mm(a, q)
        #expect(distance(aq, qLam) <= tol(dtype, n) * frob(a), "A Q = Q Λ")
        // known spectra
        let d = try Tensor(shape: [3, 3], values: [3, 0, 0, 0, 1, 0, 0, 0, 2], dtype: dtype).symmetricEigen()
        expectClose(d.values.doubles(), [1, 2, 3], rtol: 1e-6, "diagonal")
        let two = try Tensor(shape: [2, 2], values: [2, 1, 1, 2], dtype: dtype).symmetricEigen()
        expectClose(two.values.doubles(), [1, 3], rtol: 1e-6, "[[2,1],[1,2]]")
        let v = two.vectors.doubles() // columns ±(1,-1)/√2 and ±(1,1)/√2
        let r = 0.5.squareRoot()
        expectClose(v.map { abs($0) }, [r, r, r, r], rtol: 1e-6, "eigenvector magnitudes")
        #expect(v[0] * v[2] < 0 && v[1] * v[3] > 0, "signs of the eigenvectors")
    }

    /// Checks a thin SVD of `a` (values as stored) by its defining properties.
    func checkSVD(_ a: Ref, _ dtype: DType, _ label: String) throws {
        let m = a.shape[0], n = a.shape[1], k = min(m, n)
        let (u, s, vt) = try tensor(a, dtype).svd()
        #expect(u.shape == [m, k] && s.shape == [k] && vt.shape == [k, n], "\(label): shapes")
        let ru = try ref(u), rs = try ref(s), rvt = try ref(vt)
        for i in 0..<k { #expect(rs.data[i] >= 0, "\(label): σ ≥ 0") }
        for i in 1..<max(k, 1) { #expect(rs.data[i - 1] >= rs.data[i], "\(label): descending") }
        var us = ru
        for i in 0..<m { for j in 0..<k { us[[i, j]] *= rs.data[j] } }
        let t = tol(dtype, max(m, n))
        #expect(distance(mm(us, rvt), a) <= t * frob(a), "\(label): U S Vᵀ = A")
        #expect(distance(mm(refTranspose(ru), ru), refEye(k)) <= t * Double(k).squareRoot(), "\(label): UᵀU = I")
        #expect(distance(mm(rvt, refTranspose(rvt)), refEye(k)) <= t * Double(k).squareRoot(), "\(label): V Vᵀ = I")
        // values-only path agrees
        let sv = try ref(tensor(a, dtype).singularValues())
        #expect(distance(sv, rs) <= t * frob(a), "\(label): singularValues")
    }

    @Test("svd of tall, wide, square and rank-deficient matrices", arguments: DType.allCases)
    func svd(dtype: DType) throws {
        var rng = RandomGenerator(seed: 55)
        for (m, n) in [(9, 4), (4, 9), (6, 6), (1, 5), (5, 1), (1, 1)] {
            try checkSVD(ref(tensor(randomRef(m, n, &rng), dtype)), dtype, "\(m)x\(n)")
        }
        let low = mm(randomRef(7, 2, &rng), randomRef(2, 5, &rng))
        try checkSVD(ref(tensor(low, dtype)), dtype, "rank 2, 7x5")
        // a transposed view goes in as the matrix it shows
        let base = try tensor(randomRef(5, 8, &rng), dtype)
        let (u, s, vt) = try base.t().svd()
        #expect(u.shape == [8, 5] && vt.shape == [5, 5] && s.shape == [5])
        #expect(distance(try ref(s), try ref(base.svd().s)) <= tol(dtype, 8) * base.norm())
        // by hand
        let h = try Tensor(shape: [2, 2], values: [3, 0, 0, -4], dtype: dtype).svd()
        expectClose(h.s.doubles(), [4, 3], rtol: 1e-6, "diag(3, -4)")
        // empty
        let e = try Tensor.zeros([0, 3], dtype: dtype).svd()
        #expect(e.u.shape == [0, 0] && e.s.shape == [0] && e.vt.shape == [0, 3])
    }

    @Test("svd of a medium float64 matrix")
    func svdMedium() throws {
        var rng = RandomGenerator(seed: 56)
        try checkSVD(randomRef(64, 48, &rng), .float64, "64x48")
    }

    /// The four Moore–Penrose conditions.
    func checkPenrose(_ a: Ref, _ p: Ref, _ tolerance: Double, _ label: String) {
        let ap = mm(a, p), pa = mm(p, a)
        let scale = max(frob(a) * frob(p), 1)
        #expect(distance(mm(ap, a), a) <= tolerance * scale * frob(a), "\(label): A A⁺ A = A")
        #expect(distance(mm(pa, p), p) <= tolerance * scale * frob(p), "\(label): A⁺ A A⁺ = A⁺")
        #expect(distance(refTranspose(ap), ap) <= tolerance * scale, "\(label): (A A⁺)ᵀ = A A⁺")
        #expect(distance(refTranspose(pa), pa) <= tolerance * scale, "\(label): (A⁺ A)ᵀ = A⁺ A")
    }

    @Test("pseudoInverse satisfies the Moore–Penrose conditions, also on rank-deficient matrices",
          arguments: DType.allCases)
    func pseudoInverse(dtype: DType) throws {
        var rng = RandomGenerator(seed: 57)
        let t = tol(dtype, 8)
        // rank 2, 6x5: in float64 the default cutoff drops the rounding-level singular values;
        // in float32 pass a cutoff above float32 rounding
        let low = try ref(tensor(mm(randomRef(6, 2, &rng), randomRef(2, 5, &rng)), dtype))
        let rcond: Double? = dtype == .float64 ? nil : 1e-4
        let p = try tensor(low, dtype).pseudoInverse(rcond: rcond)
        #expect(p.shape == [5, 6])
        checkPenrose(low, try ref(p), dtype == .float64 ? t : 1e-4, "rank 2, 6x5")
        // the rounding-level singular values were dropped: ‖A⁺‖₂ = 1/σ₂, not 1/σ_min
        let sigma = try tensor(low, dtype).svd().s.doubles()
        let pNorm = try p.spectralNorm()
        #expect(close(pNorm, 1 / sigma[1], rtol: dtype == .float64 ? 1e-8 : 1e-3, atol: 0), "‖A⁺‖ = \(pNorm), 1/σ₂ = \(1 / sigma[1])")
        // exact rank deficiency (duplicate rows, a zero column), default cutoff
        let exact = Ref(shape: [4, 3], data: [1, 2, 0, 1, 2, 0, 3, -1, 0, 4, 1, 0])
        let pe = try ref(tensor(exact, dtype).pseudoInverse())
        checkPenrose(exact, pe, t, "duplicate rows and a zero column")
        for i in 0..<4 { #expect(abs(pe[[2, i]]) < 1e-6, "the zero column maps to zero rows") }
        // full rank: square → the inverse; tall → a left inverse
        let sq = try ref(tensor(wellConditioned(4, &rng), dtype))
        let psq = try ref(tensor(sq, dtype).pseudoInverse())
        let inv = try ref(tensor(sq, dtype).inverse())
        #expect(distance(psq, inv) <= 10 * t * frob(inv))
        let tall = try ref(tensor(randomRef(7, 3, &rng), dtype))
        let ptall = try ref(tensor(tall, dtype).pseudoInverse())
        #expect(distance(mm(ptall, tall), refEye(3)) <= 100 * t, "A⁺ A = I for full column rank")
        checkPenrose(tall, ptall, t, "tall full rank")
        // zero matrix → zero
        #expect(try Tensor.zeros([2, 3], dtype: dtype).pseudoInverse().doubles() == [0, 0, 0, 0, 0, 0])
    }

    @Test("bad input gets a TensorError, never a crash", arguments: DType.allCases)
    func badInput(dtype: DType) throws {
        let other: DType = dtype == .float32 ? .float64 : .float32
        let good = try Tensor(shape: [2, 2], values: [2, 1, 1, 3], dtype: dtype)
        let b = try Tensor(shape: [2], values: [1, 1], dtype: dtype)
        // non-finite input
        for bad in [Double.nan, .infinity, -.infinity] {
            let a = good.clone()
            try a.setValue(bad, at: [1, 0])
            expectError(.nonFinite, "solve \(bad)") { try a.solve(b) }
            expectError(.nonFinite, "solveSPD \(bad)") { try a.solveSPD(b) }
            expectError(.nonFinite, "cholesky \(bad)") { try a.cholesky() }
            expectError(.nonFinite, "symmetricEigen \(bad)") { try a.symmetricEigen() }
            expectError(.nonFinite, "svd \(bad)") { try a.svd() }
            expectError(.nonFinite, "singularValues \(bad)") { try a.singularValues() }
            expectError(.nonFinite, "pseudoInverse \(bad)") { try a.pseudoInverse() }
            expectError(.nonFinite, "inverse \(bad)") { try a.inverse() }
            let badB = b.clone()
            try badB.setValue(bad, at: [0])
            expectError(.nonFinite, "solve rhs \(bad)") { try good.solve(badB) }
            expectError(.nonFinite, "solveSPD rhs \(bad)") { try good.solveSPD(badB) }
        }
        // singular systems
        let singular: [[Double]] = [[1, 2, 2, 4], [0, 0, 0, 0], [1, 0, 0, 0]]
        for s in singular {
            let a = try Tensor(shape: [2, 2], values: s, dtype: dtype)
            expectError(.singular, "solve \(s)") { try a.solve(b) }
            expectError(.singular, "inverse \(s)") { try a.inverse() }
        }
        let dup = try Tensor(shape: [3, 3], values: [1, 2, 3, 4, 5, 6, 1, 2, 3], dtype: dtype)
        expectError(.singular, "duplicate rows") { try dup.solve(Tensor.ones([3], dtype: dtype)) }
        // not positive definite
        for s in [[1.0, 2, 2, 1], [-1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, -1e-3]] {
            let a = try Tensor(shape: [2, 2], values: s, dtype: dtype)
            expectError(.notPositiveDefinite, "cholesky \(s)") { try a.cholesky() }
            expectError(.notPositiveDefinite, "solveSPD \(s)") { try a.solveSPD(b) }
        }
        // shapes
        let rect = Tensor.ones([2, 3], dtype: dtype)
        expectError(.shapeMismatch, "solve non-square") { try rect.solve(b) }
        expectError(.shapeMismatch, "solveSPD non-square") { try rect.solveSPD(b) }
        expectError(.shapeMismatch, "cholesky non-square") { try rect.cholesky() }
        expectError(.shapeMismatch, "eigen non-square") { try rect.symmetricEigen() }
        expectError(.shapeMismatch, "inverse non-square") { try rect.inverse() }
        expectError(.shapeMismatch, "rhs rows") { try good.solve(Tensor.ones([3], dtype: dtype)) }
        expectError(.shapeMismatch, "rhs rows (matrix)") { try good.solveSPD(Tensor.ones([3, 2], dtype: dtype)) }
        expectError(.shapeMismatch, "rhs rank 3") { try good.solve(Tensor.ones([2, 1, 1], dtype: dtype)) }
        for op in ["solve", "cholesky", "svd", "singularValues", "pseudoInverse", "symmetricEigen"] {
            let cube = Tensor.ones([2, 2, 2], dtype: dtype)
            expectError(.invalidArgument, "\(op) of a 3-D tensor") {
                switch op {
                case "solve": _ = try cube.solve(b)
                case "cholesky": _ = try cube.cholesky()
                case "svd": _ = try cube.svd()
                case "singularValues": _ = try cube.singularValues()
                case "pseudoInverse": _ = try cube.pseudoInverse()
                default: _ = try cube.symmetricEigen()
                }
            }
        }
        expectError(.invalidArgument, "vector") { try Tensor.ones([3], dtype: dtype).svd() }
        // dtypes
        expectError(.dtypeMismatch, "solve") { try good.solve(b.to(other)) }
        expectError(.dtypeMismatch, "solveSPD") { try good.solveSPD(b.to(other)) }
        // and the inputs are still intact after all of that
        #expect(good.doubles() == [2, 1, 1, 3] && b.doubles() == [1, 1])
    }

    @Test("numerically singular systems are reported, not solved into noise; ill-conditioned regular ones still solve",
          arguments: DType.allCases)
    func numericallySingular(dtype: DType) throws {
        var rng = RandomGenerator(seed: 58)
        for n in [5, 6, 8] {
            // rank 2: LU and Cholesky pivots beyond the second are rounding noise, not zero
            let b = randomRef(n, 2, &rng)
            let low = mm(b, randomRef(2, n, &rng))
            let ones = Tensor.ones([n], dtype: dtype)
            expectError(.singular, "solve, rank 2 of \(n)") { try tensor(low, dtype).solve(ones) }
            expectError(.singular, "inverse, rank 2 of \(n)") { try tensor(low, dtype).inverse() }
            let gram = mm(b, refTranspose(b)) // positive semi-definite, rank 2
            expectError(.notPositiveDefinite, "solveSPD, rank 2 of \(n)") { try tensor(gram, dtype).solveSPD(ones) }
        }
        // Hilbert matrices: badly conditioned (about 1.5e7 for n = 6, 1.6e4 for n = 4) but regular
        let n = dtype == .float64 ? 6 : 4
        var hilbert = Ref(shape: [n, n], repeating: 0)
        for i in 0..<n { for j in 0..<n { hilbert[[i, j]] = 1 / Double(i + j + 1) } }
        let h = try ref(tensor(hilbert, dtype))
        let rhs = Ref(shape: [n], data: (0..<n).map { Double($0 + 1) })
        for x in [try tensor(h, dtype).solve(tensor(rhs, dtype)), try tensor(h, dtype).solveSPD(tensor(rhs, dtype))] {
            let rx = try ref(x)
            #expect(distance(mm(h, column(rx)), column(rhs)) <= tol(dtype, n) * frob(h) * frob(rx), "Hilbert \(n) residual")
        }
    }

    @Test("0x0 systems are valid and empty", arguments: DType.allCases)
    func emptySystems(dtype: DType) throws {
        let a = Tensor.zeros([0, 0], dtype: dtype), b = Tensor.zeros([0], dtype: dtype)
        #expect(try a.solve(b).shape == [0])
        #expect(try a.solveSPD(b).shape == [0])
        #expect(try a.cholesky().shape == [0, 0])
        #expect(try a.inverse().shape == [0, 0])
        #expect(try a.symmetricEigen().values.shape == [0])
        #expect(try a.pseudoInverse().shape == [0, 0])
    }
}
