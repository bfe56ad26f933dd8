import CLua
import Foundation
import LuaShim
import Tensors

/// A Lua value converted to Swift (hyper-parameter tables, script results, globals).
///
/// Tables convert by raw access (no metamethods run): the `1..n` sequence becomes `array`,
/// string keys become `fields`; other keys are refused with a clear error. Integers stay
/// integers (`3` vs `3.0` as in Lua 5.4).
public enum LuaValue {
    case nilValue
    case boolean(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case table(LuaTable)
    case tensor(Tensor)
    /// Another EditLab object (a `Model`, a `Tokenizer`, ...): the Swift value and its class name.
    case object(Any, typeName: String)
    /// A value Swift can look at but not hand back to Lua: a function, a coroutine, a foreign
    /// userdata (its Lua type and `tostring`).
    case opaque(type: String, description: String)

    /// The number, for integers and floats.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let x): return x
        default: return nil
        }
    }

    /// The integer, for integers and floats with an exact integer value.
    public var intValue: Int? {
        switch self {
        case .integer(let i): return i
        case .number(let x):
            guard x.rounded() == x, abs(x) < 9.2e18 else { return nil }
            return Int(x)
        default: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b } else { return nil } }
    public var tableValue: LuaTable? { if case .table(let t) = self { return t } else { return nil } }
    public var tensorValue: Tensor? { if case .tensor(let t) = self { return t } else { return nil } }
    public var isNil: Bool { if case .nilValue = self { return true } else { return false } }

    /// A field of a table value (nil for other values and absent keys).
    public subscript(key: String) -> LuaValue? { tableValue?.fields[key] }
    /// An element (1-based, as in Lua) of a table value's sequence.
    public subscript(index: Int) -> LuaValue? {
        guard let a = tableValue?.array, index >= 1, index <= a.count else { return nil }
        return a[index - 1]
    }

    /// The Lua type name.
    public var typeName: String {
        switch self {
        case .nilValue: return "nil"
        case .boolean: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .tensor: return "Tensor"
        case .object(_, let n): return n
        case .opaque(let t, _): return t
        }
    }
}

extension LuaValue: Equatable {
    /// Values are equal as Lua's raw equality would find them, except that tables compare by
    /// content and tensors by identity of the view.
    public static func == (a: LuaValue, b: LuaValue) -> Bool {
        switch (a, b) {
        case (.nilValue, .nilValue): return true
        case (.boolean(let x), .boolean(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.table(let x), .table(let y)): return x == y
        case (.tensor(let x), .tensor(let y)):
            return x.storage === y.storage && x.shape == y.shape && x.strides == y.strides && x.offset == y.offset
        case (.object(let x, let n), .object(let y, let m)):
            guard n == m else { return false }
            return (x as AnyObject) === (y as AnyObject)
        default: return false
        }
    }
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(arrayLiteral elements: LuaValue...) { self = .table(LuaTable(array: elements)) }
    public init(dictionaryLiteral elements: (String, LuaValue)...) {
        self = .table(LuaTable(fields: Dictionary(elements, uniquingKeysWith: { _, b in b })))
    }
    public init(nilLiteral: ()) { self = .nilValue }
}

/// A Lua table as Swift values: its `1..n` sequence and its string-keyed fields.
public struct LuaTable: Equatable {
    public var array: [LuaValue]
    public var fields: [String: LuaValue]

    public init(array: [LuaValue] = [], fields: [String: LuaValue] = [:]) {
        self.array = array
        self.fields = fields
    }

    /// Field names in sorted order (never the dictionary's order).
    public var sortedKeys: [String] { fields.keys.sorted() }
}

extension LuaVM {
    /// Converts the value at `idx` (raw access: no metamethods run).
    public func value(at idx: Int32) throws -> LuaValue {
        let L = currentThread
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        var seen: Set<UnsafeRawPointer> = []
        return try value(L, at: lua_absindex(L, idx), path: "value", seen: &seen, depth: 0)
    }

