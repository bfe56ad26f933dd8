import Foundation
import LanguageModels
import Tensors

/// The parts of the WordNet database (`data.noun`, `data.verb`, `data.adj`, `data.adv`).
public enum WordNetPart: String, Sendable, CaseIterable, Equatable {
    /// `data.noun`.
    case noun
    /// `data.verb`.
    case verb
    /// `data.adj`.
    case adj
    /// `data.adv`.
    case adv
}

/// Where corpus texts come from.
public enum CorpusSource: Sendable, Equatable {
    /// A plain UTF-8 text file; each paragraph (text between blank lines, trimmed) is a text.
    case textFile(String)
    /// A JSONL file; each line is an object whose string field `field` is a text.
    case jsonlFile(String, field: String)
    /// WordNet glosses read at run time from Debian's `wordnet-base` (default directory
    /// `/usr/share/wordnet`), one text per synset, parts in the given order, synsets in file
    /// order.
    case wordNet(directory: String, parts: [WordNetPart])
    /// Texts given directly.
    case texts([String])

    /// WordNet glosses of every part from `/usr/share/wordnet` (noun, verb, adj, adv).
    public static var wordNetDefault: CorpusSource { .wordNet(directory: Corpus.defaultWordNetDirectory, parts: WordNetPart.allCases) }
}

/// How texts are packed into token documents.
public struct PackingOptions: Sendable, Equatable {
    /// Tokens per document (default 512; EDITING.md §11 asks for at least 512 so the
    /// abnormal position-0 keys weigh little in statistics such as C0).
    public var documentTokens: Int
    /// Text put between consecutive texts (tokenised once; default a newline).
    public var separator: String
    /// Stop after this many tokens of the stream (nil: use every text).
    public var maximumTokens: Int?
    /// Keep the last, shorter document (default false: every document has exactly
    /// `documentTokens` tokens).
    public var keepRemainder: Bool

    /// 512-token documents, newline separators, every text, no short remainder.
    public init(documentTokens: Int = 512, separator: String = "\n", maximumTokens: Int? = nil, keepRemainder: Bool = false) {
        self.documentTokens = documentTokens
        self.separator = separator
        self.maximumTokens = maximumTokens
        self.keepRemainder = keepRemainder
    }
}

/// Token documents packed from texts: the texts are tokenised one by one, joined by the
/// separator's tokens into one stream, and the stream is cut into documents of exactly
/// `documentTokens` tokens (a document may begin inside a text). Deterministic: the order of
/// the source, nothing hashed.
public struct PackedCorpus: Sendable, Equatable {
    /// The documents, each `documentTokens` long (the last may be shorter with
    /// `keepRemainder`).
    public var documents: [[Int]]
    /// Tokens per document.
    public var documentTokens: Int
    /// Number of texts that went into the stream.
    public var textCount: Int
    /// Tokens of the stream that did not fill a last document (dropped).
    public var droppedTokens: Int

    /// A packed corpus.
    public init(documents: [[Int]], documentTokens: Int, textCount: Int, droppedTokens: Int) {
        self.documents = documents
        self.documentTokens = documentTokens
        self.textCount = textCount
        self.droppedTokens = droppedTokens
    }

    /// Total tokens in the documents.
    public var tokenCount: Int { documents.reduce(0) { $0 + $1.count } }

    /// Splits off a held-out part for perplexity: `ceil(heldOutFraction · count)` documents
    /// (at least one and at most count − 1 when there are two or more documents and the
    /// fraction is positive) chosen by a Fisher–Yates shuffle of the indices driven by
    /// `RandomGenerator(seed:)`; both parts keep the corpus order. Same seed, same split.
    public func split(heldOutFraction: Double = 0.1, seed: UInt64 = 0) throws -> CorpusSplit {
        guard heldOutFraction >= 0, heldOutFraction < 1, heldOutFraction.isFinite else {
            throw DatasetError.invalidArgument("heldOutFraction must be in [0, 1), got \(heldOutFraction)")
        }
        let n = documents.count
        var k = Int((heldOutFraction * Double(n)).rounded(.up))
        if heldOutFraction > 0 && n >= 2 { k = Swift.min(Swift.max(k, 1), n - 1) } else if n < 2 { k = 0 }
        var order = Array(0..<n)
        var rng = RandomGenerator(seed: seed)
        if n > 1 { for i in stride(from: n - 1, through: 1, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) } }
        var held = [Bool](repeating: false, count: n)
        for i in order.prefix(k) { held[i] = true }
        func part(_ want: Bool) -> PackedCorpus {
            PackedCorpus(documents: documents.indices.filter { held[$0] == want }.map { documents[$0] },
                         documentTokens: documentTokens, textCount: textCount, droppedTokens: 0)
        }
        return CorpusSplit(train: part(false), heldOut: part(true))
    }
}

/// A corpus split into a training part and a held-out part.
public struct CorpusSplit: Sendable, Equatable {
    /// The documents for statistics or training.
    public var train: PackedCorpus
    /// The held-out documents (for perplexity).
    public var heldOut: PackedCorpus
}

/// Corpus readers and packing.
public enum Corpus {
    /// Where Debian's `wordnet-base` installs the database.
    public static let defaultWordNetDirectory = "/usr/share/wordnet"

