import Foundation
import Testing
import LanguageModels

/// A tiny synthetic byte-level vocabulary: the 256 byte tokens (ids 0–255, in byte order)
/// followed by `extra` spellings, with `merges` over them.
enum TinyVocabulary {
    static let byteTokens: [String] = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }

    static func tokenizer(extra: [String], merges: [(String, String)], specials: [SpecialToken] = [],
                          preTokenizer: PreTokenizer = .gpt2, ignoreMerges: Bool = false) throws -> Tokenizer {
        try Tokenizer(tokens: byteTokens + extra, merges: merges, specialTokens: specials,
                      preTokenizer: preTokenizer, ignoreMerges: ignoreMerges)
    }

    static func id(_ byte: Character) -> Int { Int(byte.asciiValue ?? 0) }
}

/// Runs `body` and returns the ``TokenizerError`` it throws, or `nil`.
func tokenizerError(_ body: () throws -> Void) -> TokenizerError? {
    do {
        try body()
        return nil
    } catch let e as TokenizerError {
        return e
    } catch {
        return nil
    }
}

@Suite("Tokenizer BPE mechanics (synthetic vocabulary)")
struct TokenizerMechanicsTests {
    @Test("merges apply lowest rank first, leftmost on ties")
    func mergeOrder() throws {
        // "ab" (rank 0) beats "bc" (rank 1): "abc" → ab + c.
        var tok = try TinyVocabulary.tokenizer(extra: ["ab", "bc"], merges: [("a", "b"), ("b", "c")])
        #expect(tok.encode("abc") == [256, TinyVocabulary.id("c")])
        tok = try TinyVocabulary.tokenizer(extra: ["ab", "bc"], merges: [("b", "c"), ("a", "b")])
        #expect(tok.encode("abc") == [TinyVocabulary.id("a"), 257])
        // Overlapping equal pairs: "aaa" → aa + a (leftmost first), then "aaaa" → aa aa → aaaa.
        tok = try TinyVocabulary.tokenizer(extra: ["aa", "aaaa"], merges: [("a", "a"), ("aa", "aa")])
        #expect(tok.encode("aaa") == [256, TinyVocabulary.id("a")])
        #expect(tok.encode("aaaa") == [257])
        #expect(tok.encode("aaaaa") == [257, TinyVocabulary.id("a")])
        // Cached words give the same answer.
        #expect(tok.encode("aaa aaa") == [256, TinyVocabulary.id("a"), TinyVocabulary.id(" "), 256, TinyVocabulary.id("a")])
    }

    @Test("a merge whose result is not in the vocabulary still takes part, then falls back to bytes")
    func virtualSymbols() throws {
        // "xy" is not a token, but merging x+y lets "xy"+"z" → "xyz" form.
        let tok = try TinyVocabulary.tokenizer(extra: ["xyz"], merges: [("x", "y"), ("xy", "z")])
        #expect(tok.encode("xyz") == [256])
        #expect(tok.encode("xy") == [TinyVocabulary.id("x"), TinyVocabulary.id("y")])
        #expect(try tok.decode(tok.encode("xyxyz")) == "xyxyz")
    }

    @Test("ignore_merges emits a word found whole in the vocabulary")
    func ignoreMerges() throws {
        let normal = try TinyVocabulary.tokenizer(extra: ["ab", "abc"], merges: [("a", "b")])
        #expect(normal.encode("abc") == [256, TinyVocabulary.id("c")])
        let ignoring = try TinyVocabulary.tokenizer(extra: ["ab", "abc"], merges: [("a", "b")], ignoreMerges: true)
        #expect(ignoring.encode("abc") == [257])
        #expect(ignoring.encode("abcd") == [256, TinyVocabulary.id("c"), TinyVocabulary.id("d")])
    }

