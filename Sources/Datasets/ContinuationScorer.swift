import Foundation
import LanguageModels
import Tensors

/// One teacher-forced continuation to score: the model reads `context` (after the prompt
/// prefix) and then `continuation`, and every continuation token is scored.
public struct ContinuationQuery: Sendable, Equatable, Hashable {
    /// The context token ids (without the prompt prefix).
    public var context: [Int]
    /// The token ids to score.
    public var continuation: [Int]

    /// A query.
    public init(context: [Int], continuation: [Int]) {
        self.context = context
        self.continuation = continuation
    }
}

/// The score of one continuation.
public struct ContinuationScore: Sendable, Equatable {
    /// log P(tⱼ | prefix, context, t₀..<tⱼ) for every continuation token, natural log.
    public var tokenLogProbs: [Double]
    /// Whether tⱼ is the argmax of its next-token distribution (ties: the lowest id wins,
    /// as `torch.argmax` does).
    public var tokenCorrect: [Bool]
    /// The rank of each token in its next-token distribution: how many vocabulary entries
    /// have a strictly larger logit (0 = top-1).
    public var tokenRanks: [Int]

    /// A score from its parts.
    public init(tokenLogProbs: [Double], tokenCorrect: [Bool], tokenRanks: [Int]) {
        self.tokenLogProbs = tokenLogProbs
        self.tokenCorrect = tokenCorrect
        self.tokenRanks = tokenRanks
    }

    /// The mean negative log-likelihood per token (CounterFact's s(p, o)).
    public var meanNLL: Double {
        tokenLogProbs.isEmpty ? .nan : -tokenLogProbs.reduce(0, +) / Double(tokenLogProbs.count)
    }

    /// Whether every token is the argmax (the `*_acc` criterion).
    public var allCorrect: Bool { tokenCorrect.allSatisfy { $0 } }
}

/// How prompts are batched and prefixed.
public struct ScoringOptions: Sendable, Equatable {
    /// Put in front of every prompt (see `PromptPrefix`).
    public var prefix: PromptPrefix
    /// Upper bound on rows × padded length per forward pass.
    public var maxTokensPerBatch: Int
    /// Upper bound on the logit rows computed per forward pass (each is a vocabulary-sized
    /// float row: 512 columns of SmolLM2 are 100 MB).
    public var maxLogitColumns: Int

    /// Defaults: automatic prefix, 4096 tokens and 512 logit columns per pass.
    public init(prefix: PromptPrefix = .automatic, maxTokensPerBatch: Int = 4096, maxLogitColumns: Int = 512) {
        self.prefix = prefix
        self.maxTokensPerBatch = maxTokensPerBatch
        self.maxLogitColumns = maxLogitColumns
    }
}

/// Computes logits `[columns.count, vocab]` at flat `columns` (`row · length + column`) of a
/// padded batch. The model version runs `forward` with `.columns`; tests pass stubs.
public typealias ColumnLogitsFunction = (_ batch: TokenBatch, _ columns: [Int]) throws -> Tensor

/// Batched teacher-forced scoring, the primitive under every edit metric: many prompts per
/// forward pass (right padding), logits read at the target positions only.
public enum ContinuationScorer {
    /// Scores `queries` on `model` with `options.prefix` in front of every context.
    public static func score(_ model: LanguageModel, _ queries: [ContinuationQuery],
                             options: ScoringOptions = ScoringOptions()) throws -> [ContinuationScore] {
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let pad = tok.padID ?? tok.eosID ?? 0
        return try score(queries, prefixIDs: prefix, padID: pad, options: options, logits: modelLogits(model))
    }

    /// The model's logits at chosen columns, without recording a tape.
    public static func modelLogits(_ model: LanguageModel) -> ColumnLogitsFunction {
        { batch, columns in
            try Autograd.noGrad {
                guard let l = try model.forward(batch, ForwardOptions(logits: .columns(columns))).logits else {
                    throw DatasetError.model("the forward pass returned no logits")
                }
                return l
            }
        }
    }

