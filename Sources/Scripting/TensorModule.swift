import CLua
import Foundation
import LanguageModels
import LuaShim
import Tensors

/// The `tensor` module and the `Tensor` class.
///
/// Conventions at this boundary: Lua dimensions and positions are 1-based and negative ones
/// count from the end (`-1` is the last); Swift's are 0-based. Every conversion happens here,
/// and every dimension or position is checked here so messages speak Lua's convention.
public enum TensorModule {
    static let moduleDoc = """
    n-dimensional arrays of float32 (the default) or float64, on shared storage: views \
    (narrow, select, view, t, ...) never copy and in-place methods (ending in _) write through \
    every view; clone() copies. Dimensions and positions are 1-based, negative ones count from \
    the end (-1 is the last). Operators: + - * / (elementwise, with broadcasting; numbers \
    allowed), unary -, ^ number, # (size of dimension 1), t[i] (position i of dimension 1), \
    == (same shape and equal elements).
    """

    static let tensorDoc = """
    A view (shape, strides, offset) on shared storage, float32 or float64. Methods ending in _ \
    work in place and return the tensor itself; all others return new tensors (views where \
    the name says so). Dimensions and positions are 1-based; negative ones count from the end.
    """

    public static func install(_ vm: LuaVM) throws {
        let T = try vm.defineClass(Tensor.self, name: "Tensor", doc: tensorDoc)
        T.storageOf = { $0.storage }
        vm.tensorClass = T
        try defineTensorClass(T)
        try vm.defineModule("tensor", doc: moduleDoc) { m in try defineModule(m) }
    }

    // MARK: Argument helpers

    /// The dtype named by a string (`"f32"`, `"float32"`, `"float"`, `"f64"`, `"float64"`, `"double"`).
    static func dtype(named s: String) -> DType? {
        switch s.lowercased() {
        case "f32", "float32", "float": return .float32
        case "f64", "float64", "double": return .float64
        default: return nil
        }
    }

    static func dtypeArgument(_ c: LuaCall, _ i: Int32) throws -> DType {
        guard let s = try c.optionalString(i) else { return .float32 }
        guard let d = dtype(named: s) else { throw c.argumentError(i, "unknown dtype '\(s)' (use \"f32\" or \"f64\")") }
        return d
    }

    /// Sizes given as numbers from argument `i` on, or as one table; then an optional dtype
    /// string. Checks that the tensor fits in memory.
    static func shapeAndDType(_ c: LuaCall, from i: Int32, allowInfer: Bool = false) throws -> ([Int], DType) {
        var sizes: [Int] = []
        var k = i
        if c.type(i) == LUA_TTABLE {
            let v = try c.value(i)
            guard let t = v.tableValue, t.fields.isEmpty else { throw c.argumentError(i, "a table of sizes expected") }
            for (j, e) in t.array.enumerated() {
                guard let n = e.intValue else { throw c.argumentError(i, "size \(j + 1) is a \(e.typeName), not an integer") }
                sizes.append(n)
            }
            k += 1
        } else {
            while c.type(k) == LUA_TNUMBER {
                sizes.append(try c.integer(k))
                k += 1
            }
        }
        for (j, s) in sizes.enumerated() where s < 0 && !(allowInfer && s == -1) {
            throw c.argumentError(i, "size \(j + 1) is negative (\(s))")
        }
        let dt = try dtypeArgument(c, k)
        if c.argumentCount > k { throw c.argumentError(k + 1, "unexpected argument after the dtype") }
        if !allowInfer { try checkFits(c, sizes, dt) }
        return (sizes, dt)
    }

    /// Refuses shapes whose element count overflows or that need more memory than the machine has.
    static func checkFits(_ c: LuaCall, _ shape: [Int], _ dtype: DType) throws {
        var n = 1
        for s in shape {
            let (p, o) = n.multipliedReportingOverflow(by: max(s, 0))
            guard !o else { throw c.error("shape \(shapeString(shape)) has too many elements") }
            n = p
        }
        let (bytes, o) = n.multipliedReportingOverflow(by: dtype.byteSize)
        let physical = ProcessInfo.processInfo.physicalMemory
        if o || UInt64(bytes) > physical {
            throw c.error(String(format: "a %@ %@ tensor needs %.1f GB; this machine has %.1f GB",
                                 shapeString(shape), dtype.shortName, Double(n) * Double(dtype.byteSize) / 1e9, Double(physical) / 1e9))
        }
    }

