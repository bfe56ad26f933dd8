import ArgumentParser
import LanguageModels

/// `editlab generate <model> "prompt"`: the prompt followed by the model's continuation.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with the model (greedy unless a temperature is given).",
        discussion: "Generation stops at the end-of-sequence token or after --max-tokens tokens. With --temperature, tokens are sampled (optionally restricted by --top-k / --top-p) from a generator seeded by --seed, so a seed reproduces a continuation."
    )

    @Argument(help: "The model: a path or the default model's name (smollm2).")
    var model: String

    @Argument(help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "Maximum number of new tokens.")
    var maxTokens: Int = 32

    @Option(name: .long, help: "Sampling temperature (greedy decoding when absent).")
    var temperature: Double?

    @Option(name: .long, help: "Sample only among the k most probable tokens (0: no limit).")
    var topK: Int = 0

    @Option(name: .long, help: "Sample only among the most probable tokens whose total probability reaches p.")
    var topP: Double = 1

    @Option(name: .long, help: "Seed of the sampling generator.")
    var seed: UInt64 = 0

    func validate() throws {
        if maxTokens < 0 { throw ValidationError("--max-tokens must be non-negative") }
        if let t = temperature, !(t > 0) { throw ValidationError("--temperature must be positive") }
        if topK < 0 { throw ValidationError("--top-k must be non-negative") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
        let m = try LanguageModel.load(model)
        let sampling: Sampling = temperature.map { .sample(temperature: $0, topK: topK, topP: topP, seed: seed) } ?? .greedy
        let text = try m.generate(text: [prompt], maxTokens: maxTokens, sampling: sampling)
        print(text[0])
    }
}
