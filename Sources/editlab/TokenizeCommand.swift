import ArgumentParser
import LanguageModels

/// `editlab tokenize <model> "text"`: the token ids of a text and each token's spelling.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the token ids and token strings of a text.",
        discussion: "Special tokens such as <|im_start|> are matched whole unless --no-special is given. No BOS is added unless --bos is given."
    )

    @Argument(help: "The model: a path or the default model's name (smollm2).")
    var model: String

    @Argument(help: "The text to tokenize.")
    var text: String

    @Flag(name: .long, help: "Prepend the beginning-of-sequence token.")
    var bos = false

    @Flag(name: .customLong("no-special"), help: "Treat special-token text as ordinary text.")
    var noSpecial = false

    func run() throws {
        let tokenizer = try ModelLoader.loadTokenizer(ModelResolver.resolve(model))
        let ids = tokenizer.encode(text, addBOS: bos, parseSpecialTokens: !noSpecial)
        print("ids (\(ids.count)): [\(ids.map(String.init).joined(separator: ", "))]")
        let width = ids.map { String($0).count }.max() ?? 0
        for id in ids {
            let spelling = try tokenizer.tokenString(id)
            let text = String(decoding: try tokenizer.decodeBytes([id]), as: UTF8.self)
            let pad = String(repeating: " ", count: width - String(id).count)
            print("  \(pad)\(id)  \(InfoReport.quoted(spelling))  \(InfoReport.quoted(text))")
        }
    }
}