    /// A Lua dimension (1-based, or negative from the end) of a `rank`-dimensional tensor,
    /// converted to 0-based.
    static func dim(_ c: LuaCall, _ i: Int32, rank: Int, extra: Int = 0) throws -> Int {
        let d = try c.integer(i)
        let r = rank + extra
        if d >= 1 && d <= r { return d - 1 }
        if d < 0 && d >= -r { return r + d }
        if r == 0 { throw c.argumentError(i, "dimension \(d) of a 0-dimensional tensor (it has no dimensions)") }
        throw c.argumentError(i, "dimension \(d) out of range for a \(rank)-dimensional tensor (dimensions are 1..\(r) or -\(r)..-1)")
    }

    static func optionalDim(_ c: LuaCall, _ i: Int32, rank: Int) throws -> Int? {
        c.isNoneOrNil(i) ? nil : try dim(c, i, rank: rank)
    }

    /// A Lua position (1-based, or negative from the end) along a dimension of `size`, 0-based.
    static func position(_ c: LuaCall, _ i: Int32, size: Int, what: String = "position") throws -> Int {
        let p = try c.integer(i)
        if p >= 1 && p <= size { return p - 1 }
        if p < 0 && p >= -size { return size + p }
        if p == 0 { throw c.argumentError(i, "\(what) 0: positions are 1-based (1 is the first, -1 the last)") }
        throw c.argumentError(i, "\(what) \(p) out of range for a dimension of size \(size)")
    }

    /// The same for integer keys `t[i]`.
    static func keyPosition(_ k: Int, size: Int) throws -> Int {
        if k >= 1 && k <= size { return k - 1 }
        if k < 0 && k >= -size { return size + k }
        if k == 0 { throw LuaRaise("tensor index 0: positions are 1-based (1 is the first, -1 the last)") }
        throw LuaRaise("tensor index \(k) out of range for a dimension of size \(size)")
    }

    /// Sizes from argument `i` on (numbers or one table), `-1` allowed once.
    static func sizes(_ c: LuaCall, from i: Int32) throws -> [Int] {
        if c.type(i) == LUA_TTABLE {
            let v = try c.value(i)
            guard let t = v.tableValue, t.fields.isEmpty else { throw c.argumentError(i, "a table of sizes expected") }
            return try t.array.enumerated().map { j, e in
                guard let n = e.intValue else { throw c.argumentError(i, "size \(j + 1) is a \(e.typeName), not an integer") }
                return n
            }
        }
        var out: [Int] = []
        var k = i
        while k <= c.argumentCount {
            out.append(try c.integer(k))
            k += 1
        }
        if out.isEmpty && i > c.argumentCount { throw c.argumentError(i, "sizes expected") }
        return out
    }

    /// Dimensions from argument `i` on (numbers or one table), converted to 0-based.
    static func dims(_ c: LuaCall, from i: Int32, rank: Int) throws -> [Int] {
        if c.type(i) == LUA_TTABLE {
            return try sizes(c, from: i).map { d in
                if d >= 1 && d <= rank { return d - 1 }
                if d < 0 && d >= -rank { return rank + d }
                throw c.argumentError(i, "dimension \(d) out of range for a \(rank)-dimensional tensor")
            }
        }
        var out: [Int] = []
        var k = i
        while k <= c.argumentCount {
            out.append(try dim(c, k, rank: rank))
            k += 1
        }
        return out
    }

    // MARK: Tensor <-> tables

