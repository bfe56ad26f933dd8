import CLua
import Foundation
import LuaShim
import Tensors

/// A bad argument: the message reads like Lua's own (`bad argument #2 to 'Tensor:narrow'
/// (number expected, got nil)`).
public struct LuaArgumentError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One call of a Swift function from Lua: typed access to the arguments (with Lua-style
/// messages for wrong types and arity) and pushing of results.
///
/// Arguments are numbered by stack index: for methods, index 1 is self and messages count
/// the arguments after it (`t:narrow(1, 2, 3)`: `#1` is the dimension), as Lua's own
/// `luaL_argerror` does for method calls.
public struct LuaCall {
    public let vm: LuaVM
    /// The thread running the call.
    public let L: LuaState
    public let entry: LuaFunctionEntry
    /// Number of arguments (self included for methods).
    public let argumentCount: Int32

    init(vm: LuaVM, L: LuaState, entry: LuaFunctionEntry) {
        self.vm = vm
        self.L = L
        self.entry = entry
        self.argumentCount = lua_gettop(L)
    }

    // MARK: Errors

    /// `bad argument #k to 'name' (detail)`, or `bad self ...` for a method's receiver.
    public func argumentError(_ i: Int32, _ detail: String) -> LuaArgumentError {
        if entry.isMethod {
            if i == 1 {
                let call = entry.qualifiedName.replacingOccurrences(of: ":", with: " method '") + "'"
                return LuaArgumentError(message: "bad self for \(call) (\(detail)); call it with ':' as in obj:\(entry.qualifiedName.split(separator: ":").last ?? "")(...)")
            }
            return LuaArgumentError(message: "bad argument #\(i - 1) to '\(entry.qualifiedName)' (\(detail))")
        }
        return LuaArgumentError(message: "bad argument #\(i) to '\(entry.qualifiedName)' (\(detail))")
    }

    /// `expected X, got Y` for argument `i`.
    public func typeError(_ i: Int32, expected: String) -> LuaArgumentError {
        argumentError(i, "\(expected) expected, got \(vm.typeName(L, i))")
    }

    /// A Lua error with this function's name in front.
    public func error(_ message: String) -> LuaRaise { LuaRaise("\(entry.qualifiedName): \(message)") }

    func checkArity() throws {
        guard let a = entry.arity else { return }
        if let maxArgs = a.maximum, argumentCount > Int32(maxArgs) {
            let shown = entry.isMethod ? maxArgs - 1 : maxArgs
            let got = entry.isMethod ? Int(argumentCount) - 1 : Int(argumentCount)
            let expected = shown == 0 ? "no arguments" : "at most \(shown) argument\(shown == 1 ? "" : "s")"
            throw LuaArgumentError(message: "'\(entry.qualifiedName)' takes \(expected), got \(got); usage: \(entry.heading)")
        }
    }

    // MARK: Argument access

    /// The Lua type of argument `i` (`LUA_TNONE` past the end).
    public func type(_ i: Int32) -> Int32 { lua_type(L, i) }

    /// Whether argument `i` is absent or nil.
    public func isNoneOrNil(_ i: Int32) -> Bool { lua_type(L, i) <= LUA_TNIL }

    public func number(_ i: Int32) throws -> Double {
        guard lua_type(L, i) == LUA_TNUMBER else { throw typeError(i, expected: "number") }
        var isnum: Int32 = 0
        return lua_tonumberx(L, i, &isnum)
    }

    public func optionalNumber(_ i: Int32) throws -> Double? { isNoneOrNil(i) ? nil : try number(i) }

    public func number(_ i: Int32, default d: Double) throws -> Double { try optionalNumber(i) ?? d }

    /// An integer (a float with an exact integer value is accepted, as in Lua 5.4).
    public func integer(_ i: Int32) throws -> Int {
        guard lua_type(L, i) == LUA_TNUMBER else { throw typeError(i, expected: "number") }
        var isnum: Int32 = 0
        let v = lua_tointegerx(L, i, &isnum)
        guard isnum != 0 else { throw argumentError(i, "number has no integer representation") }
        return Int(v)
    }

    public func optionalInteger(_ i: Int32) throws -> Int? { isNoneOrNil(i) ? nil : try integer(i) }

    public func integer(_ i: Int32, default d: Int) throws -> Int { try optionalInteger(i) ?? d }

    /// A string (a number is converted, as Lua's own functions do).
    public func string(_ i: Int32) throws -> String {
        switch lua_type(L, i) {
        case LUA_TSTRING: return LuaVM.string(L, i) ?? ""
        case LUA_TNUMBER: return LuaVM.numberString(L, i)
        default: throw typeError(i, expected: "string")
        }
    }

    public func optionalString(_ i: Int32) throws -> String? { isNoneOrNil(i) ? nil : try string(i) }

    /// Lua truthiness of argument `i` (nil and false are false).
    public func truthy(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }

    public func optionalBoolean(_ i: Int32) throws -> Bool? {
        if isNoneOrNil(i) { return nil }
        guard lua_type(L, i) == LUA_TBOOLEAN else { throw typeError(i, expected: "boolean") }
        return lua_toboolean(L, i) != 0
    }

    /// Requires argument `i` to be a table (or a function, with `LUA_TFUNCTION`).
    public func require(_ i: Int32, type t: Int32, _ name: String) throws {
        guard lua_type(L, i) == t else { throw typeError(i, expected: name) }
    }

    /// The Swift object of class `T` at argument `i`.
    public func object<T>(_ i: Int32, _ type: T.Type) throws -> T {
        guard let c = vm.luaClass(type) else { throw LuaRaise("\(T.self) has no Lua class") }
        return try c.get(self, i)
    }

    public func optionalObject<T>(_ i: Int32, _ type: T.Type) throws -> T? {
        isNoneOrNil(i) ? nil : try object(i, type)
    }

    /// A tensor argument.
    public func tensor(_ i: Int32) throws -> Tensor { try object(i, Tensor.self) }

    /// A tensor, or a number as a 0-dimensional tensor of `dtype`.
    public func tensorOrNumber(_ i: Int32, dtype: DType) throws -> Tensor {
        if lua_type(L, i) == LUA_TNUMBER { return Tensor.scalar(try number(i), dtype: dtype) }
        guard vm.luaClass(Tensor.self)?.isInstance(L, i) == true else { throw typeError(i, expected: "Tensor or number") }
        return try tensor(i)
    }

    /// Argument `i` converted to a Swift value (tables by raw access).
    public func value(_ i: Int32) throws -> LuaValue {
        var seen: Set<UnsafeRawPointer> = []
        do {
            return try vm.value(L, at: lua_absindex(L, i), path: "table", seen: &seen, depth: 0)
        } catch let e as LuaRaise {
            throw argumentError(i, e.message)
        }
    }

    /// The options table at argument `i` (absent or nil: no options). Unknown keys are an
    /// error naming the known ones; values are read with `t[k]`, so `__index` is honoured
    /// (under pcall: a failing metamethod is a clean error).
    public func options(_ i: Int32, known: [String]) throws -> LuaOptions {
        if isNoneOrNil(i) { return LuaOptions(call: self, index: nil, argument: i) }
        guard lua_type(L, i) == LUA_TTABLE else { throw typeError(i, expected: "table of options") }
        let idx = lua_absindex(L, i)
        try vm.ensureStack(L, 6)
        lua_pushnil(L)
        while true {
            var more: Int32 = 0
            let status = luashim_next(L, idx, &more)
            if status != LUA_OK { throw argumentError(i, vm.popError(status, on: L).message) }
            if more == 0 { break }
            guard lua_type(L, -2) == LUA_TSTRING, let k = LuaVM.string(L, -2) else {
                let what = vm.typeName(L, -2)
                lua_settop(L, -3)
                throw argumentError(i, "option names are strings, got a \(what) key")
            }
            if !known.contains(k) {
                lua_settop(L, -3)
                throw argumentError(i, "unknown option '\(k)'; known options: \(known.joined(separator: ", "))")
            }
            lua_settop(L, -2)
        }
        return LuaOptions(call: self, index: idx, argument: i)
    }

    // MARK: Results

    @discardableResult public func push(_ x: Double) -> Int32 { lua_pushnumber(L, x); return 1 }
    @discardableResult public func push(_ i: Int) -> Int32 { lua_pushinteger(L, lua_Integer(i)); return 1 }
    @discardableResult public func push(_ b: Bool) -> Int32 { lua_pushboolean(L, b ? 1 : 0); return 1 }
    @discardableResult public func push(_ s: String) -> Int32 { LuaVM.pushString(L, s); return 1 }
    @discardableResult public func pushNil() -> Int32 { lua_pushnil(L); return 1 }
    @discardableResult public func push(_ t: Tensor) -> Int32 { vm.pushTensor(t, on: L); return 1 }
    @discardableResult public func push(_ v: LuaValue) throws -> Int32 { try vm.push(v, on: L); return 1 }

    /// Pushes a table of integers (a sequence).
    @discardableResult public func push(_ a: [Int]) throws -> Int32 {
        try vm.ensureStack(L, 3)
        lua_createtable(L, Int32(clamping: a.count), 0)
        for (k, x) in a.enumerated() {
            lua_pushinteger(L, lua_Integer(x))
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        return 1
    }

    /// Pushes a table of strings (a sequence).
    @discardableResult public func push(_ a: [String]) throws -> Int32 {
        try vm.ensureStack(L, 3)
        lua_createtable(L, Int32(clamping: a.count), 0)
        for (k, x) in a.enumerated() {
            LuaVM.pushString(L, x)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        return 1
    }

    /// Pushes an object of a registered class.
    @discardableResult public func push<T>(object: T) throws -> Int32 {
        guard let c = vm.luaClass(T.self) else { throw LuaRaise("\(T.self) has no Lua class") }
        c.push(L, object)
        return 1
    }
}

/// An options table (`{max_tokens = 20, seed = 1}`) read field by field under pcall.
public struct LuaOptions {
    let call: LuaCall
    /// Stack index of the table, nil when no options were given.
    let index: Int32?
    let argument: Int32

    /// Whether a table was given.
    public var isPresent: Bool { index != nil }

    /// Pushes `t[key]` (under pcall) and returns its Lua type; nothing is pushed without a table.
    func get(_ key: String) throws -> Int32? {
        guard let index else { return nil }
        let L = call.L
        let status = luashim_getfield(L, index, key)
        if status != LUA_OK {
            throw call.argumentError(argument, "reading option '\(key)' failed: \(call.vm.popError(status, on: L).message)")
        }
        return lua_type(L, -1)
    }

    private func bad(_ key: String, _ expected: String) -> LuaArgumentError {
        let got = call.vm.typeName(call.L, -1)  // the caller's defer pops the value
        return call.argumentError(argument, "option '\(key)': \(expected) expected, got \(got)")
    }

    public func number(_ key: String) throws -> Double? {
        guard let t = try get(key) else { return nil }
        defer { lua_settop(call.L, -2) }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TNUMBER else { throw bad(key, "number") }
        var isnum: Int32 = 0
        return lua_tonumberx(call.L, -1, &isnum)
    }

    public func integer(_ key: String) throws -> Int? {
        guard let t = try get(key) else { return nil }
        defer { lua_settop(call.L, -2) }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TNUMBER else { throw bad(key, "integer") }
        var isnum: Int32 = 0
        let v = lua_tointegerx(call.L, -1, &isnum)
        guard isnum != 0 else { throw call.argumentError(argument, "option '\(key)': number has no integer representation") }
        return Int(v)
    }

    public func string(_ key: String) throws -> String? {
        guard let t = try get(key) else { return nil }
        defer { lua_settop(call.L, -2) }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TSTRING else { throw bad(key, "string") }
        return LuaVM.string(call.L, -1)
    }

    public func boolean(_ key: String) throws -> Bool? {
        guard let t = try get(key) else { return nil }
        defer { lua_settop(call.L, -2) }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TBOOLEAN else { throw bad(key, "boolean") }
        return lua_toboolean(call.L, -1) != 0
    }

    /// A string or a sequence of strings.
    public func strings(_ key: String) throws -> [String]? {
        guard let v = try value(key) else { return nil }
        switch v {
        case .string(let s): return [s]
        case .table(let t) where t.fields.isEmpty:
            return try t.array.map {
                guard let s = $0.stringValue else {
                    throw call.argumentError(argument, "option '\(key)': strings expected, got a \($0.typeName)")
                }
                return s
            }
        default:
            throw call.argumentError(argument, "option '\(key)': string or table of strings expected, got \(v.typeName)")
        }
    }

    /// Any value, converted (tables by raw access).
    public func value(_ key: String) throws -> LuaValue? {
        guard let t = try get(key) else { return nil }
        defer { lua_settop(call.L, -2) }
        if t == LUA_TNIL { return nil }
        var seen: Set<UnsafeRawPointer> = []
        do {
            return try call.vm.value(call.L, at: lua_gettop(call.L), path: "option '\(key)'", seen: &seen, depth: 0)
        } catch let e as LuaRaise {
            throw call.argumentError(argument, e.message)
        }
    }
}
