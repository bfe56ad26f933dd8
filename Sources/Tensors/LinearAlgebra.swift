/// Dense linear algebra on LAPACK (row-major LAPACKE). Every routine checks its input for
/// NaN/infinity first and reports singular or indefinite systems as errors, never as
/// silently wrong numbers.
extension Tensor {
    func requireMatrix(_ op: String, square: Bool = false) throws {
        guard rank == 2 else {
            throw TensorError.invalidArgument(op: op, detail: "needs a matrix, got shape \(shapeString(shape))")
        }
        if square && shape[0] != shape[1] {
            throw TensorError.shapeMismatch(op: op, detail: "needs a square matrix, got \(shapeString(shape))")
        }
        guard isFinite else { throw TensorError.nonFinite(op: op) }
    }

    /// Right-hand side `b` as a matrix (a vector becomes one column), plus whether it was a vector.
    private func rhsMatrix(_ b: Tensor, n: Int, op: String) throws -> (Tensor, Bool) {
        guard b.dtype == dtype else { throw TensorError.dtypeMismatch(op: op, expected: dtype, got: b.dtype) }
        guard b.isFinite else { throw TensorError.nonFinite(op: op) }
        let isVector = b.rank == 1
        let m = isVector ? try b.unsqueezed(1) : b
        guard m.rank == 2, m.shape[0] == n else {
            throw TensorError.shapeMismatch(op: op, detail: "matrix is \(n)x\(n) but right-hand side is \(shapeString(b.shape))")
        }
        return (m.clone(), isVector)
    }

    /// Solves `self · X = b` for a general square matrix (LU with partial pivoting, `?gesv`).
    /// `b` may be a vector or a matrix of right-hand sides.
    public func solve(_ b: Tensor) throws -> Tensor {
        let op = "solve"
        try requireMatrix(op, square: true)
        let n = shape[0]
        let (x, isVector) = try rhsMatrix(b, n: n, op: op)
        let a = clone()
        var ipiv = [Int32](repeating: 0, count: Swift.max(n, 1))
        let nrhs = x.shape[1]
        let info: Int
        switch dtype {
        case .float32: info = Float.gesv(n: n, nrhs: nrhs, a: a.pointer(as: Float.self), lda: Swift.max(n, 1), ipiv: &ipiv, b: x.pointer(as: Float.self), ldb: Swift.max(nrhs, 1))
        case .float64: info = Double.gesv(n: n, nrhs: nrhs, a: a.pointer(as: Double.self), lda: Swift.max(n, 1), ipiv: &ipiv, b: x.pointer(as: Double.self), ldb: Swift.max(nrhs, 1))
        }
        if info > 0 { throw TensorError.singular(op: op, detail: "U(\(info),\(info)) is exactly zero") }
        if info < 0 { throw TensorError.lapack(op: op, routine: "gesv", info: info) }
        guard x.isFinite else { throw TensorError.singular(op: op, detail: "the solution overflowed (matrix is numerically singular)") }
        if hasRoundingLevelPivot(a, squared: false) {
            throw TensorError.singular(op: op, detail: "an LU pivot is at rounding level (singular to working precision)")
        }
        return isVector ? try x.squeezed(1) : x
    }

    /// The inverse of a square matrix (`solve` against the identity). Prefer `solve`.
    public func inverse() throws -> Tensor {
        try requireMatrix("inverse", square: true)
        return try solve(Tensor.eye(shape[0], dtype: dtype))
    }

