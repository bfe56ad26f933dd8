/// Differentiable elementwise arithmetic, unary functions and reductions.
extension Tensor {
    /// Sums `self` (a gradient of a broadcast result) down to `target`, the shape of the
    /// operand that was broadcast: leading dimensions are summed away and dimensions where
    /// the target has size 1 are summed with keepDim.
    func summed(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let out = Tensor.zeros(target, dtype: dtype)
        // Accumulate through a stride-0 view of `out`: repeated elements add into one slot.
        let view = try out.expanded(to: shape)
        switch dtype {
        case .float32: binaryKernel(.add, out: view, a: view, sa: view.strides, b: self, sb: strides, Float.self)
        case .float64: binaryKernel(.add, out: view, a: view, sa: view.strides, b: self, sb: strides, Double.self)
        }
        return out
    }
}

extension F {
    /// `a + b` with broadcasting.
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        let needA = a.requiresGrad, needB = b.requiresGrad
        return try a.binary(.add, b).recording("add", inputs: [a, b]) { g in
            [needA ? try g.summed(toShape: sa) : nil, needB ? try g.summed(toShape: sb) : nil]
        }
    }

    /// `a - b` with broadcasting.
    public static func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        let needA = a.requiresGrad, needB = b.requiresGrad
        return try a.binary(.sub, b).recording("sub", inputs: [a, b]) { g in
            [needA ? try g.summed(toShape: sa) : nil, needB ? try g.unary(.neg).summed(toShape: sb) : nil]
        }
    }

    /// `a * b` elementwise with broadcasting.
    public static func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let needA = a.requiresGrad, needB = b.requiresGrad
        let ad = a.detached(), bd = b.detached()
        return try a.binary(.mul, b).recording("mul", inputs: [a, b], saving: [a, b]) { g in
            [needA ? try g.binary(.mul, bd).summed(toShape: ad.shape) : nil,
             needB ? try g.binary(.mul, ad).summed(toShape: bd.shape) : nil]
        }
    }

    /// `a / b` elementwise with broadcasting.
    public static func div(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let needA = a.requiresGrad, needB = b.requiresGrad
        let ad = a.detached(), bd = b.detached()
        let out = try a.binary(.div, b)
        let od = out.detached()
        return out.recording("div", inputs: [a, b], saving: [a, b]) { g in
            let ga = try g.binary(.div, bd)
            return [needA ? try ga.summed(toShape: ad.shape) : nil,
                    needB ? try ga.binary(.mul, od).unary(.neg).summed(toShape: bd.shape) : nil]
        }
    }

    /// `x * s` for a scalar `s`.
    public static func scale(_ x: Tensor, _ s: Double) -> Tensor {
        x.unary(.mulScalar(s)).recording("scale", inputs: [x]) { g in [g.unary(.mulScalar(s))] }
    }

    /// `x + s` for a scalar `s`.
    public static func addScalar(_ x: Tensor, _ s: Double) -> Tensor {
        x.unary(.addScalar(s)).recording("addScalar", inputs: [x]) { g in [g] }
    }

    /// `-x`.
    public static func neg(_ x: Tensor) -> Tensor { scale(x, -1) }

    /// A differentiable unary function: `exp`, `log`, `sqrt`, `tanh`, `sigmoid`, `relu`,
    /// `silu`, `square`, `geluTanh` (GPT-2's gelu_new), `geluErf`, `abs`, `reciprocal`,
    /// `rsqrt`, `neg`, `addScalar`, `mulScalar`, `divScalar`, `powScalar`.
    public static func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor {
        let xd = x.detached()
        let out = x.unary(op)
        let od = out.detached()
        let name = "\(op)"
        return out.recording(name, inputs: [x], saving: [x]) { g in
            [try unaryGradient(op, x: xd, out: od, g: g)]
        }
    }

    /// dL/dx of a unary op from dL/dout.
    static func unaryGradient(_ op: UnaryOp, x: Tensor, out: Tensor, g: Tensor) throws -> Tensor {
        switch op {
        case .neg: return g.unary(.neg)
        case .exp: return try g.binary(.mul, out)
        case .log: return try g.binary(.div, x)
        case .sqrt: return try g.binary(.div, out.unary(.mulScalar(2)))
        case .rsqrt: return try g.binary(.mul, out.unary(.powScalar(3)).unary(.mulScalar(-0.5)))
        case .tanh: return try g.binary(.mul, out.unary(.square).unary(.neg).unary(.addScalar(1)))
        case .sigmoid: return try g.binary(.mul, out.binary(.mul, out.unary(.neg).unary(.addScalar(1))))
        case .relu: return try g.binary(.mul, x.unary(.sign).unary(.relu))
        case .square: return try g.binary(.mul, x.unary(.mulScalar(2)))
        case .abs: return try g.binary(.mul, x.unary(.sign))
        case .reciprocal: return try g.binary(.mul, out.unary(.square).unary(.neg))
        case .addScalar: return g
        case .mulScalar(let s): return g.unary(.mulScalar(s))
        case .divScalar(let s): return g.unary(.divScalar(s))
        case .powScalar(let p): return try g.binary(.mul, x.unary(.powScalar(p - 1)).unary(.mulScalar(p)))
        case .sign: return Tensor.zeros(x.shape, dtype: x.dtype)
        case .clamp(let lo, let hi):
            let inside = x.map2 { v in v >= lo && v <= hi ? 1 : 0 }
            return try g.binary(.mul, inside)
        case .silu, .geluTanh, .geluErf:
            return activationBackward(op, x: x, g: g)
        }
    }

    /// Sum of all elements, as a one-element tensor of shape [].
    public static func sum(_ x: Tensor) -> Tensor {
        let shape = x.shape, dtype = x.dtype
        return Tensor.scalar(x.sum(), dtype: dtype).recording("sum", inputs: [x]) { g in
            [try g.expanded(to: shape).contiguous()]
        }
    }

    /// Mean of all elements, as a one-element tensor of shape [].
    public static func mean(_ x: Tensor) -> Tensor {
        let n = Double(Swift.max(x.count, 1))
        return scale(sum(x), 1 / n)
    }

    /// Sum along `dim` (differentiable).
    public static func sum(_ x: Tensor, dim: Int, keepDim: Bool = false) throws -> Tensor {
        let d = try x.normalizedDim(dim, op: "sum")
        let shape = x.shape
        return try x.sum(dim: d, keepDim: keepDim).recording("sum(dim)", inputs: [x]) { g in
            let gk = keepDim ? g : try g.unsqueezed(d)
            return [try gk.expanded(to: shape).contiguous()]
        }
    }

    /// Mean along `dim` (differentiable).
    public static func mean(_ x: Tensor, dim: Int, keepDim: Bool = false) throws -> Tensor {
        let d = try x.normalizedDim(dim, op: "mean")
        return scale(try sum(x, dim: d, keepDim: keepDim), 1 / Double(Swift.max(x.shape[d], 1)))
    }

    /// Euclidean (Frobenius) norm of all elements, as a one-element tensor.
    public static func norm(_ x: Tensor) -> Tensor {
        let xd = x.detached()
        let n = x.norm()
        return Tensor.scalar(n, dtype: x.dtype).recording("norm", inputs: [x], saving: [x]) { g in
            let gv = try g.item()
            return [n == 0 ? Tensor.zeros(xd.shape, dtype: xd.dtype) : xd.unary(.mulScalar(gv / n))]
        }
    }

    /// Sum of squares of all elements, as a one-element tensor.
    public static func sumOfSquares(_ x: Tensor) -> Tensor {
        let xd = x.detached()
        var acc = 0.0
        for v in x.doubles() { acc += v * v }
        return Tensor.scalar(acc, dtype: x.dtype).recording("sumOfSquares", inputs: [x], saving: [x]) { g in
            [xd.unary(.mulScalar(2 * (try g.item())))]
        }
    }
}

extension Tensor {
    /// Elementwise map through a Double function (slow path for rarely used gradients).
    func map2(_ f: (Double) -> Double) -> Tensor {
        let v = doubles().map(f)
        // Shapes and counts agree by construction.
        return (try? Tensor(shape: shape, values: v, dtype: dtype)) ?? Tensor.zeros(shape, dtype: dtype)
    }
}
