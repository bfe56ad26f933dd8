/// Fused activation kernels: SiLU, the two GELU forms and SwiGLU, with backward passes that
/// run as single loops over contiguous memory.
@inline(__always)
func activationDerivative<T: TensorScalar>(_ op: UnaryOp, _ x: T) -> T {
    switch op {
    case .silu:
        let s = 1 / (1 + T.expf(-x))
        return s * (1 + x * (1 - s))
    case .geluTanh:
        let c = T(0.7978845608028654), k = T(0.044715)
        let t = T.tanhf(c * (x + k * x * x * x))
        return T(0.5) * (1 + t) + T(0.5) * x * (1 - t * t) * c * (1 + 3 * k * x * x)
    case .geluErf:
        return T(0.5) * (1 + T.erff(x * T(0.7071067811865476))) + x * T(0.3989422804014327) * T.expf(T(-0.5) * x * x)
    default:
        return 0
    }
}

private func activationBackwardKernel<T: TensorScalar>(_ op: UnaryOp, _ x: Tensor, _ g: Tensor, _: T.Type) -> Tensor {
    let xc = x.contiguous(), gc = g.contiguous()
    let out = Tensor.uninitialized(x.shape, dtype: x.dtype)
    let px = xc.pointer(as: T.self), pg = gc.pointer(as: T.self), po = out.pointer(as: T.self)
    if T.self == Float.self, op == .silu || op == .geluTanh {
        VectorActivations.derivativeTimes(op, x: xc.pointer(as: Float.self), g: gc.pointer(as: Float.self),
                                          out: out.pointer(as: Float.self), count: x.count)
        return out
    }
    switch op {
    case .silu: for i in 0..<x.count { po[i] = pg[i] * activationDerivative(.silu, px[i]) }
    case .geluTanh: for i in 0..<x.count { po[i] = pg[i] * activationDerivative(.geluTanh, px[i]) }
    default: for i in 0..<x.count { po[i] = pg[i] * activationDerivative(.geluErf, px[i]) }
    }
    return out
}

/// `g * f'(x)` for f in {silu, geluTanh, geluErf}.
func activationBackward(_ op: UnaryOp, x: Tensor, g: Tensor) -> Tensor {
    switch x.dtype {
    case .float32: return activationBackwardKernel(op, x, g, Float.self)
    case .float64: return activationBackwardKernel(op, x, g, Double.self)
    }
}

private func swigluKernel<T: TensorScalar>(_ gate: Tensor, _ up: Tensor, _: T.Type) -> Tensor {
    let gc = gate.contiguous(), uc = up.contiguous()
    let out = Tensor.uninitialized(gate.shape, dtype: gate.dtype)
    if T.self == Float.self {
        VectorActivations.swiglu(gate: gc.pointer(as: Float.self), up: uc.pointer(as: Float.self),
                                 out: out.pointer(as: Float.self), count: gate.count)
        return out
    }
    let pg = gc.pointer(as: T.self), pu = uc.pointer(as: T.self), po = out.pointer(as: T.self)
    for i in 0..<gate.count {
        let x = pg[i]
        po[i] = x / (1 + T.expf(-x)) * pu[i]
    }
    return out
}

private func swigluBackwardKernel<T: TensorScalar>(_ gate: Tensor, _ up: Tensor, _ g: Tensor, needGate: Bool, needUp: Bool,
                                                   _: T.Type) -> (Tensor?, Tensor?) {
    let gc = gate.contiguous(), uc = up.contiguous(), dc = g.contiguous()
    let n = gate.count
    let dGate = needGate ? Tensor.uninitialized(gate.shape, dtype: gate.dtype) : nil
    let dUp = needUp ? Tensor.uninitialized(up.shape, dtype: up.dtype) : nil
    if T.self == Float.self {
        VectorActivations.swigluBackward(gate: gc.pointer(as: Float.self), up: uc.pointer(as: Float.self),
                                         grad: dc.pointer(as: Float.self), dGate: dGate?.pointer(as: Float.self),
                                         dUp: dUp?.pointer(as: Float.self), count: n)
        return (dGate, dUp)
    }
    let pg = gc.pointer(as: T.self), pu = uc.pointer(as: T.self), pd = dc.pointer(as: T.self)
    if let dGate {
        let o = dGate.pointer(as: T.self)
        for i in 0..<n { o[i] = pd[i] * pu[i] * activationDerivative(.silu, pg[i]) }
    }
    if let dUp {
        let o = dUp.pointer(as: T.self)
        for i in 0..<n {
            let x = pg[i]
            o[i] = pd[i] * x / (1 + T.expf(-x))
        }
    }
    return (dGate, dUp)
}

extension F {
    /// SiLU, `x · sigmoid(x)`.
    public static func silu(_ x: Tensor) throws -> Tensor { try unary(.silu, x) }

    /// GELU: `tanh` form (GPT-2's `gelu_new`) when `approximate` is true, else the exact erf form.
    public static func gelu(_ x: Tensor, approximate: Bool = true) throws -> Tensor {
        try unary(approximate ? .geluTanh : .geluErf, x)
    }

    /// SwiGLU, `silu(gate) ⊙ up` (the Llama MLP's hidden activation), fused.
    public static func swiglu(gate: Tensor, up: Tensor) throws -> Tensor {
        guard gate.shape == up.shape else {
            throw TensorError.shapeMismatch(op: "swiglu", detail: "gate \(shapeString(gate.shape)) vs up \(shapeString(up.shape))")
        }
        guard gate.dtype == up.dtype else { throw TensorError.dtypeMismatch(op: "swiglu", expected: gate.dtype, got: up.dtype) }
        let out: Tensor
        switch gate.dtype {
        case .float32: out = swigluKernel(gate, up, Float.self)
        case .float64: out = swigluKernel(gate, up, Double.self)
        }
        let gd = gate.detached(), ud = up.detached()
        let needGate = gate.requiresGrad, needUp = up.requiresGrad
        return out.recording("swiglu", inputs: [gate, up], saving: [gate, up]) { g in
            let r: (Tensor?, Tensor?)
            switch gd.dtype {
            case .float32: r = swigluBackwardKernel(gd, ud, g, needGate: needGate, needUp: needUp, Float.self)
            case .float64: r = swigluBackwardKernel(gd, ud, g, needGate: needGate, needUp: needUp, Double.self)
            }
            return [r.0, r.1]
        }
    }
}
