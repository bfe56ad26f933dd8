import Foundation
import LanguageModels

/// What is put in front of every prompt before it reaches the model, identically in every
/// score (and, by the editors, when editing).
///
/// Why: SmolLM2's tokenizer adds no BOS, so a prompt that starts with its subject puts the
/// subject on position 0, the attention-sink position, whose keys and activations are
/// abnormal (EDITING.md §11, "Subjects at position 0"). A fixed token in front moves the
/// prompt off that position.
///
/// - `automatic` (the default): the BOS token when the tokenizer adds one by default (what
///   the model saw in training, and what HF tokenizers do); otherwise the vocabulary's
///   `<|endoftext|>` token when it has one (GPT-2's BOS/EOS; SmolLM2's pre-training document
///   separator, id 0 — SmolLM2-Instruct's nominal BOS is the chat token `<|im_start|>`);
///   otherwise the BOS token if any; otherwise nothing. On SmolLM2 this is `[0]`.
/// - `none`: nothing — the reference implementations' behaviour for tokenizers that add no
///   BOS (GPT-2).
/// - `bos`: the BOS token (an error if the tokenizer has none).
/// - `text(s)`: the tokens of `s` (a neutral sentence, for example).
/// - `tokens(ids)`: these ids.
public enum PromptPrefix: Sendable, Equatable, Hashable {
    /// BOS if the tokenizer adds one, else `<|endoftext|>`, else BOS, else nothing.
    case automatic
    /// Nothing.
    case none
    /// The BOS token.
    case bos
    /// The tokens of a fixed text.
    case text(String)
    /// Fixed token ids.
    case tokens([Int])

    /// The prefix ids for `tokenizer`.
    public func ids(for tokenizer: Tokenizer) throws -> [Int] {
        switch self {
        case .none: return []
        case .automatic:
            if tokenizer.addsBOSByDefault, let b = tokenizer.bosID { return [b] }
            if let e = tokenizer.id(ofToken: "<|endoftext|>") { return [e] }
            if let b = tokenizer.bosID { return [b] }
            return []
        case .bos:
            guard let b = tokenizer.bosID else { throw DatasetError.invalidArgument("prompt prefix 'bos': the tokenizer has no BOS token") }
            return [b]
        case .text(let s): return tokenizer.encode(s)
        case .tokens(let ids):
            for id in ids where id < 0 || id >= tokenizer.vocabularySize {
                throw DatasetError.invalidArgument("prompt prefix token \(id) is outside 0..<\(tokenizer.vocabularySize)")
            }
            return ids
        }
    }

    /// A short name for logs and manifests: `automatic`, `none`, `bos`, `text:...`, `tokens:1,2`.
    public var name: String {
        switch self {
        case .automatic: return "automatic"
        case .none: return "none"
        case .bos: return "bos"
        case .text(let s): return "text:" + s
        case .tokens(let ids): return "tokens:" + ids.map(String.init).joined(separator: ",")
        }
    }

    /// Parses `name` (the inverse of `name`).
    public init(name: String) throws {
        switch name {
        case "automatic": self = .automatic
        case "none": self = .none
        case "bos": self = .bos
        default:
            if name.hasPrefix("text:") { self = .text(String(name.dropFirst(5))); return }
            if name.hasPrefix("tokens:") {
                let parts = name.dropFirst(7).split(separator: ",")
                var ids: [Int] = []
                for p in parts {
                    guard let i = Int(p.trimmingCharacters(in: .whitespaces)) else {
                        throw DatasetError.invalidArgument("prompt prefix '\(name)': '\(p)' is not a token id")
                    }
                    ids.append(i)
                }
                self = .tokens(ids)
                return
            }
            throw DatasetError.invalidArgument("unknown prompt prefix '\(name)' (automatic, none, bos, text:..., tokens:...)")
        }
    }
}
