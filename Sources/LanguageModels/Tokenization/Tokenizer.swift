/// A byte-level BPE tokenizer (GPT-2, Llama 3, SmolLM2), bit-exact with HF `tokenizers`
/// and llama.cpp.
///
/// Encoding: special tokens are matched whole in the text first (leftmost, then longest);
/// the text between them is cut into words by the ``PreTokenizer``; each word's UTF-8
/// bytes are spelled in GPT-2's byte alphabet and merged by rank (lowest first). Decoding
/// concatenates each token's bytes. Token ids are 0-based.
///
/// Build one from an HF `tokenizer.json` (``init(tokenizerJSONAt:preTokenizer:)``), from
/// GGUF metadata (``init(ggufMetadata:preTokenizer:)``) or from its parts. A tokenizer is
/// immutable apart from an internal, lock-protected word cache, so one instance can be
/// shared by any number of threads.
public final class Tokenizer: Sendable {
    /// The number of token ids (`0 ..< vocabularySize`).
    public let vocabularySize: Int
    /// The beginning-of-sequence token id, if the vocabulary has one.
    public let bosID: Int?
    /// The end-of-sequence token id, if known; generation stops when it is produced.
    public let eosID: Int?
    /// The padding token id, if known.
    public let padID: Int?
    /// Whether the model expects a BOS token in front of every prompt (GGUF's
    /// `tokenizer.ggml.add_bos_token`). ``encode(_:addBOS:parseSpecialTokens:)`` never adds
    /// one unless asked.
    public let addsBOSByDefault: Bool
    /// The rule cutting text into words before merging.
    public let preTokenizer: PreTokenizer
    /// Whether a word found whole in the vocabulary is emitted without running merges
    /// (HF's `ignore_merges`; llama.cpp does this for `llama-bpe`).
    public let ignoresMerges: Bool
    /// The tokens matched whole in text, by increasing id.
    public let specialTokens: [SpecialToken]
    /// The number of merge rules in effect.
    public let mergeCount: Int
    /// The byte values the vocabulary has no single-byte token for, in increasing order.
    /// ``encode(_:addBOS:parseSpecialTokens:)`` drops these bytes (as HF `tokenizers` does),
    /// so text containing them does not survive a round trip. SmolLM2 lacks 0x04, 0x06,
    /// 0x13, 0x14, 0x16, 0x1D, 0xF1, 0xF2 (and bytes that never occur in UTF-8).
    public let missingByteTokens: [UInt8]

    /// `tokenStrings[id]`: the vocabulary's spelling (byte alphabet, or verbatim for special tokens).
    private let tokenStrings: [String]
    /// Vocabulary spelling (UTF-8) → id.
    private let tokenIDs: [[UInt8]: Int32]
    /// The symbol id of each byte's single-character token, or -1 for bytes that never occur in UTF-8.
    private let byteSymbols: [Int32]
    private let merges: MergeTable
    /// Raw bytes of symbols produced by merges that are not themselves in the vocabulary
    /// (ids `vocabularySize...`); emitted as their byte tokens, as llama.cpp does.
    private let virtualSymbolBytes: [[UInt8]]
    /// Every token's decoded bytes, concatenated; token `i` is `decodeStorage[decodeOffsets[i] ..< decodeOffsets[i+1]]`.
    private let decodeStorage: [UInt8]
    private let decodeOffsets: [Int]
    /// 0 = ordinary, 1 = control, 2 = user-defined, per id.
    private let tokenKinds: [UInt8]
    private let specialMatcher: SpecialTokenMatcher
    private let cache = WordCache()

