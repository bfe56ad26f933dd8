import ArgumentParser
import Foundation
import Scripting

/// `editlab run script.lua [args...]`: runs a Lua script as lua.c does.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script with EditLab's modules (tensor, model, ...).",
        discussion: """
        The script gets its arguments in the global table `arg` (arg[0] is the script, arg[1] the \
        first argument) and as `...`; `require` also finds modules next to the script. On an error \
        the message and a traceback go to stderr and the exit status is 1. Ctrl-C interrupts the \
        script (and long computations) with a traceback.
        """
    )

    @Argument(help: "The Lua script.")
    var script: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the script.")
    var arguments: [String] = []

    func run() throws {
        let vm: LuaVM
        do {
            vm = try LuaVM()
        } catch {
            throw ValidationError("cannot start Lua: \(error)")
        }
        let status = Session.runScript(vm: vm, path: script, arguments: arguments)
        vm.close()
        if status != 0 { throw ExitCode(status) }
    }
}