    @Test("special tokens: leftmost, then longest; user-defined ones always, control ones on request")
    func specialMatching() throws {
        let specials = [SpecialToken(id: 256, content: "<a>"), SpecialToken(id: 257, content: "<a>b"),
                        SpecialToken(id: 258, content: "b c", isControl: false)]
        let tok = try TinyVocabulary.tokenizer(extra: ["<a>", "<a>b", "b c"], merges: [], specials: specials)
        #expect(tok.encode("<a>bx") == [257, TinyVocabulary.id("x")])
        #expect(tok.encode("<a>x") == [256, TinyVocabulary.id("x")])
        #expect(tok.encode("ab c") == [TinyVocabulary.id("a"), 258])
        #expect(tok.encode("ab c<a>", parseSpecialTokens: false) ==
                [TinyVocabulary.id("a"), 258] + "<a>".utf8.map(Int.init))
        #expect(try tok.decode([258, 256]) == "b c<a>")
        #expect(try tok.decode([258, 256], skipSpecialTokens: true) == "b c")
        #expect(try tok.tokenString(258) == "b c")
        #expect(tok.id(ofToken: "b c") == 258)
    }

    @Test("the byte alphabet is GPT-2's")
    func alphabet() {
        #expect(ByteLevelAlphabet.encode(Array(" \n\t!~\u{A0}".utf8)) == "ĠĊĉ!~Âł")
        #expect(ByteLevelAlphabet.decode("ĠĊĉ!~ÂŃ") == [0x20, 0x0A, 0x09, 0x21, 0x7E, 0xC2, 0xAD])
        #expect(ByteLevelAlphabet.decode("a b") == nil)
        let all = (0...255).map { UInt8($0) }
        #expect(ByteLevelAlphabet.decode(ByteLevelAlphabet.encode(all)) == all)
        #expect(Set(ByteLevelAlphabet.scalarForByte).count == 256)
    }
}

@Suite("Tokenizer errors")
struct TokenizerErrorTests {
    static func metadata() throws -> [String: GGUFValue] { try TokenizerFixtures.ggufMetadata.get() }

