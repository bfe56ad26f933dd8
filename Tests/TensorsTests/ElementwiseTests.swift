import Foundation
import Testing
import Tensors

/// Elementwise binary and unary ops, broadcasting, in-place forms, copy/fill, against plain
/// loops over multi-indices, on every layout and both dtypes.
@Suite struct ElementwiseTests {
    /// Pairs of operand shapes that broadcast: equal shapes, trailing vector, size-1 dims in
    /// the middle, both sides broadcasting, implicit leading 1s, scalars, explicit leading 1s,
    /// and empty dimensions.
    static let broadcastPairs: [([Int], [Int])] = [
        ([3, 4, 5], [3, 4, 5]),
        ([3, 4, 5], [5]),
        ([3, 1, 5], [4, 1]),
        ([1, 4, 1], [3, 1, 5]),
        ([2, 3, 4, 5], [3, 1, 5]),
        ([], [3, 4]),
        ([3, 4], []),
        ([], []),
        ([1, 1, 4], [3, 4]),
        ([4, 1, 1, 2], [1, 3, 1]),
        ([0, 4], [4]),
        ([3, 0, 2], [1, 2]),
        ([1], [0]),
    ]

    static func reference(_ op: BinaryOp) -> (Double, Double) -> Double {
        switch op {
        case .add: return { $0 + $1 }
        case .sub: return { $0 - $1 }
        case .mul: return { $0 * $1 }
        case .div: return { $0 / $1 }
        case .pow: return { Foundation.pow($0, $1) }
        case .maximum: return { $0 > $1 ? $0 : $1 }
        case .minimum: return { $0 < $1 ? $0 : $1 }
        }
    }

    /// Operand ranges: positive bases for pow, denominators away from zero for div,
    /// overlapping ranges elsewhere so maximum/minimum pick from both sides.
    static func ranges(_ op: BinaryOp) -> (lhs: (Double, Double), rhs: (Double, Double)) {
        switch op {
        case .pow: return ((0.25, 2), (-2, 2))
        case .div: return ((-2, 2), (0.5, 2))
        default: return ((-2, 2), (-1, 3))
        }
    }

