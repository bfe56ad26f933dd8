import CLua
import Foundation
import LuaShim
import Tensors

/// What every class shares, whatever its Swift type: name, documentation, and the Lua tables
/// behind it. `help` and tab completion read these.
public final class LuaClassInfo {
    public let name: String
    public let doc: String
    let index: Int
    var metatableRef: Int32 = 0
    var methodsRef: Int32 = 0
    /// Methods in registration order.
    public internal(set) var methods: [LuaFunctionEntry] = []
    /// Fields in registration order.
    public internal(set) var fields: [(name: String, doc: String)] = []
    /// Metamethods (operators, `#`, indexing) in registration order.
    public internal(set) var metamethods: [LuaFunctionEntry] = []
    /// How integer keys behave (`t[i]`), when they do.
    public internal(set) var indexingDoc: String?
    var pushBox: (LuaState, Any) -> Void = { _, _ in }

    init(name: String, doc: String, index: Int) {
        self.name = name
        self.doc = doc
        self.index = index
    }
}

/// The Lua class of a Swift type `T` (a struct such as `Tensor` or a class such as
/// `LanguageModel`): a userdata holding a retained Swift value, with methods, read-only
/// fields, metamethods and documentation registered once.
///
/// Every object gets `__gc` and `__close` (release the Swift value), `__index` (methods from a
/// table, then fields and integer keys in Swift), `__newindex`, `__tostring`, `__eq` and
/// `__name`; the metatable is protected (`__metatable`). Later types (Editor, Delta, Run,
/// Dataset) are defined the same way:
///
/// ```swift
/// let c = try vm.defineClass(Delta.self, name: "Delta", doc: "The change one edit made.")
/// c.method("norm", "() -> number", "Frobenius norm of the change.") { call, d in call.push(d.norm()) }
/// c.field("layers", "Edited layers (0-based).") { call, d in try call.push(d.layers) }
/// c.describe { d in "Delta of \(d.layers.count) layers" }
/// ```
public final class LuaClass<T> {
    public unowned let vm: LuaVM
    public let info: LuaClassInfo
    public var name: String { info.name }
    private var fieldGetters: [String: (LuaCall, T) throws -> Int32] = [:]
    private var integerIndexer: ((LuaCall, T, Int) throws -> Int32)?
    private var integerAssigner: ((LuaCall, T, Int) throws -> Void)?
    private var describer: ((T) -> String)?
    private var equality: ((T, T) -> Bool)?
    /// For tensor-like values: the storage whose bytes the collector is told about.
    var storageOf: ((T) -> TensorStorage?)?
    private var pendingBytes = 0

    init(vm: LuaVM, name: String, doc: String) throws {
        self.vm = vm
        self.info = LuaClassInfo(name: name, doc: doc, index: vm.classInfos.count)
        let L = vm.L
        try vm.ensureStack(L, 8)
        lua_createtable(L, 0, 32)
        info.methodsRef = luaL_ref(L, luashim_registryindex())
        lua_createtable(L, 0, 12)
        let mt = lua_gettop(L)
        func set(_ key: String) { // value on top
            LuaVM.pushString(L, key)
            lua_rotate(L, -2, 1)
            lua_rawset(L, mt)
        }
        LuaVM.pushString(L, name); set("__name")
        LuaVM.pushString(L, name); set("__metatable")
        luashim_pushcfunction(L, luashim_box_gc); set("__gc")
        luashim_pushcfunction(L, luashim_box_gc); set("__close")
        // __index: methods table first (in C), then Swift for fields and integer keys.
        let fallback = vm.register("\(name).__index", "(self, key)", "Fields and indexing of \(name).", checksArity: false) { [unowned self] c in
            try self.index(c)
        }
        vm.pushRef(info.methodsRef)
        vm.pushFunction(fallback)
        luashim_pushindex(L, -2, -1)
        lua_rotate(L, -3, 1)
        lua_settop(L, -3)
        set("__index")
        let newindex = vm.register("\(name).__newindex", "(self, key, value)", "Assignment to \(name).", checksArity: false) { [unowned self] c in
            try self.newIndex(c)
        }
        vm.pushFunction(newindex); set("__newindex")
        let tostring = vm.register("\(name).__tostring", "(self) -> string", "Text form of \(name).", checksArity: false) { [unowned self] c in
            c.push(self.describe(try self.get(c, 1)))
        }
        vm.pushFunction(tostring); set("__tostring")
        let eq = vm.register("\(name).__eq", "(a, b) -> boolean", "Equality of \(name) values.", checksArity: false) { [unowned self] c in
            guard let a = self.value(c.L, 1), let b = self.value(c.L, 2) else { return c.push(false) }
            if let equality = self.equality { return c.push(equality(a, b)) }
            if T.self is AnyClass { return c.push((a as AnyObject) === (b as AnyObject)) }
            return c.push(false)
        }
        vm.pushFunction(eq); set("__eq")
        info.metatableRef = luaL_ref(L, luashim_registryindex())
        info.pushBox = { [unowned self] L, v in
            if let t = v as? T { self.push(L, t) } else { lua_pushnil(L) }
        }
        vm.pushRef(info.metatableRef)
        vm.recordDocOfTop(.klass(info.index))
        lua_settop(L, -2)
    }

