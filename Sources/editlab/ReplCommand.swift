import ArgumentParser
import Foundation
import Scripting

/// `editlab repl [--model <model>]`: the interactive Lua session.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive Lua session with EditLab's modules.",
        discussion: """
        Expressions print their values (tensors summarised, tables pretty-printed); an incomplete \
        chunk continues on the next line (>>). Line editing, tab completion of globals, fields, \
        methods and hook names, and history in ${EDITLAB_HOME:-~/.cache/editlab}/repl_history. \
        Ctrl-C stops a running loop or computation and returns to the prompt; Ctrl-D quits. When \
        standard input is not a terminal, lines are read and run without prompts.
        """
    )

    @Option(name: .long, help: "Load this model into the global m first (a path, or smollm2 for the default model).")
    var model: String?

    func run() throws {
        let vm: LuaVM
        do {
            vm = try LuaVM()
        } catch {
            throw ValidationError("cannot start Lua: \(error)")
        }
        let status = Session.runRepl(vm: vm, modelSpec: model, loadModel: model != nil)
        vm.close()
        if status != 0 { throw ExitCode(status) }
    }
}
