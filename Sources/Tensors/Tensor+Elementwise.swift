/// A binary elementwise operation.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add, sub, mul, div, pow, maximum, minimum
}

/// A unary elementwise operation (some carry a scalar).
public enum UnaryOp: Sendable, Equatable {
    case neg, exp, log, sqrt, rsqrt, abs, tanh, sigmoid, relu, silu, square, reciprocal, sign
    /// GELU with the tanh approximation (GPT-2's `gelu_new`).
    case geluTanh
    /// GELU with the exact error function.
    case geluErf
    case addScalar(Double), mulScalar(Double), divScalar(Double), powScalar(Double)
    case clamp(min: Double, max: Double)
}

@inline(__always)
func applyUnary<T: TensorScalar>(_ op: UnaryOp, _ x: T) -> T {
    switch op {
    case .neg: return -x
    case .exp: return T.expf(x)
    case .log: return T.logf(x)
    case .sqrt: return x.squareRoot()
    case .rsqrt: return 1 / x.squareRoot()
    case .abs: return Swift.abs(x)
    case .tanh: return T.tanhf(x)
    case .sigmoid: return 1 / (1 + T.expf(-x))
    case .relu: return x > 0 ? x : 0
    case .silu: return x / (1 + T.expf(-x))
    case .square: return x * x
    case .reciprocal: return 1 / x
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .geluTanh:
        let c = T(0.7978845608028654) // sqrt(2/pi)
        return T(0.5) * x * (1 + T.tanhf(c * (x + T(0.044715) * x * x * x)))
    case .geluErf:
        return T(0.5) * x * (1 + T.erff(x * T(0.7071067811865476)))
    case .addScalar(let s): return x + T(s)
    case .mulScalar(let s): return x * T(s)
    case .divScalar(let s): return x / T(s)
    case .powScalar(let s): return T.powf(x, T(s))
    case .clamp(let lo, let hi): return Swift.min(Swift.max(x, T(lo)), T(hi))
    }
}

@inline(__always)
func binaryLoop<T: TensorScalar>(_ f: (T, T) -> T, _ o: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                                  _ b: UnsafePointer<T>, _ n: Int, _ so: Int, _ sa: Int, _ sb: Int) {
    if so == 1 && sa == 1 && sb == 1 {
        for i in 0..<n { o[i] = f(a[i], b[i]) }
    } else if so == 1 && sa == 1 && sb == 0 {
        let bv = b[0]
        for i in 0..<n { o[i] = f(a[i], bv) }
    } else if so == 1 && sa == 0 && sb == 1 {
        let av = a[0]
        for i in 0..<n { o[i] = f(av, b[i]) }
    } else {
        for i in 0..<n { o[i * so] = f(a[i * sa], b[i * sb]) }
    }
}

func binaryKernel<T: TensorScalar>(_ op: BinaryOp, out: Tensor, a: Tensor, sa: [Int], b: Tensor, sb: [Int], _: T.Type) {
    let loop = StridedLoop(shape: out.shape, strides: [out.strides, sa, sb])
    let po = out.storage.pointer(as: T.self), pa = a.storage.pointer(as: T.self), pb = b.storage.pointer(as: T.self)
    loop.forEachRow(base: (out.offset, a.offset, b.offset)) { o0, o1, o2, n, s0, s1, s2 in
        let o = po + o0, x = pa + o1, y = pb + o2
        if T.self == Float.self && s0 == 1 && s1 == 1 && (s2 == 1 || s2 == 0),
           vectorBinaryRow(op, o, x, y, n, broadcastB: s2 == 0) { return }
        switch op {
        case .add: binaryLoop({ $0 + $1 }, o, x, y, n, s0, s1, s2)
        case .sub: binaryLoop({ $0 - $1 }, o, x, y, n, s0, s1, s2)
        case .mul: binaryLoop({ $0 * $1 }, o, x, y, n, s0, s1, s2)
        case .div: binaryLoop({ $0 / $1 }, o, x, y, n, s0, s1, s2)
        case .pow: binaryLoop({ T.powf($0, $1) }, o, x, y, n, s0, s1, s2)
        case .maximum: binaryLoop({ Swift.max($0, $1) }, o, x, y, n, s0, s1, s2)
        case .minimum: binaryLoop({ Swift.min($0, $1) }, o, x, y, n, s0, s1, s2)
        }
    }
}

