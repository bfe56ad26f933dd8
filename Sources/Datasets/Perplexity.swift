import Foundation
import LanguageModels
import Tensors

/// Perplexity of a model over documents.
public struct PerplexityResult: Sendable, Equatable {
    /// exp(mean NLL per predicted token).
    public var perplexity: Double
    /// The mean negative log-likelihood per predicted token (nats).
    public var meanNLL: Double
    /// Number of predicted tokens.
    public var tokenCount: Int
    /// Number of documents.
    public var documentCount: Int

    /// `perplexity`, `nll`, `tokens`, `documents` in this order.
    public var fields: [(name: String, value: Double)] {
        [("perplexity", perplexity), ("nll", meanNLL), ("tokens", Double(tokenCount)), ("documents", Double(documentCount))]
    }
}

/// Perplexity over token documents (the packed corpus's held-out split, typically).
public enum Perplexity {
    /// Scores every token of every document given the tokens before it: with a prompt prefix
    /// every token is predicted (the prefix is the context of the first); without one the
    /// first token of each document is context only. The result is exp of the mean NLL over
    /// all predicted tokens of all documents (token-weighted). Documents are batched under
    /// the options' token and logit-column budgets (one 512-token document per pass with the
    /// defaults).
    public static func evaluate(_ model: LanguageModel, documents: [[Int]],
                                options: ScoringOptions = ScoringOptions()) throws -> PerplexityResult {
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        return try evaluate(documents: documents, prefixIDs: prefix, padID: tok.padID ?? tok.eosID ?? 0, options: options,
                            logits: ContinuationScorer.modelLogits(model))
    }

    /// Perplexity over a packed corpus's documents.
    public static func evaluate(_ model: LanguageModel, corpus: PackedCorpus,
                                options: ScoringOptions = ScoringOptions()) throws -> PerplexityResult {
        try evaluate(model, documents: corpus.documents, options: options)
    }

    /// The same through any logits function.
    public static func evaluate(documents: [[Int]], prefixIDs: [Int], padID: Int, options: ScoringOptions = ScoringOptions(),
                                logits: ColumnLogitsFunction) throws -> PerplexityResult {
        var queries: [ContinuationQuery] = []
        for (i, d) in documents.enumerated() {
            if prefixIDs.isEmpty {
                guard d.count >= 2 else { throw DatasetError.invalidArgument("document \(i) has \(d.count) token(s); without a prompt prefix a document needs at least 2") }
                queries.append(ContinuationQuery(context: [d[0]], continuation: Array(d.dropFirst())))
            } else {
                guard !d.isEmpty else { throw DatasetError.invalidArgument("document \(i) is empty") }
                queries.append(ContinuationQuery(context: [], continuation: d))
            }
        }
        guard !queries.isEmpty else { throw DatasetError.empty("no documents for perplexity") }
        var opts = options
        opts.maxLogitColumns = max(options.maxLogitColumns, queries.map(\.continuation.count).max() ?? 1)
        let scores = try ContinuationScorer.score(queries, prefixIDs: prefixIDs, padID: padID, options: opts, logits: logits)
        var sum = 0.0, n = 0
        for s in scores {
            for lp in s.tokenLogProbs { sum -= lp }
            n += s.tokenLogProbs.count
        }
        let nll = sum / Double(n)
        return PerplexityResult(perplexity: Foundation.exp(nll), meanNLL: nll, tokenCount: n, documentCount: documents.count)
    }
}

/// Next-token distributions of a model on fixed prompts, kept as plain values so a later
/// state of the same model can be compared with it without holding a second model: the
/// collapse canary (a KL divergence that climbs during sequential editing means the model's
/// general predictions are drifting).
public struct NextTokenReference: Sendable, Equatable {
    /// The prompts.
    public let prompts: [String]
    /// The prompt prefix used (the same is used when comparing).
    public let prefix: PromptPrefix
    /// Vocabulary size.
    public let vocabularySize: Int
    /// log P(· | prefix, prompt) at the last prompt position, row-major
    /// `[prompts.count, vocabularySize]`, float32 (from a double-precision log-softmax).
    public let logProbs: [Float]

