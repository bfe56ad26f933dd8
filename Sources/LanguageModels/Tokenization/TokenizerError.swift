/// Everything that can go wrong while building or using a ``Tokenizer``.
///
/// Loading a tokenizer never crashes on bad input: every malformed file, missing or
/// ill-typed key, unsupported configuration and out-of-range token id ends up here,
/// with a message that names the offending key, value or id.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The pre-tokenizer name is not one of `gpt2`, `smollm`, `llama-bpe` (or an alias).
    case unknownPreTokenizer(String)
    /// The tokenizer file describes a pre-tokenizer this implementation cannot reproduce.
    case unsupportedPreTokenizer(String)
    /// The tokenizer model type is not byte-level BPE (e.g. SentencePiece, WordPiece).
    case unsupportedModel(String)
    /// The tokenizer file uses a feature this implementation does not support.
    case unsupportedFeature(String)
    /// A required key is absent.
    case missingKey(String)
    /// A key is present but its value has the wrong type.
    case wrongType(key: String, expected: String)
    /// A key holds an array whose length disagrees with the vocabulary.
    case lengthMismatch(key: String, expected: Int, actual: Int)
    /// A merge rule could not be parsed.
    case malformedMerge(index: Int, value: String)
    /// The vocabulary is empty, has holes in its id range, or is not byte-level.
    case malformedVocabulary(String)
    /// A token id is outside `0 ..< vocabularySize`.
    case idOutOfRange(id: Int, vocabularySize: Int)
    /// A special-token id given by `key` is outside the vocabulary.
    case specialTokenOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// A token named by a configuration file (`key`) is not in the vocabulary.
    case unknownToken(key: String, token: String)
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A file is not valid JSON, or its JSON does not have the expected shape.
    case malformedJSON(String)

    /// A one-line, human-readable explanation (also the Lua error message).
    public var description: String {
        switch self {
        case .unknownPreTokenizer(let name):
            return "unknown pre-tokenizer '\(name)' (known: \(PreTokenizer.allCases.map(\.name).joined(separator: ", ")))"
        case .unsupportedPreTokenizer(let what):
            return "unsupported pre-tokenizer: \(what)"
        case .unsupportedModel(let what):
            return "unsupported tokenizer model: \(what) (only byte-level BPE is supported)"
        case .unsupportedFeature(let what):
            return "unsupported tokenizer feature: \(what)"
        case .missingKey(let key):
            return "tokenizer: missing key '\(key)'"
        case .wrongType(let key, let expected):
            return "tokenizer: key '\(key)' should be \(expected)"
        case .lengthMismatch(let key, let expected, let actual):
            return "tokenizer: key '\(key)' has \(actual) entries, expected \(expected)"
        case .malformedMerge(let index, let value):
            return "tokenizer: merge #\(index) '\(value)' is not two symbols separated by a space"
        case .malformedVocabulary(let why):
            return "tokenizer: malformed vocabulary: \(why)"
        case .idOutOfRange(let id, let size):
            return "token id \(id) is out of range (vocabulary has \(size) tokens, ids 0..\(size - 1))"
        case .specialTokenOutOfRange(let key, let id, let size):
            return "tokenizer: '\(key)' = \(id) is out of range (vocabulary has \(size) tokens)"
        case .unknownToken(let key, let token):
            return "tokenizer: '\(key)' names token '\(token)', which is not in the vocabulary"
        case .unreadableFile(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .malformedJSON(let why):
            return "malformed tokenizer JSON: \(why)"
        }
    }
}
