/// An element function of eight float lanes, as a type: `VectorMath.apply` specialises its
/// loop for the type, and the conformances mark `callAsFunction` `@_transparent`, so the
/// function is inlined into the loop. (Passed as closures, several such functions compiled to
/// a call per eight lanes; `@inline(__always)` alone left `ExpSkippingUnderflow` out of line
/// in `expShiftedSum`'s loop. Checked with objdump: no call to a lane function remains.)
protocol LaneFunction {
    func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float>
}

/// A two-argument element function of eight float lanes, for `VectorMath.apply`.
protocol LaneFunction2 {
    func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float>
}

/// The element functions of the vectorised kernels (activations keep theirs in
/// `VectorActivations.Lanes`).
enum Lane {
    struct Exp: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.exp(x) } }
    struct ExpSkippingUnderflow: LaneFunction {
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.expSkippingUnderflow(x) }
    }
    struct Negate: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { -x } }
    struct Square: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x * x } }
    /// `x + v`.
    struct AddScalar: LaneFunction {
        let v: SIMD8<Float>
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x + v }
    }
    /// `x − v`.
    struct SubScalar: LaneFunction {
        let v: SIMD8<Float>
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x - v }
    }
    /// `x · v`.
    struct MulScalar: LaneFunction {
        let v: SIMD8<Float>
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x * v }
    }
    /// `x / v`.
    struct DivScalar: LaneFunction {
        let v: SIMD8<Float>
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x / v }
    }
    /// `(x − shift) − logSum`: a log-softmax row from its shift and log-sum.
    struct LogSoftmax: LaneFunction {
        let shift: SIMD8<Float>, logSum: SIMD8<Float>
        @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { (x - shift) - logSum }
    }
    struct Add: LaneFunction2 { @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b } }
    struct Sub: LaneFunction2 { @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b } }
    struct Mul: LaneFunction2 { @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b } }
    struct Div: LaneFunction2 { @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a / b } }
    /// `a · (b · t)` (RMSNorm forward: weight times the scaled row).
    struct TimesScaled: LaneFunction2 {
        let t: SIMD8<Float>
        @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * (b * t) }
    }
    /// `t · (a · b)`.
    struct ScaledProduct: LaneFunction2 {
        let t: SIMD8<Float>
        @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { t * (a * b) }
    }
    /// `a − b · c`.
    struct MinusScaled: LaneFunction2 {
        let c: SIMD8<Float>
        @_transparent func callAsFunction(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b * c }
    }
    /// `p · (g − dot)` for a softmax row's gradient `g` and probabilities `p`.
    struct SoftmaxGradient: LaneFunction2 {
        let dot: SIMD8<Float>
        @_transparent func callAsFunction(_ g: SIMD8<Float>, _ p: SIMD8<Float>) -> SIMD8<Float> { p * (g - dot) }
    }
}
