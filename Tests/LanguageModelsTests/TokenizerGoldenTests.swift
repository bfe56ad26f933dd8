import Foundation
import Testing
import LanguageModels

/// Fixtures shared by the tokenizer tests, loaded once (lazily, thread-safely) per test run.
enum TokenizerFixtures {
    /// …/Tests/Fixtures, found from this source file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// SmolLM2's vocabulary and merges as HF `tokenizer.json` (49152 tokens, 48900 merges).
    static let tokenizerJSON = directory.appendingPathComponent("editors/tokenizer.json")

    /// `golden.json`'s `tokenize` entries: text → ids from the real SmolLM2 GGUF tokenizer.
    static let golden: Result<[(text: String, ids: [Int])], any Error> = Result {
        let data = try Data(contentsOf: directory.appendingPathComponent("smollm2/golden.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["tokenize"] as? [[String: Any]] else {
            throw TokenizerError.malformedJSON("golden.json has no 'tokenize' list")
        }
        return try list.map { entry in
            guard let text = entry["text"] as? String, let ids = entry["ids"] as? [Int] else {
                throw TokenizerError.malformedJSON("golden.json entry without text/ids")
            }
            return (text, ids)
        }
    }

    /// The fixture loaded from `tokenizer.json` with the pre-tokenizer overridden to `smollm`
    /// (the file itself says plain ByteLevel, because it was re-saved from the GGUF).
    static let smolLM2: Result<Tokenizer, any Error> = Result {
        try Tokenizer(tokenizerJSONAt: tokenizerJSON, preTokenizer: "smollm")
    }

    /// The same file with the pre-tokenizer it declares (ByteLevel → `gpt2`).
    static let smolLM2AsGPT2: Result<Tokenizer, any Error> = Result {
        try Tokenizer(tokenizerJSONAt: tokenizerJSON)
    }

    /// GGUF-style metadata built from `tokenizer.json`, as llama.cpp's converter writes it.
    static let ggufMetadata: Result<[String: GGUFValue], any Error> = Result {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizerJSON)) as? [String: Any]
        guard let model = root?["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Int],
              let merges = model["merges"] as? [[String]],
              let added = root?["added_tokens"] as? [[String: Any]] else {
            throw TokenizerError.malformedJSON("fixture tokenizer.json has an unexpected shape")
        }
        var tokens = [String](repeating: "", count: vocab.count)
        for (token, id) in vocab { tokens[id] = token }
        var types = [GGUFValue](repeating: .int32(1), count: tokens.count)
        for entry in added {
            if let id = entry["id"] as? Int { types[id] = .int32(3) }
        }
        return [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("smollm"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.merges": .array(merges.map { .string($0.joined(separator: " ")) }),
            "tokenizer.ggml.token_type": .array(types),
            "tokenizer.ggml.bos_token_id": .uint32(1),
            "tokenizer.ggml.eos_token_id": .uint32(2),
            "tokenizer.ggml.padding_token_id": .uint32(2),
            "tokenizer.ggml.add_bos_token": .bool(false),
        ]
    }

    static let smolLM2FromGGUF: Result<Tokenizer, any Error> = Result {
        try Tokenizer(ggufMetadata: ggufMetadata.get())
    }
}

@Suite("Tokenizer golden ids (SmolLM2)")
struct TokenizerGoldenTests {
    @Test("tokenizer.json with the smollm pre-tokenizer reproduces every golden string")
    func goldenFromTokenizerJSON() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let golden = try TokenizerFixtures.golden.get()
        #expect(golden.count >= 10)
        for (text, ids) in golden {
            #expect(tok.encode(text) == ids, "text: \(text.debugDescription)")
        }
    }

    @Test("GGUF metadata reproduces every golden string")
    func goldenFromGGUF() throws {
        let tok = try TokenizerFixtures.smolLM2FromGGUF.get()
        #expect(tok.preTokenizer == .smollm)
        #expect(tok.bosID == 1 && tok.eosID == 2 && tok.padID == 2)
        #expect(tok.addsBOSByDefault == false)
        #expect(tok.ignoresMerges == false)
        for (text, ids) in try TokenizerFixtures.golden.get() {
            #expect(tok.encode(text) == ids, "text: \(text.debugDescription)")
        }
    }