    // MARK: Registration

    /// Adds a method `obj:name(...)`. `signature` lists the parameters after self, e.g.
    /// `(dim, start, length) -> Tensor`; it sets the arity check and heads the documentation.
    @discardableResult
    public func method(_ name: String, _ signature: String, _ doc: String,
                       _ body: @escaping (LuaCall, T) throws -> Int32) -> LuaFunctionEntry {
        let e = vm.register("\(info.name):\(name)", signature, doc, isMethod: true) { [unowned self] c in
            try body(c, try self.get(c, 1))
        }
        info.methods.append(e)
        let L = vm.L
        vm.pushRef(info.methodsRef)
        LuaVM.pushString(L, name)
        vm.pushFunction(e)
        lua_rawset(L, -3)
        lua_settop(L, -2)
        return e
    }

    /// Adds a read-only field `obj.name`.
    public func field(_ name: String, _ doc: String, _ get: @escaping (LuaCall, T) throws -> Int32) {
        fieldGetters[name] = get
        info.fields.append((name, doc))
    }

    /// Adds a metamethod (`__add`, `__len`, ...). The body gets the raw operands: for binary
    /// operators either one may be the object.
    @discardableResult
    public func metamethod(_ event: String, _ signature: String, _ doc: String,
                           _ body: @escaping LuaFunctionBody) throws -> LuaFunctionEntry {
        let e = vm.register("\(info.name).\(event)", signature, doc, checksArity: false, body)
        info.metamethods.append(e)
        let L = vm.L
        try vm.ensureStack(L, 4)
        vm.pushRef(info.metatableRef)
        LuaVM.pushString(L, event)
        vm.pushFunction(e)
        lua_rawset(L, -3)
        lua_settop(L, -2)
        return e
    }

    /// What `obj[i]` (an integer key) returns, and what `obj[i] = v` does.
    public func indexing(_ doc: String, get: @escaping (LuaCall, T, Int) throws -> Int32,
                         set: ((LuaCall, T, Int) throws -> Void)? = nil) {
        info.indexingDoc = doc
        integerIndexer = get
        integerAssigner = set
    }

    /// The text of `tostring(obj)`.
    public func describe(_ f: @escaping (T) -> String) { describer = f }

    /// What `a == b` means for two objects of this class (default: the same Swift object).
    public func equal(_ f: @escaping (T, T) -> Bool) { equality = f }

    // MARK: Values

    /// Pushes `value` as a new userdata of this class.
    public func push(_ L: LuaState, _ value: T) {
        var bytes = 0
        let storage = storageOf?(value)
        if let storage { bytes = vm.tensorMemory.retain(storage) }
        let box = LuaBox(value: value, info: info, storage: storage, memory: storage == nil ? nil : vm.tensorMemory)
        luashim_newbox(L, Unmanaged.passRetained(box).toOpaque())
        lua_rawgeti(L, luashim_registryindex(), lua_Integer(info.metatableRef))
        lua_setmetatable(L, -2)
        if bytes > 0 {
            // Tell the collector about memory it cannot see, so unreachable big tensors go soon.
            pendingBytes += bytes
            if pendingBytes >= 64 * 1024 {
                let kb = Int32(clamping: pendingBytes / 1024)
                pendingBytes = 0
                luashim_gc_step_kb(L, kb)
            }
        }
    }

