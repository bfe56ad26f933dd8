import CLua
import Foundation
import LuaShim
import Tensors

/// A `lua_State *` as Swift sees it.
public typealias LuaState = OpaquePointer

/// A Lua error seen from Swift: the message (with the `file:line:` position Lua adds, and a
/// traceback when the call asked for one).
public struct LuaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by a Swift function exposed to Lua to raise a Lua error with exactly this message
/// (the bridge adds the caller's position).
public struct LuaRaise: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A Swift function exposed to Lua: it reads its arguments through the call, pushes its
/// results and returns how many it pushed (or throws; the trampoline turns the error into a
/// Lua error after this function has returned).
public typealias LuaFunctionBody = (LuaCall) throws -> Int32

/// One Swift function registered with a VM, with its documentation (the single source of truth
/// for `help` and completion).
public final class LuaFunctionEntry {
    /// The name shown in messages and help: `tensor.zeros`, `Tensor:mm`, `Tensor.__add`.
    public let qualifiedName: String
    /// The parameter list and result, e.g. `(dim, start, length) -> Tensor`.
    public let signature: String
    /// What it does.
    public let doc: String
    /// True for methods (argument 1 is self; messages count arguments after self).
    public let isMethod: Bool
    /// Bounds on the number of arguments (self included for methods), from the signature;
    /// nil for metamethods (Lua passes them extra operands).
    public let arity: Arity?
    let body: LuaFunctionBody
    /// The function's id in the VM's table (its trampoline's upvalue).
    public internal(set) var id: Int = -1

    init(qualifiedName: String, signature: String, doc: String, isMethod: Bool, checksArity: Bool = true,
         body: @escaping LuaFunctionBody) {
        self.qualifiedName = qualifiedName
        self.signature = signature
        self.doc = doc
        self.isMethod = isMethod
        self.arity = checksArity ? Arity(signature: signature, selfArgument: isMethod) : nil
        self.body = body
    }

    /// `tensor.zeros(size...[, dtype]) -> Tensor`
    public var heading: String { qualifiedName + signature }
}

/// How many arguments a function takes, parsed from its documented signature: names at
/// bracket depth 0 are required, names inside `[...]` optional, `...` makes it variadic.
public struct Arity: Equatable, Sendable {
    public var required: Int
    public var maximum: Int?  // nil: variadic

    public init(required: Int, maximum: Int?) {
        self.required = required
        self.maximum = maximum
    }

    public init(signature: String, selfArgument: Bool) {
        var params = ""
        if let open = signature.firstIndex(of: "(") {
            var depth = 0
            var end = signature.endIndex
            for i in signature[open...].indices {
                if signature[i] == "(" { depth += 1 }
                if signature[i] == ")" { depth -= 1; if depth == 0 { end = i; break } }
            }
            params = String(signature[signature.index(after: open)..<end])
        }
        var required = 0, optional = 0, variadic = false
        var depth = 0
        var current = ""
        var currentDepth = 0
        func flush() {
            let name = current.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty {
                if name.contains("...") { variadic = true } else if currentDepth == 0 { required += 1 } else { optional += 1 }
            }
            current = ""
        }
        var braces = 0  // a table in the signature ({max_tokens=, seed=}) is one parameter
        for ch in params {
            if braces > 0 {
                if ch == "{" { braces += 1 }
                if ch == "}" { braces -= 1 }
                current.append(ch)
                continue
            }
            switch ch {
            case "[": flush(); depth += 1; currentDepth = depth
            case "]": flush(); depth -= 1; currentDepth = depth
            case ",": flush(); currentDepth = depth
            case "{":
                if current.isEmpty { currentDepth = depth }
                braces += 1
                current.append(ch)
            default:
                if current.isEmpty { currentDepth = depth }
                current.append(ch)
            }
        }
        flush()
        let s = selfArgument ? 1 : 0
        self.required = required + s
        self.maximum = variadic ? nil : required + optional + s
    }
}

