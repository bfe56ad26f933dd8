import Foundation
import Testing
import Tensors

/// √Σx² without overflow or underflow: scale by the largest magnitude first.
func refNorm(_ x: [Double]) -> Double {
    let m = maxAbs(x)
    if m == 0 { return 0 }
    if m.isInfinite { return .infinity }
    return m * x.reduce(0) { $0 + ($1 / m) * ($1 / m) }.squareRoot()
}

/// Eigenvalues of a symmetric matrix by the cyclic Jacobi method (plane rotations until the
/// off-diagonal part vanishes), in plain Double loops; ascending.
func refJacobiEigenvalues(_ s: Ref) -> [Double] {
    let n = s.shape[0]
    var a = s.data
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in 0..<n where p != q { off += a[p * n + q] * a[p * n + q] } }
        if off <= 1e-30 * max(1, a.reduce(0) { $0 + $1 * $1 }) { break }
        for p in 0..<n {
            for q in (p + 1)..<max(n, p + 1) where a[p * n + q] != 0 {
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), sn = t * c
                for k in 0..<n { // columns p, q
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - sn * akq
                    a[k * n + q] = sn * akp + c * akq
                }
                for k in 0..<n { // rows p, q
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - sn * aqk
                    a[q * n + k] = sn * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0 * n + $0] }.sorted()
}