    /// Lower-triangular Cholesky factor L with `L · Lᵀ = self` (`?potrf`). Only the lower
    /// triangle of self is read. Throws `notPositiveDefinite` when the factorisation fails.
    public func cholesky() throws -> Tensor {
        let op = "cholesky"
        try requireMatrix(op, square: true)
        let n = shape[0]
        let l = clone()
        let info: Int
        switch dtype {
        case .float32: info = Float.potrf(n: n, a: l.pointer(as: Float.self), lda: Swift.max(n, 1))
        case .float64: info = Double.potrf(n: n, a: l.pointer(as: Double.self), lda: Swift.max(n, 1))
        }
        if info > 0 { throw TensorError.notPositiveDefinite(op: op, detail: "leading minor of order \(info) is not positive") }
        if info < 0 { throw TensorError.lapack(op: op, routine: "potrf", info: info) }
        // zero the strict upper triangle (LAPACK leaves it untouched)
        switch dtype {
        case .float32: zeroStrictUpper(l.pointer(as: Float.self), n)
        case .float64: zeroStrictUpper(l.pointer(as: Double.self), n)
        }
        return l
    }

    /// Solves `self · X = b` for a symmetric positive definite matrix (Cholesky, `?potrf` +
    /// `?potrs`). Throws `notPositiveDefinite` when self is not SPD.
    public func solveSPD(_ b: Tensor) throws -> Tensor {
        let op = "solveSPD"
        try requireMatrix(op, square: true)
        let n = shape[0]
        let (x, isVector) = try rhsMatrix(b, n: n, op: op)
        let l = clone()
        let nrhs = x.shape[1]
        var info: Int
        switch dtype {
        case .float32:
            info = Float.potrf(n: n, a: l.pointer(as: Float.self), lda: Swift.max(n, 1))
            if info == 0 { info = Float.potrs(n: n, nrhs: nrhs, a: l.pointer(as: Float.self), lda: Swift.max(n, 1), b: x.pointer(as: Float.self), ldb: Swift.max(nrhs, 1)) }
        case .float64:
            info = Double.potrf(n: n, a: l.pointer(as: Double.self), lda: Swift.max(n, 1))
            if info == 0 { info = Double.potrs(n: n, nrhs: nrhs, a: l.pointer(as: Double.self), lda: Swift.max(n, 1), b: x.pointer(as: Double.self), ldb: Swift.max(nrhs, 1)) }
        }
        if info > 0 { throw TensorError.notPositiveDefinite(op: op, detail: "leading minor of order \(info) is not positive") }
        if info < 0 { throw TensorError.lapack(op: op, routine: "potrf/potrs", info: info) }
        if hasRoundingLevelPivot(l, squared: true) {
            throw TensorError.notPositiveDefinite(op: op, detail: "a Cholesky pivot is at rounding level (singular to working precision)")
        }
        return isVector ? try x.squeezed(1) : x
    }

    /// Eigendecomposition of a symmetric matrix (`?syevd`, lower triangle read):
    /// eigenvalues ascending and orthonormal eigenvectors as the columns of `vectors`,
    /// so `vectors · diag(values) · vectorsᵀ = self`.
    public func symmetricEigen() throws -> (values: Tensor, vectors: Tensor) {
        let op = "symmetricEigen"
        try requireMatrix(op, square: true)
        let n = shape[0]
        let v = clone()
        let w = Tensor.zeros([n], dtype: dtype)
        let info: Int
        switch dtype {
        case .float32: info = Float.syevd(n: n, a: v.pointer(as: Float.self), lda: Swift.max(n, 1), w: w.pointer(as: Float.self))
        case .float64: info = Double.syevd(n: n, a: v.pointer(as: Double.self), lda: Swift.max(n, 1), w: w.pointer(as: Double.self))
        }
        if info != 0 { throw TensorError.lapack(op: op, routine: "syevd", info: info) }
        return (w, v)
    }