    @Test("unknown pre-tokenizer names are rejected by every loader")
    func unknownPreTokenizer() throws {
        var m = try Self.metadata()
        m["tokenizer.ggml.pre"] = .string("qwen2")
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) } == .unknownPreTokenizer("qwen2"))
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: Self.metadata(), preTokenizer: "bogus") }
                == .unknownPreTokenizer("bogus"))
        #expect(tokenizerError { _ = try Tokenizer(tokenizerJSONAt: TokenizerFixtures.tokenizerJSON, preTokenizer: "nope") }
                == .unknownPreTokenizer("nope"))
        #expect(TokenizerError.unknownPreTokenizer("x").description.contains("gpt2, smollm, llama-bpe"))
    }

    @Test("missing GGUF keys are named", arguments: ["tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.merges"])
    func missingGGUFKey(key: String) throws {
        var m = try Self.metadata()
        m[key] = nil
        let error = tokenizerError { _ = try Tokenizer(ggufMetadata: m) }
        #expect(error == .missingKey(key))
        #expect(error?.description.contains(key) == true)
    }

    @Test("optional GGUF keys may be absent")
    func optionalGGUFKeys() throws {
        var m = try Self.metadata()
        for key in ["tokenizer.ggml.pre", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
                    "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token"] {
            m[key] = nil
        }
        let tok = try Tokenizer(ggufMetadata: m)
        #expect(tok.preTokenizer == .gpt2)
        #expect(tok.bosID == nil && tok.eosID == nil && tok.padID == nil)
        #expect(tok.specialTokens.isEmpty)
        #expect(tok.encode("<|im_end|>") != [2])
    }

    @Test("wrong-typed GGUF keys are named", arguments: [
        ("tokenizer.ggml.model", GGUFValue.uint32(2)),
        ("tokenizer.ggml.pre", GGUFValue.array([.string("smollm")])),
        ("tokenizer.ggml.tokens", GGUFValue.array([.string("a"), .uint8(1)])),
        ("tokenizer.ggml.tokens", GGUFValue.string("a b c")),
        ("tokenizer.ggml.merges", GGUFValue.array([.int32(1)])),
        ("tokenizer.ggml.token_type", GGUFValue.array([.string("3")])),
        ("tokenizer.ggml.bos_token_id", GGUFValue.string("1")),
        ("tokenizer.ggml.eos_token_id", GGUFValue.float32(2)),
        ("tokenizer.ggml.padding_token_id", GGUFValue.bool(true)),
        ("tokenizer.ggml.add_bos_token", GGUFValue.uint8(1)),
    ])
    func wrongTypedGGUFKey(key: String, value: GGUFValue) throws {
        var m = try Self.metadata()
        m[key] = value
        let error = tokenizerError { _ = try Tokenizer(ggufMetadata: m) }
        guard case .wrongType(let k, _)? = error else {
            Issue.record("expected wrongType for \(key), got \(String(describing: error))")
            return
        }
        #expect(k == key)
        #expect(error?.description.contains(key) == true)
    }

    @Test("inconsistent GGUF metadata is rejected, not trusted")
    func inconsistentGGUF() throws {
        var m = try Self.metadata()
        m["tokenizer.ggml.model"] = .string("llama")
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) } == .unsupportedModel("tokenizer.ggml.model = 'llama'"))

        m = try Self.metadata()
        m["tokenizer.ggml.token_type"] = .array([.int32(1), .int32(3)])
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) }
                == .lengthMismatch(key: "tokenizer.ggml.token_type", expected: 49152, actual: 2))

        m = try Self.metadata()
        m["tokenizer.ggml.eos_token_id"] = .uint32(49152)
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) }
                == .specialTokenOutOfRange(key: "tokenizer.ggml.eos_token_id", id: 49152, vocabularySize: 49152))

        m = try Self.metadata()
        m["tokenizer.ggml.bos_token_id"] = .int64(-1)
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) }
                == .specialTokenOutOfRange(key: "tokenizer.ggml.bos_token_id", id: -1, vocabularySize: 49152))

        m = try Self.metadata()
        m["tokenizer.ggml.merges"] = .array([.string("Ġ t"), .string("nospace")])
        #expect(tokenizerError { _ = try Tokenizer(ggufMetadata: m) } == .malformedMerge(index: 1, value: "nospace"))

        m = try Self.metadata()
        m["tokenizer.ggml.tokens"] = .array([])
        m["tokenizer.ggml.token_type"] = nil
        m["tokenizer.ggml.bos_token_id"] = nil
        m["tokenizer.ggml.eos_token_id"] = nil
        m["tokenizer.ggml.padding_token_id"] = nil
        guard case .malformedVocabulary? = tokenizerError({ _ = try Tokenizer(ggufMetadata: m) }) else {
            Issue.record("an empty vocabulary must be rejected")
            return
        }
        // A vocabulary that is not byte-level (like a SentencePiece one) is rejected.
        m["tokenizer.ggml.tokens"] = .array(["<unk>", "▁the", "a"].map { .string($0) })
        m["tokenizer.ggml.merges"] = .array([])
        guard case .malformedVocabulary? = tokenizerError({ _ = try Tokenizer(ggufMetadata: m) }) else {
            Issue.record("a non-byte-level vocabulary must be rejected")
            return
        }
    }

    @Test("llama-bpe from GGUF skips merges for whole words and adds BOS by default, as llama.cpp")
    func llamaBPEDefaults() throws {
        var m = try Self.metadata()
        m["tokenizer.ggml.pre"] = .string("llama-bpe")
        m["tokenizer.ggml.add_bos_token"] = nil
        let tok = try Tokenizer(ggufMetadata: m)
        #expect(tok.preTokenizer == .llamaBPE && tok.ignoresMerges && tok.addsBOSByDefault)
    }

    @Test("out-of-range ids are errors, not crashes")
    func outOfRangeIDs() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        #expect(tokenizerError { _ = try tok.decode([19556, 49152]) } == .idOutOfRange(id: 49152, vocabularySize: 49152))
        #expect(tokenizerError { _ = try tok.decode([-1]) } == .idOutOfRange(id: -1, vocabularySize: 49152))
        #expect(tokenizerError { _ = try tok.tokenString(1 << 40) } == .idOutOfRange(id: 1 << 40, vocabularySize: 49152))
        #expect(tokenizerError { _ = try tok.tokenBytes(Int.min) } == .idOutOfRange(id: Int.min, vocabularySize: 49152))
        #expect(TokenizerError.idOutOfRange(id: 49152, vocabularySize: 49152).description.contains("49152"))
    }

    /// A minimal valid tokenizer.json, to be broken one field at a time.
    static func minimalJSON(vocab: String = "VOCAB", merges: String = #"["a b"]"#,
                            preTokenizer: String = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#,
                            model: String? = nil, normalizer: String = "null") -> Data {
        var entries = TinyVocabulary.byteTokens.enumerated().map { i, s in
            "\"\(s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\": \(i)"
        }
        entries.append(#""ab": 256"#)
        let v = vocab == "VOCAB" ? "{" + entries.joined(separator: ", ") + "}" : vocab
        let m = model ?? #"{"type": "BPE", "vocab": \#(v), "merges": \#(merges)}"#
        return Data(#"{"model": \#(m), "pre_tokenizer": \#(preTokenizer), "normalizer": \#(normalizer)}"#.utf8)
    }

    @Test("the minimal tokenizer.json loads (so the broken variants below fail for their own reason)")
    func minimalJSONLoads() throws {
        let tok = try Tokenizer(tokenizerJSON: Self.minimalJSON())
        #expect(tok.encode("ab a") == [256, 32, 97])  // "ab", then " a" unmerged: Ġ (byte 0x20), a
        #expect(tok.vocabularySize == 257 && tok.mergeCount == 1)
        let pairs = try Tokenizer(tokenizerJSON: Self.minimalJSON(merges: #"[["a", "b"]]"#))
        #expect(pairs.encode("ab") == [256])
    }

    @Test("malformed tokenizer.json gives a clear error")
    func malformedJSON() throws {
        func error(_ data: Data) -> TokenizerError? { tokenizerError { _ = try Tokenizer(tokenizerJSON: data) } }
        guard case .malformedJSON? = error(Data("{not json".utf8)) else { Issue.record("bad JSON"); return }
        guard case .malformedJSON? = error(Data("[1, 2]".utf8)) else { Issue.record("not an object"); return }
        #expect(error(Data("{}".utf8)) == .missingKey("model"))
        #expect(error(Self.minimalJSON(model: #"{"type": "WordPiece", "vocab": {}}"#)) == .unsupportedModel("model.type = 'WordPiece'"))
        #expect(error(Self.minimalJSON(model: #"{"type": "BPE", "merges": []}"#)) == .missingKey("model.vocab"))
        guard case .wrongType(key: "model.vocab", _)? = error(Self.minimalJSON(vocab: "[1, 2]")) else {
            Issue.record("vocab as array"); return
        }
        guard case .wrongType? = error(Self.minimalJSON(vocab: #"{"a": "zero"}"#)) else { Issue.record("string id"); return }
        guard case .malformedVocabulary? = error(Self.minimalJSON(vocab: #"{"a": 0, "b": 5}"#)) else {
            Issue.record("id beyond the vocabulary"); return
        }
        #expect(error(Self.minimalJSON(merges: #"["a b", "ab"]"#)) == .malformedMerge(index: 1, value: "ab"))
        guard case .malformedMerge(index: 0, _)? = error(Self.minimalJSON(merges: #"[["a"]]"#)) else {
            Issue.record("merge pair of one"); return
        }
        guard case .wrongType(key: "model.merges", _)? = error(Self.minimalJSON(merges: #""a b""#)) else {
            Issue.record("merges as string"); return
        }
        guard case .unsupportedFeature? = error(Self.minimalJSON(normalizer: #"{"type": "NFC"}"#)) else {
            Issue.record("normalizer"); return
        }
        guard case .unsupportedFeature? = error(Self.minimalJSON(
            model: #"{"type": "BPE", "vocab": {}, "merges": [], "byte_fallback": true}"#)) else {
            Issue.record("byte_fallback"); return
        }
    }

    @Test("pre_tokenizer configurations are recognised or clearly rejected")
    func preTokenizerDetection() throws {
        func load(_ pre: String) throws -> Tokenizer { try Tokenizer(tokenizerJSON: Self.minimalJSON(preTokenizer: pre)) }
        let byteLevel = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#
        let byteLevelNoRegex = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}"#
        #expect(try load(byteLevel).preTokenizer == .gpt2)
        #expect(try load(#"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, \#(byteLevel)]}"#)
            .preTokenizer == .smollm)
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"#
        let split = #"{"type": "Split", "pattern": {"Regex": "\#(llama3)"}, "behavior": "Isolated", "invert": false}"#
        #expect(try load(#"{"type": "Sequence", "pretokenizers": [\#(split), \#(byteLevelNoRegex)]}"#).preTokenizer == .llamaBPE)

        func rejected(_ pre: String) -> Bool {
            if case .unsupportedPreTokenizer? = tokenizerError({ _ = try load(pre) }) { return true }
            return false
        }
        #expect(rejected("null"))
        #expect(rejected(#"{"type": "Whitespace"}"#))
        #expect(rejected(byteLevelNoRegex))
        #expect(rejected(#"{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}"#))
        #expect(rejected(#"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": false}, \#(byteLevel)]}"#))
        #expect(rejected(#"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false}, \#(byteLevelNoRegex)]}"#))
        // An explicit name overrides whatever the file says, even an unsupported one.
        #expect(try Tokenizer(tokenizerJSON: Self.minimalJSON(preTokenizer: "null"), preTokenizer: "llama-bpe").preTokenizer == .llamaBPE)
    }

    @Test("tokenizer_config.json naming an unknown token, and unreadable files, are errors")
    func configAndFiles() throws {
        let config = Data(#"{"bos_token": "<nope>"}"#.utf8)
        #expect(tokenizerError { _ = try Tokenizer(tokenizerJSON: Self.minimalJSON(), tokenizerConfig: config) }
                == .unknownToken(key: "tokenizer_config.json: bos_token", token: "<nope>"))
        let missing = URL(fileURLWithPath: "/nonexistent/dir/tokenizer.json")
        guard case .unreadableFile(let path, _)? = tokenizerError({ _ = try Tokenizer(tokenizerJSONAt: missing) }) else {
            Issue.record("missing file"); return
        }
        #expect(path == missing.path)
    }
}