/// Float32 rows of `add`, `sub`, `mul`, `div` with unit steps (or a broadcast scalar `b`),
/// eight lanes at a time; returns false for other operations. `o` may equal `a` or `b`.
@inline(__always)
private func vectorBinaryRow<T: TensorScalar>(_ op: BinaryOp, _ o: UnsafeMutablePointer<T>, _ a: UnsafeMutablePointer<T>,
                                              _ b: UnsafeMutablePointer<T>, _ n: Int, broadcastB: Bool) -> Bool {
    let po = UnsafeMutableRawPointer(o).assumingMemoryBound(to: Float.self)
    let pa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
    let pb = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
    if broadcastB {
        let v = SIMD8<Float>(repeating: pb[0])
        switch op {
        case .add: VectorMath.apply(Lane.AddScalar(v: v), pa, po, n)
        case .sub: VectorMath.apply(Lane.SubScalar(v: v), pa, po, n)
        case .mul: VectorMath.apply(Lane.MulScalar(v: v), pa, po, n)
        case .div: VectorMath.apply(Lane.DivScalar(v: v), pa, po, n)
        default: return false
        }
        return true
    }
    switch op {
    case .add: VectorMath.apply(Lane.Add(), pa, pb, po, n)
    case .sub: VectorMath.apply(Lane.Sub(), pa, pb, po, n)
    case .mul: VectorMath.apply(Lane.Mul(), pa, pb, po, n)
    case .div: VectorMath.apply(Lane.Div(), pa, pb, po, n)
    default: return false
    }
    return true
}

func unaryKernel<T: TensorScalar>(_ op: UnaryOp, out: Tensor, a: Tensor, _: T.Type) {
    let loop = StridedLoop(shape: out.shape, strides: [out.strides, a.strides])
    let po = out.storage.pointer(as: T.self), pa = a.storage.pointer(as: T.self)
    loop.forEachRow(base: (out.offset, a.offset, 0)) { o0, o1, _, n, s0, s1, _ in
        let o = po + o0, x = pa + o1
        if T.self == Float.self && s0 == 1 && s1 == 1,
           VectorActivations.unary(op, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                                   UnsafeMutableRawPointer(o).assumingMemoryBound(to: Float.self), count: n) {
            return
        }
        if s0 == 1 && s1 == 1 {
            for i in 0..<n { o[i] = applyUnary(op, x[i]) }
        } else {
            for i in 0..<n { o[i * s0] = applyUnary(op, x[i * s1]) }
        }
    }
}

extension Tensor {
    /// Copies (and converts) the elements of `source`, which has the same shape, into self's
    /// storage without bumping the version. Internal: `copy(from:)` is the public in-place form.
    func copyElements(from source: Tensor) {
        let loop = StridedLoop(shape: shape, strides: [strides, source.strides])
        switch (dtype, source.dtype) {
        case (.float32, .float32): Tensor.copyRows(loop, self, source, Float.self, Float.self)
        case (.float64, .float64): Tensor.copyRows(loop, self, source, Double.self, Double.self)
        case (.float32, .float64): Tensor.copyRows(loop, self, source, Float.self, Double.self)
        case (.float64, .float32): Tensor.copyRows(loop, self, source, Double.self, Float.self)
        }
    }