    /// A tensor from nested Lua tables of numbers at `idx` (rectangular; raw access).
    static func tensorFromTable(_ c: LuaCall, _ idx: Int32, dtype: DType) throws -> Tensor {
        let L = c.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let root = lua_absindex(L, idx)
        if lua_type(L, root) == LUA_TNUMBER { return Tensor.scalar(try c.number(idx), dtype: dtype) }
        guard lua_type(L, root) == LUA_TTABLE else { throw c.typeError(idx, expected: "table of numbers") }
        // The shape: follow the first elements down.
        var shape: [Int] = []
        try c.vm.ensureStack(L, 110)
        lua_pushvalue(L, root)
        while lua_type(L, -1) == LUA_TTABLE {
            guard shape.count < 100 else { throw c.argumentError(idx, "tables nested more than 100 deep") }
            let n = Int(lua_rawlen(L, -1))
            shape.append(n)
            if n == 0 { break }
            lua_rawgeti(L, -1, 1)
        }
        lua_settop(L, top)
        try checkFits(c, shape, dtype)
        var values: [Double] = []
        values.reserveCapacity(shape.reduce(1, *))
        func walk(_ level: Int, _ path: String) throws {
            let n = Int(lua_rawlen(L, -1))
            guard n == shape[level] else {
                throw c.argumentError(idx, "ragged table: \(path.isEmpty ? "the table" : "element " + path) has \(n) elements, expected \(shape[level])")
            }
            if n == 0 { return }
            for j in 1...n {
                let t = lua_rawgeti(L, -1, lua_Integer(j))
                let here = "\(path)[\(j)]"
                if level == shape.count - 1 {
                    guard t == LUA_TNUMBER else {
                        throw c.argumentError(idx, "element \(here) is a \(c.vm.typeName(L, -1)), expected a number")
                    }
                    var isnum: Int32 = 0
                    values.append(lua_tonumberx(L, -1, &isnum))
                } else {
                    guard t == LUA_TTABLE else {
                        throw c.argumentError(idx, "element \(here) is a \(c.vm.typeName(L, -1)), expected a table (ragged table)")
                    }
                    try walk(level + 1, here)
                }
                lua_settop(L, -2)
            }
        }
        lua_pushvalue(L, root)
        try walk(0, "")
        return try Tensor(shape: shape, values: values, dtype: dtype)
    }

    /// Pushes nested tables with the elements of `t` (a number for a 0-dimensional tensor).
    static func pushTable(_ c: LuaCall, _ t: Tensor) throws -> Int32 {
        let L = c.L
        let vals = t.doubles()
        if t.rank == 0 { lua_pushnumber(L, vals.first ?? 0); return 1 }
        try c.vm.ensureStack(L, Int32(t.rank) + 4)
        let cst = Tensor.contiguousStrides(t.shape)
        func build(_ level: Int, _ offset: Int) {
            let n = t.shape[level]
            lua_createtable(L, Int32(clamping: n), 0)
            for j in 0..<n {
                if level == t.rank - 1 {
                    lua_pushnumber(L, vals[offset + j])
                } else {
                    build(level + 1, offset + j * cst[level])
                }
                lua_rawseti(L, -2, lua_Integer(j + 1))
            }
        }
        build(0, 0)
        return 1
    }

    // MARK: Module functions

