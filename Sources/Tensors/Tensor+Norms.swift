import Foundation

/// Norms of tensors and matrices.
extension Tensor {
    /// Frobenius norm (the L2 norm of all elements), accumulated in double precision with
    /// scaling so it neither overflows nor underflows.
    public func norm() -> Double {
        var scale = 0.0, ssq = 1.0
        for x in doubles() where x != 0 {
            let a = Swift.abs(x)
            if scale < a {
                ssq = 1 + ssq * (scale / a) * (scale / a)
                scale = a
            } else {
                ssq += (a / scale) * (a / scale)
            }
        }
        return scale * ssq.squareRoot()
    }

    /// L2 norm along `dim` (e.g. the norm of each row with `dim: -1`).
    public func norm(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try reduce(dim, keepDim: keepDim, op: "norm") { s, o, outer, n, inner in
            for a in 0..<outer {
                for i in 0..<inner {
                    var acc = 0.0
                    for j in 0..<n {
                        let x = s[(a * n + j) * inner + i]
                        acc += x * x
                    }
                    o[a * inner + i] = acc.squareRoot()
                }
            }
        }
    }

    /// Spectral norm (largest singular value) of a matrix, from LAPACK's SVD.
    public func spectralNorm() throws -> Double {
        let s = try singularValues()
        return s.count == 0 ? 0 : try s.value(at: [0])
    }
}