    private static func copyRows<D: TensorScalar, S: TensorScalar>(_ loop: StridedLoop, _ dst: Tensor, _ src: Tensor,
                                                                   _: D.Type, _: S.Type) {
        let pd = dst.storage.pointer(as: D.self), ps = src.storage.pointer(as: S.self)
        loop.forEachRow(base: (dst.offset, src.offset, 0)) { o0, o1, _, n, s0, s1, _ in
            let d = pd + o0, s = ps + o1
            if D.self == S.self && s0 == 1 && s1 == 1 {
                UnsafeMutableRawPointer(d).copyMemory(from: UnsafeRawPointer(s), byteCount: n * MemoryLayout<D>.stride)
            } else if D.self == S.self {
                let s = UnsafeRawPointer(s).assumingMemoryBound(to: D.self)
                for i in 0..<n { d[i * s0] = s[i * s1] }
            } else {
                for i in 0..<n { d[i * s0] = D(s[i * s1].asDouble) }
            }
        }
    }

    /// Copies `source` (broadcast to self's shape, converted to self's dtype) into self, in place.
    @discardableResult
    public func copy(from source: Tensor) throws -> Tensor {
        let st = try source.broadcastStrides(to: shape, op: "copy")
        copyElements(from: Tensor(unchecked: source.storage, shape: shape, strides: st, offset: source.offset))
        storage.bumpVersion()
        return self
    }

    /// Sets every element to `value`, in place.
    @discardableResult
    public func fill(_ value: Double) -> Tensor {
        let src = Tensor.full([], value, dtype: dtype)
        copyElements(from: Tensor(unchecked: src.storage, shape: shape, strides: [Int](repeating: 0, count: rank), offset: 0))
        storage.bumpVersion()
        return self
    }

    /// Sets every element to zero, in place.
    @discardableResult
    public func zero() -> Tensor { fill(0) }