    /// Thin singular value decomposition (`?gesdd`): `u · diag(s) · vt = self`, with
    /// singular values descending; for an m×n matrix and k = min(m, n), u is m×k, s has k
    /// entries and vt is k×n.
    public func svd() throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        let op = "svd"
        try requireMatrix(op)
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        let a = clone()
        let s = Tensor.zeros([k], dtype: dtype), u = Tensor.zeros([m, k], dtype: dtype), vt = Tensor.zeros([k, n], dtype: dtype)
        if k == 0 { return (u, s, vt) }
        let info: Int
        switch dtype {
        case .float32: info = Float.gesdd(jobz: UInt8(ascii: "S"), m: m, n: n, a: a.pointer(as: Float.self), lda: n, s: s.pointer(as: Float.self), u: u.pointer(as: Float.self), ldu: k, vt: vt.pointer(as: Float.self), ldvt: n)
        case .float64: info = Double.gesdd(jobz: UInt8(ascii: "S"), m: m, n: n, a: a.pointer(as: Double.self), lda: n, s: s.pointer(as: Double.self), u: u.pointer(as: Double.self), ldu: k, vt: vt.pointer(as: Double.self), ldvt: n)
        }
        if info != 0 { throw TensorError.lapack(op: op, routine: "gesdd", info: info) }
        return (u, s, vt)
    }

    /// Singular values only, descending (`?gesdd` with `jobz = N`).
    public func singularValues() throws -> Tensor {
        let op = "singularValues"
        try requireMatrix(op)
        let m = shape[0], n = shape[1], k = Swift.min(m, n)
        let a = clone()
        let s = Tensor.zeros([k], dtype: dtype)
        if k == 0 { return s }
        // Row-major LAPACKE_?gesdd checks ldvt >= n even when no vectors are computed.
        let info: Int
        switch dtype {
        case .float32: info = Float.gesdd(jobz: UInt8(ascii: "N"), m: m, n: n, a: a.pointer(as: Float.self), lda: n, s: s.pointer(as: Float.self), u: nil, ldu: 1, vt: nil, ldvt: n)
        case .float64: info = Double.gesdd(jobz: UInt8(ascii: "N"), m: m, n: n, a: a.pointer(as: Double.self), lda: n, s: s.pointer(as: Double.self), u: nil, ldu: 1, vt: nil, ldvt: n)
        }
        if info != 0 { throw TensorError.lapack(op: op, routine: "gesdd", info: info) }
        return s
    }

    /// Moore–Penrose pseudo-inverse through the SVD. Singular values at or below
    /// `rcond · σ_max` are treated as zero (default: `max(m, n) · ε` of the dtype, as NumPy).
    public func pseudoInverse(rcond: Double? = nil) throws -> Tensor {
        let (u, s, vt) = try svd()
        let m = shape[0], n = shape[1]
        let eps = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
        let cutoff = (rcond ?? Double(Swift.max(m, n)) * eps) * (s.count > 0 ? try s.value(at: [0]) : 0)
        let sv = s.doubles()
        let inv = try Tensor(shape: [sv.count], values: sv.map { $0 > cutoff ? 1 / $0 : 0 }, dtype: dtype)
        // pinv = V · diag(1/s) · Uᵀ
        let vScaled = try vt.t().mul(inv.unsqueezed(0))
        return try vScaled.matmul(u.t())
    }
}

extension Tensor {
    /// Whether the smallest diagonal entry of `factor` (U of an LU factorisation, or L of a
    /// Cholesky factorisation with `squared`) is at rounding level, n·ε·max|aᵢⱼ| of self: the
    /// matrix is singular to working precision and a "solution" would be noise of size 1/ε
    /// (LAPACK's ?gesvx reports such systems too). Exact zeros are caught by LAPACK's info.
    fileprivate func hasRoundingLevelPivot(_ factor: Tensor, squared: Bool) -> Bool {
        let n = shape[0]
        guard n > 0 else { return false }
        let scale = Swift.max(self.max(), -self.min())
        let eps = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
        let f = factor.doubles()
        let smallest = (0..<n).map { Swift.abs(f[$0 * n + $0]) }.min() ?? 0
        return (squared ? smallest * smallest : smallest) <= Double(n) * eps * scale
    }
}

private func zeroStrictUpper<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n {
        for j in (i + 1)..<Swift.max(n, i + 1) { p[i * n + j] = 0 }
    }
}
