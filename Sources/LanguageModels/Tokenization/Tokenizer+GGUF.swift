extension Tokenizer {
    /// Builds the tokenizer stored in a GGUF file's metadata (llama.cpp's `tokenizer.ggml.*` keys).
    ///
    /// Reads `tokenizer.ggml.model` (must be `"gpt2"`, i.e. byte-level BPE),
    /// `tokenizer.ggml.pre` (the pre-tokenizer; `"gpt2"` when absent), `tokenizer.ggml.tokens`,
    /// `tokenizer.ggml.merges` (`"left right"` strings), and optionally
    /// `tokenizer.ggml.token_type` (3 = CONTROL and 4 = USER_DEFINED tokens are matched whole),
    /// `tokenizer.ggml.bos_token_id`, `tokenizer.ggml.eos_token_id`,
    /// `tokenizer.ggml.padding_token_id` and `tokenizer.ggml.add_bos_token`.
    /// With `llama-bpe`, words found whole in the vocabulary skip the merges and BOS is added
    /// by default, as in llama.cpp.
    ///
    /// - Parameters:
    ///   - ggufMetadata: the file's metadata key/values.
    ///   - preTokenizer: a pre-tokenizer name overriding `tokenizer.ggml.pre`.
    /// - Throws: ``TokenizerError`` naming the missing or ill-typed key, or the unsupported
    ///   model; never crashes, whatever the metadata holds.
    public convenience init(ggufMetadata: [String: GGUFValue], preTokenizer: String? = nil) throws {
        try self.init(parts: GGUFTokenizerLoader.parts(ggufMetadata, preTokenizer: preTokenizer))
    }
}

enum GGUFTokenizerLoader {
    static let modelKey = "tokenizer.ggml.model"
    static let preKey = "tokenizer.ggml.pre"
    static let tokensKey = "tokenizer.ggml.tokens"
    static let mergesKey = "tokenizer.ggml.merges"
    static let typesKey = "tokenizer.ggml.token_type"
    static let bosKey = "tokenizer.ggml.bos_token_id"
    static let eosKey = "tokenizer.ggml.eos_token_id"
    static let padKey = "tokenizer.ggml.padding_token_id"
    static let addBOSKey = "tokenizer.ggml.add_bos_token"

    /// GGUF token types (llama.cpp's `llama_token_type`).
    static let controlType = 3
    static let userDefinedType = 4

    static func parts(_ m: [String: GGUFValue], preTokenizer override: String?) throws -> TokenizerParts {
        guard let modelValue = m[modelKey] else { throw TokenizerError.missingKey(modelKey) }
        guard let model = modelValue.stringValue else {
            throw TokenizerError.wrongType(key: modelKey, expected: "a string")
        }
        guard model == "gpt2" else {
            throw TokenizerError.unsupportedModel("\(modelKey) = '\(model)'")
        }

        let preName: String
        if let override {
            preName = override
        } else if let v = m[preKey] {
            guard let s = v.stringValue else { throw TokenizerError.wrongType(key: preKey, expected: "a string") }
            preName = s
        } else {
            preName = "gpt2"
        }
        let pre = try PreTokenizer(name: preName)

        guard let tokensValue = m[tokensKey] else { throw TokenizerError.missingKey(tokensKey) }
        guard let tokens = tokensValue.stringArray else {
            throw TokenizerError.wrongType(key: tokensKey, expected: "an array of strings")
        }
        guard let mergesValue = m[mergesKey] else { throw TokenizerError.missingKey(mergesKey) }
        guard let mergeStrings = mergesValue.stringArray else {
            throw TokenizerError.wrongType(key: mergesKey, expected: "an array of strings")
        }
        var merges: [([UInt8], [UInt8])] = []
        merges.reserveCapacity(mergeStrings.count)
        for (i, rule) in mergeStrings.enumerated() {
            merges.append(try splitMergeRule(rule, index: i))
        }

        var specials: [SpecialToken] = []
        if let typesValue = m[typesKey] {
            guard let types = typesValue.intArray else {
                throw TokenizerError.wrongType(key: typesKey, expected: "an array of integers")
            }
            guard types.count == tokens.count else {
                throw TokenizerError.lengthMismatch(key: typesKey, expected: tokens.count, actual: types.count)
            }
            for (id, type) in types.enumerated() where type == controlType || type == userDefinedType {
                specials.append(SpecialToken(id: id, content: tokens[id], isControl: type == controlType))
            }
        }

        func optionalID(_ key: String) throws -> Int? {
            guard let v = m[key] else { return nil }
            guard v.boolValue == nil, let id = v.intValue else {
                throw TokenizerError.wrongType(key: key, expected: "an integer")
            }
            guard id >= 0 && id < tokens.count else {
                throw TokenizerError.specialTokenOutOfRange(key: key, id: id, vocabularySize: tokens.count)
            }
            return id
        }
        let bos = try optionalID(bosKey)
        let eos = try optionalID(eosKey)
        let pad = try optionalID(padKey)

        var addBOS = pre == .llamaBPE
        if let v = m[addBOSKey] {
            guard let b = v.boolValue else { throw TokenizerError.wrongType(key: addBOSKey, expected: "a boolean") }
            addBOS = b
        }

        return TokenizerParts(tokens: tokens, merges: merges, specialTokens: specials,
                              preTokenizer: pre, bosID: bos, eosID: eos, padID: pad,
                              ignoreMerges: pre == .llamaBPE, addBOSByDefault: addBOS)
    }
}
