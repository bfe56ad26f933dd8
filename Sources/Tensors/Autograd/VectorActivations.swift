/// Float32 activation kernels on contiguous memory, eight lanes at a time with
/// `VectorMath.exp` (single-threaded): SiLU, gelu_new (through `0.5·(1 + tanh u) = σ(2u)`)
/// and the fused SwiGLU, forward and backward.
enum VectorActivations {
    /// √(2/π) and the cubic coefficient of gelu_new.
    static let geluC: Float = 0.797_884_560_802_865_4, geluK: Float = 0.044_715

    /// `x · σ(x)`.
    @inline(__always)
    static func silu(_ x: SIMD8<Float>) -> SIMD8<Float> { x / (1 + VectorMath.exp(-x)) }

    /// gelu_new, `0.5·x·(1 + tanh(c·(x + k·x³)))`, computed as `x · σ(2c·(x + k·x³))`.
    @inline(__always)
    static func geluTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let u = geluC * (x + geluK * x * x * x)
        return x / (1 + VectorMath.exp(-2 * u))
    }

    /// d silu / dx = σ(x)·(1 + x·(1 − σ(x))).
    @inline(__always)
    static func siluDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let s = 1 / (1 + VectorMath.exp(-x))
        return s * (1 + x * (1 - s))
    }

    /// d gelu_new / dx = σ + 2·x·σ·(1 − σ)·c·(1 + 3k·x²), with σ = σ(2u) = (1 + tanh u)/2.
    @inline(__always)
    static func geluTanhDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let u = geluC * (x + geluK * x * x * x)
        let s = 1 / (1 + VectorMath.exp(-2 * u))
        return s + 2 * x * s * (1 - s) * geluC * (1 + 3 * geluK * x * x)
    }

    /// `out = f(x)` for the vectorised unary operations; returns false (nothing written) for
    /// any other operation (each a `LaneFunction`: see there).
    static func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) -> Bool {
        switch op {
        case .exp: VectorMath.apply(Lane.Exp(), x, out, n)
        case .sigmoid: VectorMath.apply(Lanes.Sigmoid(), x, out, n)
        case .silu: VectorMath.apply(Lanes.SiLU(), x, out, n)
        case .geluTanh: VectorMath.apply(Lanes.GeluTanh(), x, out, n)
        case .neg: VectorMath.apply(Lane.Negate(), x, out, n)
        case .square: VectorMath.apply(Lane.Square(), x, out, n)
        case .addScalar(let s): VectorMath.apply(Lane.AddScalar(v: SIMD8(repeating: Float(s))), x, out, n)
        case .mulScalar(let s): VectorMath.apply(Lane.MulScalar(v: SIMD8(repeating: Float(s))), x, out, n)
        case .divScalar(let s): VectorMath.apply(Lane.DivScalar(v: SIMD8(repeating: Float(s))), x, out, n)
        default: return false
        }
        return true
    }

    /// `out = g ⊙ f′(x)` for f = silu or geluTanh.
    static func derivativeTimes(_ op: UnaryOp, x: UnsafePointer<Float>, g: UnsafePointer<Float>,
                                out: UnsafeMutablePointer<Float>, count n: Int) {
        if op == .silu {
            VectorMath.apply(Lanes.SiLUDerivativeTimes(), x, g, out, n)
        } else {
            VectorMath.apply(Lanes.GeluTanhDerivativeTimes(), x, g, out, n)
        }
    }

    /// The activation element functions of `unary`, `derivativeTimes` and `swiglu`.
    enum Lanes {
        struct Sigmoid: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { VectorMath.sigmoid(x) } }
        struct SiLU: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { silu(x) } }
        struct GeluTanh: LaneFunction { @_transparent func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { geluTanh(x) } }
        struct SiLUDerivativeTimes: LaneFunction2 {
            @_transparent func callAsFunction(_ x: SIMD8<Float>, _ g: SIMD8<Float>) -> SIMD8<Float> { g * siluDerivative(x) }
        }
        struct GeluTanhDerivativeTimes: LaneFunction2 {
            @_transparent func callAsFunction(_ x: SIMD8<Float>, _ g: SIMD8<Float>) -> SIMD8<Float> { g * geluTanhDerivative(x) }
        }
        /// `silu(x) · u`.
        struct SwiGLU: LaneFunction2 {
            @_transparent func callAsFunction(_ x: SIMD8<Float>, _ u: SIMD8<Float>) -> SIMD8<Float> { x / (1 + VectorMath.exp(-x)) * u }
        }
    }

    /// SwiGLU forward, `out = silu(gate) ⊙ up`.
    static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count n: Int) {
        VectorMath.apply(Lanes.SwiGLU(), gate, up, out, n)
    }

    /// SwiGLU backward from the output gradient `grad`: `dGate = grad ⊙ up ⊙ silu′(gate)`,
    /// `dUp = grad ⊙ silu(gate)`, one exponential per element for both.
    static func swigluBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, grad: UnsafePointer<Float>,
                               dGate: UnsafeMutablePointer<Float>?, dUp: UnsafeMutablePointer<Float>?, count n: Int) {
        var i = 0
        @inline(__always) func step(_ x: SIMD8<Float>, _ u: SIMD8<Float>, _ d: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
            let e = 1 + VectorMath.exp(-x)
            let s = 1 / e
            return (d * u * (s * (1 + x * (1 - s))), d * x / e)
        }
        while i + 8 <= n {
            let (a, b) = step(VectorMath.load(gate, i), VectorMath.load(up, i), VectorMath.load(grad, i))
            if let dGate { VectorMath.store(a, dGate, i) }
            if let dUp { VectorMath.store(b, dUp, i) }
            i += 8
        }
        if i < n {
            let r = n - i
            let (a, b) = step(VectorMath.loadPartial(gate + i, r), VectorMath.loadPartial(up + i, r), VectorMath.loadPartial(grad + i, r))
            if let dGate { VectorMath.storePartial(a, dGate + i, r) }
            if let dUp { VectorMath.storePartial(b, dUp + i, r) }
        }
    }
}
