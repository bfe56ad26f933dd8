import Foundation

/// Numerically stable softmax family along one dimension (the maximum is subtracted first).
extension Tensor {
    private enum SoftmaxKind { case softmax, logSoftmax }

    private func softmaxKernel<T: TensorScalar>(_ kind: SoftmaxKind, _ d: Int, _: T.Type) -> Tensor {
        let src = contiguous()
        let out = Tensor.uninitialized(shape, dtype: dtype)
        let g = reductionGeometry(d)
        if T.self == Float.self && g.inner == 1 {
            Tensor.softmaxRowsFloat(kind == .softmax, src.pointer(as: Float.self), out.pointer(as: Float.self), rows: g.outer, n: g.n)
            return out
        }
        let s = src.pointer(as: T.self), o = out.pointer(as: T.self)
        for a in 0..<g.outer {
            for i in 0..<g.inner {
                let base = a * g.n * g.inner + i
                var m = -T.infinity
                for j in 0..<g.n { m = Swift.max(m, s[base + j * g.inner]) }
                if !m.isFinite { m = 0 }
                var z = 0.0
                for j in 0..<g.n { z += T.expf(s[base + j * g.inner] - m).asDouble }
                switch kind {
                case .softmax:
                    let inv = 1 / z
                    for j in 0..<g.n { o[base + j * g.inner] = T(T.expf(s[base + j * g.inner] - m).asDouble * inv) }
                case .logSoftmax:
                    let lz = T(Foundation.log(z))
                    for j in 0..<g.n { o[base + j * g.inner] = s[base + j * g.inner] - m - lz }
                }
            }
        }
        return out
    }

    /// Float32 rows along the last dimension, vectorised: the exponentials are written to
    /// `o` once (sums in double per 64 values), then scaled (softmax) or replaced by
    /// `x − max − log Σ` (log-softmax).
    private static func softmaxRowsFloat(_ softmax: Bool, _ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>,
                                         rows: Int, n: Int) {
        guard n > 0 else { return }
        for a in 0..<rows {
            let x = s + a * n, y = o + a * n
            var m = VectorMath.maximum(x, n)
            if !m.isFinite { m = 0 }
            let z = VectorMath.expShiftedSum(x, y, n, shift: m)
            if softmax {
                VectorMath.scale(y, n, by: Float(1 / z))
            } else {
                let lz = Float(Foundation.log(z))
                VectorMath.apply(Lane.LogSoftmax(shift: SIMD8(repeating: m), logSum: SIMD8(repeating: lz)), x, y, n)
            }
        }
    }

    /// `exp(x) / sum(exp(x))` along `dim`.
    public func softmax(dim: Int = -1) throws -> Tensor {
        let d = try normalizedDim(dim, op: "softmax")
        switch dtype {
        case .float32: return softmaxKernel(.softmax, d, Float.self)
        case .float64: return softmaxKernel(.softmax, d, Double.self)
        }
    }

    /// `x - logsumexp(x)` along `dim`.
    public func logSoftmax(dim: Int = -1) throws -> Tensor {
        let d = try normalizedDim(dim, op: "logSoftmax")
        switch dtype {
        case .float32: return softmaxKernel(.logSoftmax, d, Float.self)
        case .float64: return softmaxKernel(.logSoftmax, d, Double.self)
        }
    }

    /// `log(sum(exp(x)))` along `dim`, computed stably.
    public func logSumExp(dim: Int = -1, keepDim: Bool = false) throws -> Tensor {
        try reduce(dim, keepDim: keepDim, op: "logSumExp") { s, o, outer, n, inner in
            for a in 0..<outer {
                for i in 0..<inner {
                    var m = -Double.infinity
                    for j in 0..<n { m = Swift.max(m, s[(a * n + j) * inner + i]) }
                    if !m.isFinite { o[a * inner + i] = m; continue }
                    var z = 0.0
                    for j in 0..<n { z += Foundation.exp(s[(a * n + j) * inner + i] - m) }
                    o[a * inner + i] = m + Foundation.log(z)
                }
            }
        }
    }
}