    /// Builds a tokenizer from its parts.
    ///
    /// - Parameters:
    ///   - tokens: the vocabulary, `tokens[id]`, spelled in GPT-2's byte alphabet (`Ġthe`)
    ///     except special tokens, which are spelled verbatim.
    ///   - merges: the merge rules, highest priority first, each a pair of vocabulary spellings.
    ///   - specialTokens: tokens matched whole in text; their `content` overrides `tokens[id]`.
    ///   - preTokenizer: how text is cut into words.
    ///   - bosID, eosID, padID: well-known token ids, if any.
    ///   - ignoreMerges: emit a word found whole in the vocabulary directly (HF `ignore_merges`).
    ///   - addBOSByDefault: recorded in ``addsBOSByDefault``.
    /// - Throws: ``TokenizerError`` when the vocabulary is empty, is not byte-level (lacks
    ///   most single-byte tokens), or an id is out of range.
    public convenience init(tokens: [String], merges: [(String, String)],
                            specialTokens: [SpecialToken] = [], preTokenizer: PreTokenizer,
                            bosID: Int? = nil, eosID: Int? = nil, padID: Int? = nil,
                            ignoreMerges: Bool = false, addBOSByDefault: Bool = false) throws {
        try self.init(parts: TokenizerParts(
            tokens: tokens,
            merges: merges.map { (Array($0.0.utf8), Array($0.1.utf8)) },
            specialTokens: specialTokens, preTokenizer: preTokenizer,
            bosID: bosID, eosID: eosID, padID: padID,
            ignoreMerges: ignoreMerges, addBOSByDefault: addBOSByDefault))
    }

    init(parts p: TokenizerParts) throws {
        let n = p.tokens.count
        guard n > 0 else { throw TokenizerError.malformedVocabulary("the vocabulary is empty") }
        guard n < Int(Int32.max / 2) else {
            throw TokenizerError.malformedVocabulary("\(n) tokens is more than supported")
        }
        for (key, id) in [("bos", p.bosID), ("eos", p.eosID), ("pad", p.padID)] {
            if let id, id < 0 || id >= n {
                throw TokenizerError.specialTokenOutOfRange(key: key, id: id, vocabularySize: n)
            }
        }

        var strings = p.tokens
        var kinds = [UInt8](repeating: 0, count: n)
        var specials: [Int: SpecialToken] = [:]
        for t in p.specialTokens {
            guard t.id >= 0 && t.id < n else {
                throw TokenizerError.idOutOfRange(id: t.id, vocabularySize: n)
            }
            strings[t.id] = t.content
            kinds[t.id] = t.isControl ? 1 : 2
            specials[t.id] = t
        }
        let specialList = specials.keys.sorted().compactMap { specials[$0] }

        // Spelling → id (the last of duplicates wins, as in llama.cpp).
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(n)
        for (i, s) in strings.enumerated() { ids[Array(s.utf8)] = Int32(i) }

        // The 256 single-byte symbols. Real vocabularies may lack a few (SmolLM2 has no
        // token for 0x04 or 0xF1): such bytes are dropped when encoding, as HF does.
        var byteSyms = [Int32](repeating: -1, count: 256)
        var missingBytes: [UInt8] = []
        for b in 0..<256 {
            let spelled = ByteLevelAlphabet.encode([UInt8(b)])
            if let id = ids[Array(spelled.utf8)] {
                byteSyms[b] = id
            } else {
                missingBytes.append(UInt8(b))
            }
        }
        guard missingBytes.count <= 128 else {
            throw TokenizerError.malformedVocabulary(
                "only \(256 - missingBytes.count) of the 256 byte tokens are present: not a byte-level BPE vocabulary")
        }

        // Merge rules on symbol ids. A merge whose parts or result are not vocabulary
        // spellings still takes part (as in llama.cpp): such symbols get ids past the
        // vocabulary and, if they survive, are emitted byte by byte.
        var virtualIDs: [[UInt8]: Int32] = [:]
        var virtualBytes: [[UInt8]] = []
        func symbol(_ spelling: [UInt8]) -> Int32? {
            if let id = ids[spelling] { return id }
            if let id = virtualIDs[spelling] { return id }
            guard let raw = ByteLevelAlphabet.decode(String(decoding: spelling, as: UTF8.self)),
                  !raw.isEmpty else { return nil }  // not spelled in the byte alphabet: can never form
            let id = Int32(n + virtualBytes.count)
            virtualBytes.append(raw)
            virtualIDs[spelling] = id
            return id
        }
        var table = MergeTable(capacity: p.merges.count)
        var rank: Int32 = 0
        for (left, right) in p.merges {
            defer { rank += 1 }
            guard !left.isEmpty, !right.isEmpty,
                  let l = symbol(left), let r = symbol(right), let m = symbol(left + right) else { continue }
            table.insert(left: l, right: r, rank: rank, result: m)
        }

        // Decoded bytes of every token.
        var storage: [UInt8] = []
        var offsets: [Int] = [0]
        offsets.reserveCapacity(n + 1)
        for i in 0..<n {
            if kinds[i] == 0, let raw = ByteLevelAlphabet.decode(strings[i]) {
                storage.append(contentsOf: raw)
            } else {
                storage.append(contentsOf: strings[i].utf8)  // special tokens, and odd spellings, verbatim
            }
            offsets.append(storage.count)
        }

        vocabularySize = n
        bosID = p.bosID
        eosID = p.eosID
        padID = p.padID
        addsBOSByDefault = p.addBOSByDefault
        preTokenizer = p.preTokenizer
        ignoresMerges = p.ignoreMerges
        specialTokens = specialList
        mergeCount = table.count
        missingByteTokens = missingBytes
        tokenStrings = strings
        tokenIDs = ids
        byteSymbols = byteSyms
        merges = table
        virtualSymbolBytes = virtualBytes
        decodeStorage = storage
        decodeOffsets = offsets
        tokenKinds = kinds
        specialMatcher = SpecialTokenMatcher(specialList)
    }

