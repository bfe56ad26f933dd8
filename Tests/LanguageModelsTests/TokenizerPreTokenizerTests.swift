import Testing
import LanguageModels

/// One hand-written pre-tokenizer case. The expected splits were produced by HF
/// `tokenizers` (Oniguruma) running the regexes named in ``PreTokenizer``.
struct TokenizerSplitCase: Sendable, CustomTestStringConvertible {
    let preTokenizer: String
    let text: String
    let expected: [String]
    init(_ preTokenizer: String, _ text: String, _ expected: [String]) {
        self.preTokenizer = preTokenizer
        self.text = text
        self.expected = expected
    }
    var testDescription: String { "\(preTokenizer): \(text.debugDescription)" }
}

@Suite("Tokenizer pre-tokenizers")
struct TokenizerPreTokenizerTests {
    static let cases: [TokenizerSplitCase] = [
        // gpt2
        .init("gpt2", "Hello  world's 123!!", ["Hello", " ", " world", "'s", " 123", "!!"]),
        .init("gpt2", "12345abc", ["12345", "abc"]),
        .init("gpt2", "a  1", ["a", " ", " 1"]),
        .init("gpt2", "I'M here 'Re'LL", ["I", "'", "M", " here", " '", "Re", "'", "LL"]),
        .init("gpt2", "  \n\n  trailing   ", ["  \n\n ", " trailing", "   "]),
        .init("gpt2", "x=3.14159; y = -42", ["x", "=", "3", ".", "14159", ";", " y", " =", " -", "42"]),
        .init("gpt2", "line one\r\nline two\n\ttab", ["line", " one", "\r", "\n", "line", " two", "\n", "\t", "tab"]),
        .init("gpt2", "don't\n\n\nstop", ["don", "'t", "\n\n", "\n", "stop"]),
        .init("gpt2", "  hi", [" ", " hi"]),
        .init("gpt2", "\t\tword", ["\t", "\t", "word"]),
        .init("gpt2", "\u{3A9}mega \u{BD} \u{2177} \u{663}\u{664}\u{665}\u{666}", ["\u{3A9}mega", " \u{BD}", " \u{2177}", " \u{663}\u{664}\u{665}\u{666}"]),
        .init("gpt2", "hello!!!\n\nnext", ["hello", "!!!", "\n", "\n", "next"]),
        .init("gpt2", "a\u{A0}\u{A0}b", ["a", "\u{A0}", "\u{A0}", "b"]),
        .init("gpt2", "'\u{17F} \u{17F}'\u{17F} 'S", ["'", "\u{17F}", " \u{17F}", "'", "\u{17F}", " '", "S"]),
        .init("gpt2", "?!\r\n\r\n  x", ["?!", "\r\n\r\n ", " x"]),
        .init("gpt2", " 1 22 333 4444", [" 1", " 22", " 333", " 4444"]),
        // smollm
        .init("smollm", "Hello  world's 123!!", ["Hello", " ", " world", "'s", " ", "1", "2", "3", "!!"]),
        .init("smollm", "12345abc", ["1", "2", "3", "4", "5", "abc"]),
        .init("smollm", "a  1", ["a", "  ", "1"]),
        .init("smollm", "I'M here 'Re'LL", ["I", "'", "M", " here", " '", "Re", "'", "LL"]),
        .init("smollm", "  \n\n  trailing   ", ["  \n\n ", " trailing", "   "]),
        .init("smollm", "x=3.14159; y = -42", ["x", "=", "3", ".", "1", "4", "1", "5", "9", ";", " y", " =", " -", "4", "2"]),
        .init("smollm", "line one\r\nline two\n\ttab", ["line", " one", "\r", "\n", "line", " two", "\n", "\t", "tab"]),
        .init("smollm", "don't\n\n\nstop", ["don", "'t", "\n\n", "\n", "stop"]),
        .init("smollm", "  hi", [" ", " hi"]),
        .init("smollm", "\t\tword", ["\t", "\t", "word"]),
        .init("smollm", "\u{3A9}mega \u{BD} \u{2177} \u{663}\u{664}\u{665}\u{666}", ["\u{3A9}mega", " ", "\u{BD}", " ", "\u{2177}", " ", "\u{663}", "\u{664}", "\u{665}", "\u{666}"]),
        .init("smollm", "hello!!!\n\nnext", ["hello", "!!!", "\n", "\n", "next"]),
        .init("smollm", "a\u{A0}\u{A0}b", ["a", "\u{A0}", "\u{A0}", "b"]),
        .init("smollm", "'\u{17F} \u{17F}'\u{17F} 'S", ["'", "\u{17F}", " \u{17F}", "'", "\u{17F}", " '", "S"]),
        .init("smollm", "?!\r\n\r\n  x", ["?!", "\r\n\r\n ", " x"]),
        .init("smollm", " 1 22 333 4444", [" ", "1", " ", "2", "2", " ", "3", "3", "3", " ", "4", "4", "4", "4"]),
        // llama-bpe
        .init("llama-bpe", "Hello  world's 123!!", ["Hello", " ", " world", "'s", " ", "123", "!!"]),
        .init("llama-bpe", "12345abc", ["123", "45", "abc"]),
        .init("llama-bpe", "a  1", ["a", " ", " ", "1"]),
        .init("llama-bpe", "I'M here 'Re'LL", ["I", "'M", " here", " '", "Re", "'LL"]),
        .init("llama-bpe", "  \n\n  trailing   ", ["  \n\n", " ", " trailing", "   "]),
        .init("llama-bpe", "x=3.14159; y = -42", ["x", "=", "3", ".", "141", "59", ";", " y", " =", " -", "42"]),
        .init("llama-bpe", "line one\r\nline two\n\ttab", ["line", " one", "\r\n", "line", " two", "\n", "\ttab"]),
        .init("llama-bpe", "don't\n\n\nstop", ["don", "'t", "\n\n\n", "stop"]),
        .init("llama-bpe", "  hi", [" ", " hi"]),
        .init("llama-bpe", "\t\tword", ["\t", "\tword"]),
        .init("llama-bpe", "\u{3A9}mega \u{BD} \u{2177} \u{663}\u{664}\u{665}\u{666}", ["\u{3A9}mega", " ", "\u{BD}", " ", "\u{2177}", " ", "\u{663}\u{664}\u{665}", "\u{666}"]),
        .init("llama-bpe", "hello!!!\n\nnext", ["hello", "!!!\n\n", "next"]),
        .init("llama-bpe", "a\u{A0}\u{A0}b", ["a", "\u{A0}", "\u{A0}b"]),
        .init("llama-bpe", "'\u{17F} \u{17F}'\u{17F} 'S", ["'\u{17F}", " \u{17F}", "'\u{17F}", " '", "S"]),
        .init("llama-bpe", "?!\r\n\r\n  x", ["?!\r\n\r\n", " ", " x"]),
        .init("llama-bpe", " 1 22 333 4444", [" ", "1", " ", "22", " ", "333", " ", "444", "4"]),
        // case-insensitive contractions fold ſ (U+017F) to s; a contraction beats a letter run
        .init("llama-bpe", "'\u{17F}tx 'Sx 'LLx", ["'\u{17F}", "tx", " '", "Sx", " '", "LLx"]),
        .init("gpt2", "'stx 'Sx", ["'s", "tx", " '", "Sx"]),
        // empty text, lone whitespace, Unicode whitespace and unassigned-free symbols
        .init("gpt2", "", []),
        .init("llama-bpe", " ", [" "]),
        .init("gpt2", "a\u{3000}\u{3000}\u{3000}b", ["a", "\u{3000}\u{3000}", "\u{3000}", "b"]),
        .init("llama-bpe", "\u{2003}\u{85}\nx", ["\u{2003}\u{85}\n", "x"]),
    ]

