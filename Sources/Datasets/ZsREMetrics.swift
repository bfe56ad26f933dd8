import Foundation
import LanguageModels
import Tensors

/// How zsRE's per-token accuracies are formed.
public enum ZsRETokenMode: String, Sendable, Equatable {
    /// The reference (`eval_utils_zsre.py`): for the i-th token tᵢ of `encode(" " + answer)`,
    /// the model reads `encode(prompt + decode(t₀..<tᵢ))` and is right when its argmax at the
    /// last position equals the first id of `encode(decode(tᵢ))`. The string round trip
    /// re-tokenises; it differs from teacher forcing only when decoding and re-encoding a
    /// token changes it (a partial UTF-8 character).
    case reference
    /// Plain teacher forcing on `encode(prompt) + encode(" " + answer)` (one row per prompt).
    case teacherForcing
}

/// zsRE scores of one request: one boolean per target token per prompt.
public struct ZsRERecordScores: Sendable, Equatable {
    /// The request's case id.
    public var caseID: Int
    /// Rewrite prompt: per-token correctness of the new answer.
    public var rewriteCorrect: [Bool]
    /// Paraphrase prompts: per-token correctness, concatenated over prompts.
    public var paraphraseCorrect: [Bool]
    /// Neighbourhood prompts: one boolean per prompt (each predicts one NQ answer token).
    public var neighborhoodCorrect: [Bool]

    static func mean(_ b: [Bool]) -> Double? { b.isEmpty ? nil : Double(b.filter { $0 }.count) / Double(b.count) }
    /// Mean rewrite token accuracy.
    public var efficacy: Double? { Self.mean(rewriteCorrect) }
    /// Mean paraphrase token accuracy.
    public var paraphrase: Double? { Self.mean(paraphraseCorrect) }
    /// Mean neighbourhood (NQ answer) token accuracy.
    public var specificity: Double? { Self.mean(neighborhoodCorrect) }
}

/// The zsRE summary: means over records of the per-record token accuracies (nil when no
/// record has prompts of that kind).
public struct ZsRESummary: Sendable, Equatable {
    /// Number of records.
    public var count: Int
    /// Efficacy (rewrite token accuracy).
    public var efficacy: Double?
    /// Generalisation (paraphrase token accuracy).
    public var paraphrase: Double?
    /// Specificity (NQ answer token accuracy).
    public var specificity: Double?

    /// `count`, `efficacy`, `paraphrase`, `specificity` in this order, nil values left out.
    public var fields: [(name: String, value: Double)] {
        let all: [(String, Double?)] = [("count", Double(count)), ("efficacy", efficacy), ("paraphrase", paraphrase), ("specificity", specificity)]
        return all.compactMap { n, v in v.map { (n, $0) } }
    }
}

/// zsRE scores of a list of requests.
public struct ZsREResult: Sendable, Equatable {
    /// Per-request scores, in request order.
    public var records: [ZsRERecordScores]
    /// The summary.
    public var summary: ZsRESummary
}

/// zsRE's token accuracies (EDITING.md §7.2). Neighbourhood prompts must carry targets (the
/// zsRE loader builds them from `loc` / `loc_ans`): each is right when the argmax after
/// `prefix + encode(prompt)` is the first id of `encode(target)`.
public enum ZsREMetrics {
    /// Scores the requests on `model`.
    public static func evaluate(_ model: LanguageModel, _ requests: [EditRequest], mode: ZsRETokenMode = .reference,
                                options: ScoringOptions = ScoringOptions()) throws -> ZsREResult {
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let pad = tok.padID ?? tok.eosID ?? 0
        return try evaluate(requests, encode: { tok.encode($0) }, decode: { try tok.decode($0) }, mode: mode,
                            prefixIDs: prefix, padID: pad, options: options, logits: ContinuationScorer.modelLogits(model))
    }

    /// The same on any tokenizer and logits functions.
    public static func evaluate(_ requests: [EditRequest], encode: (String) -> [Int], decode: ([Int]) throws -> String,
                                mode: ZsRETokenMode = .reference, prefixIDs: [Int], padID: Int,
                                options: ScoringOptions = ScoringOptions(),
                                logits: ColumnLogitsFunction) throws -> ZsREResult {
        var queries: [ContinuationQuery] = []
        // per request: (#rewrite queries, #paraphrase queries, #neighbourhood queries)
        var counts: [(Int, Int, Int)] = []
        func answerQueries(_ prompt: String, _ answer: [Int]) throws -> [ContinuationQuery] {
            switch mode {
            case .teacherForcing:
                return [ContinuationQuery(context: encode(prompt), continuation: answer)]
            case .reference:
                return try answer.indices.map { i in
                    let ctx = encode(prompt + (try decode(Array(answer[..<i]))))
                    guard let t = encode(try decode([answer[i]])).first else {
                        throw DatasetError.invalidArgument("answer token \(answer[i]) decodes to nothing")
                    }
                    return ContinuationQuery(context: ctx, continuation: [t])
                }
            }
        }
        for r in requests {
            let answer = encode(" " + r.targetNew.str)
            let rw = try answerQueries(r.filledPrompt, answer)
            var pq: [ContinuationQuery] = []
            for p in r.paraphrasePrompts { pq += try answerQueries(p, answer) }
            var nq: [ContinuationQuery] = []
            for (k, n) in r.neighborhoodPrompts.enumerated() {
                guard let target = n.target else {
                    throw DatasetError.invalidArgument("case \(r.caseID): neighbourhood prompt \(k) has no target (zsRE specificity needs the NQ answer tokens; load zsRE with RequestLoader.zsRE)")
                }
                guard let t = encode(target).first else {
                    throw DatasetError.invalidArgument("case \(r.caseID): neighbourhood prompt \(k) has an empty target")
                }
                nq.append(ContinuationQuery(context: encode(n.prompt), continuation: [t]))
            }
            queries += rw + pq + nq
            counts.append((rw.count, pq.count, nq.count))
        }
        let scores = try ContinuationScorer.score(queries, prefixIDs: prefixIDs, padID: padID, options: options, logits: logits)
        var k = 0
        func take(_ n: Int) -> [Bool] {
            defer { k += n }
            return scores[k ..< k + n].flatMap(\.tokenCorrect)
        }
        var records: [ZsRERecordScores] = []
        for (r, c) in zip(requests, counts) {
            records.append(ZsRERecordScores(caseID: r.caseID, rewriteCorrect: take(c.0), paraphraseCorrect: take(c.1),
                                            neighborhoodCorrect: take(c.2)))
        }
        func avg(_ f: (ZsRERecordScores) -> Double?) -> Double? { CounterFactRecordScores.mean(records.compactMap(f)) }
        return ZsREResult(records: records, summary: ZsRESummary(count: records.count, efficacy: avg(\.efficacy),
                                                                 paraphrase: avg(\.paraphrase), specificity: avg(\.specificity)))
    }
}
