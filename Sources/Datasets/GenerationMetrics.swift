import Foundation
import LanguageModels
import Tensors

/// How generation prompts are continued (the reference `generate_fast`).
public struct GenerationOptions: Sendable, Equatable {
    /// Maximum length in tokens, counting the prompt (not the prompt prefix): each prompt is
    /// continued by `maxLength − promptTokens` tokens (reference: `max_out_len = 100`).
    public var maxLength: Int
    /// Top-k sampling at temperature 1 (reference: 5).
    public var topK: Int
    /// The sampling seed.
    public var seed: UInt64
    /// Put in front of every prompt (not part of the returned text).
    public var prefix: PromptPrefix

    /// The reference settings: 100 tokens including the prompt, top-5, seed 0, automatic prefix.
    public init(maxLength: Int = 100, topK: Int = 5, seed: UInt64 = 0, prefix: PromptPrefix = .automatic) {
        self.maxLength = maxLength
        self.topK = topK
        self.seed = seed
        self.prefix = prefix
    }
}

/// Generation entropy of a set of texts.
public struct GenerationEntropyResult: Sendable, Equatable {
    /// The generated texts (prompt + continuation, normalised as the reference does).
    public var texts: [String]
    /// The weighted n-gram entropy of each text.
    public var entropies: [Double]
    /// Their arithmetic mean (the reference's `ngram_entropy`; tables report it ×100).
    public var mean: Double
}