    /// Reads the texts of a source, in order (empty texts dropped).
    public static func texts(_ source: CorpusSource, maximumFileBytes: Int = 1 << 30) throws -> [String] {
        switch source {
        case .textFile(let path): return try paragraphs(utf8Text(readFile(path, limit: maximumFileBytes), source: path))
        case .jsonlFile(let path, let field): return try jsonlTexts(data: readFile(path, limit: maximumFileBytes), source: path, field: field)
        case .wordNet(let dir, let parts): return try wordNetGlosses(directory: dir, parts: parts)
        case .texts(let t): return t.filter { !$0.isEmpty }
        }
    }

    /// Reads, tokenises and packs a source.
    public static func load(_ source: CorpusSource, tokenizer: Tokenizer, options: PackingOptions = PackingOptions()) throws -> PackedCorpus {
        try pack(texts(source), tokenizer: tokenizer, options: options)
    }

    /// The paragraphs of a text: runs of non-blank lines, trimmed, joined by newlines.
    public static func paragraphs(_ text: String) -> [String] {
        var out: [String] = []
        var cur: [Substring] = []
        func flush() {
            let p = cur.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !p.isEmpty { out.append(p) }
            cur = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy({ $0.isWhitespace }) { flush() } else { cur.append(line) }
        }
        flush()
        return out
    }

    /// The string field `field` of each JSONL line (blank lines skipped, empty strings dropped).
    public static func jsonlTexts(data: Data, source: String, field: String) throws -> [String] {
        var out: [String] = []
        for line in jsonLines(data) {
            let r = RecordReader(source: source, record: "line \(line.line)")
            let v: JSONValue
            do { v = try JSONValue.parse(line.bytes) } catch {
                throw DatasetError.malformedRecord(source: source, record: "line \(line.line)", field: "(record)", problem: "malformed JSON: \(error.description)")
            }
            let o = try r.object(v, "(record)")
            let s = try r.string(o, field)
            if !s.isEmpty { out.append(s) }
        }
        return out
    }

    /// The glosses of WordNet's `data.<part>` files: every synset line (the license header's
    /// lines start with spaces) contributes the text after its `|`, trimmed — the definition
    /// followed by any quoted examples.
    public static func wordNetGlosses(directory: String = defaultWordNetDirectory,
                                      parts: [WordNetPart] = WordNetPart.allCases) throws -> [String] {
        guard !parts.isEmpty else { throw DatasetError.invalidArgument("no WordNet parts selected") }
        var out: [String] = []
        for part in parts {
            let path = (directory as NSString).appendingPathComponent("data." + part.rawValue)
            guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.wordNetMissing(path: path) }
            let text = try utf8Text(readFile(path, limit: 1 << 28), source: path)
            for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
                guard let bar = line.firstIndex(of: "|") else { continue }
                let g = line[line.index(after: bar)...].trimmingCharacters(in: .whitespaces)
                if !g.isEmpty { out.append(g) }
            }
        }
        guard !out.isEmpty else { throw DatasetError.empty("no glosses in the WordNet files under \(directory)") }
        return out
    }

    /// Tokenises `texts` in order and packs them (see `PackedCorpus`).
    public static func pack(_ texts: [String], tokenizer: Tokenizer, options: PackingOptions = PackingOptions()) throws -> PackedCorpus {
        try pack(texts, encode: { tokenizer.encode($0) }, options: options)
    }

    /// Packing with any tokenizer function.
    public static func pack(_ texts: [String], encode: (String) -> [Int], options: PackingOptions = PackingOptions()) throws -> PackedCorpus {
        guard options.documentTokens > 0 else { throw DatasetError.invalidArgument("documentTokens must be positive, got \(options.documentTokens)") }
        if let m = options.maximumTokens, m <= 0 { throw DatasetError.invalidArgument("maximumTokens must be positive, got \(m)") }
        let sep = options.separator.isEmpty ? [] : encode(options.separator)
        var docs: [[Int]] = []
        var cur: [Int] = []
        cur.reserveCapacity(options.documentTokens)
        var streamed = 0, used = 0
        let limit = options.maximumTokens ?? Int.max
        func push(_ ids: [Int]) {
            for id in ids {
                if streamed >= limit { return }
                cur.append(id)
                streamed += 1
                if cur.count == options.documentTokens {
                    docs.append(cur)
                    cur = []
                    cur.reserveCapacity(options.documentTokens)
                }
            }
        }
        for t in texts where !t.isEmpty {
            if streamed >= limit { break }
            let ids = encode(t)
            if ids.isEmpty { continue }
            if streamed > 0 { push(sep) }
            push(ids)
            used += 1
        }
        var dropped = 0
        if !cur.isEmpty {
            if options.keepRemainder { docs.append(cur) } else { dropped = cur.count }
        }
        guard !docs.isEmpty else {
            throw DatasetError.empty("the corpus has \(streamed) tokens, fewer than one document of \(options.documentTokens) (use a smaller documentTokens or keepRemainder)")
        }
        return PackedCorpus(documents: docs, documentTokens: options.documentTokens, textCount: used, droppedTokens: dropped)
    }
}