    /// Captures the model's next-token distributions after each prompt (one batched pass).
    public static func capture(_ model: LanguageModel, prompts: [String], options: ScoringOptions = ScoringOptions()) throws -> NextTokenReference {
        let rows = try lastLogProbs(model, prompts: prompts, options: options)
        return NextTokenReference(prompts: prompts, prefix: options.prefix, vocabularySize: rows.vocab, logProbs: rows.values.map(Float.init))
    }

    /// A reference from stored values (for checkpoints).
    public init(prompts: [String], prefix: PromptPrefix, vocabularySize: Int, logProbs: [Float]) {
        self.prompts = prompts
        self.prefix = prefix
        self.vocabularySize = vocabularySize
        self.logProbs = logProbs
    }

    /// KL(reference ‖ model) = Σᵥ p_ref(v) (log p_ref(v) − log p_model(v)) for each prompt,
    /// in nats, summed over the vocabulary in id order (double precision).
    public func divergence(_ model: LanguageModel, options: ScoringOptions = ScoringOptions()) throws -> KLDivergenceResult {
        var opts = options
        opts.prefix = prefix
        let now = try Self.lastLogProbs(model, prompts: prompts, options: opts)
        guard now.vocab == vocabularySize else {
            throw DatasetError.model("the reference has a vocabulary of \(vocabularySize), the model \(now.vocab)")
        }
        return try divergence(currentLogProbs: now.values)
    }

    /// KL(reference ‖ current) for given current log-probabilities `[prompts.count, vocab]`.
    public func divergence(currentLogProbs cur: [Double]) throws -> KLDivergenceResult {
        guard cur.count == logProbs.count else {
            throw DatasetError.invalidArgument("expected \(logProbs.count) log-probabilities, got \(cur.count)")
        }
        var per: [Double] = []
        for r in 0..<prompts.count {
            var kl = 0.0
            for v in (r * vocabularySize)..<((r + 1) * vocabularySize) {
                let lp = Double(logProbs[v])
                let p = Foundation.exp(lp)
                if p > 0 { kl += p * (lp - cur[v]) }
            }
            per.append(kl)
        }
        return KLDivergenceResult(perPrompt: per, mean: per.isEmpty ? 0 : per.reduce(0, +) / Double(per.count), max: per.max() ?? 0)
    }

    /// Double-precision log-softmax at the last position of each prompt.
    static func lastLogProbs(_ model: LanguageModel, prompts: [String], options: ScoringOptions) throws -> (values: [Double], vocab: Int) {
        guard !prompts.isEmpty else { throw DatasetError.empty("no prompts for next-token distributions") }
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let rows = prompts.map { prefix + tok.encode($0) }
        for (i, r) in rows.enumerated() where r.isEmpty { throw DatasetError.invalidArgument("prompt \(i) is empty and there is no prompt prefix") }
        let perBatch = max(1, min(options.maxLogitColumns, options.maxTokensPerBatch / max(1, rows.map(\.count).max() ?? 1)))
        var out: [Double] = []
        var vocab = 0
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + perBatch)
            let batch = try TokenBatch(Array(rows[start..<end]), padding: .right, padID: tok.padID ?? tok.eosID ?? 0)
            let cols = try (0..<(end - start)).map { try batch.flatIndex(row: $0, index: -1) }
            let l = try ContinuationScorer.modelLogits(model)(batch, cols)
            guard l.rank == 2, l.shape[0] == cols.count, l.shape[1] > 0 else {
                throw DatasetError.model("expected logits of shape [\(cols.count), vocab], got \(l.shape)")
            }
            vocab = l.shape[1]
            let f = l.floats()
            f.withUnsafeBufferPointer { buf in
                for k in 0..<cols.count { out += ContinuationScorer.logSoftmax(UnsafeBufferPointer(rebasing: buf[k * vocab ..< (k + 1) * vocab])) }
            }
            start = end
        }
        return (out, vocab)
    }
}

/// KL divergences of the current model from a kept reference.
public struct KLDivergenceResult: Sendable, Equatable {
    /// KL(reference ‖ model) per prompt, nats.
    public var perPrompt: [Double]
    /// Their mean.
    public var mean: Double
    /// Their maximum.
    public var max: Double
}