    /// `op(self, other)` elementwise with NumPy broadcasting, in a new tensor.
    public func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        guard dtype == other.dtype else { throw TensorError.dtypeMismatch(op: op.rawValue, expected: dtype, got: other.dtype) }
        guard let target = broadcastShapes(shape, other.shape) else {
            throw TensorError.shapeMismatch(op: op.rawValue, detail: "\(shapeString(shape)) and \(shapeString(other.shape)) do not broadcast")
        }
        let sa = try broadcastStrides(to: target, op: op.rawValue)
        let sb = try other.broadcastStrides(to: target, op: op.rawValue)
        let out = Tensor.uninitialized(target, dtype: dtype)
        switch dtype {
        case .float32: binaryKernel(op, out: out, a: self, sa: sa, b: other, sb: sb, Float.self)
        case .float64: binaryKernel(op, out: out, a: self, sa: sa, b: other, sb: sb, Double.self)
        }
        return out
    }

    /// `self = op(self, other)` in place; `other` must broadcast to self's shape.
    @discardableResult
    public func binaryInPlace(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        guard dtype == other.dtype else { throw TensorError.dtypeMismatch(op: op.rawValue + "_", expected: dtype, got: other.dtype) }
        let sb = try other.broadcastStrides(to: shape, op: op.rawValue + "_")
        switch dtype {
        case .float32: binaryKernel(op, out: self, a: self, sa: strides, b: other, sb: sb, Float.self)
        case .float64: binaryKernel(op, out: self, a: self, sa: strides, b: other, sb: sb, Double.self)
        }
        storage.bumpVersion()
        return self
    }

    /// `op(self)` elementwise, in a new tensor.
    public func unary(_ op: UnaryOp) -> Tensor {
        let out = Tensor.uninitialized(shape, dtype: dtype)
        switch dtype {
        case .float32: unaryKernel(op, out: out, a: self, Float.self)
        case .float64: unaryKernel(op, out: out, a: self, Double.self)
        }
        return out
    }

    /// `self = op(self)` in place.
    @discardableResult
    public func unaryInPlace(_ op: UnaryOp) -> Tensor {
        switch dtype {
        case .float32: unaryKernel(op, out: self, a: self, Float.self)
        case .float64: unaryKernel(op, out: self, a: self, Double.self)
        }
        storage.bumpVersion()
        return self
    }

    // Convenience names.

    /// Elementwise sum (broadcasting).
    public func add(_ o: Tensor) throws -> Tensor { try binary(.add, o) }
    /// Elementwise difference (broadcasting).
    public func sub(_ o: Tensor) throws -> Tensor { try binary(.sub, o) }
    /// Elementwise product (broadcasting).
    public func mul(_ o: Tensor) throws -> Tensor { try binary(.mul, o) }
    /// Elementwise quotient (broadcasting).
    public func div(_ o: Tensor) throws -> Tensor { try binary(.div, o) }
    /// `self + s`.
    public func add(_ s: Double) -> Tensor { unary(.addScalar(s)) }
    /// `self * s`.
    public func mul(_ s: Double) -> Tensor { unary(.mulScalar(s)) }
    /// In-place `self += o` (broadcasting `o`).
    @discardableResult public func addInPlace(_ o: Tensor) throws -> Tensor { try binaryInPlace(.add, o) }
    /// In-place `self -= o` (broadcasting `o`).
    @discardableResult public func subInPlace(_ o: Tensor) throws -> Tensor { try binaryInPlace(.sub, o) }
    /// In-place `self *= o` (broadcasting `o`).
    @discardableResult public func mulInPlace(_ o: Tensor) throws -> Tensor { try binaryInPlace(.mul, o) }
    /// In-place `self /= o` (broadcasting `o`).
    @discardableResult public func divInPlace(_ o: Tensor) throws -> Tensor { try binaryInPlace(.div, o) }
    /// In-place `self *= s`.
    @discardableResult public func mulInPlace(_ s: Double) -> Tensor { unaryInPlace(.mulScalar(s)) }
    /// In-place `self += s`.
    @discardableResult public func addInPlace(_ s: Double) -> Tensor { unaryInPlace(.addScalar(s)) }

    /// In-place `self += alpha * o` (broadcasting `o`).
    @discardableResult
    public func addInPlace(_ o: Tensor, alpha: Double) throws -> Tensor {
        if alpha == 1 { return try addInPlace(o) }
        return try addInPlace(o.mul(alpha))
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool {
        var ok = true
        let loop = StridedLoop(shape: shape, strides: [strides])
        switch dtype {
        case .float32:
            let p = storage.pointer(as: Float.self)
            loop.forEachRow(base: (offset, 0, 0)) { o, _, _, n, s, _, _ in
                for i in 0..<n where !p[o + i * s].isFinite { ok = false; return }
            }
        case .float64:
            let p = storage.pointer(as: Double.self)
            loop.forEachRow(base: (offset, 0, 0)) { o, _, _, n, s, _, _ in
                for i in 0..<n where !p[o + i * s].isFinite { ok = false; return }
            }
        }
        return ok
    }

    /// Whether the shapes are equal and every pair of elements differs by at most
    /// `atol + rtol * |other|`.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        let a = doubles(), b = other.doubles()
        for i in 0..<a.count where !(Swift.abs(a[i] - b[i]) <= atol + rtol * Swift.abs(b[i])) { return false }
        return true
    }

    /// Largest absolute elementwise difference (shapes must match).
    public func maxAbsDifference(_ other: Tensor) throws -> Double {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(op: "maxAbsDifference", detail: "\(shapeString(shape)) vs \(shapeString(other.shape))")
        }
        let a = doubles(), b = other.doubles()
        var m = 0.0
        for i in 0..<a.count {
            let d = Swift.abs(a[i] - b[i])
            if d.isNaN { return .nan }
            m = Swift.max(m, d)
        }
        return m
    }
}

// Operators (throwing where shapes can disagree).
extension Tensor {
    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
    /// Adds a scalar.
    public static func + (a: Tensor, s: Double) -> Tensor { a.unary(.addScalar(s)) }
    /// Subtracts a scalar.
    public static func - (a: Tensor, s: Double) -> Tensor { a.unary(.addScalar(-s)) }
    /// Multiplies by a scalar.
    public static func * (a: Tensor, s: Double) -> Tensor { a.unary(.mulScalar(s)) }
    /// Multiplies by a scalar.
    public static func * (s: Double, a: Tensor) -> Tensor { a.unary(.mulScalar(s)) }
    /// Divides by a scalar.
    public static func / (a: Tensor, s: Double) -> Tensor { a.unary(.divScalar(s)) }
    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a.unary(.neg) }
}
