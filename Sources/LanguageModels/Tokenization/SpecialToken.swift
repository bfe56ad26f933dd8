/// A token matched whole in the input text before pre-tokenization, and decoded to its
/// content verbatim (not through the byte-level alphabet).
///
/// HF `added_tokens` and GGUF tokens of type CONTROL (3) or USER_DEFINED (4) are special
/// tokens: `<|im_start|>`, `<|endoftext|>`, `<|begin_of_text|>`, ...
public struct SpecialToken: Sendable, Hashable {
    /// The token id.
    public let id: Int
    /// The exact text that stands for this token.
    public let content: String
    /// `true` for control tokens (HF `special: true`, GGUF type 3): these are recognised in
    /// text only when encoding with `parseSpecialTokens: true`, and dropped by
    /// `decode(_:skipSpecialTokens: true)`. User-defined tokens are always recognised.
    public let isControl: Bool

    /// A special token with the given id, content and kind.
    public init(id: Int, content: String, isControl: Bool = true) {
        self.id = id
        self.content = content
        self.isControl = isControl
    }
}

/// Finds special tokens in UTF-8 text, leftmost first and, at one position, longest
/// first (the leftmost-longest rule of HF `tokenizers`' added-vocabulary matcher).
struct SpecialTokenMatcher: Sendable {
    private struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int
        var isControl: Bool
    }

    /// Candidates indexed by their first byte, longest first.
    private let buckets: [[Entry]]
    let isEmpty: Bool

    /// One piece of the input: plain text (a byte range) or a recognised special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case special(Int)
    }

    init(_ tokens: [SpecialToken]) {
        var b = [[Entry]](repeating: [], count: 256)
        var any = false
        for t in tokens {
            let bytes = Array(t.content.utf8)
            guard let first = bytes.first else { continue }  // an empty token can never match
            b[Int(first)].append(Entry(bytes: bytes, id: t.id, isControl: t.isControl))
            any = true
        }
        for i in 0..<256 {
            // Longest first; among equal lengths the lower id wins, deterministically.
            b[i].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }
        buckets = b
        isEmpty = !any
    }

    /// Cuts `text` into plain-text ranges and special tokens. Control tokens are
    /// recognised only when `includeControl` is true.
    func segments(_ text: UnsafeBufferPointer<UInt8>, includeControl: Bool) -> [Segment] {
        let n = text.count
        if isEmpty || n == 0 { return n == 0 ? [] : [.text(0..<n)] }
        var out: [Segment] = []
        var plainStart = 0
        var i = 0
        outer: while i < n {
            let bucket = buckets[Int(text[i])]
            if !bucket.isEmpty {
                for e in bucket where (includeControl || !e.isControl) && e.bytes.count <= n - i {
                    var k = 1
                    let len = e.bytes.count
                    while k < len && text[i + k] == e.bytes[k] { k += 1 }
                    if k == len {
                        if plainStart < i { out.append(.text(plainStart..<i)) }
                        out.append(.special(e.id))
                        i += len
                        plainStart = i
                        continue outer
                    }
                }
            }
            i += 1
        }
        if plainStart < n { out.append(.text(plainStart..<n)) }
        return out
    }
}