    @Test("golden ids decode back to exactly their text")
    func goldenDecode() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        for (text, ids) in try TokenizerFixtures.golden.get() {
            #expect(Array(try tok.decode(ids).utf8) == Array(text.utf8), "text: \(text.debugDescription)")
        }
    }

    @Test("the smollm rule splits digits first: \"a  1\" → [81, 256, 33]; plain gpt2 gives [81, 216, 216, 33]")
    func digitsFirst() throws {
        #expect(try TokenizerFixtures.smolLM2.get().encode("a  1") == [81, 256, 33])
        #expect(try TokenizerFixtures.smolLM2FromGGUF.get().encode("a  1") == [81, 256, 33])
        let gpt2 = try TokenizerFixtures.smolLM2AsGPT2.get()
        #expect(gpt2.preTokenizer == .gpt2)
        #expect(gpt2.encode("a  1") == [81, 216, 216, 33])
        // The GGUF loader honours an override too.
        let meta = try TokenizerFixtures.ggufMetadata.get()
        #expect(try Tokenizer(ggufMetadata: meta, preTokenizer: "gpt2").encode("a  1") == [81, 216, 216, 33])
    }

    @Test("the two loaders build the same tokenizer")
    func loadersAgree() throws {
        let a = try TokenizerFixtures.smolLM2.get()
        let b = try TokenizerFixtures.smolLM2FromGGUF.get()
        #expect(a.vocabularySize == 49152 && b.vocabularySize == 49152)
        #expect(a.mergeCount == 48900 && b.mergeCount == 48900)
        #expect(a.specialTokens.map(\.id) == b.specialTokens.map(\.id))
        #expect(a.missingByteTokens == b.missingByteTokens)
        for id in stride(from: 0, to: 49152, by: 97) {
            #expect(try a.tokenString(id) == b.tokenString(id))
            #expect(try a.tokenBytes(id) == b.tokenBytes(id))
        }
    }

    @Test("bos/eos/pad come from tokenizer_config.json next to tokenizer.json")
    func specialIDsFromConfig() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        #expect(tok.bosID == 1)  // <|im_start|>
        #expect(tok.eosID == 2)  // <|im_end|>
        #expect(tok.padID == 2)
        #expect(tok.encode("Hello world", addBOS: true) == [1, 19556, 905])
        #expect(tok.encode("Hello world", addBOS: false) == [19556, 905])
    }

    @Test("without tokenizer_config.json, well-known added tokens are used only when unambiguous")
    func specialIDsWithoutConfig() throws {
        let data = try Data(contentsOf: TokenizerFixtures.tokenizerJSON)
        let tok = try Tokenizer(tokenizerJSON: data, preTokenizer: "smollm")
        #expect(tok.bosID == nil)  // SmolLM2 has no <s>, <|begin_of_text|>, ...
        #expect(tok.eosID == 0)    // <|endoftext|> is the only well-known end token
        #expect(tok.padID == nil)
        let config = Data(#"{"bos_token": {"content": "<|endoftext|>"}, "eos_token": "<|im_end|>", "pad_token": null}"#.utf8)
        let tok2 = try Tokenizer(tokenizerJSON: data, tokenizerConfig: config, preTokenizer: "smollm")
        #expect(tok2.bosID == 0 && tok2.eosID == 2 && tok2.padID == nil)
    }

    @Test("token strings, ids and bytes")
    func lookups() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        #expect(try tok.tokenString(19556) == "Hello")
        #expect(try tok.tokenString(905) == "Ġworld")
        #expect(try tok.tokenString(1) == "<|im_start|>")
        #expect(tok.id(ofToken: "Ġworld") == 905)
        #expect(tok.id(ofToken: "<|im_end|>") == 2)
        #expect(tok.id(ofToken: " world") == nil)
        #expect(try tok.tokenBytes(905) == Array(" world".utf8))
        #expect(try tok.tokenBytes(198) == [0x0A])
        #expect(tok.isSpecialToken(2) && !tok.isSpecialToken(905) && !tok.isSpecialToken(-1))
        #expect(tok.specialTokens.count == 17)
        #expect(tok.specialTokens.allSatisfy { $0.isControl })
    }

    @Test("special tokens are recognised only when asked; decode can skip them")
    func specialTokenParsing() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let text = "<|im_start|>user\nHi<|im_end|>"
        let parsed = tok.encode(text)
        #expect(parsed.first == 1 && parsed.last == 2)
        let literal = tok.encode(text, parseSpecialTokens: false)
        #expect(!literal.contains(1) && !literal.contains(2))
        #expect(try tok.decode(literal) == text)
        #expect(try tok.decode(parsed) == text)
        #expect(try tok.decode(parsed, skipSpecialTokens: true) == "user\nHi")
        #expect(tok.preTokenize(text) == ["<|im_start|>", "user", "\n", "Hi", "<|im_end|>"])
    }

    @Test("a character cut between tokens decodes leniently to U+FFFD")
    func partialUTF8() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let ids = tok.encode("東京")
        #expect(ids.count > 2)  // byte-level pieces
        let head = try tok.decode(Array(ids.prefix(1)))
        #expect(head.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
        #expect(try tok.decodeBytes(ids) == Array("東京".utf8))
    }

    @Test("bytes the vocabulary lacks are dropped, as HF tokenizers does")
    func missingBytes() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        #expect(tok.missingByteTokens == [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2,
                                          0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF])
        // Reference ids from HF tokenizers: the missing bytes vanish, their neighbours stay.
        #expect(tok.encode("a\u{4}b") == [81, 82])
        #expect(tok.encode(" \u{4}\u{4} x") == [216, 1792])
        #expect(tok.encode("x\u{50000}y") == [104, 234, 218, 218, 105])  // UTF-8 F1 90 80 80 loses its F1
    }

    @Test("one tokenizer shared by concurrent tasks gives the same ids")
    func concurrentUse() async throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let golden = try TokenizerFixtures.golden.get()
        let texts = golden.map(\.text)
        let expected = golden.map(\.ids)
        let allGood = await withTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ok = true
                    for round in 0..<20 {
                        let i = (worker + round) % texts.count
                        ok = ok && tok.encode(texts[i]) == expected[i]
                        let fresh = "w\(worker)q\(round) zyx\(worker * 31 + round)qv"  // new cache entries
                        ok = ok && (try? tok.decode(tok.encode(fresh))) == fresh
                    }
                    return ok
                }
            }
            var all = true
            for await ok in group { all = all && ok }
            return all
        }
        #expect(allGood)
    }

    @Test("a long English-like text round-trips and is encoded quickly")
    func longText() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let sentence = "The Eiffel Tower, completed in 1889, is located in Paris; it's 330 m tall.\n"
        var text = ""
        for i in 0..<1500 { text += "\(i): " + sentence }  // about 120 KB
        let clock = ContinuousClock()
        var ids: [Int] = []
        let elapsed = clock.measure { ids = tok.encode(text) }
        #expect(Array(try tok.decode(ids).utf8) == Array(text.utf8))
        // Generous even for a debug build; a release build encodes 1 MB in well under 0.2 s.
        #expect(elapsed < .seconds(10))
    }
}
