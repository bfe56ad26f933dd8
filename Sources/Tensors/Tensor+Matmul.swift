/// How a 2-D strided operand is handed to BLAS without copying: row-major with a leading
/// dimension, possibly transposed.
struct BLASOperand {
    let transposed: Bool
    let ld: Int

    /// A row-major, untransposed operand with leading dimension `ld`.
    init(rowMajorLD ld: Int) {
        transposed = false
        self.ld = ld
    }

    /// The BLAS view of a `rows x cols` matrix with strides (rowStride, colStride), or `nil`
    /// when the strides need a copy first.
    init?(rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        // Sizes of 1 make a stride irrelevant: pick the value BLAS accepts.
        let rs = rows == 1 ? max(cols, 1) : rowStride
        let cs = cols == 1 ? 1 : colStride
        if cs == 1 && rs >= max(cols, 1) {
            transposed = false
            ld = rs
        } else if rs == 1 && cs >= max(rows, 1) {
            transposed = true
            ld = cs
        } else if cols == 1 && rows == 1 {
            transposed = false
            ld = 1
        } else {
            return nil
        }
    }
}

extension Tensor {
    /// Matrix product with NumPy/PyTorch semantics:
    /// - 2-D × 2-D: the matrix product;
    /// - 1-D operands are treated as a row (left) or column (right) vector, that dimension
    ///   removed from the result;
    /// - higher ranks: batched products over the leading dimensions, which broadcast.
    /// Every product is a BLAS `gemm`; transposed operands are passed through BLAS flags,
    /// never copied. A right-hand matrix shared across the batch is one single `gemm` when the
    /// left operand's batch rows can be stacked.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard dtype == other.dtype else { throw TensorError.dtypeMismatch(op: "matmul", expected: dtype, got: other.dtype) }
        guard rank >= 1, other.rank >= 1 else {
            throw TensorError.invalidArgument(op: "matmul", detail: "operands must have at least one dimension")
        }
        let a = rank == 1 ? try unsqueezed(0) : self
        let b = other.rank == 1 ? try other.unsqueezed(1) : other
        let n = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let k2 = b.shape[b.rank - 2], m = b.shape[b.rank - 1]
        guard k == k2 else {
            throw TensorError.shapeMismatch(op: "matmul", detail: "\(shapeString(shape)) × \(shapeString(other.shape)): inner sizes \(k) and \(k2) differ")
        }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        guard let batch = broadcastShapes(batchA, batchB) else {
            throw TensorError.shapeMismatch(op: "matmul", detail: "batch shapes \(batchA) and \(batchB) do not broadcast")
        }
        var out = Tensor.uninitialized(batch + [n, m], dtype: dtype)
        switch dtype {
        case .float32: try Tensor.gemmBatched(a, b, into: out, batch: batch, Float.self)
        case .float64: try Tensor.gemmBatched(a, b, into: out, batch: batch, Double.self)
        }
        if rank == 1 { out = try out.squeezed(-2) }
        if other.rank == 1 { out = try out.squeezed(-1) }
        return out
    }

    /// Matrix product of two matrices (`mm` in torch7). Both must be 2-D.
    public func mm(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2 else {
            throw TensorError.invalidArgument(op: "mm", detail: "mm needs two matrices, got \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        return try matmul(other)
    }

    /// `out = alpha · self · other + beta · out` for matrices, written into an existing
    /// contiguous `out` (no allocation).
    public func matmul(_ other: Tensor, into out: Tensor, alpha: Double = 1, beta: Double = 0) throws {
        guard rank == 2, other.rank == 2, out.rank == 2 else {
            throw TensorError.invalidArgument(op: "matmul(into:)", detail: "needs matrices")
        }
        guard shape[1] == other.shape[0], out.shape == [shape[0], other.shape[1]] else {
            throw TensorError.shapeMismatch(op: "matmul(into:)", detail: "\(shapeString(shape)) × \(shapeString(other.shape)) into \(shapeString(out.shape))")
        }
        guard dtype == other.dtype, dtype == out.dtype else {
            throw TensorError.dtypeMismatch(op: "matmul(into:)", expected: dtype, got: other.dtype == dtype ? out.dtype : other.dtype)
        }
        guard let oc = BLASOperand(rows: out.shape[0], cols: out.shape[1], rowStride: out.strides[0], colStride: out.strides[1]),
              !oc.transposed else {
            throw TensorError.invalidArgument(op: "matmul(into:)", detail: "output must be row-major")
        }
        switch dtype {
        case .float32: Tensor.gemm2D(self, other, out, ldc: oc.ld, alpha: Float(alpha), beta: Float(beta))
        case .float64: Tensor.gemm2D(self, other, out, ldc: oc.ld, alpha: alpha, beta: beta)
        }
        out.storage.bumpVersion()
    }

    /// One gemm of 2-D views `a` and `b` into row-major `c` (copying an operand only when its
    /// strides are not BLAS-compatible).
    static func gemm2D<T: TensorScalar>(_ a: Tensor, _ b: Tensor, _ c: Tensor, ldc: Int, alpha: T, beta: T) {
        let n = a.shape[0], k = a.shape[1], m = b.shape[1]
        if n == 0 || m == 0 { return }
        if k == 0 {
            // C = beta C
            if beta != 1 {
                let pc = c.pointer(as: T.self)
                for i in 0..<n { for j in 0..<m { pc[i * ldc + j] = beta == 0 ? 0 : pc[i * ldc + j] * beta } }
            }
            return
        }
        let aa = BLASOperand(rows: n, cols: k, rowStride: a.strides[0], colStride: a.strides[1]).map { (a, $0) }
            ?? { let ac = a.clone(); return (ac, BLASOperand(rowMajorLD: Swift.max(k, 1))) }()
        let bb = BLASOperand(rows: k, cols: m, rowStride: b.strides[0], colStride: b.strides[1]).map { (b, $0) }
            ?? { let bc = b.clone(); return (bc, BLASOperand(rowMajorLD: Swift.max(m, 1))) }()
        if n == 1 {
            // One row: a matrix–vector product (gemm would repack the whole matrix per call).
            // c = op(B)ᵀ a, with a's k elements strided by lda when A is stored transposed.
            let incx = aa.1.transposed ? aa.1.ld : 1
            if bb.1.transposed {
                T.gemv(trans: false, m: m, n: k, alpha: alpha, a: bb.0.pointer(as: T.self), lda: bb.1.ld,
                       x: aa.0.pointer(as: T.self), incx: incx, beta: beta, y: c.pointer(as: T.self), incy: 1)
            } else {
                T.gemv(trans: true, m: k, n: m, alpha: alpha, a: bb.0.pointer(as: T.self), lda: bb.1.ld,
                       x: aa.0.pointer(as: T.self), incx: incx, beta: beta, y: c.pointer(as: T.self), incy: 1)
            }
            return
        }
        T.gemm(transA: aa.1.transposed, transB: bb.1.transposed, m: n, n: m, k: k, alpha: alpha,
               a: aa.0.pointer(as: T.self), lda: aa.1.ld, b: bb.0.pointer(as: T.self), ldb: bb.1.ld,
               beta: beta, c: c.pointer(as: T.self), ldc: ldc)
    }

    /// Batched gemm into the contiguous `out` of shape batch + [n, m].
    static func gemmBatched<T: TensorScalar>(_ a: Tensor, _ b: Tensor, into out: Tensor, batch: [Int], _: T.Type) throws {
        let n = a.shape[a.rank - 2], m = b.shape[b.rank - 1]
        // Fast path: b is one matrix for the whole batch and a's batch rows stack into one matrix.
        if b.rank == 2, a.rank > 2 {
            let rows = a.shape.dropLast().reduce(1, *)
            if let stacked = try? a.view([rows, a.shape[a.rank - 1]]) {
                gemm2D(stacked, b, try out.view([rows, m]), ldc: m, alpha: T(1), beta: T(0))
                return
            }
        }
        let aSt = try a.broadcastStrides(to: batch + Array(a.shape.suffix(2)), op: "matmul")
        let bSt = try b.broadcastStrides(to: batch + Array(b.shape.suffix(2)), op: "matmul")
        let batchCount = batch.reduce(1, *)
        var idx = [Int](repeating: 0, count: batch.count)
        for bi in 0..<batchCount {
            var ao = a.offset, bo = b.offset
            for d in 0..<batch.count {
                ao += idx[d] * aSt[d]
                bo += idx[d] * bSt[d]
            }
            let av = Tensor(unchecked: a.storage, shape: Array(a.shape.suffix(2)), strides: Array(aSt.suffix(2)), offset: ao)
            let bv = Tensor(unchecked: b.storage, shape: Array(b.shape.suffix(2)), strides: Array(bSt.suffix(2)), offset: bo)
            let cv = Tensor(unchecked: out.storage, shape: [n, m], strides: [m, 1], offset: bi * n * m)
            gemm2D(av, bv, cv, ldc: m, alpha: T(1), beta: T(0))
            var d = batch.count - 1
            while d >= 0 {
                idx[d] += 1
                if idx[d] < batch[d] { break }
                idx[d] = 0
                d -= 1
            }
        }
    }
}

extension Tensor {
    /// The matrix product `self · other` of two matrices computed in panels of at most
    /// `columnPanel` output columns, each one `gemm` written straight into its columns of the
    /// result. Same numbers as `matmul` (each output element is one dot product either way);
    /// for very wide outputs (an unembedding over the vocabulary) this bounds the memory BLAS
    /// touches to pack `other`.
    public func matmul(_ other: Tensor, columnPanel: Int) throws -> Tensor {
        guard rank == 2, other.rank == 2 else {
            throw TensorError.invalidArgument(op: "matmul(columnPanel:)", detail: "needs two matrices, got \(shapeString(shape)) and \(shapeString(other.shape))")
        }
        guard columnPanel > 0 else {
            throw TensorError.invalidArgument(op: "matmul(columnPanel:)", detail: "panel width \(columnPanel) must be positive")
        }
        let (n, m) = (shape[0], other.shape[1])
        guard m > columnPanel else { return try matmul(other) }
        guard dtype == other.dtype else { throw TensorError.dtypeMismatch(op: "matmul", expected: dtype, got: other.dtype) }
        guard shape[1] == other.shape[0] else {
            throw TensorError.shapeMismatch(op: "matmul", detail: "\(shapeString(shape)) × \(shapeString(other.shape)): inner sizes \(shape[1]) and \(other.shape[0]) differ")
        }
        // A mapped output starts zero-filled: the panels add into it (beta = 1), which spares
        // BLAS its pass that zeroes the output before a beta = 0 product.
        let out = Tensor.uninitialized([n, m], dtype: dtype)
        let accumulate = out.storage.startsZeroed
        for j0 in stride(from: 0, to: m, by: columnPanel) {
            let w = Swift.min(columnPanel, m - j0)
            let b = Tensor(unchecked: other.storage, shape: [other.shape[0], w], strides: other.strides,
                           offset: other.offset + j0 * other.strides[1])
            let c = Tensor(unchecked: out.storage, shape: [n, w], strides: [m, 1], offset: j0)
            switch dtype {
            case .float32: Tensor.gemm2D(self, b, c, ldc: m, alpha: Float(1), beta: accumulate ? 1 : 0)
            case .float64: Tensor.gemm2D(self, b, c, ldc: m, alpha: Double(1), beta: accumulate ? 1 : 0)
            }
        }
        return out
    }
}
