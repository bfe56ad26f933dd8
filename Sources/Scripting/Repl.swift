import CLua
import Foundation
import LanguageModels
import LuaShim

/// The interactive read-eval-print loop, in the manner of lua.c 5.4: a line is first tried as
/// `return <line>` (so expressions print their values); a chunk that is incomplete (its syntax
/// error is at `<eof>`) continues on the next line with the `>>` prompt; results are printed
/// with tensors summarised and tables pretty-printed; errors print and the session goes on.
public final class Repl {
    public let vm: LuaVM
    /// Lines of an incomplete chunk.
    public private(set) var pending: [String] = []
    /// Where errors go (stderr by default).
    public var errorOutput: (String) -> Void = { s in
        var s = s
        s.withUTF8 { luashim_write_stderr($0.baseAddress, $0.count) }
    }
    /// Whether any chunk failed.
    public private(set) var hadError = false

    public init(vm: LuaVM) { self.vm = vm }

    /// The prompt for the next line.
    public var prompt: String { pending.isEmpty ? "> " : ">> " }

    public enum FeedResult: Equatable {
        /// The chunk needs more lines.
        case incomplete
        /// The chunk ran.
        case ran
        /// The chunk failed to compile or raised an error (printed).
        case failed
    }

    /// Feeds one line of input.
    @discardableResult
    public func feed(_ line: String) -> FeedResult {
        let L = vm.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if pending.isEmpty {
            let expr = line.hasPrefix("=") ? String(line.dropFirst()) : line
            if (try? vm.load("return " + expr, chunkName: "=stdin")) != nil {
                return execute(top: top)
            }
        }
        let chunk = (pending + [line]).joined(separator: "\n")
        do {
            try vm.load(chunk, chunkName: "=stdin")
        } catch let e as LuaError {
            if e.message.hasSuffix("<eof>") {
                pending.append(line)
                return .incomplete
            }
            pending = []
            report(e.message)
            return .failed
        } catch {
            pending = []
            report("\(error)")
            return .failed
        }
        pending = []
        return execute(top: top)
    }

    /// The complete chunk most recently fed (for history), before `feed` clears it.
    public func chunk(adding line: String) -> String { (pending + [line]).joined(separator: "\n") }

    /// Discards an incomplete chunk (Ctrl-C at a continuation prompt).
    public func cancelPending() { pending = [] }

    /// Runs the function on top of the stack and prints its results.
    private func execute(top: Int32) -> FeedResult {
        let L = vm.L
        vm.clearInterrupt()
        do {
            try vm.callTop(nargs: 0, traceback: true)
        } catch let e as LuaError {
            report(e.message)
            return .failed
        } catch {
            report("\(error)")
            return .failed
        }
        let n = lua_gettop(L) - top
        if n > 0 {
            var parts: [String] = []
            for i in 1...n { parts.append(format(top + i)) }
            vm.output(parts.joined(separator: "\t") + "\n")
        }
        return .ran
    }

    /// Reports the end of input: an incomplete chunk is an error.
    public func finish() {
        guard !pending.isEmpty else { return }
        let chunk = pending.joined(separator: "\n")
        pending = []
        do {
            try vm.load(chunk, chunkName: "=stdin")
            lua_settop(vm.L, -2)
        } catch {
            report("\(error)")
        }
    }

    private func report(_ message: String) {
        hadError = true
        errorOutput(message + "\n")
    }

    // MARK: Printing

    /// The text the REPL prints for the value at `idx`: strings as they are, numbers as Lua
    /// writes them, tensors summarised (torch7 style), tables pretty-printed, other values with
    /// `tostring` (under pcall).
    public func format(_ idx: Int32) -> String {
        let L = vm.L
        let i = lua_absindex(L, idx)
        switch lua_type(L, i) {
        case LUA_TSTRING: return LuaVM.string(L, i) ?? ""
        case LUA_TTABLE:
            if hasToString(i) { return tostring(i) }
            var seen = Set<UnsafeRawPointer>()
            return prettyTable(i, indent: 0, depth: 0, seen: &seen)
        default: return tostring(i)
        }
    }

    private func hasToString(_ i: Int32) -> Bool {
        let L = vm.L
        guard lua_getmetatable(L, i) != 0 else { return false }
        LuaVM.pushString(L, "__tostring")
        let t = lua_rawget(L, -2)
        lua_settop(L, -3)
        return t != LUA_TNIL
    }

    private func tostring(_ i: Int32) -> String {
        let L = vm.L
        let status = luashim_tolstring(L, i)
        if status != LUA_OK {
            return "<tostring failed: \(vm.popError(status).message)>"
        }
        defer { lua_settop(L, -2) }
        return LuaVM.string(L, -1) ?? ""
    }

