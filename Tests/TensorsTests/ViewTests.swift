import Testing
import Tensors

/// Views share storage; clone copies; the version counter; view/reshape rules; range checks;
/// validation of hand-made views.
@Suite struct ViewTests {
    /// 0, 1, 2, ... in a contiguous tensor.
    func iota(_ shape: [Int], _ dtype: DType = .float32) throws -> Tensor {
        let n = shape.reduce(1, *)
        return try Tensor(shape: shape, values: (0..<n).map(Double.init), dtype: dtype)
    }

    @Test("the layouts used across the suite really are the views they claim to be")
    func layoutsAreWhatTheyClaim() throws {
        var rng = RandomGenerator(seed: 1)
        for layout in Layout.allCases {
            let t = try randomTensor([3, 4, 5], .float32, layout, &rng)
            #expect(t.shape == [3, 4, 5])
            #expect(t.isContiguous == (layout == .contiguous), "\(layout)")
            switch layout {
            case .contiguous: #expect(t.strides == [20, 5, 1])
            case .transposed: #expect(t.strides == [1, 3, 12])
            case .narrowed: #expect(t.strides == [56, 8, 1] && t.offset == 56 + 2 * 8 + 1)
            case .selected: #expect(t.strides == [60, 15, 3] && t.offset == 182)
            case .steppedPermuted: #expect(t.strides == [2, 6, 24] && t.offset == 1)
            case .expanded: #expect(t.strides == [0, 1, 0])
            }
        }
    }