    /// Whether the value at `idx` is a live object of this class.
    public func isInstance(_ L: LuaState, _ idx: Int32) -> Bool { value(L, idx) != nil }

    /// The Swift value at `idx`, or nil when it is not a live object of this class.
    public func value(_ L: LuaState, _ idx: Int32) -> T? {
        guard let b = luashim_tobox(L, idx) else { return nil }
        let box = Unmanaged<LuaBox>.fromOpaque(b).takeUnretainedValue()
        guard box.info === info else { return nil }
        return box.value as? T
    }

    /// The Swift value at argument `i` of a call, or an argument error.
    public func get(_ c: LuaCall, _ i: Int32) throws -> T {
        if let v = value(c.L, i) { return v }
        if luashim_isbox(c.L, i) != 0, vm.classInfo(ofValueAt: i, c.L) === info {
            throw c.argumentError(i, "this \(info.name) has been closed")
        }
        throw c.typeError(i, expected: info.name)
    }

    func describe(_ v: T) -> String {
        if let describer { return describer(v) }
        if T.self is AnyClass { return "\(info.name): \(ObjectIdentifier(v as AnyObject).debugDescription)" }
        return info.name
    }

    // MARK: Metamethods

    private func index(_ c: LuaCall) throws -> Int32 {
        let obj = try get(c, 1)
        let L = c.L
        if lua_type(L, 2) == LUA_TSTRING, let key = LuaVM.string(L, 2) {
            if let getter = fieldGetters[key] { return try getter(c, obj) }
            throw LuaRaise("\(info.name) has no field or method '\(key)' (see help(\(info.name.lowercased() == "tensor" ? "t" : "obj")))")
        }
        if lua_type(L, 2) == LUA_TNUMBER, let integerIndexer {
            var isnum: Int32 = 0
            let k = lua_tointegerx(L, 2, &isnum)
            guard isnum != 0 else { throw LuaRaise("\(info.name) index must be an integer, got \(LuaVM.numberString(L, 2))") }
            return try integerIndexer(c, obj, Int(k))
        }
        throw LuaRaise("\(info.name) cannot be indexed with a \(vm.typeName(L, 2))")
    }

    private func newIndex(_ c: LuaCall) throws -> Int32 {
        let obj = try get(c, 1)
        let L = c.L
        if lua_type(L, 2) == LUA_TNUMBER, let integerAssigner {
            var isnum: Int32 = 0
            let k = lua_tointegerx(L, 2, &isnum)
            guard isnum != 0 else { throw LuaRaise("\(info.name) index must be an integer, got \(LuaVM.numberString(L, 2))") }
            try integerAssigner(c, obj, Int(k))
            return 0
        }
        let key = LuaVM.string(L, 2) ?? vm.typeName(L, 2)
        throw LuaRaise("cannot assign '\(key)' of a \(info.name): its fields are read-only (use its methods)")
    }
}

/// A global table of functions (`tensor`, `model`, ...), documented entry by entry.
public final class LuaModule {
    public unowned let vm: LuaVM
    public let name: String
    public let doc: String
    var tableRef: Int32 = 0
    /// Functions in registration order.
    public internal(set) var functions: [LuaFunctionEntry] = []
    /// Non-function members in registration order.
    public internal(set) var constants: [(name: String, doc: String)] = []
    var info: LuaModule { self }

    init(vm: LuaVM, name: String, doc: String) {
        self.vm = vm
        self.name = name
        self.doc = doc
    }

    /// Adds `module.name(...)`.
    @discardableResult
    public func function(_ name: String, _ signature: String, _ doc: String,
                         _ body: @escaping LuaFunctionBody) -> LuaFunctionEntry {
        let e = vm.register("\(self.name).\(name)", signature, doc, body)
        functions.append(e)
        let L = vm.L
        vm.pushRef(tableRef)
        LuaVM.pushString(L, name)
        vm.pushFunction(e)
        lua_rawset(L, -3)
        lua_settop(L, -2)
        return e
    }

    /// Adds a documented value `module.name`.
    public func constant(_ name: String, _ value: LuaValue, _ doc: String) throws {
        constants.append((name, doc))
        let L = vm.L
        vm.pushRef(tableRef)
        LuaVM.pushString(L, name)
        try vm.push(value, on: L)
        lua_rawset(L, -3)
        lua_settop(L, -2)
    }
}

typealias LuaModuleInfo = LuaModule