/// The Lua 5.4 host: one `lua_State` with the standard libraries, EditLab's modules
/// (`tensor`, `model`, ...), `help`, and the bridge that exposes Swift functions and objects.
///
/// All access happens on the thread that created the VM. No Lua error ever unwinds through a
/// Swift frame: Swift calls only non-raising API functions, and everything that may raise
/// runs in LuaShim's protected helpers (see `Sources/LuaShim/include/LuaShim.h`).
public final class LuaVM {
    /// The main thread of the state.
    public let L: LuaState
    let host: OpaquePointer
    private(set) var functions: [LuaFunctionEntry] = []
    private var classesByType: [ObjectIdentifier: AnyObject] = [:]
    private(set) var classInfos: [LuaClassInfo] = []
    private(set) var modules: [LuaModuleInfo] = []
    /// The Lua threads currently running Swift functions (innermost last), so callbacks run
    /// on the thread that called into Swift.
    var activeThreads: [LuaState] = []
    /// Where `print`, `help` and the REPL write (C's stdout by default).
    public var output: (String) -> Void = { s in
        var s = s
        s.withUTF8 { luashim_write_stdout($0.baseAddress, $0.count) }
    }
    /// Bytes of tensor storage referenced from Lua values.
    public let tensorMemory = TensorMemory()
    /// The generator behind `tensor.randn` / `tensor.rand` (seeded with `tensor.manual_seed`).
    public var random = RandomGenerator(seed: 0)
    /// Registry reference of the table mapping documented values (functions, module tables,
    /// metatables) to documentation ids.
    var docTableRef: Int32 = 0
    /// The `Tensor` class (set by the tensor module).
    public internal(set) var tensorClass: LuaClass<Tensor>?
    /// Model hooks added from this VM, removed when it closes.
    var hookRegistrations: [HookRegistration] = []
    public private(set) var isClosed = false

    /// A VM with the standard libraries and every EditLab module.
    public convenience init() throws {
        try self.init(modules: LuaVM.standardModules)
    }

    /// The modules a default VM installs, in order.
    public static var standardModules: [(LuaVM) throws -> Void] {
        [TensorModule.install, ModelModule.install,
         DataModule.install,
         EditorModule.install,
         MetricsModule.install,
         LabModule.install]
    }

    /// A VM with the standard libraries, `print`, `help` and the given modules.
    public init(modules: [(LuaVM) throws -> Void]) throws {
        guard let state = luaL_newstate() else { throw LuaError("cannot create a Lua state (out of memory)") }
        guard let h = luashim_host_attach(state, nil) else {
            lua_close(state)
            throw LuaError("cannot create a Lua state (out of memory)")
        }
        L = state
        host = h
        // The host record points back at this VM, unretained: the VM owns the state.
        luashim_host_set_owner(h, Unmanaged.passUnretained(self).toOpaque())
        luashim_set_dispatcher { L, id in
            guard let L, let owner = luashim_owner(L) else {
                return LuaVM.raiseWithoutVM(L, "EditLab: this Lua state is closing")
            }
            return Unmanaged<LuaVM>.fromOpaque(owner).takeUnretainedValue().dispatch(L, Int(id))
        }
        luashim_set_release { box in
            guard let box else { return }
            Unmanaged<LuaBox>.fromOpaque(box).release()
        }
        try check(luashim_openlibs(L), "opening the standard libraries")
        luashim_install_interrupt_hook(L)
        lua_createtable(L, 0, 64)
        docTableRef = luaL_ref(L, luashim_registryindex())
        try installBuiltins()
        for install in modules { try install(self) }
    }

    deinit { close() }

