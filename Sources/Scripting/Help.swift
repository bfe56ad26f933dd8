import CLua
import Foundation
import LuaShim

/// `print` (through `LuaVM.output`) and `help`, whose text is generated from the registered
/// entries — the same records that bind the functions, so documentation cannot drift.
extension LuaVM {
    static let overview = """
    EditLab: Lua 5.4 with tensors and language models.

    Conventions:
      - Tensor dimensions and positions are 1-based, as everywhere in Lua; negative ones count
        from the end (-1 is the last).
      - Layer numbers and token ids are 0-based, as in papers, GGUF (blk.17) and TransformerLens
        (blocks.17): m:param("blocks.0.mlp.down") is the first block's.
      - Methods ending in _ work in place and return the object itself (t:add_(u)); all others
        return new values.
    """

    func installBuiltins() throws {
        try setGlobalFunction("print", "(...)", "Writes its arguments (converted with tostring) separated by tabs, then a newline.") { c in
            var parts: [String] = []
            let n = c.argumentCount
            if n > 0 {
                for i in 1...n {
                    let status = luashim_tolstring(c.L, i)
                    if status != LUA_OK {
                        throw LuaRaise("print: \(c.vm.popError(status, on: c.L).message)")
                    }
                    parts.append(LuaVM.string(c.L, -1) ?? "")
                    lua_settop(c.L, -2)
                }
            }
            c.vm.output(parts.joined(separator: "\t") + "\n")
            return 0
        }
        // help is a callable table: help(x) prints documentation, and `help` alone (in the REPL)
        // shows the overview through __tostring.
        let L = self.L
        try ensureStack(L, 6)
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 4)
        // help(x) calls __call(help, x): the arity is checked here, not from the signature.
        let call = register("help", "([value])",
                            "Prints the documentation of a module (help(tensor)), a function (help(tensor.zeros)), an object or class (help(t), help(\"Tensor\")), or a name (help(\"Tensor:narrow\")); help() gives an overview.",
                            checksArity: false) { c in
            if c.argumentCount > 2 { throw LuaArgumentError(message: "'help' takes at most 1 argument, got \(c.argumentCount - 1)") }
            // called as help(x): argument 1 is the help table itself
            c.vm.output(c.vm.helpText(c, at: 2) + "\n")
            return 0
        }
        LuaVM.pushString(L, "__call"); pushFunction(call); lua_rawset(L, -3)
        let text = register("help.__tostring", "()", "The overview.", checksArity: false) { c in c.push(c.vm.helpOverview()) }
        LuaVM.pushString(L, "__tostring"); pushFunction(text); lua_rawset(L, -3)
        LuaVM.pushString(L, "__name"); LuaVM.pushString(L, "help"); lua_rawset(L, -3)
        lua_setmetatable(L, -2)
        recordDocOfTop(.function(call.id))
        try setGlobalFromTop("help")
    }

    /// The documentation of the value at `idx` of a call.
    func helpText(_ c: LuaCall, at idx: Int32) -> String {
        let L = c.L
        if lua_type(L, idx) <= LUA_TNIL { return helpOverview() }
        if lua_type(L, idx) == LUA_TSTRING, let name = LuaVM.string(L, idx) {
            return helpText(named: name) ?? "help: no documentation for '\(name)'. Try help() for the modules."
        }
        if let target = docTarget(at: idx) { return helpText(target) }
        return "help: no documentation for this \(typeName(L, idx)). Try help() for the modules."
    }

    /// The overview: conventions, modules and classes.
    public func helpOverview() -> String {
        var out = LuaVM.overview + "\nModules:\n"
        for m in modules {
            out += "  " + m.name.padding(toLength: 10, withPad: " ", startingAt: 0) + firstSentence(m.doc) + "\n"
        }
        out += "\nObjects: " + classInfos.map(\.name).joined(separator: ", ")
        out += "\n\nhelp(tensor) lists a module; help(x) documents a function or an object; help(\"Tensor\") a class."
        return out
    }

    /// The documentation for a name: a module, a class, `module.function`, `Class:method` or
    /// `Class.field`; nil when unknown.
    public func helpText(named name: String) -> String? {
        if let m = modules.firstIndex(where: { $0.name == name }) { return helpText(.module(m)) }
        if let c = classInfos.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) { return helpText(.klass(c)) }
        if name == "help" || name == "print", let e = functions.first(where: { $0.qualifiedName == name }) { return functionHelp(e) }
        for m in modules {
            if let e = m.functions.first(where: { $0.qualifiedName == name }) { return functionHelp(e) }
        }
        for c in classInfos {
            for sep in [":", "."] where name.hasPrefix(c.name + sep) {
                let member = String(name.dropFirst(c.name.count + 1))
                if let e = c.methods.first(where: { $0.qualifiedName == "\(c.name):\(member)" }) { return functionHelp(e) }
                if let f = c.fields.first(where: { $0.name == member }) {
                    return "\(variable(for: c)).\(f.name)\n" + wrap(f.doc, indent: 4)
                }
                if let e = c.metamethods.first(where: { $0.qualifiedName == "\(c.name).\(member)" }) { return functionHelp(e) }
            }
        }
        return nil
    }

    func helpText(_ target: DocTarget) -> String {
        switch target {
        case .function(let id):
            guard id >= 0, id < functions.count else { return "help: unknown function" }
            return functionHelp(functions[id])
        case .module(let i):
            guard i >= 0, i < modules.count else { return "help: unknown module" }
            let m = modules[i]
            var out = headed("\(m.name): ", m.doc) + "\n\nFunctions:\n"
            for e in m.functions { out += "  " + e.heading + "\n" + wrap(e.doc, indent: 6) + "\n" }
            for k in m.constants { out += "  \(m.name).\(k.name)\n" + wrap(k.doc, indent: 6) + "\n" }
            let related = classInfos.filter { c in m.functions.contains { $0.signature.contains("-> \(c.name)") } }.map(\.name)
            if !related.isEmpty { out += "\nSee also: " + related.map { "help(\"\($0)\")" }.joined(separator: ", ") }
            return out.trimmingCharacters(in: .newlines)
        case .klass(let i):
            guard i >= 0, i < classInfos.count else { return "help: unknown class" }
            return classHelp(classInfos[i])
        }
    }

    /// A short variable name for examples (`t:mm(b)`, `m:generate(...)`).
    func variable(for c: LuaClassInfo) -> String {
        switch c.name {
        case "Tensor": return "t"
        case "Model": return "m"
        case "Tokenizer": return "tok"
        default: return c.name.prefix(1).lowercased()
        }
    }

    func classHelp(_ c: LuaClassInfo) -> String {
        let v = variable(for: c)
        var out = headed("\(c.name): ", c.doc) + "\n"
        if !c.fields.isEmpty {
            out += "\nFields:\n"
            for f in c.fields { out += "  \(v).\(f.name)\n" + wrap(f.doc, indent: 6) + "\n" }
        }
        if !c.methods.isEmpty {
            out += "\nMethods:\n"
            for e in c.methods {
                let name = e.qualifiedName.split(separator: ":").last.map(String.init) ?? e.qualifiedName
                out += "  \(v):\(name)\(e.signature)\n" + wrap(e.doc, indent: 6) + "\n"
            }
        }
        if !c.metamethods.isEmpty || c.indexingDoc != nil {
            out += "\nOperators:\n"
            for e in c.metamethods { out += "  " + operatorHeading(e, v) + "\n" + wrap(e.doc, indent: 6) + "\n" }
            if let d = c.indexingDoc { out += "  \(v)[i]\n" + wrap(d, indent: 6) + "\n" }
        }
        return out.trimmingCharacters(in: .newlines)
    }

    func operatorHeading(_ e: LuaFunctionEntry, _ v: String) -> String {
        let event = e.qualifiedName.split(separator: ".").last.map(String.init) ?? ""
        switch event {
        case "__add": return "a + b"
        case "__sub": return "a - b"
        case "__mul": return "a * b"
        case "__div": return "a / b"
        case "__pow": return "\(v) ^ p"
        case "__unm": return "-\(v)"
        case "__len": return "#\(v)"
        default: return event
        }
    }

    func functionHelp(_ e: LuaFunctionEntry) -> String {
        e.heading + "\n" + wrap(e.doc, indent: 4)
    }

    /// `prefix` then `text`, wrapped with the following lines indented by 2.
    func headed(_ prefix: String, _ text: String) -> String {
        prefix + wrap(text, indent: 2, firstIndent: prefix.count).dropFirst(prefix.count)
    }

    func firstSentence(_ s: String) -> String {
        if let r = s.range(of: ". ") { return String(s[..<r.lowerBound]) + "." }
        return s
    }

    /// Word-wraps `text` at 92 columns.
    func wrap(_ text: String, indent: Int, firstIndent: Int? = nil) -> String {
        let width = 92
        var lines: [String] = []
        var line = String(repeating: " ", count: firstIndent ?? indent)
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent)
                lineHasWord = false
            }
            if lineHasWord { line += " " }
            line += word
            lineHasWord = true
        }
        if lineHasWord { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
