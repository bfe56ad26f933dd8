import Testing
import LanguageModels

/// SplitMix64: a tiny, seeded, platform-independent PRNG for reproducible property tests.
struct TokenizerTestRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// Random text in the shapes that stress a byte-level tokenizer.
enum TokenizerTextGenerator {
    static let whitespace: [String] = [" ", " ", " ", "\t", "\n", "\r\n", "\r", "\u{A0}", "\u{3000}", "\u{2003}", "\u{85}", "\u{0B}", "\u{0C}"]
    static let emoji: [String] = ["🙂", "👍🏽", "👩‍💻", "🇫🇷", "😀😀", "❤️", "🤖", "🏳️‍🌈"]
    static let specials: [String] = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start", "<|", "|>"]
    static let contractions: [String] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'\u{17F}", "'"]

    static func scalars(_ rng: inout TokenizerTestRNG, _ range: ClosedRange<UInt32>, count: Int) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<count {
            if let u = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { s.append(u) }
        }
        return String(s)
    }

    static func piece(_ rng: inout TokenizerTestRNG) -> String {
        switch rng.int(0...11) {
        case 0: return scalars(&rng, 0x61...0x7A, count: rng.int(1...9))                      // ascii lower
        case 1: return scalars(&rng, 0x41...0x5A, count: rng.int(1...4))                      // ascii upper
        case 2: return scalars(&rng, 0x21...0x2F, count: rng.int(1...3))                      // punctuation
        case 3: return scalars(&rng, 0x30...0x39, count: rng.int(1...7))                      // digits
        case 4: return (0..<rng.int(1...5)).map { _ in rng.pick(whitespace) }.joined()        // whitespace runs
        case 5: return scalars(&rng, 0xA0...0xFF, count: rng.int(1...5))                      // Latin-1
        case 6: return scalars(&rng, 0x4E00...0x9FFF, count: rng.int(1...6))                  // CJK
        case 7: return rng.pick(emoji)
        case 8: return rng.pick(["a", "e", "o", "n"]) + scalars(&rng, 0x300...0x36F, count: rng.int(1...3))  // combining marks
        case 9: return rng.pick(specials)
        case 10: return rng.pick(contractions)
        default: return scalars(&rng, 0x100...0x2FFF, count: rng.int(1...4))                  // assorted BMP
        }
    }

    static func text(_ rng: inout TokenizerTestRNG) -> String {
        (0..<rng.int(1...14)).map { _ in piece(&rng) }.joined()
    }

    /// A random byte sequence that happens to be valid UTF-8 (short, so validity is common).
    static func validUTF8Bytes(_ rng: inout TokenizerTestRNG) -> [UInt8]? {
        let bytes = (0..<rng.int(1...6)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return String(validating: bytes, as: UTF8.self) == nil ? nil : bytes
    }
}

@Suite("Tokenizer round trips (property tests)")
struct TokenizerRoundTripTests {
    /// Whether every byte of `text` has a token (SmolLM2 lacks a few, e.g. 0x04 and 0xF1).
    static func encodable(_ text: String, _ tok: Tokenizer) -> Bool {
        !text.utf8.contains { tok.missingByteTokens.contains($0) }
    }

    static func roundTrips(_ text: String, _ tok: Tokenizer, parseSpecial: Bool = true) -> Bool {
        let ids = tok.encode(text, parseSpecialTokens: parseSpecial)
        guard ids.allSatisfy({ $0 >= 0 && $0 < tok.vocabularySize }),
              let back = try? tok.decodeBytes(ids) else { return false }
        return back == Array(text.utf8)
    }

    @Test("decode(encode(s)) == s for random mixed text, with every pre-tokenizer", arguments: ["smollm", "gpt2", "llama-bpe"])
    func randomText(preTokenizer: String) throws {
        let tok = preTokenizer == "smollm" ? try TokenizerFixtures.smolLM2.get()
            : preTokenizer == "gpt2" ? try TokenizerFixtures.smolLM2AsGPT2.get()
            : try Tokenizer(ggufMetadata: TokenizerFixtures.ggufMetadata.get(), preTokenizer: preTokenizer)
        var rng = TokenizerTestRNG(seed: 0xED17_1AB0 ^ UInt64(preTokenizer.utf8.count))
        var tested = 0, failures: [String] = []
        for _ in 0..<2000 {
            let text = TokenizerTextGenerator.text(&rng)
            guard Self.encodable(text, tok) else { continue }
            tested += 1
            if !Self.roundTrips(text, tok) || !Self.roundTrips(text, tok, parseSpecial: false) {
                failures.append(text)
            }
        }
        #expect(tested > 1900)
        #expect(failures.isEmpty, "first failures: \(failures.prefix(3).map(\.debugDescription))")
    }

    @Test("decode(encode(s)) == s for random scalars from all planes")
    func randomScalars() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        var rng = TokenizerTestRNG(seed: 42)
        var tested = 0, failures: [String] = []
        // Planes 4–12 start with the byte F1 or F2, which SmolLM2 has no token for: sample
        // the BMP, planes 1–3 and planes 13–16 instead.
        let ranges: [ClosedRange<UInt32>] = [0...0xFFFF, 0x1_0000...0x3_FFFF, 0xC_0000...0x10_FFFF]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<rng.int(1...8) {
                text += TokenizerTextGenerator.scalars(&rng, rng.pick(ranges), count: 1)
            }
            guard Self.encodable(text, tok) else { continue }
            tested += 1
            if !Self.roundTrips(text, tok) { failures.append(text) }
        }
        #expect(tested > 1900)
        #expect(failures.isEmpty, "first failures: \(failures.prefix(3).map(\.debugDescription))")
    }

    @Test("decode(encode(s)) == s for random byte sequences that are valid UTF-8")
    func randomValidBytes() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        var rng = TokenizerTestRNG(seed: 7)
        var tested = 0, failures: [[UInt8]] = []
        while tested < 2000 {
            guard let bytes = TokenizerTextGenerator.validUTF8Bytes(&rng),
                  !bytes.contains(where: { tok.missingByteTokens.contains($0) }) else { continue }
            tested += 1
            let text = String(decoding: bytes, as: UTF8.self)
            if (try? tok.decodeBytes(tok.encode(text))) != bytes { failures.append(bytes) }
        }
        #expect(failures.isEmpty, "first failures: \(failures.prefix(3))")
    }

    @Test("canonically-equivalent spellings are kept apart (é vs e + U+0301)")
    func canonicalEquivalence() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        let composed = "caf\u{E9} caf\u{E9}", decomposed = "cafe\u{301} cafe\u{301}"
        let a = tok.encode(composed), b = tok.encode(decomposed)
        #expect(a != b)
        #expect(try tok.decodeBytes(a) == Array(composed.utf8))
        #expect(try tok.decodeBytes(b) == Array(decomposed.utf8))
        // And again, now that both words are cached.
        #expect(tok.encode(decomposed) == b && tok.encode(composed) == a)
    }

    @Test("pathological inputs: one huge word, long whitespace and punctuation runs")
    func pathological() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        for text in [String(repeating: "a", count: 20_000), String(repeating: "ab", count: 5_000),
                     String(repeating: " ", count: 10_000) + "x", String(repeating: "!?", count: 5_000),
                     String(repeating: "東", count: 3_000), String(repeating: "9", count: 5_000), ""] {
            #expect(Self.roundTrips(text, tok), "length \(text.utf8.count)")
        }
        #expect(tok.encode("") == [])
        #expect(tok.encode("", addBOS: true) == [1])
    }
}
