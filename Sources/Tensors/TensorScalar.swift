import CBLAS
import Foundation

/// The element types a tensor can hold (`Float`, `Double`), with the BLAS and LAPACK
/// routines of each precision.
public protocol TensorScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// The storage dtype of this element type.
    static var dtype: DType { get }
    /// Converts from `Double` (rounding to nearest).
    init(_ value: Double)
    /// This value as a `Double`.
    var asDouble: Double { get }

    /// `exp(x)` in this precision.
    static func expf(_ x: Self) -> Self
    /// `log(x)` in this precision.
    static func logf(_ x: Self) -> Self
    /// `tanh(x)` in this precision.
    static func tanhf(_ x: Self) -> Self
    /// `erf(x)` in this precision.
    static func erff(_ x: Self) -> Self
    /// `pow(x, y)` in this precision.
    static func powf(_ x: Self, _ y: Self) -> Self

    /// Row-major general matrix multiply `C = alpha op(A) op(B) + beta C`.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Row-major symmetric rank-k update of the upper triangle, `C = alpha AᵀA + beta C` with
    /// `A` of `k` rows and `n` columns (`trans`), or `C = alpha AAᵀ + beta C` with `A` of `n`
    /// rows and `k` columns; `C` is `n × n` and its strict lower triangle is not touched.
    static func syrk(trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// Row-major matrix–vector multiply `y = alpha op(A) x + beta y`, A of `m` rows and `n` columns.
    static func gemv(trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)
    /// LAPACKE `?gesv` (row-major): solves `A X = B` in place; returns `info`.
    static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int,
                     ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int) -> Int
    /// LAPACKE `?potrf` (row-major, lower): Cholesky factor in place; returns `info`.
    static func potrf(n: Int, a: UnsafeMutablePointer<Self>, lda: Int) -> Int
    /// LAPACKE `?potrs` (row-major, lower): solves with a Cholesky factor; returns `info`.
    static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Self>, lda: Int,
                      b: UnsafeMutablePointer<Self>, ldb: Int) -> Int
    /// LAPACKE `?syevd` (row-major, lower, vectors): eigenvalues ascending into `w`,
    /// eigenvectors into the columns of `a`; returns `info`.
    static func syevd(n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>) -> Int
    /// LAPACKE `?gesdd` (row-major): thin SVD (`jobz = S`) or values only (`jobz = N`); returns `info`.
    static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int,
                      s: UnsafeMutablePointer<Self>, u: UnsafeMutablePointer<Self>?, ldu: Int,
                      vt: UnsafeMutablePointer<Self>?, ldvt: Int) -> Int
}

@inline(__always) private func cblasTrans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    public var asDouble: Double { Double(self) }
    public static func expf(_ x: Float) -> Float { Foundation.expf(x) }
    public static func logf(_ x: Float) -> Float { Foundation.logf(x) }
    public static func tanhf(_ x: Float) -> Float { Foundation.tanhf(x) }
    public static func erff(_ x: Float) -> Float { Foundation.erff(x) }
    public static func powf(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }

    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, cblasTrans(transA), cblasTrans(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func syrk(trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, cblasTrans(trans), blasint(n), blasint(k), alpha, a, blasint(lda),
                    beta, c, blasint(ldc))
    }
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int) {
        cblas_sgemv(CblasRowMajor, cblasTrans(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
    public static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int,
                            ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Float>, ldb: Int) -> Int {
        Int(LAPACKE_sgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb)))
    }
    public static func potrf(n: Int, a: UnsafeMutablePointer<Float>, lda: Int) -> Int {
        Int(LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda)))
    }
    public static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafeMutablePointer<Float>, ldb: Int) -> Int {
        Int(LAPACKE_spotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(nrhs), a,
                           Int32(lda), b, Int32(ldb)))
    }
    public static func syevd(n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>) -> Int {
        Int(LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a,
                           Int32(lda), w))
    }
    public static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int,
                             s: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>?, ldu: Int,
                             vt: UnsafeMutablePointer<Float>?, ldvt: Int) -> Int {
        Int(LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(jobz), Int32(m), Int32(n), a, Int32(lda), s,
                           u, Int32(ldu), vt, Int32(ldvt)))
    }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    public var asDouble: Double { self }
    public static func expf(_ x: Double) -> Double { Foundation.exp(x) }
    public static func logf(_ x: Double) -> Double { Foundation.log(x) }
    public static func tanhf(_ x: Double) -> Double { Foundation.tanh(x) }
    public static func erff(_ x: Double) -> Double { Foundation.erf(x) }
    public static func powf(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }

    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, cblasTrans(transA), cblasTrans(transB), blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func syrk(trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, cblasTrans(trans), blasint(n), blasint(k), alpha, a, blasint(lda),
                    beta, c, blasint(ldc))
    }
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int) {
        cblas_dgemv(CblasRowMajor, cblasTrans(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
    public static func gesv(n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int,
                            ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Double>, ldb: Int) -> Int {
        Int(LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb)))
    }
    public static func potrf(n: Int, a: UnsafeMutablePointer<Double>, lda: Int) -> Int {
        Int(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), a, Int32(lda)))
    }
    public static func potrs(n: Int, nrhs: Int, a: UnsafePointer<Double>, lda: Int,
                             b: UnsafeMutablePointer<Double>, ldb: Int) -> Int {
        Int(LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), Int32(nrhs), a,
                           Int32(lda), b, Int32(ldb)))
    }
    public static func syevd(n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>) -> Int {
        Int(LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")), Int32(n), a,
                           Int32(lda), w))
    }
    public static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int,
                             s: UnsafeMutablePointer<Double>, u: UnsafeMutablePointer<Double>?, ldu: Int,
                             vt: UnsafeMutablePointer<Double>?, ldvt: Int) -> Int {
        Int(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(jobz), Int32(m), Int32(n), a, Int32(lda), s,
                           u, Int32(ldu), vt, Int32(ldvt)))
    }
}
