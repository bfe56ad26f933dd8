import Foundation

extension Tokenizer {
    /// Loads an HF `tokenizer.json` (model type `BPE`, byte-level), and the
    /// `tokenizer_config.json` beside it if there is one (for `bos_token`, `eos_token`,
    /// `pad_token`).
    ///
    /// The pre-tokenizer is recognised from the file's `pre_tokenizer`: `ByteLevel` with
    /// `use_regex` → `gpt2`; a `Sequence` of `Digits` (individual digits) then `ByteLevel` →
    /// `smollm`; a `Sequence` of a `Split` on Llama 3's regex then `ByteLevel` → `llama-bpe`.
    /// Anything else is rejected unless `preTokenizer` names one explicitly.
    ///
    /// - Parameters:
    ///   - url: the `tokenizer.json` file.
    ///   - preTokenizer: a pre-tokenizer name overriding what the file says.
    /// - Throws: ``TokenizerError`` for unreadable or malformed files and unsupported features.
    public convenience init(tokenizerJSONAt url: URL, preTokenizer: String? = nil) throws {
        let data = try HuggingFaceTokenizerLoader.read(url)
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        var config: Data? = nil
        if FileManager.default.fileExists(atPath: configURL.path) {
            config = try HuggingFaceTokenizerLoader.read(configURL)
        }
        try self.init(tokenizerJSON: data, tokenizerConfig: config, preTokenizer: preTokenizer)
    }

    /// Builds a tokenizer from the contents of an HF `tokenizer.json` and, optionally, of its
    /// `tokenizer_config.json`. See ``init(tokenizerJSONAt:preTokenizer:)``.
    ///
    /// BOS/EOS/padding come from the config's `bos_token` / `eos_token` / `pad_token` when
    /// given, else from the added tokens when exactly one has a well-known name
    /// (`<s>`, `<|begin_of_text|>`, ... / `</s>`, `<|endoftext|>`, `<|end_of_text|>`, ...), else `nil`.
    public convenience init(tokenizerJSON: Data, tokenizerConfig: Data? = nil, preTokenizer: String? = nil) throws {
        try self.init(parts: HuggingFaceTokenizerLoader.parts(
            tokenizerJSON, config: tokenizerConfig, preTokenizer: preTokenizer))
    }
}

enum HuggingFaceTokenizerLoader {
    /// Llama 3's pre-tokenizer regex, as written in its `tokenizer.json`.
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// GPT-2's regex, which a `Split` may spell out instead of `ByteLevel(use_regex)`.
    static let gpt2Regex =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    static let wellKnownBOS = ["<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>"]
    static let wellKnownEOS = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"]
    static let wellKnownPad = ["<pad>", "<|pad|>", "[PAD]"]

