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
    /// any other operation.
    static func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) -> Bool {
        switch op {
        case .exp: VectorMath.map(x, out, n) { VectorMath.exp($0) }
        case .sigmoid: VectorMath.map(x, out, n) { 1 / (1 + VectorMath.exp(-$0)) }
        case .silu: VectorMath.map(x, out, n) { silu($0) }
        case .geluTanh: VectorMath.map(x, out, n) { geluTanh($0) }
        case .neg: VectorMath.map(x, out, n) { -$0 }
        case .square: VectorMath.map(x, out, n) { $0 * $0 }
        case .addScalar(let s):
            let v = Float(s)
            VectorMath.map(x, out, n) { $0 + v }
        case .mulScalar(let s):
            let v = Float(s)
            VectorMath.map(x, out, n) { $0 * v }
        case .divScalar(let s):
            let v = Float(s)
            VectorMath.map(x, out, n) { $0 / v }
        default: return false
        }
        return true
    }

    /// `out = g ⊙ f′(x)` for f = silu or geluTanh.
    static func derivativeTimes(_ op: UnaryOp, x: UnsafePointer<Float>, g: UnsafePointer<Float>,
                                out: UnsafeMutablePointer<Float>, count n: Int) {
        if op == .silu {
            VectorMath.map(x, g, out, n) { x, g in g * siluDerivative(x) }
        } else {
            VectorMath.map(x, g, out, n) { x, g in g * geluTanhDerivative(x) }
        }
    }

    /// SwiGLU forward, `out = silu(gate) ⊙ up`.
    static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count n: Int) {
        // Written out: through `VectorMath.map` the closure stayed out of line.
        var i = 0
        while i + 8 <= n {
            let x = VectorMath.load(gate, i)
            VectorMath.store(x / (1 + VectorMath.exp(-x)) * VectorMath.load(up, i), out, i)
            i += 8
        }
        if i < n {
            let x = VectorMath.loadPartial(gate + i, n - i)
            VectorMath.storePartial(x / (1 + VectorMath.exp(-x)) * VectorMath.loadPartial(up + i, n - i), out + i, n - i)
        }
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
