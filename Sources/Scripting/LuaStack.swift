import CLua
import Foundation
import LuaShim
import Tensors

/// Stack primitives built only on API functions that run no metamethods and raise no errors
/// (other than running out of memory).
extension LuaVM {
    /// Pushes a Swift string (any bytes, embedded zeros included).
    static func pushString(_ L: LuaState, _ s: String) {
        var s = s
        s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { p in
                _ = lua_pushlstring(L, p.baseAddress, p.count)
            }
        }
    }

    /// The string at `idx` if it is a string (numbers are not converted: converting a number
    /// in place would confuse `lua_next`).
    static func string(_ L: LuaState, _ idx: Int32) -> String? {
        guard lua_type(L, idx) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = luashim_tostring(L, idx, &len) else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    /// The number at `idx` formatted as Lua's `tostring` does (`3`, `0.5`, `1e+20`, `inf`).
    static func numberString(_ L: LuaState, _ idx: Int32) -> String {
        if lua_isinteger(L, idx) != 0 {
            var isnum: Int32 = 0
            return String(lua_tointegerx(L, idx, &isnum))
        }
        var isnum: Int32 = 0
        return formatLuaFloat(lua_tonumberx(L, idx, &isnum))
    }

    /// Formats a float like Lua 5.4 (`%.14g`, with `.0` added when it looks like an integer).
    static func formatLuaFloat(_ x: Double) -> String {
        if x.isNaN { return x.sign == .minus ? "-nan" : "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        let s = String(format: "%.14g", x)
        if s.contains(where: { $0 == "." || $0 == "e" || $0 == "n" || $0 == "i" }) { return s }
        return s + ".0"
    }

    /// The type name of the value at `idx` for messages: a class name for EditLab objects
    /// (`Tensor`, `Model`), else Lua's type name.
    func typeName(_ L: LuaState, _ idx: Int32) -> String {
        let t = lua_type(L, idx)
        if t == LUA_TNONE { return "no value" }
        if t == LUA_TUSERDATA, let c = classInfo(ofValueAt: idx, L) { return c.name }
        return String(cString: lua_typename(L, t))
    }

    /// Makes sure `n` more values fit on the stack of `L`.
    func ensureStack(_ L: LuaState, _ n: Int32) throws {
        if lua_checkstack(L, n) == 0 { throw LuaRaise("stack overflow (too many values or nesting too deep)") }
    }
}
