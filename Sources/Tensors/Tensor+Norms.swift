import Foundation

/// Norms of tensors and matrices.
extension Tensor {
    /// Frobenius norm (the L2 norm of all elements), accumulated in double precision with
    /// scaling so it neither overflows nor underflows.
    public func norm() -> Double {
        var scale = 0.0, ssq = 1.0, infinite = false
        for x in doubles() where x != 0 {
            let a = Swift.abs(x)
            // an infinity would make ssq inf/inf = NaN below; NaN still propagates
            if a == .infinity { infinite = true; continue }
            if scale < a {
                ssq = 1 + ssq * (scale / a) * (scale / a)
                scale = a
            } else {
                ssq += (a / scale) * (a / scale)
            }
        }
        if infinite && !ssq.isNaN { return .infinity }
        return scale * ssq.squareRoot()
    }

    /// L2 norm along `dim` (e.g. the norm of each row with `dim: -1`).
    public func norm(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try reduce(dim, keepDim: keepDim, op: "norm") { s, o, outer, n, inner in
            for a in 0..<outer {
                for i in 0..<inner {
                    // scale by the largest magnitude so huge or tiny values neither overflow
                    // nor underflow (as norm() does)
                    var m = 0.0, nan = false
                    for j in 0..<n {
                        let x = Swift.abs(s[(a * n + j) * inner + i])
                        if x.isNaN { nan = true } else if x > m { m = x }
                    }
                    if nan || m == 0 || m == .infinity {
                        o[a * inner + i] = nan ? .nan : m
                        continue
                    }
                    var acc = 0.0
                    for j in 0..<n {
                        let x = s[(a * n + j) * inner + i] / m
                        acc += x * x
                    }
                    o[a * inner + i] = m * acc.squareRoot()
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
