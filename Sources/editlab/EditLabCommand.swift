import ArgumentParser

/// The `editlab` command-line tool.
@main
struct EditLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "editlab",
        abstract: "A workbench for knowledge editing of large language models.",
        discussion: """
        Load a model, edit what it knows (ROME, MEMIT, EMMET, AlphaEdit, ENCORE, ...), and measure \
        what the edits do to its weights, activations and abilities. Models are a path to a GGUF or \
        safetensors file or the name of the default model (smollm2).
        """,
        subcommands: [
            BenchCommand.self, CalibrateCommand.self,
            GenerateCommand.self,
            InfoCommand.self, TokenizeCommand.self,
            RunCommand.self, ReplCommand.self,
        ]
    )
}