    /// A value inside a table: strings quoted, tensors as their footer, tables recursively.
    private func inner(_ i: Int32, indent: Int, depth: Int, seen: inout Set<UnsafeRawPointer>) -> String {
        let L = vm.L
        switch lua_type(L, i) {
        case LUA_TSTRING: return quote(LuaVM.string(L, i) ?? "")
        case LUA_TTABLE:
            if hasToString(i) { return tostring(i) }
            return prettyTable(i, indent: indent, depth: depth, seen: &seen)
        case LUA_TUSERDATA:
            if let t = vm.tensorClass?.value(L, i) { return t.summary }
            return tostring(i)
        default: return tostring(i)
        }
    }

    func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 32 || ch.value == 127 { out += "\\\(ch.value)" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }

    private func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.isASCII && CharacterSet.letters.contains(f)) else { return false }
        let keywords: Set<String> = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                                     "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]
        return !keywords.contains(s) && s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    /// Pretty-prints the table at `i` by raw traversal: the sequence first, then the other keys
    /// sorted; at most 100 entries and 4 levels shown; one line when short.
    func prettyTable(_ i: Int32, indent: Int, depth: Int, seen: inout Set<UnsafeRawPointer>) -> String {
        let L = vm.L
        guard let p = lua_topointer(L, i) else { return "{}" }
        if seen.contains(p) { return "<cycle>" }
        if depth >= 4 { return "{...}" }
        guard lua_checkstack(L, 8) != 0 else { return "{...}" }
        seen.insert(p)
        defer { seen.remove(p) }
        let n = Int(lua_rawlen(L, i))
        let limit = 100
        var items: [String] = []
        let childIndent = indent + 2
        for k in 0..<min(n, limit) {
            lua_rawgeti(L, i, lua_Integer(k + 1))
            items.append(inner(lua_gettop(L), indent: childIndent, depth: depth + 1, seen: &seen))
            lua_settop(L, -2)
        }
        // Other keys, collected then sorted (never in the table's internal order).
        var keyed: [(sortKey: String, text: String)] = []
        var others = 0
        lua_pushnil(L)
        while true {
            var more: Int32 = 0
            if luashim_next(L, i, &more) != LUA_OK { lua_settop(L, -2); break }
            if more == 0 { break }
            var isSequence = false
            if lua_type(L, -2) == LUA_TNUMBER, lua_isinteger(L, -2) != 0 {
                var isnum: Int32 = 0
                let k = lua_tointegerx(L, -2, &isnum)
                isSequence = k >= 1 && k <= n
            }
            if !isSequence {
                others += 1
                if keyed.count < limit {
                    let keyText: String
                    let sortKey: String
                    if lua_type(L, -2) == LUA_TSTRING, let s = LuaVM.string(L, -2) {
                        keyText = isIdentifier(s) ? s : "[\(quote(s))]"
                        sortKey = "1" + s
                    } else if lua_type(L, -2) == LUA_TNUMBER {
                        let s = LuaVM.numberString(L, -2)
                        keyText = "[\(s)]"
                        var isnum: Int32 = 0
                        sortKey = "0" + String(format: "%030.6f", lua_tonumberx(L, -2, &isnum) + 1e20)
                    } else {
                        let s = tostring(lua_absindex(L, -2))
                        keyText = "[\(s)]"
                        sortKey = "2" + s
                    }
                    let v = inner(lua_absindex(L, -1), indent: childIndent, depth: depth + 1, seen: &seen)
                    keyed.append((sortKey, "\(keyText) = \(v)"))
                }
            }
            lua_settop(L, -2)
        }
        keyed.sort { $0.sortKey < $1.sortKey }
        items += keyed.map(\.text)
        let hidden = max(n - limit, 0) + max(others - limit, 0)
        if hidden > 0 { items.append("... (\(hidden) more)") }
        if items.isEmpty { return "{}" }
        let oneLine = "{ " + items.joined(separator: ", ") + " }"
        if oneLine.count + indent <= 80 && !oneLine.contains("\n") { return oneLine }
        let pad = String(repeating: " ", count: childIndent)
        return "{\n" + items.map { pad + $0 + "," }.joined(separator: "\n") + "\n" + String(repeating: " ", count: indent) + "}"
    }

    // MARK: Completion

    static let keywords = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                           "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]

    /// Completions of the word at bytes `start..<end` of `line`: each candidate replaces the
    /// whole word. Globals and keywords; `a.b.` fields; `obj:` methods; hook and parameter
    /// names inside the string argument of `m:add_hook("`, `m:run_with_cache(`, `m:param("`.
    /// Nothing is evaluated except EditLab's own field getters.
    public func completions(line: String, start: Int, end: Int) -> [String] {
        let bytes = Array(line.utf8)
        let s = max(0, min(start, bytes.count)), e = max(s, min(end, bytes.count))
        let word = String(decoding: bytes[s..<e], as: UTF8.self)
        let before = String(decoding: bytes[0..<s], as: UTF8.self)
        let L = vm.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if let q = before.last, q == "\"" || q == "'" {
            return nameCompletions(before: String(before.dropLast()), word: word)
        }
        // Split "a.b.c:pa" into the base path, the separator and the partial name.
        let sepIndex = word.lastIndex(where: { $0 == "." || $0 == ":" })
        guard let sepIndex else {
            var names = Set(Repl.keywords.filter { $0.hasPrefix(word) })
            luashim_pushglobaltable(L)
            for k in keys(of: lua_gettop(L)) where k.hasPrefix(word) { names.insert(k) }
            return names.sorted()
        }
        let base = String(word[..<sepIndex])
        let sep = word[sepIndex]
        let partial = String(word[word.index(after: sepIndex)...])
        guard resolve(base) else { return [] }
        let obj = lua_gettop(L)
        var names: [String] = []
        if let info = vm.classInfo(ofValueAt: obj, L) {
            let methods = info.methods.compactMap { $0.qualifiedName.split(separator: ":").last.map(String.init) }
            names = sep == ":" ? methods : info.fields.map(\.name) + methods
        } else if lua_type(L, obj) == LUA_TTABLE {
            names = keys(of: obj, functionsOnly: sep == ":")
        } else if lua_type(L, obj) == LUA_TSTRING && sep == ":" {
            _ = luashim_getglobal(L, "string")
            names = keys(of: lua_gettop(L), functionsOnly: true)
        }
        return Array(Set(names.filter { $0.hasPrefix(partial) })).sorted().map { base + String(sep) + $0 }
    }

    /// Hook or parameter names for a string argument being typed.
    private func nameCompletions(before: String, word: String) -> [String] {
        let L = vm.L
        // the object and method the string belongs to: "<path>:<method>(" somewhere before
        let methods = ["add_hook": true, "run_with_cache": true, "param": false, "set_param": false, "params": false]
        var best: (range: Range<String.Index>, method: String)? = nil
        for (m, _) in methods {
            if let r = before.range(of: ":\(m)(", options: .backwards), best.map({ r.lowerBound > $0.range.lowerBound }) ?? true {
                best = (r, m)
            }
        }
        guard let best else { return [] }
        let head = before[..<best.range.lowerBound]
        let pathChars = head.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        let path = String(pathChars.reversed())
        guard !path.isEmpty, resolve(path) else { return [] }
        guard let m = vm.luaClass(LanguageModel.self)?.value(L, lua_gettop(L)) else { return [] }
        let names = (methods[best.method] ?? false) ? m.hookNames : m.parameterNames
        return names.filter { $0.hasPrefix(word) }.sorted()
    }

    /// Pushes the value of a dotted path of globals (raw for tables, EditLab's getters for
    /// EditLab objects); false (nothing pushed) when it does not resolve.
    private func resolve(_ path: String) -> Bool {
        let L = vm.L
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return false }
        luashim_pushglobaltable(L)
        for p in parts {
            let cur = lua_gettop(L)
            if lua_type(L, cur) == LUA_TTABLE {
                LuaVM.pushString(L, p)
                lua_rawget(L, cur)
            } else if vm.classInfo(ofValueAt: cur, L) != nil {
                LuaVM.pushString(L, p)
                if luashim_gettable(L, cur) != LUA_OK { lua_settop(L, cur - 1); return false }
            } else {
                lua_settop(L, cur - 1)
                return false
            }
            luashim_remove(L, cur)
            if lua_type(L, -1) <= LUA_TNIL { lua_settop(L, -2); return false }
        }
        return true
    }

    /// String keys of the table at `idx` and of tables reached through `__index` tables.
    private func keys(of idx: Int32, functionsOnly: Bool = false) -> [String] {
        let L = vm.L
        var out: [String] = []
        var t = lua_absindex(L, idx)
        var hops = 0
        while lua_type(L, t) == LUA_TTABLE && hops < 4 {
            lua_pushnil(L)
            while true {
                var more: Int32 = 0
                if luashim_next(L, t, &more) != LUA_OK { lua_settop(L, -2); break }
                if more == 0 { break }
                if lua_type(L, -2) == LUA_TSTRING, let k = LuaVM.string(L, -2), isIdentifier(k),
                   !functionsOnly || lua_type(L, -1) == LUA_TFUNCTION {
                    out.append(k)
                }
                lua_settop(L, -2)
            }
            guard lua_getmetatable(L, t) != 0 else { break }
            LuaVM.pushString(L, "__index")
            lua_rawget(L, -2)
            t = lua_gettop(L)
            hops += 1
        }
        return out
    }
}
