import Datasets
import Foundation
import LanguageModels
import Tensors

/// Causal tracing (Meng et al. 2022, ROME §2.1): corrupt the subject's token embeddings with
/// Gaussian noise, then restore one clean hidden state (per layer and token position) into
/// the corrupted run and measure how much of the probability of the correct answer comes
/// back. Layer choices for ROME and MEMIT are read off these tables.
public enum CausalTracing {
    /// Which states are restored.
    public enum Kind: String, Sendable, CaseIterable {
        /// The residual stream after block l (`blocks.{l}.hook_resid_post`).
        case residual
        /// The MLP outputs of a window of blocks centred on l (`hook_mlp_out`).
        case mlp
        /// The attention outputs of a window of blocks centred on l (`hook_attn_out`).
        case attention
    }

    /// Options of a trace.
    public struct Options: Sendable {
        /// Noise samples per request (rows of one batch).
        public var samples: Int = 10
        /// Noise standard deviation; nil: 3 × the standard deviation of the subjects' token
        /// embeddings (the reference's rule).
        public var noise: Double? = nil
        /// What is restored.
        public var kind: Kind = .residual
        /// Window of blocks restored together for `.mlp` and `.attention` (reference: 10).
        public var window: Int = 10
        /// Seed of the noise.
        public var seed: UInt64 = 1
        /// Prompt prefix (as the editors and scores use).
        public var prefix: PromptPrefix = .automatic

        /// Default options.
        public init() {}
    }

    /// The trace of one prompt.
    public struct Trace: Sendable {
        /// The prompt's tokens (prefix included) as strings.
        public let tokens: [String]
        /// Token positions of the subject (prefix included).
        public let subjectRange: Range<Int>
        /// The answer token traced and its probability in the clean and in the corrupted run.
        public let answer: Int, clean: Double, corrupted: Double
        /// `scores[l][t]`: probability of the answer with block l's state at position t restored.
        public let scores: [[Double]]
    }

    /// Position classes of the ROME paper's averages.
    public static let positionClasses = ["first subject token", "middle subject tokens", "last subject token",
                                         "first subsequent token", "further tokens", "last token"]

    /// Traces one prompt `template` (with `{}`) for `subject`; the answer is `answer`'s first
    /// token, or the model's clean top-1 prediction when nil.
    public static func trace(_ model: LanguageModel, template: String, subject: String, answer: String? = nil,
                             noise: Double, options: Options) throws -> Trace {
        let tok = try model.requireTokenizer()
        let prefix = try options.prefix.ids(for: tok)
        let prompts = EditPrompts(tokenizer: tok, prefix: prefix)
        let ids = prompts.encode(EditRequest.fill(template, subject))
        let last = try prompts.lookupIndex(template: template, subject: subject, factToken: "subject_last", caseID: 0)
        let first = try prompts.lookupIndex(template: template, subject: subject, factToken: "subject_first", caseID: 0)
        guard first <= last, last < ids.count else { throw EditorError.badRequest(caseID: 0, detail: "subject not found in the prompt") }
        let subjectRange = first..<(last + 1)
        let t = ids.count, d = model.config.dModel, layers = model.config.layerCount
        let s = max(options.samples, 1)
        // Clean run: every residual state and the clean answer.
        let residNames = (0..<layers).map { "blocks.\($0).hook_resid_post" }
        let site = options.kind == .mlp ? "hook_mlp_out" : "hook_attn_out"
        let siteNames = (0..<layers).map { "blocks.\($0).\(site)" }
        let cleanBatch = try TokenBatch([ids])
        let clean = try Autograd.noGrad {
            try model.forward(cleanBatch, ForwardOptions(logits: .last, cacheNames: Set(residNames + (options.kind == .residual ? [] : siteNames))))
        }
        guard let cleanLogits = clean.logits else { throw EditorError.statistics("no logits") }
        let cleanProbs = try cleanLogits.select(0, 0).to(.float64).softmax(dim: 0)
        let target: Int
        if let answer {
            guard let a = tok.encode(answer.hasPrefix(" ") ? answer : " " + answer).first else { throw EditorError.badRequest(caseID: 0, detail: "empty answer") }
            target = a
        } else {
            target = try cleanProbs.argmax(dim: 0)[0]
        }
        let pClean = try cleanProbs.value(at: [target])
        // Corrupted embeddings: noise on the subject tokens, one row per sample.
        var gen = RandomGenerator(seed: options.seed)
        let embed = try model.parameter("embed")
        let rows = try F.indexSelect(embed, ids)                                  // [t, d]
        let corrupted = try Tensor.zeros([s, t, d]).copy(from: rows.unsqueezed(0))
        for si in 0..<s {
            for p in subjectRange {
                let n = Tensor.randn([d], std: noise, generator: &gen)
                try corrupted.select(0, si).select(0, p).addInPlace(n)
            }
        }
        let batch = try TokenBatch([[Int]](repeating: ids, count: s))
        let corruptedRun = try Autograd.noGrad {
            try model.forward(batch, ForwardOptions(logits: .last, cacheNames: Set(residNames),
                                                    hooks: ["hook_embed": [{ _, _ in corrupted }]]))
        }
        guard let corruptedLogits = corruptedRun.logits else { throw EditorError.statistics("no logits") }
        let pCorrupted = try corruptedLogits.to(.float64).softmax(dim: 1).select(1, target).mean()
        // Restorations: for each layer, one batch with a row per (position, sample).
        var scores = [[Double]](repeating: [Double](repeating: 0, count: t), count: layers)
        let restoreBatch = try TokenBatch([[Int]](repeating: ids, count: s * t))
        for l in 0..<layers {
            try Cancellation.check()
            var options2 = ForwardOptions(logits: .last)
            switch options.kind {
            case .residual:
                guard l + 1 < layers else {
                    // restoring the last block's output restores the clean logits at that position
                    for p in 0..<t { scores[l][p] = p == t - 1 ? pClean : pCorrupted }
                    continue
                }
                guard let cr = corruptedRun.cache[residNames[l]], let cl = clean.cache[residNames[l]] else { continue }
                let init0 = Tensor.zeros([s * t, t, d])
                for p in 0..<t {
                    let part = try init0.narrow(0, start: p * s, length: s)
                    try part.copy(from: cr)
                    try part.select(1, p).copy(from: cl.select(0, 0).select(0, p).unsqueezed(0))
                }
                options2.startLayer = l + 1
                options2.initialResidual = init0
            case .mlp, .attention:
                let lo = max(0, l - options.window / 2), hi = min(layers, l + options.window - options.window / 2)
                guard let start = lo == 0 ? nil as Tensor? : corruptedRun.cache[residNames[lo - 1]] else {
                    // from the embeddings
                    options2.hooks["hook_embed"] = [{ _, _ in try Tensor.zeros([s * t, t, d]).copy(from: corrupted.unsqueezed(0).reshaped([1, s, t, d]).expanded(to: [t, s, t, d]).reshaped([s * t, t, d])) }]
                    addWindowHooks(&options2, clean: clean, names: siteNames, range: lo..<hi, s: s, t: t)
                    scores[l] = try restoredProbabilities(model, restoreBatch, options2, target: target, s: s, t: t)
                    continue
                }
                let init0 = try Tensor.zeros([s * t, t, d]).copy(from: start.unsqueezed(0).expanded(to: [t, s, t, d]).reshaped([s * t, t, d]))
                options2.startLayer = lo
                options2.initialResidual = init0
                addWindowHooks(&options2, clean: clean, names: siteNames, range: lo..<hi, s: s, t: t)
            }
            scores[l] = try restoredProbabilities(model, restoreBatch, options2, target: target, s: s, t: t)
        }
        return Trace(tokens: try ids.map { try tok.tokenString($0) }, subjectRange: subjectRange, answer: target,
                     clean: pClean, corrupted: pCorrupted, scores: scores)
    }

