import Foundation
import Tensors

/// How the next token is chosen.
public enum Sampling: Sendable, Equatable {
    /// The most probable token (ties: the lowest id).
    case greedy
    /// Sampling from `softmax(logits / temperature)` restricted to the `topK` most probable
    /// tokens (0: no limit) and to the smallest set whose probability reaches `topP` (1: no
    /// limit), with a seeded `RandomGenerator` so a seed reproduces a continuation.
    case sample(temperature: Double, topK: Int, topP: Double, seed: UInt64)
}

/// A generated continuation.
public struct Generation {
    /// The prompt's token ids per row.
    public let promptIDs: [[Int]]
    /// The new token ids per row (ending with the end-of-sequence token when one was produced).
    public let newIDs: [[Int]]
}

extension LanguageModel {
    /// Generates up to `maxTokens` new tokens for each prompt (ids), with a KV cache: one
    /// pass over the prompts (left-padded), then one column per step. A row stops at the
    /// end-of-sequence token (`stopAtEOS`); generation stops when every row has stopped.
    public func generate(_ prompts: [[Int]], maxTokens: Int, sampling: Sampling = .greedy,
                         stopAtEOS: Bool = true) throws -> Generation {
        guard maxTokens >= 0 else { throw ModelError.invalidOption("maxTokens must be non-negative, got \(maxTokens)") }
        if case .sample(let t, let k, let p, _) = sampling {
            guard t > 0, t.isFinite, k >= 0, p > 0, p <= 1 else {
                throw ModelError.invalidOption("sampling needs temperature > 0, topK >= 0, 0 < topP <= 1")
            }
        }
        let eos = stopAtEOS ? (config.eosTokenId ?? tokenizer?.eosID) : nil
        let pad = tokenizer?.padID ?? eos ?? 0
        let batch = try TokenBatch(prompts, padding: .left, padID: pad)
        try validate(batch, extraColumns: max(maxTokens - 1, 0))
        var rng: RandomGenerator? = nil
        if case .sample(_, _, _, let seed) = sampling { rng = RandomGenerator(seed: seed) }
        let cache = KVCache(layers: config.layerCount)
        var out = [[Int]](repeating: [], count: prompts.count)
        var done = [Bool](repeating: maxTokens == 0, count: prompts.count)
        if maxTokens == 0 { return Generation(promptIDs: prompts, newIDs: out) }
        try Autograd.noGrad {
            // Prefill: logits at each row's last column.
            let lastCols = (0..<batch.batchSize).map { $0 * batch.length + batch.length - 1 }
            var pass = Pass(batch: batch, ids: batch.ids, mask: batch.mask, positions: batch.positions,
                            columns: batch.length, columnOffset: 0)
            var logits = try run(pass, ForwardOptions(logits: .columns(lastCols)), cache: cache).logits
            for step in 0..<maxTokens {
                guard let l = logits else { break }
                var next = [Int](repeating: pad, count: prompts.count)
                for r in 0..<prompts.count where !done[r] {
                    let row = try l.select(0, r)
                    let id = try chooseToken(row, sampling: sampling, rng: &rng)
                    next[r] = id
                    out[r].append(id)
                    if id == eos { done[r] = true }
                }
                if done.allSatisfy({ $0 }) || step == maxTokens - 1 { break }
                let mask = done.map { !$0 }
                // finished rows feed padding that nothing attends to
                let positions = (0..<prompts.count).map { cache.nextPosition[$0] }
                pass = Pass(batch: batch, ids: next, mask: mask, positions: positions, columns: 1, columnOffset: cache.length)
                logits = try run(pass, ForwardOptions(logits: .columns(Array(0..<prompts.count))), cache: cache).logits
            }
        }
        return Generation(promptIDs: prompts, newIDs: out)
    }

    /// Generates from text prompts and returns each prompt followed by its continuation.
    public func generate(text prompts: [String], maxTokens: Int, sampling: Sampling = .greedy) throws -> [String] {
        let tok = try requireTokenizer()
        let g = try generate(prompts.map { tok.encode($0) }, maxTokens: maxTokens, sampling: sampling)
        return try zip(prompts, g.newIDs).map { $0 + (try tok.decode($1)) }
    }

    /// The indices of the `k` largest values, largest first and ties by index: the first `k`
    /// of a full sort of the vocabulary, found in one pass that keeps only them (top-k sampling
    /// over 49k logits per token otherwise sorts them all).
    static func largest(_ k: Int, of v: [Double]) -> [Int] {
        guard k > 0 else { return [] }
        func before(_ a: Int, _ b: Int) -> Bool { v[a] != v[b] ? v[a] > v[b] : a < b }
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in v.indices {
            if best.count == k, let last = best.last, !before(i, last) { continue }
            var lo = 0, hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(best[mid], i) { lo = mid + 1 } else { hi = mid }
            }
            best.insert(i, at: lo)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Picks the next token from one row of logits.
    func chooseToken(_ logits: Tensor, sampling: Sampling, rng: inout RandomGenerator?) throws -> Int {
        let v = logits.doubles()
        switch sampling {
        case .greedy:
            var best = 0
            for i in 1..<v.count where v[i] > v[best] { best = i }
            return best
        case .sample(let temperature, let topK, let topP, _):
            guard var gen = rng else { throw ModelError.invalidOption("sampling without a generator") }
            defer { rng = gen }
            var order: [Int]
            if topK > 0 && topK < v.count {
                order = LanguageModel.largest(topK, of: v)
            } else {
                order = Array(0..<v.count)
                order.sort { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }
            }
            let m = v[order[0]]
            var probs = order.map { Foundation.exp((v[$0] - m) / temperature) }
            let z = probs.reduce(0, +)
            probs = probs.map { $0 / z }
            if topP < 1 {
                var acc = 0.0, keep = 0
                for p in probs {
                    acc += p
                    keep += 1
                    if acc >= topP { break }
                }
                order = Array(order.prefix(keep))
                probs = Array(probs.prefix(keep))
                let z2 = probs.reduce(0, +)
                probs = probs.map { $0 / z2 }
            }
            let u = gen.nextDouble()
            var acc = 0.0
            for (i, p) in probs.enumerated() {
                acc += p
                if u < acc { return order[i] }
            }
            return order[order.count - 1]
        }
    }
}