    /// Closes the state: removes the model hooks this VM added and runs the finalizers (which
    /// release every Swift object Lua held).
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for r in hookRegistrations { r.remove() }
        hookRegistrations = []
        luashim_sigint_untarget(host)
        // Swift functions called by Lua finalizers during lua_close find no owner and fail cleanly.
        luashim_host_set_owner(host, nil)
        lua_close(L)
        luashim_host_free(host)
    }

    static func raiseWithoutVM(_ L: LuaState?, _ message: String) -> Int32 {
        guard let L else { return LUASHIM_RAISE }
        LuaVM.pushString(L, message)
        return LUASHIM_RAISE
    }

    // MARK: Functions

    /// Registers a Swift function and returns its entry (push it with `pushFunction`).
    @discardableResult
    public func register(_ qualifiedName: String, _ signature: String, _ doc: String, isMethod: Bool = false,
                         checksArity: Bool = true, _ body: @escaping LuaFunctionBody) -> LuaFunctionEntry {
        let e = LuaFunctionEntry(qualifiedName: qualifiedName, signature: signature, doc: doc, isMethod: isMethod,
                                 checksArity: checksArity, body: body)
        e.id = functions.count
        functions.append(e)
        return e
    }

    /// Pushes the Lua function of a registered entry (`help` finds its documentation through
    /// the trampoline's function id).
    public func pushFunction(_ e: LuaFunctionEntry) {
        luashim_pushfunction(L, lua_Integer(e.id))
    }

    /// Registers `body` and stores it as global `name`.
    public func setGlobalFunction(_ name: String, _ signature: String, _ doc: String, _ body: @escaping LuaFunctionBody) throws {
        let e = register(name, signature, doc, body)
        pushFunction(e)
        try setGlobalFromTop(name)
    }

    func dispatch(_ L: LuaState, _ id: Int) -> Int32 {
        guard id >= 0, id < functions.count else { return LuaVM.raiseWithoutVM(L, "EditLab: unknown function \(id)") }
        let entry = functions[id]
        activeThreads.append(L)
        defer { activeThreads.removeLast() }
        let call = LuaCall(vm: self, L: L, entry: entry)
        do {
            try call.checkArity()
            return try entry.body(call)
        } catch is LuaErrorValueOnStack {
            return LUASHIM_RAISE_VALUE
        } catch is InterruptedError {
            luashim_clear_interrupt(host)
            LuaVM.pushString(L, "interrupted!")
            return LUASHIM_RAISE
        } catch let e as LuaRaise {
            LuaVM.pushString(L, e.message)
            return LUASHIM_RAISE
        } catch let e as LuaArgumentError {
            LuaVM.pushString(L, e.message)
            return LUASHIM_RAISE
        } catch {
            LuaVM.pushString(L, "\(entry.qualifiedName): \(error)")
            return LUASHIM_RAISE
        }
    }

    /// The functions users see (module functions, methods, operators), for documentation checks.
    public var documentedFunctions: [LuaFunctionEntry] {
        modules.flatMap(\.functions) + classInfos.flatMap { $0.methods + $0.metamethods }
    }

    /// The number of values on the main thread's stack (0 between calls).
    public var stackTop: Int { Int(lua_gettop(L)) }

    /// The thread running Swift right now (the main thread outside calls).
    public var currentThread: LuaState { activeThreads.last ?? L }

    // MARK: Classes and modules

    /// Defines (once per VM) the Lua class of Swift type `T`.
    public func defineClass<T>(_ type: T.Type, name: String, doc: String) throws -> LuaClass<T> {
        if let c = classesByType[ObjectIdentifier(type)] as? LuaClass<T> { return c }
        let c = try LuaClass<T>(vm: self, name: name, doc: doc)
        classesByType[ObjectIdentifier(type)] = c
        classInfos.append(c.info)
        return c
    }

    /// The class defined for `T`, if any.
    public func luaClass<T>(_ type: T.Type) -> LuaClass<T>? {
        classesByType[ObjectIdentifier(type)] as? LuaClass<T>
    }

    /// Defines a global module table `name` whose functions `build` registers.
    @discardableResult
    public func defineModule(_ name: String, doc: String, _ build: (LuaModule) throws -> Void) throws -> LuaModule {
        let m = LuaModule(vm: self, name: name, doc: doc)
        lua_createtable(L, 0, 32)
        m.tableRef = luaL_ref(L, luashim_registryindex())
        try build(m)
        modules.append(m.info)
        pushRef(m.tableRef)
        recordDocOfTop(.module(modules.count - 1))
        try setGlobalFromTop(name)
        return m
    }

    // MARK: Running code

    /// Runs a chunk with `args` as its `...` and returns its results. Errors carry a traceback.
    @discardableResult
    public func run(_ code: String, chunkName: String = "=(editlab)", args: [LuaValue] = []) throws -> [LuaValue] {
        let L = self.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try load(code, chunkName: chunkName)
        for a in args { try push(a, on: L) }
        try callTop(nargs: Int32(args.count), traceback: true)
        var out: [LuaValue] = []
        let n = lua_gettop(L) - top
        if n > 0 {
            for i in 1...n { out.append(try value(at: top + i)) }
        }
        return out
    }

    /// Loads a chunk onto the stack (the function), or throws its syntax error.
    public func load(_ code: String, chunkName: String) throws {
        var code = code
        let status = code.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { p in
                luaL_loadbufferx(L, p.baseAddress, p.count, chunkName, "t")
            }
        }
        if status != LUA_OK { throw popError(status) }
    }

    /// Calls the function below `nargs` arguments on top of the stack, leaving all its results.
    public func callTop(nargs: Int32, traceback: Bool) throws {
        let status: Int32
        if traceback {
            status = luashim_pcall_traceback(L, nargs, luashim_multret())
        } else {
            status = luashim_pcall(L, nargs, luashim_multret(), 0)
        }
        if status != LUA_OK { throw popError(status) }
    }

    /// Pops the error value a failed call left and turns it into a `LuaError`.
    func popError(_ status: Int32, on state: LuaState? = nil) -> LuaError {
        let L = state ?? self.L
        if status == LUASHIM_ENOSTACK { return LuaError("stack overflow (the Lua stack cannot grow)") }
        let msg = LuaVM.errorMessage(L, -1)
        lua_settop(L, -2)
        return LuaError(msg)
    }

    /// A readable message for the error value at `idx` (strings and numbers as they are,
    /// otherwise `__tostring` under pcall, otherwise its type).
    static func errorMessage(_ L: LuaState, _ idx: Int32) -> String {
        let t = lua_type(L, idx)
        if t == LUA_TSTRING { return string(L, idx) ?? "" }
        if t == LUA_TNUMBER { return numberString(L, idx) }
        let i = lua_absindex(L, idx)
        if luashim_tolstring(L, i) == LUA_OK {
            let s = string(L, -1) ?? ""
            lua_settop(L, -2)
            if lua_getmetatable(L, i) != 0 {
                lua_settop(L, -2)
                return s
            }
        } else {
            lua_settop(L, -2)
        }
        return "(error object is a \(String(cString: lua_typename(L, t))) value)"
    }

    func check(_ status: Int32, _ what: String) throws {
        if status != LUA_OK { throw LuaError("\(what): \(popError(status).message)") }
    }

    // MARK: Globals

    /// Sets global `name` to the value on top of the stack (popped). Honors a metatable on
    /// the globals table (under pcall).
    public func setGlobalFromTop(_ name: String) throws {
        let status = luashim_setglobal(L, name)
        if status != LUA_OK { throw popError(status) }
    }

    /// Sets global `name` to a value.
    public func setGlobal(_ name: String, _ value: LuaValue) throws {
        try push(value)
        try setGlobalFromTop(name)
    }

    /// The value of global `name`.
    public func global(_ name: String) throws -> LuaValue {
        let status = luashim_getglobal(L, name)
        if status != LUA_OK { throw popError(status) }
        defer { lua_settop(L, -2) }
        return try value(at: -1)
    }

    // MARK: Registry references

    /// Pushes the value of a registry reference.
    public func pushRef(_ ref: Int32) {
        lua_rawgeti(L, luashim_registryindex(), lua_Integer(ref))
    }

    // MARK: Documentation index

    enum DocTarget: Equatable {
        case function(Int)
        case module(Int)
        case klass(Int)
    }

    /// Records that the value on top of the stack (kept) is documented by `target`.
    func recordDocOfTop(_ target: DocTarget) {
        let code: lua_Integer
        switch target {
        case .function(let i): code = lua_Integer(i) * 4
        case .module(let i): code = lua_Integer(i) * 4 + 1
        case .klass(let i): code = lua_Integer(i) * 4 + 2
        }
        pushRef(docTableRef)          // v docs
        lua_pushvalue(L, -2)          // v docs v
        lua_pushinteger(L, code)      // v docs v code
        lua_rawset(L, -3)             // v docs
        lua_settop(L, -2)
    }

    /// The documentation target of the value at `idx`, if it is documented.
    func docTarget(at idx: Int32) -> DocTarget? {
        let L = currentThread
        var id: lua_Integer = 0
        if luashim_functionid(L, idx, &id) != 0 { return .function(Int(id)) }
        let i = lua_absindex(L, idx)
        lua_rawgeti(L, luashim_registryindex(), lua_Integer(docTableRef))
        lua_pushvalue(L, i)
        lua_rawget(L, -2)
        var isnum: Int32 = 0
        let code = lua_tointegerx(L, -1, &isnum)
        lua_settop(L, -3)
        if isnum != 0 {
            switch code % 4 {
            case 0: return .function(Int(code / 4))
            case 1: return .module(Int(code / 4))
            default: return .klass(Int(code / 4))
            }
        }
        if let info = classInfo(ofValueAt: i, L) { return .klass(info.index) }
        return nil
    }

    /// The class of a boxed userdata at `idx`.
    func classInfo(ofValueAt idx: Int32, _ L: LuaState) -> LuaClassInfo? {
        if let b = luashim_tobox(L, idx) {
            return Unmanaged<LuaBox>.fromOpaque(b).takeUnretainedValue().info
        }
        if luashim_isbox(L, idx) != 0, lua_getmetatable(L, idx) != 0 {
            defer { lua_settop(L, -2) }
            for c in classInfos {
                pushRef(c.metatableRef)
                let same = lua_rawequal(L, -1, -2) != 0
                lua_settop(L, -2)
                if same { return c }
            }
        }
        return nil
    }

    // MARK: Interrupts

    /// Asks the running Lua code of this VM to stop (as Ctrl-C does): the next count-hook
    /// check raises "interrupted!".
    public func requestInterrupt() { luashim_request_interrupt(host) }

    /// Clears a pending interrupt request.
    public func clearInterrupt() { luashim_clear_interrupt(host) }

    /// Makes SIGINT (Ctrl-C) interrupt this VM and long Swift computations (through
    /// `Cancellation`). `restartSystemCalls`: see `luashim_sigint_install`.
    public func handleSIGINT(restartSystemCalls: Bool = true) {
        luashim_sigint_target(host)
        _ = luashim_sigint_install(restartSystemCalls ? 1 : 0)
        Cancellation.install { luashim_sigint_pending() != 0 }
    }

    /// Stops handling SIGINT.
    public func stopHandlingSIGINT() {
        Cancellation.install(nil)
        luashim_sigint_restore()
        luashim_sigint_target(nil)
    }
}

