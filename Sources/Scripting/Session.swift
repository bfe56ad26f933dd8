import CLua
import Foundation
import LuaShim

/// The REPL attached to a terminal (libedit) or to a pipe, and `editlab run`.
public enum Session {
    /// The REPL whose completions libedit asks for (C callbacks cannot capture context). Set
    /// and read only on the main thread, while an interactive session runs.
    nonisolated(unsafe) static var activeRepl: Repl?

    /// `${EDITLAB_HOME:-~/.cache/editlab}/repl_history`.
    public static func historyPath() -> String {
        let env = ProcessInfo.processInfo.environment
        let home = env["EDITLAB_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/editlab")
        return home + "/repl_history"
    }

    /// Runs the REPL on standard input until end of input; returns the exit status. With a
    /// terminal: line editing, history, completion, Ctrl-C; otherwise lines are read and run
    /// without prompts (exit status 1 if any chunk failed).
    public static func runRepl(vm: LuaVM, modelSpec: String?, loadModel: Bool) -> Int32 {
        let repl = Repl(vm: vm)
        let interactive = isatty(0) != 0
        vm.handleSIGINT(restartSystemCalls: true)
        defer { vm.stopHandlingSIGINT() }
        if interactive {
            vm.output("EditLab (Lua 5.4): tensors and language models. help() for help, Ctrl-D to quit.\n")
        }
        if loadModel {
            do {
                let spec: LuaValue = modelSpec.map { .string($0) } ?? .nilValue
                try vm.run("m = model.load(...)", chunkName: "=--model", args: [spec])
                let desc = (try? vm.run("return tostring(m)"))?.first?.stringValue ?? "a model"
                if interactive { vm.output("m = \(desc)\n") }
            } catch {
                repl.errorOutput("could not load the model: \(error)\n")
                if !interactive { return 1 }
            }
        }
        if interactive { return runTerminal(repl) }
        while let line = readLine(strippingNewline: true) {
            vm.clearInterrupt()
            repl.feed(line)
        }
        repl.finish()
        return repl.hadError ? 1 : 0
    }

    private static func runTerminal(_ repl: Repl) -> Int32 {
        let history = historyPath()
        try? FileManager.default.createDirectory(atPath: (history as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        _ = luashim_history_load(history)
        activeRepl = repl
        defer { activeRepl = nil }
        luashim_set_completer { line, start, end in
            guard let line, let repl = Session.activeRepl else { return }
            for c in repl.completions(line: String(cString: line), start: Int(start), end: Int(end)) {
                luashim_completion_add(c)
            }
        }
        while true {
            // Without SA_RESTART, Ctrl-C ends the read: the line is discarded, a new prompt shown.
            _ = luashim_sigint_install(0)
            var interrupted: Int32 = 0
            let raw = luashim_readline(repl.prompt, &interrupted)
            _ = luashim_sigint_install(1)
            repl.vm.clearInterrupt()
            if interrupted != 0 {
                repl.cancelPending()
                repl.vm.output("\n")
                continue
            }
            guard let raw else {
                repl.vm.output("\n")
                break
            }
            let line = String(cString: raw)
            luashim_free(raw)
            if line.isEmpty && repl.pending.isEmpty { continue }
            let chunk = repl.chunk(adding: line)
            if repl.feed(line) != .incomplete {
                luashim_history_add(chunk)
                _ = luashim_history_save(history, 1000)
            }
        }
        return 0
    }

    /// Runs a script file as lua.c does: `arg` holds the arguments (arg[0] the script, arg[-1]
    /// "run", arg[-2] the executable), the chunk receives them as `...`, and `require` also
    /// looks next to the script. Errors print with a traceback to stderr; returns the exit status.
    public static func runScript(vm: LuaVM, path: String, arguments: [String], executable: String = CommandLine.arguments.first ?? "editlab") -> Int32 {
        let L = vm.L
        vm.handleSIGINT(restartSystemCalls: true)
        defer { vm.stopHandlingSIGINT() }
        func fail(_ message: String) -> Int32 {
            var s = "editlab: " + message + "\n"
            s.withUTF8 { luashim_write_stderr($0.baseAddress, $0.count) }
            return 1
        }
        do {
            try vm.setGlobal("arg", .table(LuaTable()))
            // arg has non-sequence keys (0, -1, -2): fill it by raw sets.
            try vm.run("""
                local t, script, exe, n = arg, ...
                t[-2], t[-1], t[0] = exe, "run", script
                for i = 1, n do t[i] = select(i + 3, ...) end
                """, chunkName: "=(arg)", args: [.string(path), .string(executable), .integer(arguments.count)] + arguments.map { .string($0) })
            let dir = (path as NSString).deletingLastPathComponent
            let prefix = dir.isEmpty ? "." : dir
            try vm.run("""
                local dir = ...
                package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. package.path
                """, chunkName: "=(package.path)", args: [.string(prefix)])
        } catch {
            return fail("\(error)")
        }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let status = luaL_loadfilex(L, path, nil)
        if status != LUA_OK {
            return fail(vm.popError(status).message)
        }
        for a in arguments { LuaVM.pushString(L, a) }
        vm.clearInterrupt()
        do {
            try vm.callTop(nargs: Int32(arguments.count), traceback: true)
        } catch {
            return fail("\(error)")
        }
        return 0
    }
}
