import Foundation
import Scripting
import Testing

/// The REPL engine in-process: lua.c's rules for expressions and continuation lines, printing,
/// errors, and completion.
@Suite("REPL engine")
struct ReplTests {
    final class Capture {
        var out = ""
        var err = ""
    }

    func makeRepl() throws -> (Repl, Capture) {
        let vm = try LuaVM()
        let cap = Capture()
        vm.output = { cap.out += $0 }
        let repl = Repl(vm: vm)
        repl.errorOutput = { cap.err += $0 }
        return (repl, cap)
    }

    @Test func expressionsPrintTheirValues() throws {
        let (repl, cap) = try makeRepl()
        #expect(repl.feed("1 + 1") == .ran)
        #expect(cap.out == "2\n")
        cap.out = ""
        #expect(repl.feed("x = 10") == .ran)
        #expect(cap.out == "", "statements print nothing")
        repl.feed("x")
        repl.feed("= x / 4")
        repl.feed("return 1, 'a', nil")
        repl.feed("'just a string'")
        #expect(cap.out == "10\n2.5\n1\ta\tnil\njust a string\n")
        #expect(cap.err.isEmpty)
    }

    @Test func incompleteChunksContinue() throws {
        let (repl, cap) = try makeRepl()
        #expect(repl.prompt == "> ")
        #expect(repl.feed("for i = 1, 3 do") == .incomplete)
        #expect(repl.prompt == ">> ")
        #expect(repl.feed("  print(i * 10)") == .incomplete)
        #expect(repl.chunk(adding: "end") == "for i = 1, 3 do\n  print(i * 10)\nend")
        #expect(repl.feed("end") == .ran)
        #expect(repl.prompt == "> ")
        #expect(cap.out == "10\n20\n30\n")
        #expect(repl.feed("function f(a,") == .incomplete)
        #expect(repl.feed("b) return a + b end") == .ran)
        cap.out = ""
        repl.feed("f(2, 3)")
        #expect(cap.out == "5\n")
        #expect(repl.feed("s = [[long") == .incomplete, "an open long string continues")
        #expect(repl.feed("string]]") == .ran)
        repl.feed("#s")
        #expect(cap.out == "5\n11\n")
    }

    @Test func errorsPrintAndTheSessionGoesOn() throws {
        let (repl, cap) = try makeRepl()
        repl.feed("x = 1")
        #expect(repl.feed("error('boom')") == .failed)
        #expect(cap.err.contains("stdin:1: boom"))
        #expect(cap.err.contains("stack traceback:"))
        #expect(repl.feed("x = = 2") == .failed)
        #expect(cap.err.contains("unexpected symbol near '='"))
        #expect(repl.feed("tensor.zeros(2):narrow(9, 1, 1)") == .failed)
        #expect(cap.err.contains("dimension 9 out of range"))
        #expect(repl.feed("for i = 1, 2 do") == .incomplete)
        #expect(repl.feed("  local y = = 3") == .failed, "a real syntax error ends the chunk")
        #expect(repl.prompt == "> ")
        repl.feed("x + 1")
        #expect(cap.out == "2\n")
        #expect(repl.hadError)
    }

    @Test func tensorsAndTablesArePrettyPrinted() throws {
        let (repl, cap) = try makeRepl()
        repl.feed("tensor.ones(2, 2)")
        #expect(cap.out == "1  1\n1  1\n[Tensor f32 2x2]\n")
        cap.out = ""
        repl.feed("{1, 2, x = {y = 'z'}, [10] = true, t = tensor.zeros(3)}")
        #expect(cap.out == "{ 1, 2, [10] = true, t = [Tensor f32 3], x = { y = \"z\" } }\n")
        cap.out = ""
        repl.feed("{}")
        #expect(cap.out == "{}\n")
        cap.out = ""
        repl.feed("local t = {}; for i = 1, 30 do t['key' .. i] = i end; return t")
        #expect(cap.out.hasPrefix("{\n  key1 = 1,\n  key10 = 10,\n"), "long tables go one entry per line, keys sorted")
        cap.out = ""
        repl.feed("local c = {}; c.me = c; return c")
        #expect(cap.out == "{ me = <cycle> }\n")
        cap.out = ""
        repl.feed("setmetatable({}, {__tostring = function() return 'custom' end})")
        #expect(cap.out == "custom\n")
        cap.out = ""
        repl.feed("setmetatable({}, {__tostring = function() error('bad') end})")
        #expect(cap.out.hasPrefix("<tostring failed:"), "a failing __tostring is contained")
        cap.out = ""
        repl.feed("help")
        #expect(cap.out.contains("Tensor dimensions and positions are 1-based"))
    }

    @Test func completion() throws {
        let (repl, _) = try makeRepl()
        func complete(_ line: String) -> [String] {
            // the word starts after the last break character, as libedit computes it
            let breaks = Set(" \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]".utf8)
            let bytes = Array(line.utf8)
            var start = bytes.count
            while start > 0 && !breaks.contains(bytes[start - 1]) { start -= 1 }
            return repl.completions(line: line, start: start, end: bytes.count)
        }
        #expect(complete("tens") == ["tensor"])
        #expect(complete("wh").contains("while"))
        #expect(complete("tensor.ze") == ["tensor.zeros"])
        #expect(complete("x = tensor.fr") == ["tensor.from_table"])
        #expect(complete("string.for") == ["string.format"])
        repl.feed("t = tensor.zeros(2)")
        #expect(complete("t:na") == ["t:narrow"])
        #expect(complete("t:add").contains("t:add_"))
        #expect(complete("t.sh") == ["t.shape"])
        #expect(complete("nothing.here") == [])
        repl.feed("m = model.load(...)", args: ScriptingFixtures.fixtures + "/tiny-llama")
        #expect(complete("m.con") == ["m.config"])
        #expect(complete("m.config.n_la") == ["m.config.n_layers"])
        #expect(complete("m:add_h") == ["m:add_hook"])
        #expect(complete("m:add_hook(\"blocks.1.hook_resid_p") == ["blocks.1.hook_resid_post", "blocks.1.hook_resid_pre"])
        #expect(complete("m:run_with_cache({1, 2}, {names = {'blocks.0.mlp.hook_p") == ["blocks.0.mlp.hook_post", "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_pre_linear"])
        #expect(complete("m:param(\"blocks.1.mlp.d") == ["blocks.1.mlp.down"])
        // completion evaluates nothing of the user's: a hostile __index on _G is not run
        repl.feed("setmetatable(_G, {__index = function(_, k) error('hostile ' .. k) end})")
        #expect(complete("tensor.ze") == ["tensor.zeros"])
    }
}

extension Repl {
    /// Runs `code` with one string argument (test helper).
    func feed(_ code: String, args: String) {
        _ = try? vm.run(code, args: [.string(args)])
    }
}