    @Test("writes through views are visible in the base and in every other view", arguments: DType.allCases)
    func viewsShareStorage(dtype: DType) throws {
        let base = try iota([3, 4], dtype)
        let tr = try base.t()
        let row1 = try base.select(0, 1)
        let col2 = try base.select(1, 2)
        let mid = try base.narrow(1, start: 1, length: 2)
        for v in [tr, row1, col2, mid] { #expect(v.sharesStorage(with: base)) }

        try tr.setValue(100, at: [2, 1]) // base (1, 2)
        #expect(try base.value(at: [1, 2]) == 100)
        #expect(try row1.value(at: [2]) == 100)
        #expect(try col2.value(at: [1]) == 100)
        #expect(try mid.value(at: [1, 1]) == 100)

        try row1.copy(from: Tensor(shape: [4], values: [-1, -2, -3, -4], dtype: dtype))
        #expect(try ref(base).data == [0, 1, 2, 3, -1, -2, -3, -4, 8, 9, 10, 11])
        #expect(try ref(tr).data == [0, -1, 8, 1, -2, 9, 2, -3, 10, 3, -4, 11])

        col2.fill(5)
        #expect(try ref(base).data == [0, 1, 5, 3, -1, -2, 5, -4, 8, 9, 5, 11])
        #expect(try ref(mid).data == [1, 5, -2, 5, 9, 5])

        try mid.addInPlace(Tensor.full([2], 10, dtype: dtype))
        #expect(try ref(base).data == [0, 11, 15, 3, -1, 8, 15, -4, 8, 19, 15, 11])
        #expect(try ref(col2).data == [15, 15, 15])

        // a view of a view, through a permute, still reaches the same storage
        let deep = try base.view([2, 2, 3]).permuted([2, 0, 1]).select(0, 1) // [2, 2]: base flat 1, 4, 7, 10
        try deep.mulInPlace(Tensor.scalar(0, dtype: dtype))
        #expect(try ref(base).data == [0, 0, 15, 3, 0, 8, 15, 0, 8, 19, 0, 11])
    }

    @Test("clone copies into new contiguous storage; contiguous() copies only when needed", arguments: DType.allCases)
    func cloneDoesNotShare(dtype: DType) throws {
        let base = try iota([3, 4], dtype)
        let c = try base.t().clone()
        #expect(!c.sharesStorage(with: base))
        #expect(c.isContiguous && c.shape == [4, 3] && c.strides == [3, 1])
        #expect(c.doubles() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        c.fill(-1)
        #expect(base.doubles() == (0..<12).map(Double.init))
        try base.setValue(42, at: [0, 0])
        #expect(try c.value(at: [0, 0]) == -1)

        #expect(base.contiguous().sharesStorage(with: base))
        let nc = try base.t().contiguous()
        #expect(!nc.sharesStorage(with: base) && nc.isContiguous)
        // a narrow along the first dimension is still contiguous: no copy
        let n0 = try base.narrow(0, start: 1, length: 2)
        #expect(n0.isContiguous && n0.contiguous().sharesStorage(with: base))
        #expect(n0.doubles() == [4, 5, 6, 7, 8, 9, 10, 11])
        #expect(try base.narrow(1, start: 1, length: 2).isContiguous == false)
    }

    @Test("the version counter bumps once per in-place write, never on out-of-place ops", arguments: DType.allCases)
    func versionCounter(dtype: DType) throws {
        var rng = RandomGenerator(seed: 2)
        let base = uniform([4, 4], dtype, &rng, low: 1, high: 2)
        let view = try base.narrow(0, start: 1, length: 2)
        func bumps(_ name: String, _ body: () throws -> Void) rethrows {
            let v = base.version
            try body()
            #expect(base.version == v + 1, "\(name) must bump the version once")
            #expect(view.version == base.version, "every view sees the storage's version")
        }
        try bumps("setValue") { try view.setValue(3, at: [0, 0]) }
        try bumps("copy(from:)") { try view.copy(from: Tensor.ones([4], dtype: dtype)) }
        bumps("fill") { view.fill(2) }
        bumps("zero") { view.zero() }
        try bumps("addInPlace") { try view.addInPlace(Tensor.ones([2, 4], dtype: dtype)) }
        try bumps("addInPlace(alpha:)") { try view.addInPlace(Tensor.ones([2, 4], dtype: dtype), alpha: 2) }
        try bumps("subInPlace") { try view.subInPlace(Tensor.ones([1], dtype: dtype)) }
        try bumps("mulInPlace") { try base.mulInPlace(Tensor.ones([4, 4], dtype: dtype)) }
        try bumps("divInPlace") { try base.divInPlace(Tensor.ones([4, 4], dtype: dtype)) }
        bumps("mulInPlace scalar") { view.mulInPlace(2) }
        bumps("addInPlace scalar") { view.addInPlace(2) }
        bumps("unaryInPlace") { view.unaryInPlace(.abs) }
        try bumps("binaryInPlace") { try view.binaryInPlace(.maximum, Tensor.zeros([4], dtype: dtype)) }
        try bumps("matmul(into:)") {
            try Tensor.eye(2, dtype: dtype).matmul(Tensor.ones([2, 4], dtype: dtype), into: view, alpha: 1, beta: 0)
        }

        // out-of-place: nothing bumps, values untouched
        let v = base.version
        let snapshot = try ref(base).data
        let other = Tensor.ones([4, 4], dtype: dtype)
        let spd = try base.matmul(base.t()).add(Tensor.eye(4, dtype: dtype).mul(4))
        let spdVersion = spd.version, spdValues = try ref(spd).data
        _ = try base.add(other); _ = try base.mul(other); _ = try base.sub(other); _ = try base.div(other)
        _ = base.unary(.exp); _ = base + 1; _ = -base; _ = base * 2
        _ = try base.matmul(other); _ = try base.mm(other); _ = try view.matmul(base)
        _ = base.sum(); _ = try base.sum(dim: 0); _ = try base.mean(dim: 1); _ = try base.variance(dim: 0)
        _ = try base.max(dim: 1); _ = base.max(); _ = base.min(); _ = base.mean()
        _ = try base.softmax(dim: 0); _ = try base.logSoftmax(); _ = try base.logSumExp()
        _ = base.norm(); _ = try base.norm(dim: 0); _ = try base.spectralNorm()
        _ = base.clone(); _ = base.contiguous(); _ = base.to(dtype == .float32 ? .float64 : .float32)
        _ = try base.view([16]); _ = try base.reshaped([2, 8]); _ = try base.t().reshaped([16])
        _ = try base.transposed(0, 1); _ = try base.permuted([1, 0]); _ = try base.select(0, 1)
        _ = try base.narrow(1, start: 0, length: 2); _ = try base.unsqueezed(0); _ = try base.expanded(to: [2, 4, 4])
        _ = base.flattened(); _ = base.doubles(); _ = base.floats(); _ = base.description; _ = base.isFinite
        _ = try base.svd(); _ = try base.singularValues(); _ = try base.pseudoInverse()
        _ = try spd.solve(other); _ = try spd.inverse()
        _ = try spd.cholesky(); _ = try spd.solveSPD(other); _ = try spd.symmetricEigen()
        #expect(base.version == v)
        #expect(try ref(base).data == snapshot, "out-of-place ops must not touch their inputs")
        #expect(spd.version == spdVersion)
        #expect(try ref(spd).data == spdValues)
    }

    @Test("view reinterprets without copying, with -1 inference; throws when strides forbid it")
    func viewRules() throws {
        let t = try iota([2, 3, 4])
        let v = try t.view([6, 4])
        #expect(v.shape == [6, 4] && v.sharesStorage(with: t))
        #expect(try v.value(at: [4, 1]) == 17)
        #expect(try t.view([4, -1]).shape == [4, 6])
        #expect(try t.view([-1]).shape == [24])
        #expect(try t.view([2, -1, 3]).shape == [2, 4, 3])
        #expect(try t.view([1, 24, 1]).shape == [1, 24, 1])
        try t.view([24]).setValue(-5, at: [23])
        #expect(try t.value(at: [1, 2, 3]) == -5)

        // non-contiguous but viewable: dims whose strides chain merge
        let n = try iota([4, 3, 5]).narrow(2, start: 1, length: 2) // strides [15, 5, 1]
        let merged = try n.view([12, 2])
        #expect(merged.sharesStorage(with: n))
        #expect(try ref(merged).data == ref(n).data)
        expectError(.invalidArgument, "[4,3,2] narrowed on the last dim cannot be [4, 6]") { try n.view([4, 6]) }
        let tr = try t.transposed(1, 2)
        expectError(.invalidArgument) { try tr.view([24]) }
        expectError(.invalidArgument) { try tr.view([2, 12]) }
        // but splitting a single dimension of a transposed tensor is fine
        let split = try tr.view([2, 2, 2, 3])
        #expect(try ref(split).data == ref(tr).data)

        // reshaped copies when a view is impossible, and shares when it is not
        let r = try tr.reshaped([2, 12])
        #expect(!r.sharesStorage(with: t))
        #expect(try ref(r).data == ref(tr).data)
        #expect(try t.reshaped([3, -1]).sharesStorage(with: t))
        #expect(try n.reshaped([-1]).doubles() == ref(n).data)

        // bad shapes
        expectError(.invalidArgument, "two -1") { try t.view([-1, -1]) }
        expectError(.invalidArgument, "-2") { try t.view([-2, -12]) }
        expectError(.shapeMismatch, "-1 does not divide") { try t.view([5, -1]) }
        expectError(.shapeMismatch, "wrong count") { try t.view([5, 5]) }
        expectError(.shapeMismatch, "wrong count") { try t.reshaped([25]) }
        expectError(.shapeMismatch, "-1 with a zero") { try t.view([0, -1]) }
        expectError(.invalidArgument, "overflowing sizes") { try t.view([Int.max, 4, -1]) }
        expectError(.invalidArgument, "overflowing sizes") { try t.reshaped([1 << 40, 1 << 40]) }
        // scalars and empties
        #expect(try Tensor.scalar(3).view([1, 1]).shape == [1, 1])
        #expect(try Tensor.ones([1, 1]).view([]).item() == 1)
        #expect(try Tensor.zeros([0, 4]).view([2, 0, 3]).shape == [2, 0, 3])
        #expect(try Tensor.zeros([0, 4]).view([-1, 2]).shape == [0, 2])
        #expect(t.flattened().shape == [24])
        #expect(tr.flattened().doubles() == (try ref(tr)).data)
    }

    @Test("out-of-range dimensions and indices throw outOfRange")
    func rangeChecks() throws {
        let t = try iota([2, 3, 4])
        expectError(.outOfRange) { try t.narrow(1, start: 2, length: 2) }
        expectError(.outOfRange) { try t.narrow(1, start: -4, length: 1) }
        expectError(.outOfRange) { try t.narrow(2, start: 0, length: 5) }
        expectError(.outOfRange) { try t.narrow(2, start: 1, length: -1) }
        expectError(.outOfRange) { try t.narrow(3, start: 0, length: 1) }
        expectError(.outOfRange) { try t.select(0, 2) }
        expectError(.outOfRange) { try t.select(0, -3) }
        expectError(.outOfRange) { try t.select(-4, 0) }
        expectError(.outOfRange) { try t.transposed(0, 3) }
        expectError(.outOfRange) { try t.transposed(-4, 0) }
        expectError(.outOfRange) { try t.size(3) }
        expectError(.outOfRange) { try t.unsqueezed(4) }
        expectError(.outOfRange) { try t.squeezed(3) }
        expectError(.outOfRange) { try t.value(at: [0, 3, 0]) }
        expectError(.outOfRange) { try t.value(at: [0, 0, -5]) }
        expectError(.outOfRange) { try t.setValue(1, at: [2, 0, 0]) }
        expectError(.outOfRange) { try Tensor.scalar(1).select(0, 0) }
        // valid negative forms
        #expect(try t.narrow(-1, start: -2, length: 2).doubles() == [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23])
        #expect(try t.select(-1, -1).doubles() == [3, 7, 11, 15, 19, 23])
        #expect(try t.size(-1) == 4 && t.size(0) == 2)
        #expect(try t.transposed(-1, 0).shape == [4, 3, 2])
        #expect(try t.narrow(1, start: 3, length: 0).shape == [2, 0, 4])
    }

    @Test("permute, t, unsqueeze, squeeze, expand")
    func shapeOps() throws {
        let t = try iota([2, 3, 4])
        let p = try t.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3] && p.strides == [1, 12, 4])
        #expect(try p.value(at: [3, 1, 2]) == t.value(at: [1, 2, 3]))
        expectError(.invalidArgument) { try t.permuted([0, 0, 1]) }
        expectError(.invalidArgument) { try t.permuted([0, 1]) }
        expectError(.invalidArgument) { try t.t() }
        let v = try iota([5])
        #expect(try v.t().shape == [5])
        let m = try iota([2, 5])
        #expect(try m.t().shape == [5, 2] && m.t().value(at: [4, 1]) == 9)

