import Foundation
import LanguageModels
import Tensors

/// Scores of one prompt against both objects of a request.
public struct TargetPairScore: Sendable, Equatable {
    /// The filled prompt.
    public var prompt: String
    /// s(p, new): mean NLL per token of `" " + target_new` after the prompt.
    public var newNLL: Double
    /// s(p, true): mean NLL per token of `" " + target_true` after the prompt.
    public var trueNLL: Double
    /// Every token of the new object is the argmax under teacher forcing.
    public var newCorrect: Bool
    /// Every token of the true object is the argmax under teacher forcing.
    public var trueCorrect: Bool

    /// A pair score.
    public init(prompt: String, newNLL: Double, trueNLL: Double, newCorrect: Bool, trueCorrect: Bool) {
        self.prompt = prompt
        self.newNLL = newNLL
        self.trueNLL = trueNLL
        self.newCorrect = newCorrect
        self.trueCorrect = trueCorrect
    }

    /// s(new) < s(true) (strict, as the reference's `target_true > target_new`).
    public var newWins: Bool { newNLL < trueNLL }
    /// s(true) < s(new) (strict).
    public var trueWins: Bool { trueNLL < newNLL }
    /// exp(−s(new)) − exp(−s(true)).
    public var newMargin: Double { Foundation.exp(-newNLL) - Foundation.exp(-trueNLL) }
}

/// One request's CounterFact scores, and its per-record means (nil where the record has no
/// prompts of that kind).
public struct CounterFactRecordScores: Sendable, Equatable {
    /// The request's case id.
    public var caseID: Int
    /// The rewrite prompt.
    public var rewrite: [TargetPairScore]
    /// The paraphrase prompts.
    public var paraphrase: [TargetPairScore]
    /// The neighbourhood prompts (scored against the request's new and true objects).
    public var neighborhood: [TargetPairScore]

    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

    /// Fraction of rewrite prompts with s(new) < s(true).
    public var rewriteSuccess: Double? { Self.mean(rewrite.map { $0.newWins ? 1 : 0 }) }
    /// Mean of exp(−s(new)) − exp(−s(true)) over rewrite prompts.
    public var rewriteMagnitude: Double? { Self.mean(rewrite.map(\.newMargin)) }
    /// Fraction of paraphrase prompts with s(new) < s(true).
    public var paraphraseSuccess: Double? { Self.mean(paraphrase.map { $0.newWins ? 1 : 0 }) }
    /// Mean of exp(−s(new)) − exp(−s(true)) over paraphrase prompts.
    public var paraphraseMagnitude: Double? { Self.mean(paraphrase.map(\.newMargin)) }
    /// Fraction of neighbourhood prompts with s(true) < s(new).
    public var neighborhoodSuccess: Double? { Self.mean(neighborhood.map { $0.trueWins ? 1 : 0 }) }
    /// Mean of exp(−s(true)) − exp(−s(new)) over neighbourhood prompts.
    public var neighborhoodMagnitude: Double? { Self.mean(neighborhood.map { -$0.newMargin }) }
    /// Fraction of rewrite prompts whose new object is predicted token by token.
    public var rewriteAccuracy: Double? { Self.mean(rewrite.map { $0.newCorrect ? 1 : 0 }) }
    /// Fraction of paraphrase prompts whose new object is predicted token by token.
    public var paraphraseAccuracy: Double? { Self.mean(paraphrase.map { $0.newCorrect ? 1 : 0 }) }
    /// Fraction of neighbourhood prompts whose true object is predicted token by token.
    public var neighborhoodAccuracy: Double? { Self.mean(neighborhood.map { $0.trueCorrect ? 1 : 0 }) }
}

/// CounterFact's summary over records (each a mean of per-record means, as the reference's
/// `summarize.py`); fractions in [0, 1], `overallScore` in % (harmonic mean of ES, PS and NS
/// in %). A value is nil when no record had prompts of that kind.
public struct CounterFactSummary: Sendable, Equatable {
    /// Number of records.
    public var count: Int
    /// ES: mean over records of the fraction of rewrite prompts with s(new) < s(true).
    public var efficacyScore: Double?
    /// EM: mean of exp(−s(new)) − exp(−s(true)) on rewrite prompts.
    public var efficacyMagnitude: Double?
    /// PS.
    public var paraphraseScore: Double?
    /// PM.
    public var paraphraseMagnitude: Double?
    /// NS: fraction of neighbourhood prompts with s(true) < s(new).
    public var neighborhoodScore: Double?
    /// NM: mean of exp(−s(true)) − exp(−s(new)).
    public var neighborhoodMagnitude: Double?
    /// Rewrite accuracy (new object argmax at every token).
    public var efficacyAccuracy: Double?
    /// Paraphrase accuracy.
    public var paraphraseAccuracy: Double?
    /// Neighbourhood accuracy (true object argmax at every token).
    public var neighborhoodAccuracy: Double?
    /// Harmonic mean of 100·ES, 100·PS, 100·NS (0 when one of them is 0).
    public var overallScore: Double?

    /// The values in a fixed order with the reference's short names (`es`, `em`, `ps`, `pm`,
    /// `ns`, `nm`, `es_acc`, `ps_acc`, `ns_acc`, `score`), nil values left out; for logs and
    /// for Lua tables.
    public var fields: [(name: String, value: Double)] {
        let all: [(String, Double?)] = [("count", Double(count)), ("es", efficacyScore), ("em", efficacyMagnitude),
                                        ("ps", paraphraseScore), ("pm", paraphraseMagnitude), ("ns", neighborhoodScore),
                                        ("nm", neighborhoodMagnitude), ("es_acc", efficacyAccuracy),
                                        ("ps_acc", paraphraseAccuracy), ("ns_acc", neighborhoodAccuracy), ("score", overallScore)]
        return all.compactMap { n, v in v.map { (n, $0) } }
    }
}

