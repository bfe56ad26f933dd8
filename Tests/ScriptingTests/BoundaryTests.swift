import Foundation
import LanguageModels
import Scripting
import Tensors
import Testing

/// DESIGN.md hard rule 1 at the Swift/Lua boundary, and the bridge's conversions.
@Suite("Lua boundary")
struct BoundaryTests {
    /// Swift must never call an API function that can raise or run a metamethod.
    @Test func swiftSourcesCallNoRaisingLuaFunctions() throws {
        let forbidden = #"\b(lua_error|luaL_error|luaL_check\w*|luaL_arg\w*|luaL_opt\w*|luaL_tolstring|lua_getfield|lua_setfield|lua_gettable|lua_settable|lua_len|lua_concat|lua_arith|lua_compare|lua_call|lua_callk|lua_setglobal|lua_getglobal|luaL_openlibs|lua_next)\b"#
        let regex = try NSRegularExpression(pattern: forbidden)
        let sources = ScriptingFixtures.packageRoot + "/Sources"
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: sources) else { throw FixtureMissing(message: "no Sources at \(sources)") }
        var scanned = 0
        var offences: [String] = []
        for case let rel as String in walker where rel.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + rel, encoding: .utf8)
            scanned += 1
            for (n, line) in text.components(separatedBy: "\n").enumerated() {
                // comments may name the functions (to explain why they are not called)
                let code = line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? line
                let r = NSRange(code.startIndex..., in: code)
                for m in regex.matches(in: code, range: r) {
                    offences.append("\(rel):\(n + 1): \((code as NSString).substring(with: m.range))")
                }
            }
        }
        #expect(scanned > 10, "the scan found the Swift sources")
        #expect(offences.isEmpty, "raising Lua API calls in Swift: \(offences)")
    }

    /// The scan itself catches a forbidden call (so it cannot pass vacuously).
    @Test func theScanWouldCatchAnOffence() throws {
        let regex = try NSRegularExpression(pattern: #"\b(lua_getfield|luaL_check\w*)\b"#)
        for sample in ["lua_getfield(L, -1, \"x\")", "_ = luaL_checkinteger(L, 1)"] {
            #expect(regex.firstMatch(in: sample, range: NSRange(sample.startIndex..., in: sample)) != nil)
        }
        let clean = "luashim_getfield(L, idx, key)"
        #expect(regex.firstMatch(in: clean, range: NSRange(clean.startIndex..., in: clean)) == nil)
    }

    @Test func errorsFromSwiftCallsLeaveTheStateUsable() throws {
        let vm = try LuaVM()
        for _ in 0..<50 {
            #expect(throws: LuaError.self) { try vm.run("return tensor.zeros(2, 3):mm(tensor.zeros(2, 3))") }
            #expect(throws: LuaError.self) { try vm.run("return tensor.zeros(2, 3):narrow(5, 1, 1)") }
            #expect(throws: LuaError.self) { try vm.run("error(setmetatable({}, {__tostring = function() error('again') end}))") }
        }
        #expect(try vm.run("return tensor.ones(4):sum()").first?.doubleValue == 4)
        #expect(vm.stackTop == 0, "the stack is balanced after errors")
    }

    @Test func errorMessagesAreReadable() throws {
        let vm = try LuaVM()
        do {
            try vm.run("local t = tensor.zeros(2)\nreturn t:narrow(1, 1)", chunkName: "@probe.lua")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.hasPrefix("probe.lua:2: bad argument #3 to 'Tensor:narrow' (number expected, got no value)"), "\(e.message)")
            #expect(e.message.contains("stack traceback:"))
        }
        do {
            try vm.run("error(setmetatable({}, {__tostring = function() error('again') end}))")
            Issue.record("expected an error")
        } catch let e as LuaError {
            #expect(e.message.contains("(error object is a table value)"), "\(e.message)")
        }
    }

    @Test func valuesConvertBothWays() throws {
        let vm = try LuaVM()
        let v: LuaValue = ["layers": [4, 5, 6], "lr": 0.5, "name": "memit", "on": true, "nested": ["k": 1]]
        try vm.setGlobal("hp", v)
        let back = try vm.global("hp")
        #expect(back == v)
        #expect(back["layers"]?[2]?.intValue == 5)
        #expect(try vm.run("return hp.layers[3], hp.nested.k, math.type(hp.lr), math.type(hp.layers[1])")
                == [.integer(6), .integer(1), .string("float"), .string("integer")])
        let t = try vm.run("return tensor.from_table{{1, 2}, {3, 4}}")
        #expect(t.first?.tensorValue?.shape == [2, 2])
        #expect(throws: LuaError.self) { try vm.run("return 1 + nil") }
        // tables that do not convert
        for bad in ["return {[1.5] = 1}", "return {[3] = 1}", "local c = {}; c.c = c; return c"] {
            #expect(throws: (any Error).self) { try vm.run(bad) }
        }
        // functions are visible but opaque
        if case .opaque(let type, _)? = try vm.run("return print").first { #expect(type == "function") } else { Issue.record("print") }
        // a tensor pushed from Swift is a live view
        let x = Tensor.zeros([3])
        try vm.setGlobal("x", .tensor(x))
        try vm.run("x:fill_(2)")
        #expect(x.sum() == 6)
    }

    @Test func arityComesFromTheDocumentedSignature() {
        #expect(Arity(signature: "(dim, start, length) -> Tensor", selfArgument: true) == Arity(required: 4, maximum: 4))
        #expect(Arity(signature: "([dim[, keepdim]]) -> number", selfArgument: true) == Arity(required: 1, maximum: 3))
        #expect(Arity(signature: "(size...[, dtype]) -> Tensor", selfArgument: false) == Arity(required: 0, maximum: nil))
        #expect(Arity(signature: "(prompt[, {max_tokens=, seed=}]) -> string", selfArgument: true) == Arity(required: 2, maximum: 3))
        #expect(Arity(signature: "()", selfArgument: true) == Arity(required: 1, maximum: 1))
    }

    /// help's text comes from the registrations: every documented function appears, with its
    /// signature and doc, and nothing is undocumented.
    @Test func helpIsGeneratedFromRegistrations() throws {
        let vm = try LuaVM()
        var out = ""
        vm.output = { out += $0 }
        try vm.run("help(tensor)")
        #expect(out.contains("tensor.zeros(size...[, dtype]) -> Tensor"))
        #expect(out.contains("See also: help(\"Tensor\")"))
        out = ""
        try vm.run("help(tensor.zeros(2))")
        #expect(out.contains("t:narrow(dim, start, length) -> Tensor"))
        #expect(out.contains("t[i]"))
        out = ""
        try vm.run("help(tensor.zeros(2).narrow)")
        #expect(out.hasPrefix("Tensor:narrow(dim, start, length) -> Tensor\n"))
        out = ""
        try vm.run("help('Model:add_hook')")
        #expect(out.contains("Model:add_hook(name, fn) -> number"))
        out = ""
        try vm.run("help()")
        #expect(out.contains("1-based") && out.contains("0-based") && out.contains("tensor") && out.contains("model"))
        // every module function and method documented, and shown by help
        for name in ["tensor", "model", "Tensor", "Model", "Tokenizer", "Snapshot"] {
            out = ""
            try vm.run("help(...)", args: [.string(name)])
            #expect(!out.contains("no documentation"), "\(name)")
        }
        let entries = vm.documentedFunctions
        #expect(entries.count > 80)
        for e in entries {
            #expect(!e.doc.isEmpty && e.signature.hasPrefix("("), "\(e.qualifiedName) lacks documentation")
            out = ""
            try vm.run("help(...)", args: [.string(e.qualifiedName)])
            #expect(out.contains(e.signature) && out.contains(String(e.doc.prefix(20))), "help of \(e.qualifiedName): \(out)")
        }
    }

    /// Lua's collector is told about tensor memory: a loop that drops 2 MB tensors does not
    /// keep them alive (without the hint, Lua sees a few bytes per tensor and never collects).
    @Test func bigTensorsAreReclaimedPromptly() throws {
        let vm = try LuaVM()
        try vm.run("for i = 1, 200 do local t = tensor.zeros(512, 1024) end")
        #expect(vm.tensorMemory.liveBytes < 100 << 20, "live tensor bytes: \(vm.tensorMemory.liveBytes)")
        try vm.run("keep = {}; for i = 1, 10 do keep[i] = tensor.zeros(256, 1024) end")
        #expect(vm.tensorMemory.liveBytes >= 10 << 20, "referenced tensors stay")
        try vm.run("keep = nil; collectgarbage()")
        #expect(vm.tensorMemory.liveBytes < 4 << 20)
    }

    /// The count hook stops a running Lua loop when the VM's interrupt flag is set (what the
    /// SIGINT handler does), and the state goes on.
    @Test func interruptStopsARunningLoop() throws {
        let vm = try LuaVM()
        try vm.setGlobalFunction("interrupt_me", "()", "Requests an interrupt of this state.") { c in
            c.vm.requestInterrupt()
            return 0
        }
        do {
            try vm.run("interrupt_me(); while true do end")
            Issue.record("the loop was not interrupted")
        } catch let e as LuaError {
            #expect(e.message.contains("interrupted!"), "\(e.message)")
        }
        #expect(try vm.run("return 1 + 1").first?.intValue == 2)
    }

    @Test func closingTheStateReleasesObjectsAndHooks() throws {
        let m = try LanguageModel.load(ScriptingFixtures.fixtures + "/tiny-llama")
        let batch = try TokenBatch([[1, 2, 3]])
        let before = try m.logits(batch)
        do {
            let vm = try LuaVM()
            try vm.setGlobal("m", .object(m, typeName: "Model"))
            try vm.run("m:add_hook('blocks.0.hook_resid_post', function(x) return x * 0 end)")
            #expect(try m.logits(batch).maxAbsDifference(before) > 1e-3, "the Lua hook acts on the Swift model")
            vm.close()
        }
        // the hook went with the state: a forward pass from Swift is the model's own again
        #expect(try m.logits(batch).maxAbsDifference(before) == 0)
    }
}
