/// Gram matrices by BLAS `syrk` (half the work of a general product), computed on the upper
/// triangle, and the triangle bookkeeping around them.
extension Tensor {
    /// `out = alpha · selfᵀ · self + beta · out` on the **upper triangle** of `out` (diagonal
    /// included); the strict lower triangle of `out` is left untouched (see
    /// `symmetrizeFromUpper`). `self` is a `[k, n]` matrix (any BLAS-compatible strides: a
    /// row-major view with a leading dimension, or a transposed one); `out` is a row-major
    /// `[n, n]` matrix of the same dtype.
    public func gram(into out: Tensor, alpha: Double = 1, beta: Double = 0) throws {
        guard rank == 2, out.rank == 2 else {
            throw TensorError.invalidArgument(op: "gram", detail: "needs matrices, got \(shapeString(shape)) into \(shapeString(out.shape))")
        }
        let (k, n) = (shape[0], shape[1])
        guard out.shape == [n, n] else {
            throw TensorError.shapeMismatch(op: "gram", detail: "\(shapeString(shape))ᵀ·\(shapeString(shape)) into \(shapeString(out.shape))")
        }
        guard dtype == out.dtype else { throw TensorError.dtypeMismatch(op: "gram", expected: dtype, got: out.dtype) }
        guard let oc = BLASOperand(rows: n, cols: n, rowStride: out.strides[0], colStride: out.strides[1]), !oc.transposed else {
            throw TensorError.invalidArgument(op: "gram", detail: "output must be row-major")
        }
        if n == 0 { return }
        let a = BLASOperand(rows: k, cols: n, rowStride: strides[0], colStride: strides[1]).map { (self, $0) }
            ?? { let c = self.clone(); return (c, BLASOperand(rowMajorLD: Swift.max(n, 1))) }()
        switch dtype {
        case .float32: Tensor.syrkUpper(a.0, a.1, n: n, k: k, out, ldc: oc.ld, alpha: Float(alpha), beta: Float(beta))
        case .float64: Tensor.syrkUpper(a.0, a.1, n: n, k: k, out, ldc: oc.ld, alpha: alpha, beta: beta)
        }
        out.storage.bumpVersion()
    }

    private static func syrkUpper<T: TensorScalar>(_ a: Tensor, _ op: BLASOperand, n: Int, k: Int, _ c: Tensor, ldc: Int,
                                                   alpha: T, beta: T) {
        let pc = c.pointer(as: T.self)
        if k == 0 {
            // C = beta C on the upper triangle
            for i in 0..<n { for j in i..<n { pc[i * ldc + j] = beta == 0 ? 0 : pc[i * ldc + j] * beta } }
            return
        }
        // Row-major A [k, n] is AᵀA with trans; a transposed view stores Aᵀ [n, k] row-major.
        T.syrk(trans: !op.transposed, n: n, k: k, alpha: alpha, a: a.pointer(as: T.self), lda: op.ld, beta: beta, c: pc, ldc: ldc)
    }

    /// Copies the upper triangle of a square matrix onto its lower triangle, in place.
    @discardableResult
    public func symmetrizeFromUpper() throws -> Tensor {
        guard rank == 2, shape[0] == shape[1] else {
            throw TensorError.invalidArgument(op: "symmetrizeFromUpper", detail: "needs a square matrix, got \(shapeString(shape))")
        }
        let n = shape[0], (r, c) = (strides[0], strides[1])
        switch dtype {
        case .float32:
            let p = pointer(as: Float.self)
            for i in 0..<n { for j in 0..<i { p[i * r + j * c] = p[j * r + i * c] } }
        case .float64:
            let p = pointer(as: Double.self)
            for i in 0..<n { for j in 0..<i { p[i * r + j * c] = p[j * r + i * c] } }
        }
        storage.bumpVersion()
        return self
    }

    /// Adds the upper triangle (diagonal included) of the square matrix `other` into the upper
    /// triangle of self, converting to self's dtype (a float32 Gram matrix into a float64
    /// accumulator); the strict lower triangle of self is left untouched.
    @discardableResult
    public func addUpperTriangle(of other: Tensor) throws -> Tensor {
        guard rank == 2, shape[0] == shape[1], other.shape == shape else {
            throw TensorError.shapeMismatch(op: "addUpperTriangle", detail: "\(shapeString(other.shape)) into \(shapeString(shape))")
        }
        switch (dtype, other.dtype) {
        case (.float64, .float32): Tensor.addUpper(self, other, Double.self, Float.self)
        case (.float64, .float64): Tensor.addUpper(self, other, Double.self, Double.self)
        case (.float32, .float32): Tensor.addUpper(self, other, Float.self, Float.self)
        case (.float32, .float64): Tensor.addUpper(self, other, Float.self, Double.self)
        }
        storage.bumpVersion()
        return self
    }

    private static func addUpper<D: TensorScalar, S: TensorScalar>(_ dst: Tensor, _ src: Tensor, _: D.Type, _: S.Type) {
        let n = dst.shape[0]
        let pd = dst.pointer(as: D.self), ps = src.pointer(as: S.self)
        let (dr, dc, sr, sc) = (dst.strides[0], dst.strides[1], src.strides[0], src.strides[1])
        for i in 0..<n {
            let drow = pd + i * dr, srow = ps + i * sr
            if dc == 1 && sc == 1 && D.self == Double.self && S.self == Float.self {
                let d = UnsafeMutableRawPointer(drow).assumingMemoryBound(to: Double.self)
                let s = UnsafeRawPointer(srow).assumingMemoryBound(to: Float.self)
                var j = i
                while j + 4 <= n {
                    let f = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD4<Float>.self)
                    let a = UnsafeRawPointer(d + j).loadUnaligned(as: SIMD4<Double>.self)
                    UnsafeMutableRawPointer(d + j).storeBytes(of: a + SIMD4<Double>(f), as: SIMD4<Double>.self)
                    j += 4
                }
                while j < n {
                    d[j] += Double(s[j])
                    j += 1
                }
            } else {
                for j in i..<n { drow[j * dc] += D(srow[j * sc].asDouble) }
            }
        }
    }
}