    // MARK: - Lookup

    /// The vocabulary's spelling of token `id`: byte-alphabet form for ordinary tokens
    /// (`"Ġthe"` for `" the"`), verbatim for special tokens. Throws for an out-of-range id.
    public func tokenString(_ id: Int) throws -> String {
        guard id >= 0 && id < vocabularySize else {
            throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        return tokenStrings[id]
    }

    /// The id of the token spelled exactly `token` (as ``tokenString(_:)`` returns it), or
    /// `nil`. Compares bytes, not canonical equivalence.
    public func id(ofToken token: String) -> Int? {
        tokenIDs[Array(token.utf8)].map(Int.init)
    }

    /// The raw bytes token `id` stands for. Throws for an out-of-range id.
    public func tokenBytes(_ id: Int) throws -> [UInt8] {
        guard id >= 0 && id < vocabularySize else {
            throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        return Array(decodeStorage[decodeOffsets[id] ..< decodeOffsets[id + 1]])
    }

    /// Whether `id` is a special token (control or user-defined); `false` when out of range.
    public func isSpecialToken(_ id: Int) -> Bool {
        id >= 0 && id < vocabularySize && tokenKinds[id] != 0
    }

    // MARK: - Encoding

    /// The token ids of `text`.
    ///
    /// - Parameters:
    ///   - addBOS: put ``bosID`` first (nothing is added when the vocabulary has none).
    ///   - parseSpecialTokens: recognise control tokens such as `<|im_start|>` written in the
    ///     text; when `false` they are encoded as ordinary text (user-defined tokens are
    ///     always recognised).
    public func encode(_ text: String, addBOS: Bool = false, parseSpecialTokens: Bool = true) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let bos = bosID { out.append(bos) }
        var text = text
        text.withUTF8 { buf in
            var scalars = ScalarText()
            var ends: [Int] = []
            for segment in specialMatcher.segments(buf, includeControl: parseSpecialTokens) {
                switch segment {
                case .special(let id):
                    out.append(id)
                case .text(let range):
                    scalars.load(buf, range)
                    preTokenizer.scan(scalars, into: &ends)
                    var start = 0
                    for end in ends {
                        let lo = scalars.byteOffsets[start], hi = scalars.byteOffsets[end]
                        encodeWord(UnsafeBufferPointer(rebasing: buf[lo..<hi]), into: &out)
                        start = end
                    }
                }
            }
        }
        return out
    }

    /// The words BPE sees for `text` (special tokens appear whole), for inspection.
    public func preTokenize(_ text: String, parseSpecialTokens: Bool = true) -> [String] {
        var out: [String] = []
        var text = text
        text.withUTF8 { buf in
            var scalars = ScalarText()
            var ends: [Int] = []
            for segment in specialMatcher.segments(buf, includeControl: parseSpecialTokens) {
                switch segment {
                case .special(let id):
                    out.append(tokenStrings[id])
                case .text(let range):
                    scalars.load(buf, range)
                    preTokenizer.scan(scalars, into: &ends)
                    var start = 0
                    for end in ends {
                        let lo = scalars.byteOffsets[start], hi = scalars.byteOffsets[end]
                        out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[lo..<hi]), as: UTF8.self))
                        start = end
                    }
                }
            }
        }
        return out
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        if word.count == 1 {
            let s = byteSymbols[Int(word[0])]
            if s >= 0 { out.append(Int(s)) }
            return
        }
        let key = Array(word)
        let cacheable = word.count <= cache.maxWordBytes
        if cacheable, let hit = cache.get(key) {
            for id in hit { out.append(Int(id)) }
            return
        }
        let ids = bpe(key)
        if cacheable { cache.set(key, ids) }
        for id in ids { out.append(Int(id)) }
    }

    /// Byte-pair encodes one word's bytes into token ids.
    private func bpe(_ word: [UInt8]) -> [Int32] {
        if ignoresMerges, let id = tokenIDs[Array(ByteLevelAlphabet.encode(word).utf8)] {
            return [id]
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        for b in word {
            let s = byteSymbols[Int(b)]
            if s >= 0 { symbols.append(s) }
        }
        let merged = BPEWordEncoder.merge(symbols, merges)
        if !virtualSymbolBytes.isEmpty && merged.contains(where: { Int($0) >= vocabularySize }) {
            var out: [Int32] = []
            for s in merged {
                if Int(s) < vocabularySize {
                    out.append(s)
                } else {
                    for b in virtualSymbolBytes[Int(s) - vocabularySize] where byteSymbols[Int(b)] >= 0 {
                        out.append(byteSymbols[Int(b)])
                    }
                }
            }
            return out
        }
        return merged
    }

    // MARK: - Decoding

    /// The text of `ids`. Throws ``TokenizerError/idOutOfRange(id:vocabularySize:)`` for an
    /// id outside the vocabulary. Bytes that do not form valid UTF-8 (a sequence cut inside
    /// a character) become U+FFFD; a complete encoding decodes to exactly the original text.
    /// - Parameter skipSpecialTokens: leave control tokens (`<|im_end|>`, ...) out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        String(decoding: try decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// The raw bytes of `ids` (for streaming, where a character may span several tokens).
    /// Throws for an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            guard id >= 0 && id < vocabularySize else {
                throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
            }
            if skipSpecialTokens && tokenKinds[id] == 1 { continue }
            out.append(contentsOf: decodeStorage[decodeOffsets[id] ..< decodeOffsets[id + 1]])
        }
        return out
    }
}

/// Everything a ``Tokenizer`` is built from, as the loaders collect it.
struct TokenizerParts {
    var tokens: [String]
    /// Merge rules as UTF-8 spellings, highest priority first.
    var merges: [([UInt8], [UInt8])]
    var specialTokens: [SpecialToken]
    var preTokenizer: PreTokenizer
    var bosID: Int?
    var eosID: Int?
    var padID: Int?
    var ignoreMerges: Bool
    var addBOSByDefault: Bool
}

/// Splits a merge rule `"left right"` at its first space after the first byte (as
/// llama.cpp does), or throws ``TokenizerError/malformedMerge(index:value:)``.
func splitMergeRule(_ rule: String, index: Int) throws -> ([UInt8], [UInt8]) {
    let bytes = Array(rule.utf8)
    guard bytes.count >= 3, let space = bytes[1...].firstIndex(of: 0x20), space + 1 < bytes.count else {
        throw TokenizerError.malformedMerge(index: index, value: rule)
    }
    return (Array(bytes[..<space]), Array(bytes[(space + 1)...]))
}