    /// Scores `queries` through `logits` (each row is `prefixIDs + context + continuation`
    /// without its last token; right padding with `padID`). A query whose row is a prefix of
    /// another query's row with the same context (CounterFact's new and true objects after
    /// the same prompt, when one of them is a single token or they share leading tokens) is
    /// read from that row instead of being run again: causal attention makes the logits at
    /// those positions the same.
    public static func score(_ queries: [ContinuationQuery], prefixIDs: [Int], padID: Int,
                             options: ScoringOptions = ScoringOptions(),
                             logits: ColumnLogitsFunction) throws -> [ContinuationScore] {
        guard options.maxTokensPerBatch > 0, options.maxLogitColumns > 0 else {
            throw DatasetError.invalidArgument("maxTokensPerBatch and maxLogitColumns must be positive")
        }
        var rows: [[Int]] = []
        rows.reserveCapacity(queries.count)
        for (i, q) in queries.enumerated() {
            guard !q.continuation.isEmpty else { throw DatasetError.invalidArgument("query \(i): the continuation has no tokens") }
            guard !(prefixIDs.isEmpty && q.context.isEmpty) else {
                throw DatasetError.invalidArgument("query \(i): the context is empty and there is no prompt prefix, so the first token has nothing to be predicted from")
            }
            rows.append(prefixIDs + q.context + q.continuation.dropLast())
        }
        // Groups of rows that are prefixes of one representative row, per context. The
        // dictionary is only looked up; groups are numbered in query order.
        var groupOf = [Int](repeating: -1, count: queries.count)
        var groupRep: [Int] = []
        var groupsByContext: [[Int]: [Int]] = [:]
        func isPrefix(_ a: [Int], of b: [Int]) -> Bool { a.count <= b.count && b[..<a.count].elementsEqual(a) }
        for i in queries.indices {
            let key = queries[i].context
            let gs = groupsByContext[key] ?? []
            if let g = gs.first(where: { isPrefix(rows[i], of: rows[groupRep[$0]]) }) {
                groupOf[i] = g
            } else if let g = gs.first(where: { isPrefix(rows[groupRep[$0]], of: rows[i]) }) {
                groupOf[i] = g
                groupRep[g] = i
            } else {
                groupOf[i] = groupRep.count
                groupsByContext[key] = gs + [groupRep.count]
                groupRep.append(i)
            }
        }
        var members = [[Int]](repeating: [], count: groupRep.count)
        for i in queries.indices { members[groupOf[i]].append(i) }
        // Length-sorted batches of groups (ties by group number: deterministic).
        let order = groupRep.indices.sorted { (rows[groupRep[$0]].count, $0) < (rows[groupRep[$1]].count, $1) }
        func columnsNeeded(_ g: Int) -> Int { let r = groupRep[g]; return rows[r].count - prefixIDs.count - queries[r].context.count + 1 }
        var results = [ContinuationScore?](repeating: nil, count: queries.count)
        var start = 0
        while start < order.count {
            var end = start
            var maxLen = 0, cols = 0
            while end < order.count {
                let len = max(maxLen, rows[groupRep[order[end]]].count)
                let c = cols + columnsNeeded(order[end])
                if end > start && (len * (end - start + 1) > options.maxTokensPerBatch || c > options.maxLogitColumns) { break }
                maxLen = len
                cols = c
                end += 1
            }
            let batchGroups = Array(order[start..<end])
            let batch = try TokenBatch(batchGroups.map { rows[groupRep[$0]] }, padding: .right, padID: padID)
            // every column any member needs, once, in order of first use
            var flat: [Int] = []
            var slot: [Int: Int] = [:]
            var wanted: [(query: Int, slots: [Int])] = []
            for (r, g) in batchGroups.enumerated() {
                for qi in members[g] {
                    let first = prefixIDs.count + queries[qi].context.count - 1
                    var slots: [Int] = []
                    for j in 0..<queries[qi].continuation.count {
                        let f = try batch.flatIndex(row: r, index: first + j)
                        if let k = slot[f] { slots.append(k) } else {
                            slot[f] = flat.count
                            slots.append(flat.count)
                            flat.append(f)
                        }
                    }
                    wanted.append((qi, slots))
                }
            }
            let l = try logits(batch, flat)
            guard l.rank == 2, l.shape[0] == flat.count, l.shape[1] > 0 else {
                throw DatasetError.model("expected logits of shape [\(flat.count), vocab], got \(l.shape)")
            }
            let vocab = l.shape[1]
            let values = l.floats()
            try values.withUnsafeBufferPointer { buf in
                var stats = [(lse: Double, arg: Int)?](repeating: nil, count: flat.count)
                for (qi, slots) in wanted {
                    var lp: [Double] = [], ok: [Bool] = [], ranks: [Int] = []
                    for (t, k) in zip(queries[qi].continuation, slots) {
                        guard t >= 0, t < vocab else { throw DatasetError.model("target token \(t) is outside the vocabulary of \(vocab)") }
                        let row = UnsafeBufferPointer(rebasing: buf[k * vocab ..< (k + 1) * vocab])
                        if stats[k] == nil { stats[k] = rowStatistics(row) }
                        let st = stats[k]!
                        let x = row[t]
                        var rank = 0
                        for v in row where v > x { rank += 1 }
                        lp.append(Double(x) - st.lse)
                        ok.append(st.arg == t)
                        ranks.append(rank)
                    }
                    results[qi] = ContinuationScore(tokenLogProbs: lp, tokenCorrect: ok, tokenRanks: ranks)
                }
            }
            start = end
        }
        return results.map { $0! }
    }

    /// log Σ exp of a row (double precision) and its argmax (first maximum). A row whose
    /// maximum is not finite gives lse = +inf (all −inf: −inf) so log-probabilities become
    /// NaN or −inf rather than a crash.
    static func rowStatistics(_ row: UnsafeBufferPointer<Float>) -> (lse: Double, arg: Int) {
        var arg = 0
        var m = -Float.infinity
        for i in 0..<row.count where row[i] > m {
            m = row[i]
            arg = i
        }
        if !m.isFinite { return (m == .infinity ? .infinity : -.infinity, arg) }
        let md = Double(m)
        var s = 0.0
        for x in row { s += Foundation.exp(Double(x) - md) }
        return (md + Foundation.log(s), arg)
    }

    /// Full log-softmax of one row in double precision.
    static func logSoftmax(_ row: UnsafeBufferPointer<Float>) -> [Double] {
        var m = -Float.infinity
        for x in row where x > m { m = x }
        let md = Double(m)
        var s = 0.0
        for x in row { s += Foundation.exp(Double(x) - md) }
        let lse = md + Foundation.log(s)
        return row.map { Double($0) - lse }
    }
}