        let u = try m.unsqueezed(1)
        #expect(u.shape == [2, 1, 5])
        #expect(try u.squeezed(1).shape == [2, 5])
        #expect(try m.unsqueezed(-1).shape == [2, 5, 1])
        #expect(try m.unsqueezed(0).shape == [1, 2, 5])
        #expect(try ref(m.unsqueezed(2)).data == ref(m).data)
        // unsqueeze of a transposed view keeps the view's element order
        #expect(try ref(m.t().unsqueezed(1)).data == ref(m.t()).data)
        expectError(.invalidArgument) { try m.squeezed(0) }

        let e = try iota([3, 1]).expanded(to: [2, 3, 4])
        #expect(e.shape == [2, 3, 4] && e.strides == [0, 1, 0])
        #expect(try e.value(at: [1, 2, 3]) == 2)
        #expect(e.sum() == 2 * 4 * 3)
        expectError(.shapeMismatch) { try iota([3, 2]).expanded(to: [3, 4]) }
        expectError(.shapeMismatch) { try iota([3, 2]).expanded(to: [2]) }
    }

    @Test("Tensor(storage:shape:strides:offset:) accepts views inside the storage and rejects the rest")
    func handMadeViews() throws {
        let storage = try iota([10]).storage
        let v = try Tensor(storage: storage, shape: [3, 2], strides: [3, 2], offset: 1)
        #expect(try ref(v).data == [1, 3, 4, 6, 7, 9])
        #expect(v.sharesStorage(with: try iota([1])) == false)
        // the last element exactly fits
        #expect(try Tensor(storage: storage, shape: [2, 5], strides: [5, 1]).count == 10)
        // reversed view with a negative stride reads backwards and computes correctly
        let rev = try Tensor(storage: storage, shape: [10], strides: [-1], offset: 9)
        #expect(try ref(rev).data == (0..<10).reversed().map(Double.init))
        #expect(rev.doubles() == (0..<10).reversed().map(Double.init))
        #expect(try rev.add(Tensor.ones([10])).doubles() == (1...10).reversed().map(Double.init))
        let revM = try Tensor(storage: storage, shape: [2, 5], strides: [-5, -1], offset: 9)
        let prod = try revM.matmul(Tensor.ones([5, 1]))
        #expect(prod.doubles() == [35, 10])
        // overlapping sliding windows (strides [1, 1], like unfold): elementwise ops, copies
        // and reductions must follow both strides, never merge the two dimensions
        let windows = try Tensor(storage: storage, shape: [4, 3], strides: [1, 1], offset: 2)
        let wantWindows: [Double] = [2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7]
        #expect(try ref(windows).data == wantWindows)
        #expect(windows.clone().doubles() == wantWindows)
        #expect(try windows.add(Tensor.zeros([3])).doubles() == wantWindows)
        #expect(windows.unary(.neg).doubles() == wantWindows.map { -$0 })
        #expect(windows.sum() == wantWindows.reduce(0, +))
        #expect(try windows.sum(dim: 1).doubles() == [9, 12, 15, 18])
        #expect(try windows.matmul(Tensor.ones([3])).doubles() == [9, 12, 15, 18])
        // empty views may sit anywhere
        #expect(try Tensor(storage: storage, shape: [0, 3], strides: [3, 1], offset: 50).count == 0)

        expectError(.outOfRange, "one past the end") { try Tensor(storage: storage, shape: [11], strides: [1]) }
        expectError(.outOfRange, "offset past the end") { try Tensor(storage: storage, shape: [2], strides: [1], offset: 9) }
        expectError(.outOfRange, "stride too large") { try Tensor(storage: storage, shape: [2, 2], strides: [5, 5], offset: 0) }
        expectError(.outOfRange, "negative stride below 0") { try Tensor(storage: storage, shape: [3], strides: [-1], offset: 1) }
        expectError(.invalidArgument, "ranks differ") { try Tensor(storage: storage, shape: [2, 2], strides: [1]) }
        expectError(.invalidArgument, "negative size") { try Tensor(storage: storage, shape: [-1], strides: [1]) }
        expectError(.invalidArgument, "negative offset") { try Tensor(storage: storage, shape: [1], strides: [1], offset: -1) }
        // absurd sizes, strides and offsets throw instead of overflowing
        expectError(.outOfRange, "huge stride") { try Tensor(storage: storage, shape: [3], strides: [Int.max / 2 + 1]) }
        expectError(.outOfRange, "huge negative stride") { try Tensor(storage: storage, shape: [3], strides: [Int.min / 2 - 1]) }
        expectError(.outOfRange, "huge offset") { try Tensor(storage: storage, shape: [2], strides: [1], offset: Int.max) }
        expectError(.invalidArgument, "overflowing count") { try Tensor(storage: storage, shape: [Int.max, 2], strides: [0, 0]) }
    }
}