    @Test("binary ops with broadcasting match loops over multi-indices",
          arguments: DType.allCases, Layout.allCases)
    func binaryOps(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 101)
        let layouts = Layout.allCases
        for (p, (sa, sb)) in Self.broadcastPairs.enumerated() {
            for op in BinaryOp.allCases {
                let (la, lb) = Self.ranges(op)
                // the right operand cycles through the other layouts
                let otherLayout = layouts[(layouts.firstIndex(of: layout)! + 1 + p) % layouts.count]
                let a = try randomTensor(sa, dtype, layout, &rng, low: la.0, high: la.1)
                let b = try randomTensor(sb, dtype, otherLayout, &rng, low: lb.0, high: lb.1)
                let va = a.version, vb = b.version
                let ra = try ref(a), rb = try ref(b)
                let got = try a.binary(op, b)
                let want = refBinary(ra, rb, Self.reference(op))
                let rtol = op == .pow ? 4 * eps(dtype) : 2 * eps(dtype)
                try expectClose(got, Ref(shape: want.shape, data: rounded(want.data, dtype)), rtol: rtol,
                                "\(op) \(sa)(\(layout)) with \(sb)(\(otherLayout))")
                #expect(got.dtype == dtype)
                #expect(got.isContiguous)
                #expect(!got.sharesStorage(with: a) && !got.sharesStorage(with: b))
                #expect(a.version == va && b.version == vb, "out-of-place \(op) must not bump versions")
                #expect(try ref(a).data == ra.data && ref(b).data == rb.data, "operands unchanged")
            }
        }
    }

    @Test("operators + - * / equal the named binary ops and scalar forms", arguments: DType.allCases)
    func operators(dtype: DType) throws {
        var rng = RandomGenerator(seed: 7)
        let a = try randomTensor([3, 4], dtype, .transposed, &rng)
        let b = try randomTensor([4], dtype, .selected, &rng, low: 0.5, high: 2)
        let ra = try ref(a), rb = try ref(b)
        let r = { (x: [Double]) in rounded(x, dtype) }
        let t = 2 * eps(dtype)
        try expectClose(a + b, Ref(shape: [3, 4], data: r(refBinary(ra, rb, +).data)), rtol: t, "+")
        try expectClose(a - b, Ref(shape: [3, 4], data: r(refBinary(ra, rb, -).data)), rtol: t, "-")
        try expectClose(a * b, Ref(shape: [3, 4], data: r(refBinary(ra, rb, *).data)), rtol: t, "*")
        try expectClose(a / b, Ref(shape: [3, 4], data: r(refBinary(ra, rb, /).data)), rtol: t, "/")
        try expectClose(a.add(b), Ref(shape: [3, 4], data: r(refBinary(ra, rb, +).data)), rtol: t, "add")
        try expectClose(a.sub(b), Ref(shape: [3, 4], data: r(refBinary(ra, rb, -).data)), rtol: t, "sub")
        try expectClose(a.mul(b), Ref(shape: [3, 4], data: r(refBinary(ra, rb, *).data)), rtol: t, "mul")
        try expectClose(a.div(b), Ref(shape: [3, 4], data: r(refBinary(ra, rb, /).data)), rtol: t, "div")
        // scalar operands
        let s = 0.375
        try expectClose(a + s, Ref(shape: [3, 4], data: r(ra.data.map { $0 + s })), rtol: t, "+ s")
        try expectClose(a - s, Ref(shape: [3, 4], data: r(ra.data.map { $0 - s })), rtol: t, "- s")
        try expectClose(a * s, Ref(shape: [3, 4], data: r(ra.data.map { $0 * s })), rtol: t, "* s")
        try expectClose(s * a, Ref(shape: [3, 4], data: r(ra.data.map { $0 * s })), rtol: t, "s *")
        try expectClose(a / s, Ref(shape: [3, 4], data: r(ra.data.map { $0 / s })), rtol: t, "/ s")
        try expectClose(-a, Ref(shape: [3, 4], data: ra.data.map { -$0 }), rtol: 0, "neg")
        try expectClose(a.add(s), Ref(shape: [3, 4], data: r(ra.data.map { $0 + s })), rtol: t, "add(s)")
        try expectClose(a.mul(s), Ref(shape: [3, 4], data: r(ra.data.map { $0 * s })), rtol: t, "mul(s)")
    }

    @Test("incompatible shapes throw shapeMismatch; mixed dtypes throw dtypeMismatch")
    func broadcastErrors() throws {
        let bad: [([Int], [Int])] = [([3, 4], [3]), ([2, 3], [3, 2]), ([2, 1, 3], [4, 3, 3]), ([0], [2]), ([5, 4], [2, 5, 3])]
        for (sa, sb) in bad {
            #expect(broadcastShapes(sa, sb) == nil, "\(sa) vs \(sb)")
            #expect(refBroadcast(sa, sb) == nil)
            let a = Tensor.ones(sa), b = Tensor.ones(sb)
            for op in BinaryOp.allCases {
                expectError(.shapeMismatch, "\(op) \(sa) \(sb)") { try a.binary(op, b) }
            }
            expectError(.shapeMismatch) { try a + b }
        }
        // in place: the other operand must broadcast to self's shape (self never grows)
        expectError(.shapeMismatch) { try Tensor.zeros([3, 1]).addInPlace(Tensor.ones([3, 4])) }
        expectError(.shapeMismatch) { try Tensor.zeros([4]).mulInPlace(Tensor.ones([2, 4])) }
        expectError(.shapeMismatch) { try Tensor.zeros([3, 4]).copy(from: Tensor.ones([4, 3])) }
        // dtypes
        let f = Tensor.ones([2, 2], dtype: .float32), d = Tensor.ones([2, 2], dtype: .float64)
        for op in BinaryOp.allCases { expectError(.dtypeMismatch, "\(op)") { try f.binary(op, d) } }
        expectError(.dtypeMismatch) { try d.addInPlace(f) }
    }

    @Test("broadcastShapes follows NumPy's rules")
    func broadcastShapeFunction() {
        for (sa, sb) in Self.broadcastPairs {
            #expect(broadcastShapes(sa, sb) == refBroadcast(sa, sb), "\(sa) \(sb)")
            #expect(broadcastShapes(sb, sa) == refBroadcast(sb, sa), "\(sb) \(sa)")
        }
        #expect(broadcastShapes([1, 4, 1], [3, 1, 5]) == [3, 4, 5])
        #expect(broadcastShapes([], [2, 3]) == [2, 3])
        #expect(broadcastShapes([0, 4], [1]) == [0, 4])
    }

    /// Unary ops, each with the domain it is tested on and an independent Double formula.
    static let unaryCases: [(UnaryOp, String, (Double, Double), @Sendable (Double) -> Double)] = [
        (.neg, "neg", (-3, 3), { -$0 }),
        (.exp, "exp", (-5, 5), { Foundation.exp($0) }),
        (.log, "log", (0.01, 10), { Foundation.log($0) }),
        (.sqrt, "sqrt", (0, 9), { $0.squareRoot() }),
        (.rsqrt, "rsqrt", (0.1, 9), { 1 / $0.squareRoot() }),
        (.abs, "abs", (-3, 3), { Swift.abs($0) }),
        (.tanh, "tanh", (-4, 4), { Foundation.tanh($0) }),
        (.sigmoid, "sigmoid", (-8, 8), { 1 / (1 + Foundation.exp(-$0)) }),
        (.relu, "relu", (-3, 3), { Swift.max($0, 0) }),
        (.silu, "silu", (-6, 6), { $0 / (1 + Foundation.exp(-$0)) }),
        (.square, "square", (-3, 3), { $0 * $0 }),
        (.reciprocal, "reciprocal", (0.2, 5), { 1 / $0 }),
        (.sign, "sign", (-2, 2), { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }),
        (.geluTanh, "geluTanh", (-5, 5), { x in
            0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }),
        (.geluErf, "geluErf", (-5, 5), { x in 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }),
        (.addScalar(1.5), "addScalar", (-3, 3), { $0 + 1.5 }),
        (.mulScalar(-2.5), "mulScalar", (-3, 3), { $0 * -2.5 }),
        (.divScalar(4), "divScalar", (-3, 3), { $0 / 4 }),
        (.powScalar(1.5), "powScalar", (0, 4), { Foundation.pow($0, 1.5) }),
        (.clamp(min: -0.5, max: 0.75), "clamp", (-2, 2), { Swift.min(Swift.max($0, -0.5), 0.75) }),
    ]

    @Test("unary ops match Double formulas (out of place and in place through views)",
          arguments: DType.allCases, Layout.allCases)
    func unaryOps(dtype: DType, layout: Layout) throws {
        var rng = RandomGenerator(seed: 202)
        // float32 evaluates the formulas in single precision: allow a few ulps plus an
        // absolute term for cancellation (GELU's 1 + tanh near -1).
        let rtol = dtype == .float32 ? 1e-5 : 1e-13
        let atol = dtype == .float32 ? 1e-6 : 1e-14
        for shape in [[3, 4, 5], [7], [], [2, 0, 3]] {
            for (op, name, range, f) in Self.unaryCases {
                let a = try randomTensor(shape, dtype, layout, &rng, low: range.0, high: range.1)
                let ra = try ref(a)
                let want = Ref(shape: shape, data: ra.data.map(f))
                let v = a.version
                let got = a.unary(op)
                try expectClose(got, want, rtol: rtol, atol: atol, "\(name) on \(shape) \(layout)")
                #expect(a.version == v)
                #expect(try ref(a).data == ra.data)
                guard layout != .expanded else { continue }
                a.unaryInPlace(op)
                #expect(a.version == v + 1, "unaryInPlace bumps the version once")
                try expectClose(a, want, rtol: rtol, atol: atol, "\(name)_ on \(shape) \(layout)")
            }
        }
    }

    @Test("sign of zero is zero; relu and clamp hit their edges exactly", arguments: DType.allCases)
    func unaryEdges(dtype: DType) throws {
        let x = try Tensor(shape: [5], values: [-1, 0, 2, -0.5, 0.75], dtype: dtype)
        #expect(x.unary(.sign).doubles() == [-1, 0, 1, -1, 1])
        #expect(x.unary(.relu).doubles() == [0, 0, 2, 0, 0.75])
        #expect(x.unary(.clamp(min: -0.5, max: 0.75)).doubles() == [-0.5, 0, 0.75, -0.5, 0.75])
        #expect(x.unary(.abs).doubles() == [1, 0, 2, 0.5, 0.75])
    }

    @Test("in-place binary ops write through a view into the right base elements only",
          arguments: DType.allCases, BinaryOp.allCases)
    func binaryInPlaceThroughView(dtype: DType, op: BinaryOp) throws {
        var rng = RandomGenerator(seed: 303)
        let (la, lb) = Self.ranges(op)
        let base = uniform([5, 6, 7], dtype, &rng, low: la.0, high: la.1)
        let before = try ref(base)
        // view (i, j, k) is base (i + 1, j, k + 2), with the first two dims swapped
        let view = try base.narrow(0, start: 1, length: 3).narrow(2, start: 2, length: 4).transposed(0, 1)
        #expect(view.shape == [6, 3, 4])
        let other = try randomTensor([3, 1], dtype, .steppedPermuted, &rng, low: lb.0, high: lb.1)
        let ro = try ref(other)
        let v = base.version
        try view.binaryInPlace(op, other)
        #expect(base.version == v + 1)
        let f = Self.reference(op)
        var want = before
        for i in 0..<3 {
            for j in 0..<6 {
                for k in 0..<4 {
                    let x = before[[i + 1, j, k + 2]]
                    want[[i + 1, j, k + 2]] = f(x, ro[[i, 0]])
                }
            }
        }
        let rtol = op == .pow ? 4 * eps(dtype) : 2 * eps(dtype)
        try expectClose(base, Ref(shape: want.shape, data: rounded(want.data, dtype)), rtol: rtol, "\(op)_ through view")
    }

    @Test("named in-place forms, alpha and scalar in-place ops", arguments: DType.allCases)
    func namedInPlace(dtype: DType) throws {
        var rng = RandomGenerator(seed: 404)
        let a0 = uniform([4, 3], dtype, &rng)
        let b = try randomTensor([3], dtype, .selected, &rng, low: 0.5, high: 1.5)
        let ra = try ref(a0), rb = try ref(b)
        let t = 4 * eps(dtype)
        func check(_ name: String, _ body: (Tensor) throws -> Void, _ f: (Double, Double) -> Double) throws {
            let a = a0.clone()
            let v = a.version
            try body(a)
            #expect(a.version == v + 1, "\(name) bumps the version once")
            try expectClose(a, Ref(shape: [4, 3], data: rounded(refBinary(ra, rb, f).data, dtype)), rtol: t, atol: t, name)
        }
        try check("addInPlace", { try $0.addInPlace(b) }, +)
        try check("subInPlace", { try $0.subInPlace(b) }, -)
        try check("mulInPlace", { try $0.mulInPlace(b) }, *)
        try check("divInPlace", { try $0.divInPlace(b) }, /)
        try check("addInPlace alpha", { try $0.addInPlace(b, alpha: -0.25) }, { $0 - 0.25 * $1 })
        try check("addInPlace alpha 1", { try $0.addInPlace(b, alpha: 1) }, +)
        try check("mulInPlace scalar", { $0.mulInPlace(3) }, { x, _ in x * 3 })
        try check("addInPlace scalar", { $0.addInPlace(-0.5) }, { x, _ in x - 0.5 })
    }

    @Test("copy(from:) broadcasts and converts dtype into a view; fill and zero write through",
          arguments: DType.allCases)
    func copyAndFill(dtype: DType) throws {
        var rng = RandomGenerator(seed: 505)
        let other: DType = dtype == .float32 ? .float64 : .float32
        let base = uniform([4, 5], dtype, &rng)
        let before = try ref(base)
        let view = try base.narrow(1, start: 1, length: 3).t() // [3, 4], base (j, i + 1)
        let src = try randomTensor([4], other, .selected, &rng)
        let rs = try ref(src)
        let v = base.version
        try view.copy(from: src)
        #expect(base.version == v + 1)
        var want = before
        for i in 0..<3 { for j in 0..<4 { want[[j, i + 1]] = rounded([rs[[j]]], dtype)[0] } }
        try expectClose(base, want, rtol: 0, "copy(from:) through a transposed narrow view")

        let row = try base.select(0, 2)
        row.fill(-7.25)
        #expect(base.version == v + 2)
        for j in 0..<5 { want[[2, j]] = -7.25 }
        try expectClose(base, want, rtol: 0, "fill through select")

        try base.select(1, 0).zero()
        #expect(base.version == v + 3)
        for i in 0..<4 { want[[i, 0]] = 0 }
        try expectClose(base, want, rtol: 0, "zero through a column")
        // copy from a scalar tensor broadcasts everywhere
        try base.copy(from: Tensor.scalar(2, dtype: other))
        #expect(base.doubles() == [Double](repeating: 2, count: 20))
    }

    @Test("isFinite looks only at the view's elements", arguments: DType.allCases)
    func isFiniteOnViews(dtype: DType) throws {
        let base = Tensor.ones([4, 4], dtype: dtype)
        #expect(base.isFinite)
        try base.setValue(.nan, at: [0, 3])
        try base.setValue(-.infinity, at: [3, 0])
        #expect(!base.isFinite)
        #expect(try base.narrow(0, start: 1, length: 2).isFinite)
        #expect(try base.narrow(1, start: 0, length: 3).narrow(0, start: 0, length: 3).isFinite)
        #expect(try !base.select(1, 3).isFinite)
        #expect(try !base.t().select(0, 0).isFinite)
        #expect(Tensor.zeros([0, 3], dtype: dtype).isFinite)
        #expect(!Tensor.scalar(.infinity, dtype: dtype).isFinite)
    }

    @Test("allClose and maxAbsDifference", arguments: DType.allCases)
    func closeness(dtype: DType) throws {
        let a = try Tensor(shape: [2, 2], values: [1, 2, 3, 4], dtype: dtype)
        let b = try Tensor(shape: [2, 2], values: [1, 2, 3, 4.001], dtype: dtype)
        #expect(a.allClose(a))
        #expect(!a.allClose(b))
        #expect(a.allClose(b, rtol: 1e-3))
        #expect(!a.allClose(Tensor.ones([4], dtype: dtype)))
        #expect(abs(try a.maxAbsDifference(b) - 0.001) < 1e-6)
        #expect(try a.maxAbsDifference(a.t().t()) == 0)
        expectError(.shapeMismatch) { try a.maxAbsDifference(Tensor.ones([4], dtype: dtype)) }
        let n = try Tensor(shape: [1], values: [.nan], dtype: dtype)
        #expect(!n.allClose(n))
        #expect(try n.maxAbsDifference(n).isNaN)
    }

    @Test("empty tensors go through every elementwise path", arguments: DType.allCases)
    func emptyTensors(dtype: DType) throws {
        let e = Tensor.zeros([2, 0, 3], dtype: dtype)
        #expect(try e.add(Tensor.ones([3], dtype: dtype)).shape == [2, 0, 3])
        #expect(try e.mul(Tensor.ones([1, 0, 1], dtype: dtype)).shape == [2, 0, 3])
        #expect(try Tensor.ones([0], dtype: dtype).add(Tensor.ones([1], dtype: dtype)).shape == [0])
        #expect(e.unary(.exp).shape == [2, 0, 3])
        #expect(e.count == 0 && e.doubles().isEmpty)
        let v = e.version
        try e.addInPlace(Tensor.ones([3], dtype: dtype))
        e.fill(3)
        #expect(e.version == v + 2, "an in-place write on an empty tensor still counts")
        #expect(e.clone().shape == [2, 0, 3])
    }
}