@Suite struct NormTests {
    @Test("Frobenius norm matches √Σx² on every layout", arguments: DType.allCases, Layout.allCases)
    func frobenius(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 41)
        for shape in [[3, 4, 5], [17], [], [2, 0]] {
            let a = try randomTensor(shape, dtype, layout, &rng, low: -3, high: 3)
            let x = try ref(a).data
            let naive = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(close(a.norm(), naive, rtol: 1e-13, atol: 0), "\(shape) \(layout): \(a.norm()) vs \(naive)")
        }
    }

    @Test("Frobenius norm of huge and tiny values neither overflows nor underflows")
    func frobeniusExtremes() throws {
        let cases: [([Double], Double)] = [
            ([3e200, 4e200], 5e200),
            ([1e308, -1e308], 1e308 * 2.0.squareRoot()),
            ([3e-200, -4e-200], 5e-200),
            ([3e-310, 4e-310], 5e-310),  // subnormal
            ([1e300, 1e-300, 1, -1e300], 1e300 * 2.0.squareRoot()),
            ([0, 0, 0], 0),
        ]
        for (values, want) in cases {
            let t = try Tensor(shape: [values.count], values: values, dtype: .float64)
            #expect(close(t.norm(), want, rtol: 1e-12, atol: 0), "\(values): \(t.norm()) vs \(want)")
            // a naive sum of squares would be wrong here (except the zero case)
            let naive = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if want != 0 { #expect(!close(naive, want, rtol: 1e-3, atol: 0)) }
        }
        // float32 extremes (the sum of squares overflows Float but not the double accumulator)
        let f = try Tensor(shape: [2], values: [3e30, -4e30], dtype: .float32)
        let f0 = Double(Float(3e30)), f1 = Double(Float(-4e30))
        #expect(close(f.norm(), (f0 * f0 + f1 * f1).squareRoot(), rtol: 1e-14, atol: 0))
        let big = Tensor.full([4], 3e38, dtype: .float32)
        #expect(close(big.norm(), 2 * Double(Float(3e38)), rtol: 1e-14, atol: 0))
    }

    @Test("Frobenius norm with infinities and NaN", arguments: DType.allCases)
    func frobeniusNonFinite(dtype: DType) throws {
        #expect(try Tensor(shape: [2], values: [.infinity, 1], dtype: dtype).norm() == .infinity)
        #expect(try Tensor(shape: [2], values: [1, -.infinity], dtype: dtype).norm() == .infinity)
        #expect(try Tensor(shape: [2], values: [.infinity, -.infinity], dtype: dtype).norm() == .infinity)
        #expect(try Tensor(shape: [3], values: [1, .nan, 2], dtype: dtype).norm().isNaN)
    }

    @Test("L2 norm along every axis", arguments: DType.allCases, Layout.allCases)
    func alongAxis(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 42)
        let rtol = dtype == .float32 ? 2 * eps(dtype) : 1e-14
        for shape in [[3, 4, 5], [2, 3, 2, 4]] {
            let a = try randomTensor(shape, dtype, layout, &rng, low: -2, high: 2)
            let ra = try ref(a)
            for d in Array(0..<shape.count) + [-1] {
                for keep in [false, true] {
                    try expectClose(a.norm(dim: d, keepDim: keep), refReduce(ra, dim: d, keepDim: keep, refNorm),
                                    rtol: rtol, atol: 1e-300, "norm \(shape) \(layout) dim \(d) keepDim \(keep)")
                }
            }
        }
        expectError(.outOfRange) { try Tensor.ones([2, 3]).norm(dim: 2) }
    }

    @Test("L2 norm along an axis of huge and tiny float64 rows")
    func alongAxisExtremes() throws {
        let t = try Tensor(shape: [3, 2], values: [3e200, 4e200, 3e-200, 4e-200, 0, 0], dtype: .float64)
        expectClose(try t.norm(dim: 1).doubles(), [5e200, 5e-200, 0], rtol: 1e-14, "row norms")
        expectClose(try t.t().norm(dim: 0).doubles(), [5e200, 5e-200, 0], rtol: 1e-14, "column norms of the transpose")
    }

    @Test("spectral norm = largest singular value = √λmax(AᵀA) (LAPACK and plain Jacobi)", arguments: DType.allCases)
    func spectral(dtype: DType) throws {
        var rng = RandomGenerator(seed: 43)
        let tol = dtype == .float32 ? 1e-5 : 1e-12
        for shape in [[7, 5], [5, 7], [6, 6], [1, 4], [4, 1]] {
            let a = try randomTensor(shape, dtype, .transposed, &rng)
            let ra = try ref(a)
            let sn = try a.spectralNorm()
            let s0 = try a.svd().s.value(at: [0])
            #expect(close(sn, s0, rtol: tol, atol: 0), "\(shape): spectralNorm \(sn) vs svd \(s0)")
            // √ of the largest eigenvalue of AᵀA, by LAPACK's symmetric eigensolver in float64
            let ata = try a.to(.float64).t().matmul(a.to(.float64))
            let eig = try ata.symmetricEigen().values.doubles()
            #expect(close(sn, eig.last!.squareRoot(), rtol: tol, atol: 0), "\(shape): vs √λmax \(eig.last!.squareRoot())")
            // and by plain Jacobi rotations on AᵀA
            let gram = refMatmul2D(refTranspose(ra), ra).value
            let jacobi = refJacobiEigenvalues(gram).last!.squareRoot()
            #expect(close(sn, jacobi, rtol: tol, atol: 0), "\(shape): vs Jacobi \(jacobi)")
            // the bound ‖A‖₂ ≤ ‖A‖_F ≤ √rank ‖A‖₂
            let f = a.norm()
            #expect(sn <= f * (1 + tol) && f <= Double(min(shape[0], shape[1])).squareRoot() * sn * (1 + tol))
        }
        let d = try Tensor(shape: [3, 3], values: [3, 0, 0, 0, -5, 0, 0, 0, 2], dtype: dtype)
        #expect(close(try d.spectralNorm(), 5, rtol: tol, atol: 0))
        // rank one: ‖u vᵀ‖₂ = ‖u‖‖v‖
        let u = try Tensor(shape: [3, 1], values: [1, 2, 2], dtype: dtype), v = try Tensor(shape: [1, 2], values: [3, 4], dtype: dtype)
        #expect(close(try u.matmul(v).spectralNorm(), 15, rtol: tol, atol: 0))
        #expect(try Tensor.zeros([0, 3], dtype: dtype).spectralNorm() == 0)
        #expect(try Tensor.zeros([3, 3], dtype: dtype).spectralNorm() == 0)
        expectError(.invalidArgument) { try Tensor.ones([3], dtype: dtype).spectralNorm() }
        let bad = Tensor.ones([2, 2], dtype: dtype)
        try bad.setValue(.nan, at: [1, 0])
        expectError(.nonFinite) { try bad.spectralNorm() }
    }
}