    @Test("splits match the reference regexes", arguments: cases)
    func splits(_ c: TokenizerSplitCase) throws {
        let pre = try PreTokenizer(name: c.preTokenizer)
        let got = pre.split(c.text)
        // Compare bytes: String == would accept canonically-equivalent pieces.
        #expect(got.map { Array($0.utf8) } == c.expected.map { Array($0.utf8) }, "got \(got)")
        #expect(got.joined() == c.text)
    }

    @Test("names and aliases")
    func names() throws {
        #expect(try PreTokenizer(name: "gpt2") == .gpt2)
        #expect(try PreTokenizer(name: "gpt-2") == .gpt2)
        #expect(try PreTokenizer(name: "smollm") == .smollm)
        #expect(try PreTokenizer(name: "llama-bpe") == .llamaBPE)
        #expect(try PreTokenizer(name: "llama3") == .llamaBPE)
        #expect(try PreTokenizer(name: "LLAMA-V3") == .llamaBPE)
        #expect(PreTokenizer.allCases.map(\.name) == ["gpt2", "smollm", "llama-bpe"])
        #expect(throws: TokenizerError.unknownPreTokenizer("qwen2")) { try PreTokenizer(name: "qwen2") }
    }

    @Test("the tokenizer pre-tokenizes around special tokens")
    func aroundSpecialTokens() throws {
        let tok = try TokenizerFixtures.smolLM2.get()
        #expect(tok.preTokenize("a  <|im_end|>  b") == ["a", "  ", "<|im_end|>", " ", " b"])
        #expect(tok.preTokenize("<|im_end|>7", parseSpecialTokens: false) == ["<|", "im", "_", "end", "|>", "7"])
    }
}