/// Fluency and consistency of generated text (EDITING.md §7.1): n-gram entropy and the
/// TF-IDF reference score.
public enum GenerationMetrics {
    /// Words for n-gram statistics, standing in for nltk's `word_tokenize`: a word is a maximal
    /// run of letters, digits, marks and connector punctuation (`_`), with `'` or `’` kept
    /// inside a run when a letter follows (`don't`, `O'Neil`); every other non-space
    /// character is a token of its own. (nltk additionally splits contractions such as
    /// `don't` → `do n't` and keeps `...` together; n-gram counts differ only on such text.)
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        let scalars = Array(text.unicodeScalars)
        func isWord(_ s: Unicode.Scalar) -> Bool {
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark,
                 .connectorPunctuation: return true
            default: return false
            }
        }
        for (i, s) in scalars.enumerated() {
            if isWord(s) {
                cur.unicodeScalars.append(s)
            } else if (s == "'" || s == "\u{2019}") && !cur.isEmpty && i + 1 < scalars.count && scalars[i + 1].properties.isAlphabetic {
                cur.unicodeScalars.append(s)
            } else {
                if !cur.isEmpty { out.append(cur); cur = "" }
                if !s.properties.isWhitespace { out.append(String(s)) }
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// The reference `compute_n_gram_entropy`: for each n, the entropy in bits of the
    /// frequency distribution of the text's word n-grams (0 when there are none); multiplied
    /// by its weight; the arithmetic mean of the weighted values. Defaults: n = 2, 3 with
    /// weights 2/3, 4/3. Counts are summed in sorted order, so the value is deterministic.
    public static func ngramEntropy(_ text: String, ns: [Int] = [2, 3], weights: [Double] = [2.0 / 3.0, 4.0 / 3.0]) throws -> Double {
        guard ns.count == weights.count, !ns.isEmpty else {
            throw DatasetError.invalidArgument("n-gram entropy needs one weight per n (got \(ns.count) n and \(weights.count) weights)")
        }
        guard ns.allSatisfy({ $0 > 0 }) else { throw DatasetError.invalidArgument("n-gram sizes must be positive") }
        let w = words(text)
        var total = 0.0
        for (n, weight) in zip(ns, weights) {
            var counts: [[String]: Int] = [:]
            if w.count >= n {
                for i in 0...(w.count - n) { counts[Array(w[i..<(i + n)]), default: 0] += 1 }
            }
            let c = counts.values.sorted()
            let sum = Double(c.reduce(0, +))
            var h = 0.0
            for x in c {
                let p = Double(x) / sum
                h -= p * Foundation.log2(p)
            }
            total += h * weight
        }
        return total / Double(ns.count)
    }

    /// The mean n-gram entropy of texts (the reference `n_gram_entropy`, arithmetic).
    public static func ngramEntropy(texts: [String]) throws -> GenerationEntropyResult {
        guard !texts.isEmpty else { throw DatasetError.empty("no texts for the n-gram entropy") }
        let e = try texts.map { try ngramEntropy($0) }
        return GenerationEntropyResult(texts: texts, entropies: e, mean: e.reduce(0, +) / Double(e.count))
    }

    /// Continues each prompt as the reference `generate_fast` does: top-k sampling (k = 5,
    /// temperature 1, seeded) until the text is `maxLength` tokens long counting the prompt,
    /// no stop at the end-of-sequence token; the returned text is prompt + continuation,
    /// NFKD-normalised, with `"\n\n"` replaced by a space and `<|endoftext|>` removed.
    public static func generate(_ model: LanguageModel, prompts: [String],
                                options: GenerationOptions = GenerationOptions()) throws -> [String] {
        guard !prompts.isEmpty else { return [] }
        guard options.topK > 0 else { throw DatasetError.invalidArgument("topK must be positive") }
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let ids = prompts.map { tok.encode($0) }
        for (i, p) in ids.enumerated() where p.isEmpty && prefix.isEmpty {
            throw DatasetError.invalidArgument("generation prompt \(i) is empty and there is no prompt prefix")
        }
        let budgets = ids.map { max(0, options.maxLength - $0.count) }
        let most = budgets.max() ?? 0
        let g = try model.generate(ids.map { prefix + $0 }, maxTokens: most,
                                   sampling: .sample(temperature: 1, topK: options.topK, topP: 1, seed: options.seed),
                                   stopAtEOS: false)
        return try zip(ids, zip(g.newIDs, budgets)).map { p, nb in
            let text = try tok.decode(p + nb.0.prefix(nb.1))
            return text.decomposedStringWithCompatibilityMapping
                .replacingOccurrences(of: "\n\n", with: " ")
                .replacingOccurrences(of: "<|endoftext|>", with: "")
        }
    }

    /// Generates from `prompts` and returns the mean n-gram entropy of the texts.
    public static func generationEntropy(_ model: LanguageModel, prompts: [String],
                                         options: GenerationOptions = GenerationOptions()) throws -> GenerationEntropyResult {
        try ngramEntropy(texts: generate(model, prompts: prompts, options: options))
    }

    /// The reference score (consistency): TF-IDF cosine between the generated texts joined by
    /// spaces and the reference snippets joined by spaces (the attribute snippets of the
    /// request's relation and new object). NaN when either side has no known word, as in the
    /// reference.
    public static func referenceScore(generated: [String], snippets: [String], vectorizer: TFIDFVectorizer) -> Double {
        vectorizer.cosine(generated.joined(separator: " "), snippets.joined(separator: " "))
    }
}

/// A TF-IDF vectoriser with scikit-learn's defaults (`TfidfVectorizer()`: lowercase, tokens
/// matching `(?u)\b\w\w+\b`, raw counts × idf, L2 normalisation), loaded from the reference
/// statistics (`tfidf_vocab.json` + `idf.npy`) or fitted on documents.
public struct TFIDFVectorizer: Sendable, Equatable {
    /// Term → column.
    public let vocabulary: [String: Int]
    /// Inverse document frequency per column.
    public let idf: [Double]

    /// A vectoriser; every column must index `idf`.
    public init(vocabulary: [String: Int], idf: [Double]) throws {
        for (term, i) in vocabulary where i < 0 || i >= idf.count {
            throw DatasetError.invalidArgument("TF-IDF vocabulary maps \"\(term)\" to column \(i), outside 0..<\(idf.count)")
        }
        self.vocabulary = vocabulary
        self.idf = idf
    }

    /// Loads the reference files: a JSON object term → column and a NumPy `.npy` vector of
    /// float64 (or float32) idf values.
    public static func load(vocabularyPath: String, idfPath: String) throws -> TFIDFVectorizer {
        let v = try parseJSON(readFile(vocabularyPath, limit: 1 << 30), source: vocabularyPath)
        guard let o = v.objectValue else { throw DatasetError.malformedJSON(source: vocabularyPath, detail: "expected an object term → column") }
        var vocab: [String: Int] = [:]
        for (k, x) in o {
            guard let i = x.intValue else {
                throw DatasetError.malformedRecord(source: vocabularyPath, record: "vocabulary", field: k, problem: "expected an integer column")
            }
            vocab[k] = i
        }
        return try TFIDFVectorizer(vocabulary: vocab, idf: NumPyArray.readVector(readFile(idfPath, limit: 1 << 30), source: idfPath))
    }

    /// Fits on documents as scikit-learn does: columns in sorted term order,
    /// idf = ln((1 + n) / (1 + df)) + 1.
    public static func fit(documents: [String]) throws -> TFIDFVectorizer {
        var df: [String: Int] = [:]
        for d in documents { for t in Set(tokens(d)) { df[t, default: 0] += 1 } }
        let terms = df.keys.sorted()
        let n = Double(documents.count)
        var vocab: [String: Int] = [:]
        var idf: [Double] = []
        for (i, t) in terms.enumerated() {
            vocab[t] = i
            idf.append(Foundation.log((1 + n) / (1 + Double(df[t] ?? 0))) + 1)
        }
        return try TFIDFVectorizer(vocabulary: vocab, idf: idf)
    }

    /// scikit-learn's default analyzer: lowercase, then runs of two or more word characters
    /// (letters, digits, marks, `_`).
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        var n = 0
        func flush() {
            if n >= 2 { out.append(String(cur)) }
            cur = String.UnicodeScalarView()
            n = 0
        }
        for s in text.lowercased().unicodeScalars {
            let p = s.properties
            if p.isAlphabetic || p.numericType != nil || s == "_" || p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark {
                cur.append(s)
                n += 1
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// The L2-normalised TF-IDF vector of `text`, as (column, weight) sorted by column.
    public func vector(_ text: String) -> [(column: Int, weight: Double)] {
        var counts: [Int: Int] = [:]
        for t in Self.tokens(text) { if let i = vocabulary[t] { counts[i, default: 0] += 1 } }
        let sorted = counts.keys.sorted().map { ($0, Double(counts[$0] ?? 0) * idf[$0]) }
        let norm = sorted.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        guard norm > 0 else { return sorted.map { ($0.0, $0.1) } }
        return sorted.map { ($0.0, $0.1 / norm) }
    }

    /// Cosine similarity of the two texts' TF-IDF vectors (NaN when either is zero).
    public func cosine(_ a: String, _ b: String) -> Double {
        let va = vector(a), vb = vector(b)
        let na = va.reduce(0) { $0 + $1.weight * $1.weight }.squareRoot()
        let nb = vb.reduce(0) { $0 + $1.weight * $1.weight }.squareRoot()
        var dot = 0.0
        var i = 0, j = 0
        while i < va.count && j < vb.count {
            if va[i].column == vb[j].column { dot += va[i].weight * vb[j].weight; i += 1; j += 1 }
            else if va[i].column < vb[j].column { i += 1 } else { j += 1 }
        }
        return dot / na / nb
    }
}

/// CounterFact's `attribute_snippets.json`: Wikipedia snippets about subjects that have an
/// object, grouped by (relation id, target id).
public struct AttributeSnippets: Sendable, Equatable {
    /// One snippet.
    public struct Snippet: Sendable, Equatable {
        /// The subject the snippet is about.
        public var name: String
        /// The text.
        public var text: String
    }
    /// Snippets by relation id, then target id, in file order.
    public let byRelation: [String: [String: [Snippet]]]

    /// Loads the file: a JSON array of `{relation_id, target_id, samples: [{name, text}]}`.
    public static func load(_ path: String) throws -> AttributeSnippets {
        try AttributeSnippets(data: readFile(path, limit: 1 << 30), source: path)
    }

    /// Parses the file's bytes.
    public init(data: Data, source: String) throws {
        let root = try parseJSON(data, source: source)
        guard let items = root.arrayValue else { throw DatasetError.malformedJSON(source: source, detail: "expected a JSON array") }
        var out: [String: [String: [Snippet]]] = [:]
        for (i, v) in items.enumerated() {
            let r = RecordReader(source: source, record: "record \(i)")
            let o = try r.object(v, "(record)")
            let rel = try r.optionalID(o, "relation_id", at: "") ?? { throw r.fail("relation_id", "missing") }()
            let tid = try r.optionalID(o, "target_id", at: "") ?? { throw r.fail("target_id", "missing") }()
            guard let samples = o["samples"]?.arrayValue else { throw r.fail("samples", "missing or not an array") }
            for (k, s) in samples.enumerated() {
                let so = try r.object(s, "samples[\(k)]")
                out[rel, default: [:]][tid, default: []].append(
                    Snippet(name: try r.string(so, "name", at: "samples[\(k)]"), text: try r.string(so, "text", at: "samples[\(k)]")))
            }
        }
        byRelation = out
    }

    /// The snippet texts for a relation and target id (empty when there are none).
    public func texts(relationID: String, targetID: String) -> [String] {
        (byRelation[relationID]?[targetID] ?? []).map(\.text)
    }
}

/// A minimal reader of NumPy `.npy` files holding one 1-D float vector.
public enum NumPyArray {
    /// Reads a 1-D little-endian float64 (`<f8`) or float32 (`<f4`) array, C order. Every
    /// count is checked against the bytes present.
    public static func readVector(_ data: Data, source: String) throws -> [Double] {
        let b = [UInt8](data)
        func bad(_ why: String) -> DatasetError { .unreadable(path: source, reason: "not a 1-D float .npy file: \(why)") }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw bad("missing the \\x93NUMPY magic") }
        let major = b[6]
        var headerLen: Int, start: Int
        switch major {
        case 1:
            headerLen = Int(b[8]) | Int(b[9]) << 8
            start = 10
        case 2, 3:
            guard b.count >= 12 else { throw bad("truncated header") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        default: throw bad("unsupported version \(major)")
        }
        guard headerLen <= b.count - start else { throw bad("header length \(headerLen) exceeds the file") }
        guard let header = String(bytes: b[start..<(start + headerLen)], encoding: .utf8) else { throw bad("header is not text") }
        let compact = header.replacingOccurrences(of: " ", with: "")
        let width: Int
        if compact.contains("'descr':'<f8'") { width = 8 } else if compact.contains("'descr':'<f4'") { width = 4 } else {
            throw bad("dtype must be '<f8' or '<f4' (header \(header.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard compact.contains("'fortran_order':False") else { throw bad("Fortran order is not supported") }
        guard let sr = compact.range(of: "'shape':("), let close = compact[sr.upperBound...].firstIndex(of: ")") else { throw bad("no shape") }
        let dims = compact[sr.upperBound..<close].split(separator: ",")
        guard dims.count == 1, let n = Int(dims[0]), n >= 0 else { throw bad("shape must be 1-D") }
        let body = start + headerLen
        guard n <= (b.count - body) / width else { throw bad("\(n) values need \(n * width) bytes, \(b.count - body) present") }
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let o = body + i * width
            if width == 8 {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(b[o + k]) << (8 * UInt64(k)) }
                out[i] = Double(bitPattern: bits)
            } else {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(b[o + k]) << (8 * UInt32(k)) }
                out[i] = Double(Float(bitPattern: bits))
            }
        }
        return out
    }
}
