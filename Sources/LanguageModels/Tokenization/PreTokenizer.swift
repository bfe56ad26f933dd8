/// How text is cut into words before BPE merges run inside each word.
///
/// Each case reproduces one regex of HF `tokenizers` / llama.cpp exactly, implemented as
/// a hand-written scanner over Unicode scalars (no regex engine):
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm`: every `\p{N}` scalar is first split off on its own, then the `gpt2` regex
///   applies to the text between digits (llama.cpp's `smollm`; HF's `Digits` with
///   `individual_digits` followed by `ByteLevel`).
/// - `llamaBPE`: Llama 3's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
public enum PreTokenizer: String, CaseIterable, Sendable {
    /// GPT-2's regex (also `gpt-2`).
    case gpt2 = "gpt2"
    /// SmolLM's rule: single digits first, then GPT-2's regex.
    case smollm = "smollm"
    /// Llama 3's regex (also `llama3`, `llama-v3`).
    case llamaBPE = "llama-bpe"

    /// The canonical name (`gpt2`, `smollm`, `llama-bpe`), as in GGUF's `tokenizer.ggml.pre`.
    public var name: String { rawValue }

    /// Looks a pre-tokenizer up by name; accepts the canonical names and the aliases
    /// `gpt-2`, `llama3`, `llama-v3`. Throws ``TokenizerError/unknownPreTokenizer(_:)``.
    public init(name: String) throws {
        switch name.lowercased() {
        case "gpt2", "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llamaBPE
        default: throw TokenizerError.unknownPreTokenizer(name)
        }
    }

    /// Splits `text` into the words BPE would see (special tokens are not treated specially).
    public func split(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var scalars = ScalarText()
        var ends: [Int] = []
        return bytes.withUnsafeBufferPointer { buf -> [String] in
            scalars.load(buf, 0..<buf.count)
            scan(scalars, into: &ends)
            var out: [String] = []
            out.reserveCapacity(ends.count)
            var start = 0
            for e in ends {
                let lo = scalars.byteOffsets[start], hi = scalars.byteOffsets[e]
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[lo..<hi]), as: UTF8.self))
                start = e
            }
            return out
        }
    }

    /// Appends to `ends` the scalar index where each word of `text` ends, in order.
    func scan(_ text: ScalarText, into ends: inout [Int]) {
        ends.removeAll(keepingCapacity: true)
        text.values.withUnsafeBufferPointer { cp in
            text.classes.withUnsafeBufferPointer { cls in
                switch self {
                case .gpt2:
                    PreTokenizerScanner.gpt2(cp, cls, 0, cp.count, &ends)
                case .smollm:
                    PreTokenizerScanner.smollm(cp, cls, 0, cp.count, &ends)
                case .llamaBPE:
                    PreTokenizerScanner.llama3(cp, cls, 0, cp.count, &ends)
                }
            }
        }
    }
}