    private static func addWindowHooks(_ o: inout ForwardOptions, clean: ForwardResult, names: [String], range: Range<Int>, s: Int, t: Int) {
        for l in range {
            guard let c = clean.cache[names[l]] else { continue }
            o.hooks[names[l], default: []].append { x, _ in
                // row (p, sample) gets the clean state at position p
                let d = x.shape[2]
                let flat = try F.reshape(x, [-1, d])
                let rows = (0..<t).flatMap { p in (0..<s).map { si in (p * s + si) * t + p } }
                let values = try F.indexSelect(F.reshape(c, [-1, d]), (0..<t).flatMap { p in [Int](repeating: p, count: s) })
                let current = try F.indexSelect(flat, rows)
                return try F.reshape(F.indexAdd(flat, rows, F.sub(values, current)), x.shape)
            }
        }
    }

    private static func restoredProbabilities(_ model: LanguageModel, _ batch: TokenBatch, _ options: ForwardOptions,
                                              target: Int, s: Int, t: Int) throws -> [Double] {
        let r = try Autograd.noGrad { try model.forward(batch, options) }
        guard let logits = r.logits else { throw EditorError.statistics("no logits") }
        let p = try logits.to(.float64).softmax(dim: 1).select(1, target).doubles()
        return (0..<t).map { pos in (0..<s).map { p[pos * s + $0] }.reduce(0, +) / Double(s) }
    }

    /// 3 × the standard deviation of the token embeddings of `subjects` (the reference's noise level).
    public static func noiseLevel(_ model: LanguageModel, subjects: [String]) throws -> Double {
        let tok = try model.requireTokenizer()
        let ids = subjects.flatMap { tok.encode(" " + $0) }
        guard !ids.isEmpty else { throw EditorError.badRequest(caseID: 0, detail: "no subject tokens") }
        let e = try F.indexSelect(try model.parameter("embed"), ids).doubles()
        let mean = e.reduce(0, +) / Double(e.count)
        let v = e.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(e.count - 1, 1))
        return 3 * v.squareRoot()
    }

    /// Averages traces by the ROME paper's position classes: `[layer][class]` of the restored
    /// probability minus the corrupted one (the indirect effect), over traces.
    public static func averageByPositionClass(_ traces: [Trace]) -> [[Double]] {
        guard let layers = traces.first?.scores.count else { return [] }
        var sum = [[Double]](repeating: [Double](repeating: 0, count: positionClasses.count), count: layers)
        var count = [[Int]](repeating: [Int](repeating: 0, count: positionClasses.count), count: layers)
        for tr in traces {
            let t = tr.tokens.count
            for p in 0..<t {
                let c: Int
                if p == tr.subjectRange.lowerBound { c = 0 }
                else if p == tr.subjectRange.upperBound - 1 { c = 2 }
                else if tr.subjectRange.contains(p) { c = 1 }
                else if p == t - 1 { c = 5 }
                else if p == tr.subjectRange.upperBound { c = 3 }
                else if p > tr.subjectRange.upperBound { c = 4 }
                else { continue }
                for l in 0..<layers {
                    sum[l][c] += tr.scores[l][p] - tr.corrupted
                    count[l][c] += 1
                }
            }
        }
        return (0..<layers).map { l in (0..<positionClasses.count).map { count[l][$0] > 0 ? sum[l][$0] / Double(count[l][$0]) : 0 } }
    }
}

extension EditPrompts {
    /// Prompts from a tokenizer and prefix ids directly.
    init(tokenizer: Tokenizer, prefix: [Int]) {
        self.tokenizer = tokenizer
        self.prefix = prefix
    }
}