    static func defineModule(_ m: LuaModule) throws {
        m.function("zeros", "(size...[, dtype]) -> Tensor",
                   "A tensor of zeros. Sizes are numbers or one table ({2, 3}); dtype is \"f32\" (default) or \"f64\".") { c in
            let (s, d) = try shapeAndDType(c, from: 1)
            return c.push(Tensor.zeros(s, dtype: d))
        }
        m.function("ones", "(size...[, dtype]) -> Tensor", "A tensor of ones (sizes and dtype as tensor.zeros).") { c in
            let (s, d) = try shapeAndDType(c, from: 1)
            return c.push(Tensor.ones(s, dtype: d))
        }
        m.function("full", "(size, value[, dtype]) -> Tensor",
                   "A tensor filled with value; size is a number or a table of sizes.") { c in
            var shape: [Int]
            if c.type(1) == LUA_TTABLE { shape = try sizes(c, from: 1).map { $0 } } else { shape = [try c.integer(1)] }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw c.argumentError(1, "sizes must be non-negative") }
            let v = try c.number(2)
            let d = try dtypeArgument(c, 3)
            try checkFits(c, shape, d)
            return c.push(Tensor.full(shape, v, dtype: d))
        }
        m.function("randn", "(size...[, dtype]) -> Tensor",
                   "Standard-normal samples from the generator seeded by tensor.manual_seed (seed 0 at start).") { c in
            let (s, d) = try shapeAndDType(c, from: 1)
            return c.push(Tensor.randn(s, dtype: d, generator: &c.vm.random))
        }
        m.function("rand", "(size...[, dtype]) -> Tensor", "Uniform samples in [0, 1) (generator as tensor.randn).") { c in
            let (s, d) = try shapeAndDType(c, from: 1)
            return c.push(Tensor.rand(s, dtype: d, generator: &c.vm.random))
        }
        m.function("manual_seed", "(seed)", "Seeds the generator of tensor.randn and tensor.rand (a non-negative integer).") { c in
            let s = try c.integer(1)
            guard s >= 0 else { throw c.argumentError(1, "the seed must be non-negative") }
            c.vm.random = RandomGenerator(seed: UInt64(s))
            return 0
        }
        m.function("arange", "([start, ]stop[, step][, dtype]) -> Tensor",
                   "start, start + step, ... up to but excluding stop (as torch.arange); start defaults to 0, step to 1.") { c in
            var nums: [Double] = []
            var k: Int32 = 1
            while c.type(k) == LUA_TNUMBER && nums.count < 3 {
                nums.append(try c.number(k))
                k += 1
            }
            let d = try dtypeArgument(c, k)
            if c.argumentCount > k { throw c.argumentError(k + 1, "unexpected argument") }
            let (start, stop, step): (Double, Double, Double)
            switch nums.count {
            case 1: (start, stop, step) = (0, nums[0], 1)
            case 2: (start, stop, step) = (nums[0], nums[1], 1)
            case 3: (start, stop, step) = (nums[0], nums[1], nums[2])
            default: throw c.typeError(1, expected: "number")
            }
            let steps = ((stop - start) / step).rounded(.up)
            if steps.isFinite && steps > 0 && steps < 1e18 { try checkFits(c, [Int(steps)], .float64) }
            return c.push(try Tensor.arange(start, stop, step: step, dtype: d))
        }
        m.function("eye", "(n[, dtype]) -> Tensor", "The n x n identity matrix.") { c in
            let n = try c.integer(1)
            guard n >= 0 else { throw c.argumentError(1, "size must be non-negative, got \(n)") }
            let d = try dtypeArgument(c, 2)
            try checkFits(c, [n, n], d)
            return c.push(Tensor.eye(n, dtype: d))
        }
        m.function("from_table", "(table[, dtype]) -> Tensor",
                   "A tensor from nested tables of numbers ({{1, 2}, {3, 4}} is 2x2); every row must have the same length. A number gives a 0-dimensional tensor.") { c in
            let d = try dtypeArgument(c, 2)
            return c.push(try tensorFromTable(c, 1, dtype: d))
        }
        m.function("cat", "(tensors, dim) -> Tensor",
                   "Concatenates a table of tensors along dimension dim (1-based); other sizes must agree.") { c in
            try c.require(1, type: LUA_TTABLE, "table of tensors")
            let list = try c.value(1)
            guard let arr = list.tableValue?.array, !arr.isEmpty else { throw c.argumentError(1, "a non-empty sequence of tensors expected") }
            let ts = try arr.enumerated().map { j, v -> Tensor in
                guard let t = v.tensorValue else { throw c.argumentError(1, "element \(j + 1) is a \(v.typeName), not a Tensor") }
                return t
            }
            let d = try dim(c, 2, rank: ts[0].rank)
            let out = try Autograd.noGrad { try F.concat(ts.map { $0.detached() }, dim: d) }
            return c.push(out)
        }
        m.function("is_tensor", "(value) -> boolean", "Whether value is a Tensor.") { c in
            c.push(c.vm.tensorClass?.isInstance(c.L, 1) == true)
        }
        m.function("load", "(path) -> table",
                   "Reads a safetensors file: a table from tensor names to tensors (floating types as float32, integer types as float64).") { c in
            let path = try c.string(1)
            let r = try SafetensorsReader(path: path)
            defer { r.close() }
            var out = LuaTable()
            for info in r.tensorInfos {
                if info.dtype.ggmlType != nil {
                    out.fields[info.name] = .tensor(try r.tensor(named: info.name))
                } else {
                    let ints = try r.integers(named: info.name)
                    out.fields[info.name] = .tensor(try Tensor(shape: info.shape, values: ints.map(Double.init), dtype: .float64))
                }
            }
            return try c.push(.table(out))
        }
        m.function("save", "(path, tensors)",
                   "Writes a table from names to tensors as a safetensors file (each tensor keeps its dtype).") { c in
            let path = try c.string(1)
            try c.require(2, type: LUA_TTABLE, "table of tensors")
            let v = try c.value(2)
            guard let t = v.tableValue, t.array.isEmpty else { throw c.argumentError(2, "a table from names to tensors expected") }
            var tensors: [String: Tensor] = [:]
            for k in t.sortedKeys {
                guard let x = t.fields[k]?.tensorValue else { throw c.argumentError(2, "'\(k)' is not a Tensor") }
                tensors[k] = x.detached()
            }
            try SafetensorsWriter.write(tensors, metadata: ["format": "editlab"], to: path)
            return 0
        }
    }

    // MARK: The Tensor class

    static func defineTensorClass(_ T: LuaClass<Tensor>) throws {
        T.describe { $0.description }
        T.equal { a, b in
            guard a.shape == b.shape else { return false }
            if a.storage === b.storage && a.strides == b.strides && a.offset == b.offset { return !a.doubles().contains { $0.isNaN } }
            return a.doubles() == b.doubles()
        }
        T.field("shape", "The sizes, as a table ({12, 576}).") { c, t in try c.push(t.shape) }
        T.field("dtype", "\"f32\" or \"f64\".") { c, t in c.push(t.dtype.shortName) }
        T.indexing("t[i] is position i of dimension 1 (1-based, negative from the end): a number for a 1-dimensional tensor, else a view with that dimension removed. t[i] = v writes a number (or copies a tensor) there.",
                   get: { c, t, k in
                       guard t.rank > 0 else { throw LuaRaise("a 0-dimensional tensor cannot be indexed; use t:item()") }
                       let i = try keyPosition(k, size: t.shape[0])
                       if t.rank == 1 { return c.push(try t.value(at: [i])) }
                       return c.push(try t.select(0, i))
                   },
                   set: { c, t, k in
                       guard t.rank > 0 else { throw LuaRaise("a 0-dimensional tensor cannot be indexed; use t:fill_(v)") }
                       let i = try keyPosition(k, size: t.shape[0])
                       if c.type(3) == LUA_TNUMBER {
                           if t.rank == 1 { try t.setValue(try c.number(3), at: [i]) } else { try t.select(0, i).fill(try c.number(3)) }
                       } else if let v = c.vm.tensorClass?.value(c.L, 3) {
                           try t.select(0, i).copy(from: v)
                       } else {
                           throw LuaRaise("tensor element assignment needs a number or a Tensor, got \(c.vm.typeName(c.L, 3))")
                       }
                   })

        // Sizes and conversion
        T.method("size", "([dim]) -> table|number", "The sizes as a table, or the size of dimension dim.") { c, t in
            if let d = try optionalDim(c, 2, rank: t.rank) { return c.push(t.shape[d]) }
            return try c.push(t.shape)
        }
        T.method("dim", "() -> number", "The number of dimensions.") { c, t in c.push(t.rank) }
        T.method("numel", "() -> number", "The number of elements.") { c, t in c.push(t.count) }
        T.method("is_contiguous", "() -> boolean", "Whether the elements are laid out row-major without gaps.") { c, t in c.push(t.isContiguous) }
        T.method("item", "() -> number", "The value of a one-element tensor.") { c, t in c.push(try t.item()) }
        T.method("totable", "() -> table", "The elements as nested tables (a number for a 0-dimensional tensor).") { c, t in
            try pushTable(c, t)
        }
        T.method("float", "() -> Tensor", "A float32 copy (the tensor itself when already float32).") { c, t in c.push(t.to(.float32)) }
        T.method("double", "() -> Tensor", "A float64 copy (the tensor itself when already float64).") { c, t in c.push(t.to(.float64)) }
        T.method("clone", "() -> Tensor", "A contiguous copy with its own storage.") { c, t in c.push(t.detached().clone()) }
        T.method("contiguous", "() -> Tensor", "The tensor itself when contiguous, else a contiguous copy.") { c, t in c.push(t.contiguous()) }

        // Views
        T.method("t", "() -> Tensor", "The transpose of a matrix (a view); 1- and 0-dimensional tensors are returned unchanged.") { c, t in
            c.push(try t.t())
        }
        T.method("transpose", "(dim1, dim2) -> Tensor", "A view with two dimensions swapped.") { c, t in
            c.push(try t.transposed(try dim(c, 2, rank: t.rank), try dim(c, 3, rank: t.rank)))
        }
        T.method("permute", "(dims...) -> Tensor", "A view with the dimensions reordered: dimension i of the result is dimension dims[i].") { c, t in
            c.push(try t.permuted(try dims(c, from: 2, rank: t.rank)))
        }
        T.method("narrow", "(dim, start, length) -> Tensor", "A view of length positions of dimension dim from position start (1-based, negative from the end).") { c, t in
            let d = try dim(c, 2, rank: t.rank)
            let s = try position(c, 3, size: t.shape[d], what: "start")
            let n = try c.integer(4)
            guard n >= 0, s + n <= t.shape[d] else {
                throw c.argumentError(4, "length \(n) from position \(s + 1) goes past the end of dimension \(d + 1) (size \(t.shape[d]))")
            }
            return c.push(try t.narrow(d, start: s, length: n))
        }
        T.method("select", "(dim, index) -> Tensor", "A view of position index of dimension dim, that dimension removed.") { c, t in
            let d = try dim(c, 2, rank: t.rank)
            return c.push(try t.select(d, try position(c, 3, size: t.shape[d], what: "index")))
        }
        T.method("view", "(size...) -> Tensor", "A view with new sizes (numbers or a table; one may be -1); fails when the strides need a copy (use reshape).") { c, t in
            c.push(try t.view(try sizes(c, from: 2)))
        }
        T.method("reshape", "(size...) -> Tensor", "New sizes: a view when possible, else a contiguous copy.") { c, t in
            c.push(try t.reshaped(try sizes(c, from: 2)))
        }
        T.method("flatten", "() -> Tensor", "All dimensions in one (a view when possible).") { c, t in c.push(t.flattened()) }
        T.method("unsqueeze", "(dim) -> Tensor", "A view with a dimension of size 1 inserted at dim (1..dim()+1).") { c, t in
            c.push(try t.unsqueezed(try dim(c, 2, rank: t.rank, extra: 1)))
        }
        T.method("squeeze", "([dim]) -> Tensor", "A view without dimension dim (which must have size 1), or without every dimension of size 1.") { c, t in
            if let d = try optionalDim(c, 2, rank: t.rank) { return c.push(try t.squeezed(d)) }
            var r = t
            for d in stride(from: t.rank - 1, through: 0, by: -1) where t.shape[d] == 1 { r = try r.squeezed(d) }
            return c.push(r)
        }
        T.method("expand", "(size...) -> Tensor", "A broadcast view to the given sizes (dimensions of size 1 repeat; no copy).") { c, t in
            let s = try sizes(c, from: 2)
            guard s.allSatisfy({ $0 >= 0 }) else { throw c.argumentError(2, "sizes must be non-negative") }
            try checkFits(c, s, t.dtype)  // results computed from the view must fit
            return c.push(try t.expanded(to: s))
        }

        // Elementwise, allocating
        func binary(_ name: String, _ op: BinaryOp, _ scalar: @escaping (Tensor, Double) -> Tensor, _ doc: String) {
            T.method(name, "(other) -> Tensor", doc) { c, t in
                if c.type(2) == LUA_TNUMBER { return c.push(scalar(t, try c.number(2))) }
                return c.push(try t.binary(op, try c.tensor(2)))
            }
        }
        binary("add", .add, { $0.add($1) }, "self + other (a tensor, broadcast, or a number), in a new tensor.")
        binary("sub", .sub, { $0.add(-$1) }, "self - other, in a new tensor.")
        binary("mul", .mul, { $0.mul($1) }, "self * other elementwise, in a new tensor.")
        binary("div", .div, { $0.unary(.divScalar($1)) }, "self / other elementwise, in a new tensor.")
        T.method("pow", "(p) -> Tensor", "Each element to the power p (a number).") { c, t in c.push(t.unary(.powScalar(try c.number(2)))) }
        T.method("clamp", "(min, max) -> Tensor", "Elements clamped to [min, max].") { c, t in
            let lo = try c.number(2), hi = try c.number(3)
            guard lo <= hi else { throw c.argumentError(2, "min \(lo) is greater than max \(hi)") }
            return c.push(t.unary(.clamp(min: lo, max: hi)))
        }
        let unaries: [(String, UnaryOp, String)] = [
            ("abs", .abs, "Absolute values."), ("exp", .exp, "e to each element."), ("log", .log, "Natural logarithms."),
            ("sqrt", .sqrt, "Square roots."), ("tanh", .tanh, "Hyperbolic tangents."), ("sigmoid", .sigmoid, "Logistic sigmoid."),
            ("relu", .relu, "max(x, 0)."), ("neg", .neg, "Negated elements (as unary -)."),
        ]
        for (name, op, doc) in unaries {
            T.method(name, "() -> Tensor", doc + " In a new tensor.") { c, t in c.push(t.unary(op)) }
        }

        // In place
        func inPlace(_ name: String, _ op: BinaryOp, _ scalar: @escaping (Tensor, Double) -> Void, _ doc: String) {
            T.method(name, "(other) -> self", doc) { c, t in
                if c.type(2) == LUA_TNUMBER {
                    scalar(t, try c.number(2))
                } else {
                    try t.binaryInPlace(op, try c.tensor(2))
                }
                lua_settop(c.L, 1)
                return 1
            }
        }
        inPlace("add_", .add, { $0.addInPlace($1) }, "self = self + other (a tensor broadcast to self, or a number), in place.")
        inPlace("sub_", .sub, { $0.addInPlace(-$1) }, "self = self - other, in place.")
        inPlace("mul_", .mul, { $0.mulInPlace($1) }, "self = self * other elementwise, in place.")
        inPlace("div_", .div, { $0.unaryInPlace(.divScalar($1)) }, "self = self / other elementwise, in place.")
        T.method("fill_", "(value) -> self", "Sets every element to value, in place.") { c, t in
            t.fill(try c.number(2))
            lua_settop(c.L, 1)
            return 1
        }
        T.method("zero_", "() -> self", "Sets every element to 0, in place.") { c, t in
            t.zero()
            lua_settop(c.L, 1)
            return 1
        }
        T.method("copy_", "(source) -> self", "Copies source (broadcast to self's shape, converted to self's dtype) into self, in place.") { c, t in
            try t.copy(from: try c.tensor(2))
            lua_settop(c.L, 1)
            return 1
        }

        // Reductions
        T.method("sum", "([dim[, keepdim]]) -> number|Tensor", "The sum of all elements (a number), or along dimension dim (a tensor).") { c, t in
            guard let d = try optionalDim(c, 2, rank: t.rank) else { return c.push(t.sum()) }
            return c.push(try t.sum(dim: d, keepDim: c.truthy(3)))
        }
        T.method("mean", "([dim[, keepdim]]) -> number|Tensor", "The mean of all elements (a number), or along dimension dim (a tensor).") { c, t in
            guard let d = try optionalDim(c, 2, rank: t.rank) else { return c.push(t.mean()) }
            return c.push(try t.mean(dim: d, keepDim: c.truthy(3)))
        }
        func extremum(_ name: String, _ whole: @escaping (Tensor) -> Double,
                      _ along: @escaping (Tensor, Int, Bool) throws -> (values: Tensor, indices: [Int])) {
            T.method(name, "([dim[, keepdim]]) -> number | Tensor, Tensor",
                     "The \(name)imum of all elements (a number), or along dimension dim: the values and their positions (1-based, float64).") { c, t in
                guard let d = try optionalDim(c, 2, rank: t.rank) else {
                    guard t.count > 0 else { throw c.error("\(name) of an empty tensor") }
                    return c.push(whole(t))
                }
                let r = try along(t, d, c.truthy(3))
                c.push(r.values)
                c.push(try Tensor(shape: r.values.shape, values: r.indices.map { Double($0 + 1) }, dtype: .float64))
                return 2
            }
        }
        extremum("max", { $0.max() }, { try $0.max(dim: $1, keepDim: $2) })
        extremum("min", { $0.min() }, { try $0.min(dim: $1, keepDim: $2) })
        T.method("norm", "([dim]) -> number|Tensor", "The Frobenius (L2) norm of all elements (a number), or the L2 norms along dimension dim.") { c, t in
            guard let d = try optionalDim(c, 2, rank: t.rank) else { return c.push(t.norm()) }
            return c.push(try t.norm(dim: d))
        }
        T.method("softmax", "([dim]) -> Tensor", "Softmax along dimension dim (default -1, the last).") { c, t in
            guard t.rank > 0 else { throw c.error("softmax of a 0-dimensional tensor") }
            return c.push(try t.softmax(dim: try optionalDim(c, 2, rank: t.rank) ?? t.rank - 1))
        }
        T.method("log_softmax", "([dim]) -> Tensor", "Log-softmax along dimension dim (default -1, the last).") { c, t in
            guard t.rank > 0 else { throw c.error("log_softmax of a 0-dimensional tensor") }
            return c.push(try t.logSoftmax(dim: try optionalDim(c, 2, rank: t.rank) ?? t.rank - 1))
        }

        // Products and linear algebra
        T.method("mm", "(b) -> Tensor", "The matrix product of two matrices (BLAS).") { c, t in
            let b = try c.tensor(2)
            guard t.rank == 2, b.rank == 2 else {
                throw c.error("mm needs two matrices, got \(shapeString(t.shape)) and \(shapeString(b.shape)); use matmul for other ranks")
            }
            return c.push(try t.mm(b))
        }
        T.method("matmul", "(b) -> Tensor", "Matrix product with PyTorch's rules: vectors, matrices, and batches over leading dimensions (which broadcast).") { c, t in
            c.push(try t.matmul(try c.tensor(2)))
        }
        T.method("dot", "(b) -> number", "The sum of the elementwise product of two tensors of the same shape.") { c, t in
            let b = try c.tensor(2)
            guard t.shape == b.shape else { throw c.error("dot of shapes \(shapeString(t.shape)) and \(shapeString(b.shape))") }
            return c.push(try t.mul(b).sum())
        }
        T.method("solve", "(b) -> Tensor", "x with self * x = b for a square matrix self (LAPACK).") { c, t in c.push(try t.solve(try c.tensor(2))) }
        T.method("inverse", "() -> Tensor", "The inverse of a square matrix (LAPACK).") { c, t in c.push(try t.inverse()) }
        T.method("svd", "() -> Tensor, Tensor, Tensor", "Thin SVD: u, s, vt with u * diag(s) * vt = self, s descending.") { c, t in
            let r = try t.svd()
            c.push(r.u); c.push(r.s); c.push(r.vt)
            return 3
        }
        T.method("eigh", "() -> Tensor, Tensor", "Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.") { c, t in
            let r = try t.symmetricEigen()
            c.push(r.values); c.push(r.vectors)
            return 2
        }
        T.method("allclose", "(other[, rtol[, atol]]) -> boolean", "Whether |self - other| <= atol + rtol * |other| everywhere (defaults 1e-5, 1e-8); shapes must match.") { c, t in
            let o = try c.tensor(2)
            guard t.shape == o.shape else { return c.push(false) }
            return c.push(t.allClose(o, rtol: try c.number(3, default: 1e-5), atol: try c.number(4, default: 1e-8)))
        }

        // Operators
        func arith(_ event: String, _ symbol: String, _ tt: @escaping (Tensor, Tensor) throws -> Tensor,
                   _ tn: @escaping (Tensor, Double) -> Tensor, _ nt: @escaping (Double, Tensor) -> Tensor) throws {
            try T.metamethod(event, "(a, b) -> Tensor", "a \(symbol) b: elementwise, tensors broadcast, numbers allowed on either side.") { c in
                let T = c.vm.tensorClass
                let a = T?.value(c.L, 1), b = T?.value(c.L, 2)
                func number(_ i: Int32) throws -> Double {
                    guard c.type(i) == LUA_TNUMBER else { throw c.typeError(i, expected: "Tensor or number") }
                    return try c.number(i)
                }
                switch (a, b) {
                case (let a?, let b?): return c.push(try tt(a, b))
                case (let a?, nil): return c.push(tn(a, try number(2)))
                case (nil, let b?): return c.push(nt(try number(1), b))
                default: throw c.typeError(1, expected: "Tensor")
                }
            }
        }
        try arith("__add", "+", { try $0.add($1) }, { $0.add($1) }, { $1.add($0) })
        try arith("__sub", "-", { try $0.sub($1) }, { $0.add(-$1) }, { $1.unary(.neg).add($0) })
        try arith("__mul", "*", { try $0.mul($1) }, { $0.mul($1) }, { $1.mul($0) })
        try arith("__div", "/", { try $0.div($1) }, { $0.unary(.divScalar($1)) }, { $1.unary(.reciprocal).mul($0) })
        try T.metamethod("__pow", "(t, p) -> Tensor", "t ^ p: each element to the power p (a number).") { c in
            guard let t = c.vm.tensorClass?.value(c.L, 1) else { throw c.typeError(1, expected: "Tensor (the base of ^)") }
            return c.push(t.unary(.powScalar(try c.number(2))))
        }
        try T.metamethod("__unm", "(t) -> Tensor", "-t: the negated elements.") { c in
            guard let t = c.vm.tensorClass?.value(c.L, 1) else { throw c.typeError(1, expected: "Tensor") }
            return c.push(t.unary(.neg))
        }
        try T.metamethod("__len", "(t) -> number", "#t: the size of dimension 1.") { c in
            guard let t = c.vm.tensorClass?.value(c.L, 1) else { throw c.typeError(1, expected: "Tensor") }
            guard t.rank > 0 else { throw LuaRaise("a 0-dimensional tensor has no length; use t:item()") }
            return c.push(t.shape[0])
        }
    }
}

extension LuaVM {
    /// Pushes a tensor as a `Tensor` userdata (nil if the tensor module is not installed).
    public func pushTensor(_ t: Tensor, on L: LuaState) {
        if let c = tensorClass { c.push(L, t) } else { lua_pushnil(L) }
    }
}