/// The CounterFact scores of a list of requests.
public struct CounterFactResult: Sendable, Equatable {
    /// Per-request scores, in request order.
    public var records: [CounterFactRecordScores]
    /// The summary over records.
    public var summary: CounterFactSummary
}

/// CounterFact's probability metrics (EDITING.md §7.1, the reference
/// `eval_utils_counterfact.py` + `summarize.py`).
///
/// s(p, o) is the mean over o's tokens of −log P(token | prefix, p, earlier tokens of o). The
/// ids are `encode(p) + encode(" " + o)`: prompt and object tokenised separately, the object
/// with its leading space, concatenated. The reference feeds the model `encode(p + " " + o)`
/// but reads the target positions from `len(encode(p))` and the target ids from
/// `encode(" " + o)`, so it scores exactly these ids whenever tokenising the joined string
/// equals concatenating the parts — always for byte-level BPE, where a space starts a new
/// pre-token (and when it does not, the reference reads misaligned positions; EditLab scores
/// the intended ids). The prompt prefix goes in front of every prompt.
///
/// Neighbourhood prompts are scored against the request's own new and true objects
/// (CounterFact's definition: their true object is `target_true`); a neighbourhood prompt's
/// own `target` (zsRE, EasyEdit) is not used here — `ZsREMetrics` scores those.
/// Not implemented: the essence score (perplexity of snippets about the subject).
public enum CounterFactMetrics {
    /// Scores every request's rewrite, paraphrase and neighbourhood prompts against its new
    /// and true objects, in batched forward passes.
    public static func evaluate(_ model: LanguageModel, _ requests: [EditRequest],
                                options: ScoringOptions = ScoringOptions()) throws -> CounterFactResult {
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let pad = tok.padID ?? tok.eosID ?? 0
        return try evaluate(requests, encode: { tok.encode($0) }, prefixIDs: prefix, padID: pad, options: options,
                            logits: ContinuationScorer.modelLogits(model))
    }

    /// The same on any tokenizer function and logits function (for tests and other models).
    public static func evaluate(_ requests: [EditRequest], encode: (String) -> [Int], prefixIDs: [Int], padID: Int,
                                options: ScoringOptions = ScoringOptions(),
                                logits: ColumnLogitsFunction) throws -> CounterFactResult {
        var queries: [ContinuationQuery] = []
        var layout: [(rewrite: [String], paraphrase: [String], neighborhood: [String])] = []
        for r in requests {
            guard EditRequest.placeholderCount(r.prompt) >= 1 else {
                throw DatasetError.invalidArgument("case \(r.caseID): the prompt has no {} placeholder")
            }
            let newIDs = encode(" " + r.targetNew.str), trueIDs = encode(" " + r.targetTrue.str)
            let groups = ([r.filledPrompt], r.paraphrasePrompts, r.neighborhoodPrompts.map(\.prompt))
            for p in groups.0 + groups.1 + groups.2 {
                let ctx = encode(p)
                queries.append(ContinuationQuery(context: ctx, continuation: newIDs))
                queries.append(ContinuationQuery(context: ctx, continuation: trueIDs))
            }
            layout.append(groups)
        }
        let scores = try ContinuationScorer.score(queries, prefixIDs: prefixIDs, padID: padID, options: options, logits: logits)
        var k = 0
        func take(_ prompts: [String]) -> [TargetPairScore] {
            prompts.map { p in
                let n = scores[k], t = scores[k + 1]
                k += 2
                return TargetPairScore(prompt: p, newNLL: n.meanNLL, trueNLL: t.meanNLL, newCorrect: n.allCorrect, trueCorrect: t.allCorrect)
            }
        }
        var records: [CounterFactRecordScores] = []
        for (r, g) in zip(requests, layout) {
            records.append(CounterFactRecordScores(caseID: r.caseID, rewrite: take(g.rewrite), paraphrase: take(g.paraphrase),
                                                   neighborhood: take(g.neighborhood)))
        }
        return CounterFactResult(records: records, summary: summarize(records))
    }

    /// The summary of per-record scores.
    public static func summarize(_ records: [CounterFactRecordScores]) -> CounterFactSummary {
        func avg(_ f: (CounterFactRecordScores) -> Double?) -> Double? {
            CounterFactRecordScores.mean(records.compactMap(f))
        }
        var s = CounterFactSummary(count: records.count,
                                   efficacyScore: avg(\.rewriteSuccess), efficacyMagnitude: avg(\.rewriteMagnitude),
                                   paraphraseScore: avg(\.paraphraseSuccess), paraphraseMagnitude: avg(\.paraphraseMagnitude),
                                   neighborhoodScore: avg(\.neighborhoodSuccess), neighborhoodMagnitude: avg(\.neighborhoodMagnitude),
                                   efficacyAccuracy: avg(\.rewriteAccuracy), paraphraseAccuracy: avg(\.paraphraseAccuracy),
                                   neighborhoodAccuracy: avg(\.neighborhoodAccuracy), overallScore: nil)
        if let es = s.efficacyScore, let ps = s.paraphraseScore, let ns = s.neighborhoodScore {
            s.overallScore = harmonicMean([100 * es, 100 * ps, 100 * ns])
        }
        return s
    }

    /// Harmonic mean of non-negative values (0 when one of them is 0, as scipy's `hmean`).
    public static func harmonicMean(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        if xs.contains(where: { $0 == 0 }) { return 0 }
        return Double(xs.count) / xs.reduce(0) { $0 + 1 / $1 }
    }
}