    /// Converts the value at `idx` of thread `L`; `path` names it in messages.
    func value(_ L: LuaState, at idx: Int32, path: String, seen: inout Set<UnsafeRawPointer>, depth: Int) throws -> LuaValue {
        switch lua_type(L, idx) {
        case LUA_TNIL, LUA_TNONE: return .nilValue
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            var isnum: Int32 = 0
            if lua_isinteger(L, idx) != 0 { return .integer(Int(lua_tointegerx(L, idx, &isnum))) }
            return .number(lua_tonumberx(L, idx, &isnum))
        case LUA_TSTRING: return .string(LuaVM.string(L, idx) ?? "")
        case LUA_TTABLE: return try tableValue(L, at: idx, path: path, seen: &seen, depth: depth)
        case LUA_TUSERDATA:
            if let b = luashim_tobox(L, idx) {
                let box = Unmanaged<LuaBox>.fromOpaque(b).takeUnretainedValue()
                if let t = box.value as? Tensor { return .tensor(t) }
                return .object(box.value, typeName: box.info.name)
            }
            if luashim_isbox(L, idx) != 0 { throw LuaRaise("\(path) is a closed \(typeName(L, idx))") }
            return .opaque(type: "userdata", description: LuaVM.errorMessage(L, idx))
        default:
            let t = String(cString: lua_typename(L, lua_type(L, idx)))
            let p = lua_topointer(L, idx).map { String(describing: $0) } ?? "?"
            return .opaque(type: t, description: "\(t): \(p)")
        }
    }

    private func tableValue(_ L: LuaState, at idx: Int32, path: String, seen: inout Set<UnsafeRawPointer>, depth: Int) throws -> LuaValue {
        guard depth < 100 else { throw LuaRaise("\(path): tables nested more than 100 deep") }
        guard let p = lua_topointer(L, idx) else { return .table(LuaTable()) }
        guard !seen.contains(p) else { throw LuaRaise("\(path) contains itself (a cycle cannot be converted)") }
        seen.insert(p)
        defer { seen.remove(p) }
        try ensureStack(L, 6)
        var ints: [Int: LuaValue] = [:]
        var fields: [String: LuaValue] = [:]
        lua_pushnil(L)
        while true {
            var more: Int32 = 0
            let status = luashim_next(L, idx, &more)
            if status != LUA_OK { throw LuaRaise("\(path): \(popError(status, on: L).message)") }
            if more == 0 { break }
            // key at -2, value at -1
            let kt = lua_type(L, -2)
            if kt == LUA_TSTRING, let k = LuaVM.string(L, -2) {
                fields[k] = try value(L, at: lua_absindex(L, -1), path: "\(path).\(k)", seen: &seen, depth: depth + 1)
            } else if kt == LUA_TNUMBER, lua_isinteger(L, -2) != 0 {
                var isnum: Int32 = 0
                let k = Int(lua_tointegerx(L, -2, &isnum))
                ints[k] = try value(L, at: lua_absindex(L, -1), path: "\(path)[\(k)]", seen: &seen, depth: depth + 1)
            } else {
                let desc = kt == LUA_TNUMBER ? LuaVM.numberString(L, -2) : typeName(L, -2)
                lua_settop(L, -3)
                throw LuaRaise("\(path) has a key \(desc); only string keys and a 1..n sequence convert")
            }
            lua_settop(L, -2)
        }
        var array: [LuaValue] = []
        if !ints.isEmpty {
            let n = ints.count
            for k in ints.keys.sorted() where k < 1 || k > n {
                throw LuaRaise("\(path) has the integer key \(k) outside its 1..\(n) sequence (no holes allowed)")
            }
            array = (1...n).map { ints[$0] ?? .nilValue }
        }
        return .table(LuaTable(array: array, fields: fields))
    }

    /// Pushes a Swift value onto the current thread's stack.
    public func push(_ v: LuaValue) throws {
        try push(v, on: currentThread)
    }

    func push(_ v: LuaValue, on L: LuaState) throws {
        try ensureStack(L, 4)
        switch v {
        case .nilValue: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let x): lua_pushnumber(L, x)
        case .string(let s): LuaVM.pushString(L, s)
        case .table(let t):
            lua_createtable(L, Int32(clamping: t.array.count), Int32(clamping: t.fields.count))
            for (i, e) in t.array.enumerated() {
                try push(e, on: L)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            for k in t.sortedKeys {
                LuaVM.pushString(L, k)
                try push(t.fields[k] ?? .nilValue, on: L)
                lua_rawset(L, -3)
            }
        case .tensor(let t): pushTensor(t, on: L)
        case .object(let value, let name):
            guard let info = classInfos.first(where: { $0.name == name }) else {
                throw LuaRaise("no Lua class '\(name)' in this state")
            }
            info.pushBox(L, value)
        case .opaque(let type, _):
            throw LuaRaise("a \(type) converted to Swift cannot be passed back to Lua")
        }
    }
}