/// Thrown by Swift code that left a Lua error value on top of the stack, to be raised as it is.
struct LuaErrorValueOnStack: Error {}

/// Counts the tensor storages that Lua values reference, so the collector can be told about
/// memory it cannot see (a userdata is a few bytes; its storage may be hundreds of MB).
public final class TensorMemory {
    private var counts: [ObjectIdentifier: (count: Int, bytes: Int)] = [:]
    /// Bytes of distinct storages referenced by live Lua values.
    public private(set) var liveBytes = 0
    /// Number of distinct storages referenced by live Lua values.
    public var liveStorages: Int { counts.count }

    /// Records one more Lua reference; returns the storage's bytes if it was not referenced
    /// before (0 otherwise).
    func retain(_ s: TensorStorage) -> Int {
        let k = ObjectIdentifier(s)
        if let c = counts[k] {
            counts[k] = (c.count + 1, c.bytes)
            return 0
        }
        counts[k] = (1, s.byteCount)
        liveBytes += s.byteCount
        return s.byteCount
    }

    func release(_ s: TensorStorage) {
        let k = ObjectIdentifier(s)
        guard let c = counts[k] else { return }
        if c.count <= 1 {
            counts[k] = nil
            liveBytes -= c.bytes
        } else {
            counts[k] = (c.count - 1, c.bytes)
        }
    }
}

/// What a userdata holds: a retained Swift value and its class.
final class LuaBox {
    let value: Any
    let info: LuaClassInfo
    private let storage: TensorStorage?
    private weak var memory: TensorMemory?

    init(value: Any, info: LuaClassInfo, storage: TensorStorage? = nil, memory: TensorMemory? = nil) {
        self.value = value
        self.info = info
        self.storage = storage
        self.memory = memory
    }

    deinit {
        if let storage, let memory { memory.release(storage) }
    }
}