    static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }

    static func jsonObject(_ data: Data, what: String) throws -> [String: Any] {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.malformedJSON("\(what) is not valid JSON (\(error.localizedDescription))")
        }
        guard let object = any as? [String: Any] else {
            throw TokenizerError.malformedJSON("\(what) is not a JSON object")
        }
        return object
    }

    /// An integer JSON value (`nil` for fractions, strings, ...).
    static func integer(_ any: Any?) -> Int? {
        any as? Int
    }

    static func isNull(_ any: Any?) -> Bool {
        any == nil || any is NSNull
    }

    static func parts(_ data: Data, config configData: Data?, preTokenizer override: String?) throws -> TokenizerParts {
        let root = try jsonObject(data, what: "tokenizer.json")

        guard let modelAny = root["model"] else { throw TokenizerError.missingKey("model") }
        guard let model = modelAny as? [String: Any] else {
            throw TokenizerError.wrongType(key: "model", expected: "an object")
        }
        guard let type = model["type"] as? String else {
            throw TokenizerError.missingKey("model.type")
        }
        guard type == "BPE" else { throw TokenizerError.unsupportedModel("model.type = '\(type)'") }
        if let fallback = model["byte_fallback"] as? Bool, fallback {
            throw TokenizerError.unsupportedFeature("model.byte_fallback = true (SentencePiece-style BPE)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[key] as? String, !s.isEmpty {
                throw TokenizerError.unsupportedFeature("model.\(key) = '\(s)'")
            }
        }
        if !isNull(root["normalizer"]) {
            let kind = (root["normalizer"] as? [String: Any])?["type"] as? String ?? "?"
            throw TokenizerError.unsupportedFeature("normalizer of type '\(kind)'")
        }
        let ignoreMerges = model["ignore_merges"] as? Bool ?? false

        // Vocabulary: model.vocab plus added_tokens (which may extend it).
        guard let vocabAny = model["vocab"] else { throw TokenizerError.missingKey("model.vocab") }
        guard let vocab = vocabAny as? [String: Any] else {
            throw TokenizerError.wrongType(key: "model.vocab", expected: "an object mapping tokens to ids")
        }
        var added: [SpecialToken] = []
        if let addedAny = root["added_tokens"], !(addedAny is NSNull) {
            guard let list = addedAny as? [Any] else {
                throw TokenizerError.wrongType(key: "added_tokens", expected: "an array")
            }
            for (i, item) in list.enumerated() {
                guard let entry = item as? [String: Any], let id = integer(entry["id"]),
                      let content = entry["content"] as? String else {
                    throw TokenizerError.wrongType(key: "added_tokens[\(i)]", expected: "an object with integer 'id' and string 'content'")
                }
                let special = entry["special"] as? Bool ?? true
                added.append(SpecialToken(id: id, content: content, isControl: special))
            }
        }
        let maxCount = vocab.count + added.count
        var slots = [String?](repeating: nil, count: maxCount)
        func place(_ id: Int, _ token: String, overriding: Bool) throws {
            guard id >= 0 && id < maxCount else {
                throw TokenizerError.malformedVocabulary("token '\(token)' has id \(id), but there are only \(maxCount) tokens")
            }
            if let existing = slots[id], existing != token, !overriding {
                throw TokenizerError.malformedVocabulary("id \(id) is given to both '\(existing)' and '\(token)'")
            }
            slots[id] = token
        }
        for (token, idAny) in vocab {
            guard let id = integer(idAny) else {
                throw TokenizerError.wrongType(key: "model.vocab[\"\(token)\"]", expected: "an integer id")
            }
            try place(id, token, overriding: false)
        }
        for t in added { try place(t.id, t.content, overriding: true) }
        let count = (slots.lastIndex { $0 != nil } ?? -1) + 1
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        for id in 0..<count {
            guard let s = slots[id] else {
                throw TokenizerError.malformedVocabulary("no token has id \(id)")
            }
            tokens.append(s)
        }

        // Merges: ["a b", ...] or [["a", "b"], ...].
        guard let mergesAny = model["merges"] else { throw TokenizerError.missingKey("model.merges") }
        guard let mergeList = mergesAny as? [Any] else {
            throw TokenizerError.wrongType(key: "model.merges", expected: "an array")
        }
        var merges: [([UInt8], [UInt8])] = []
        merges.reserveCapacity(mergeList.count)
        for (i, item) in mergeList.enumerated() {
            if let rule = item as? String {
                merges.append(try splitMergeRule(rule, index: i))
            } else if let pair = item as? [Any], pair.count == 2,
                      let l = pair[0] as? String, let r = pair[1] as? String, !l.isEmpty, !r.isEmpty {
                merges.append((Array(l.utf8), Array(r.utf8)))
            } else {
                throw TokenizerError.malformedMerge(index: i, value: "\(item)")
            }
        }

        let pre: PreTokenizer
        if let override {
            pre = try PreTokenizer(name: override)
        } else {
            pre = try detectPreTokenizer(root["pre_tokenizer"])
        }

        // Special token ids: tokenizer_config.json, else well-known added tokens.
        var byContent: [[UInt8]: Int] = [:]
        for (id, s) in tokens.enumerated() { byContent[Array(s.utf8)] = id }
        for t in added { byContent[Array(t.content.utf8)] = t.id }
        var config: [String: Any] = [:]
        if let configData { config = try jsonObject(configData, what: "tokenizer_config.json") }
        func resolve(_ key: String, _ wellKnown: [String]) throws -> Int? {
            if let value = config[key], !(value is NSNull) {
                let name: String
                if let s = value as? String {
                    name = s
                } else if let d = value as? [String: Any], let s = d["content"] as? String {
                    name = s
                } else {
                    throw TokenizerError.wrongType(key: "tokenizer_config.json: \(key)", expected: "a token string or {\"content\": ...}")
                }
                guard let id = byContent[Array(name.utf8)] else {
                    throw TokenizerError.unknownToken(key: "tokenizer_config.json: \(key)", token: name)
                }
                return id
            }
            let found = Set(added.filter { wellKnown.contains($0.content) }.map(\.id))
            return found.count == 1 ? found.first : nil
        }
        let bos = try resolve("bos_token", wellKnownBOS)
        let eos = try resolve("eos_token", wellKnownEOS)
        let pad = try resolve("pad_token", wellKnownPad)
        let addBOS = config["add_bos_token"] as? Bool ?? false

        return TokenizerParts(tokens: tokens, merges: merges, specialTokens: added,
                              preTokenizer: pre, bosID: bos, eosID: eos, padID: pad,
                              ignoreMerges: ignoreMerges, addBOSByDefault: addBOS)
    }

    /// Recognises the supported `pre_tokenizer` configurations.
    static func detectPreTokenizer(_ any: Any?) throws -> PreTokenizer {
        guard let pt = any as? [String: Any] else {
            throw TokenizerError.unsupportedPreTokenizer(
                isNull(any) ? "none (pre_tokenizer is null); pass a pre-tokenizer name explicitly"
                            : "pre_tokenizer is not an object")
        }
        let type = pt["type"] as? String ?? "?"
        func byteLevel(_ d: [String: Any], useRegex: Bool) throws -> Bool {
            guard d["type"] as? String == "ByteLevel" else { return false }
            if d["add_prefix_space"] as? Bool == true {
                throw TokenizerError.unsupportedPreTokenizer("ByteLevel with add_prefix_space = true")
            }
            return (d["use_regex"] as? Bool ?? true) == useRegex
        }
        if type == "ByteLevel" {
            if try byteLevel(pt, useRegex: true) { return .gpt2 }
            throw TokenizerError.unsupportedPreTokenizer("ByteLevel with use_regex = false and no Split before it")
        }
        if type == "Sequence", let steps = pt["pretokenizers"] as? [[String: Any]] {
            let kinds = steps.map { $0["type"] as? String ?? "?" }
            if steps.count == 1, try byteLevel(steps[0], useRegex: true) { return .gpt2 }
            if steps.count == 2, kinds[0] == "Digits",
               steps[0]["individual_digits"] as? Bool == true,
               try byteLevel(steps[1], useRegex: true) {
                return .smollm
            }
            if steps.count == 2, kinds[0] == "Split",
               let pattern = steps[0]["pattern"] as? [String: Any], let regex = pattern["Regex"] as? String,
               (steps[0]["behavior"] as? String ?? "Isolated") == "Isolated",
               (steps[0]["invert"] as? Bool ?? false) == false,
               try byteLevel(steps[1], useRegex: false) {
                if regex == llama3Regex { return .llamaBPE }
                if regex == gpt2Regex { return .gpt2 }
                throw TokenizerError.unsupportedPreTokenizer("Split on the regex \(regex)")
            }
            throw TokenizerError.unsupportedPreTokenizer("Sequence of [\(kinds.joined(separator: ", "))]")
        }
        throw TokenizerError.unsupportedPreTokenizer("type '\(type)'")
    }
}
