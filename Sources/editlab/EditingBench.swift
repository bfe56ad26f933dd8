import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors

/// Editing costs on the default model: C0 collection and the target optimisation as achieved
/// GFLOP/s over raw sgemm in the same run, seconds per ROME edit, per MEMIT batch of 10 and
/// per sequential single edit, and ENCORE with MPES against MEMIT.
struct EditingBench {
    let repeats: Int

    /// Parameters of blocks `range` (all their matrices).
    func blockParameters(_ m: LanguageModel, _ range: Range<Int>) throws -> Double {
        var n = 0
        for name in m.parameterNames {
            guard let l = HookPoints.layer(of: name), range.contains(l) else { continue }
            n += try m.parameter(name).count
        }
        return Double(n)
    }

    /// FLOPs of causal attention over `pairs` (query, visible key) pairs per head in each of
    /// `layers` layers, forward: the scores Q·Kᵀ and the mix P·V, 2 FLOPs per head dimension
    /// each (the attention term of model-FLOPs accounting, as PaLM's MFU counts it, but only
    /// over the visible half: masked scores are not needed work). A backward pass takes twice
    /// this (dP, dV, dQ and dK, one product each).
    func attentionFlops(_ m: LanguageModel, pairs: Int, layers: Int) -> Double {
        4 * Double(m.config.headCount * m.config.headDim) * Double(pairs) * Double(layers)
    }

    /// FLOPs of a target optimisation's work, counting only what it needs: blocks up to the
    /// edit site's once (forward), blocks above it forward on every pass and backward
    /// (activation gradients only: one product per weight) on every back-propagated pass, and
    /// the unembedding at the computed logit columns (forward, and backward where propagated).
    /// Two FLOPs per parameter per token, as the prefill figure counts, plus the causal
    /// attention of each packed prompt (`attentionFlops`; under 1% here: the prompts are short).
    /// Padding is not counted (the prompts run packed, without any).
    func targetFlops(_ m: LanguageModel, _ w: TargetWork) throws -> Double {
        let lower = try blockParameters(m, 0..<(w.siteLayer + 1))
        let upper = try blockParameters(m, (w.siteLayer + 1)..<m.config.layerCount)
        let unembed = Double(m.config.vocabSize * m.config.dModel)
        let upperLayers = m.config.layerCount - w.siteLayer - 1
        return 2 * lower * Double(w.lowerTokens)
            + 2 * upper * Double(w.upperTokens + w.upperBackwardTokens)
            + 2 * unembed * Double(w.logitColumns + w.backwardLogitColumns)
            + attentionFlops(m, pairs: w.lowerAttentionPairs, layers: w.siteLayer + 1)
            + attentionFlops(m, pairs: w.upperAttentionPairs + 2 * w.upperBackwardAttentionPairs, layers: upperLayers)
    }

    func run(groups: [String]) throws {
        print("\n== editing (default model) ==")
        let m = try LanguageModel.load("smollm2")
        let bench = ModelBench(repeats: repeats)
        print(String(format: "raw sgemm, best single product  %.1f GFLOP/s", bench.sgemmLimit()))
        /// Seconds of each sustained sgemm window.
        let window = 5.0
        /// The sgemm limit of a workload: raw sgemm sustained over `window` seconds right
        /// before it (`before`) and right after it, the better of the two (the machine's speed
        /// drifts over minutes; a single product's best is a burst figure).
        func limit(before: Double) -> Double {
            let best = Swift.max(before, bench.sustainedSgemm(seconds: window))
            print(String(format: "  raw sgemm sustained over %.0f s before and after it (better one): %.1f GFLOP/s", window, best))
            return best
        }
        let tok = try m.requireTokenizer()

        // C0 over ≥ 20k tokens, layers 4–8 in one pass, no cache.
        if groups.contains("c0") {
            let h = try HyperparameterPresets.preset(method: "memit", model: "smollm2")
            let packed = try Corpus.load(.wordNetDefault, tokenizer: tok, options: PackingOptions(documentTokens: 512, maximumTokens: 41 * 512))
            let stats = CovarianceStatistics(corpusName: "wordnet", documents: packed.documents, sampleCount: 40, cacheDirectory: nil)
            stats.showProgress = false
            let tokens = Double(stats.documents.reduce(0) { $0 + $1.count })
            let before = bench.sustainedSgemm(seconds: window)
            let t = try Timing.seconds { try stats.prepare(layers: h.layers, model: m) }
            let dMLP = Double(m.config.mlpDim)
            let blocks = (h.layers.max() ?? 0) + 1
            // The forward through the last needed block (its weights, and the causal attention
            // of every 512-token document), and per layer the Gram matrix's upper triangle
            // (what syrk computes: d(d+1)/2 entries, 2 FLOPs per token each).
            let attention = attentionFlops(m, pairs: TargetWork.causalPairs(stats.documents.map(\.count)), layers: blocks)
            let flops = 2 * (try blockParameters(m, 0..<blocks)) * tokens + attention
                + Double(h.layers.count) * tokens * dMLP * (dMLP + 1)
            let l = limit(before: before)
            print(String(format: "C0 layers 4-8, %.0f tokens: %.2f s = %.0f tokens/s, %.1f GFLOP/s, ratio %.3f  target >= 0.6",
                         tokens, t, tokens / t, flops / t / 1e9, flops / t / 1e9 / l))
            print(String(format: "  (of the %.0f GFLOP, causal attention %.0f; without it the ratio would read %.3f)",
                         flops / 1e9, attention / 1e9, (flops - attention) / t / 1e9 / l))
        }

        let facts = BuiltinFacts.requests
        guard facts.count >= 10 else { print("not enough built-in facts"); return }
        if groups.contains("rome") {
            let h = try HyperparameterPresets.preset(method: "rome", model: "smollm2")
            let stats = try CovarianceStatistics.forModel(m, hparams: h)
            try stats.prepare(layers: h.layers, model: m)
            let rome = ROME(hparams: h, covariance: stats)
            _ = try rome.contextTemplates(m)
            // Rounds of one edit then a block of raw sgemm of its target optimisation's FLOPs
            // (as many rounds as the prefill's).
            let rounds = Swift.min(Swift.max(repeats, 3), facts.count)
            var total = 0.0
            var paired = PairedRounds()
            for r in facts.prefix(rounds) {
                let d = try rome.apply(m, [r])
                let seconds = d.timings.first { $0.0 == "targets" }?.1 ?? 0
                let f = try targetFlops(m, d.trace.work)
                total += d.timings.map(\.1).reduce(0, +)
                try d.revert()
                paired.add(flops: f, seconds: seconds, limit: bench.sgemmBlock(flops: f))
            }
            let templates = try rome.contextTemplates(m)
            let perEdit = total / Double(rounds), perTarget = paired.seconds.reduce(0, +) / Double(rounds)
            print(String(format: "ROME: %.2f s per edit (%.2f s target optimisation, %d templates)   target <= 22 s (ratio %.2f)",
                         perEdit, perTarget, templates.count, perEdit / 22))
            print(String(format: "  raw sgemm after each edit, a block of its FLOPs: best %.1f GFLOP/s (mean %.1f)", paired.bestLimit, paired.meanLimit))
            print(paired.pairsLine("v*"))
            print(String(format: "v* optimisation: best %.1f GFLOP/s (mean %.1f), ratio %.3f (means: %.3f)  target >= 0.65",
                         paired.bestRate, paired.meanRate, paired.ratio, paired.meansRatio))
        }
        if groups.contains("memit") {
            for method in ["memit", "encore"] {
                let h = try HyperparameterPresets.preset(method: method, model: "smollm2")
                let stats = try CovarianceStatistics.forModel(m, hparams: h)
                try stats.prepare(layers: h.layers, model: m)
                let kind: MEMITFamily.Method = method == "memit" ? .memit : .encore
                let snapshot = try m.snapshot(h.layers.map { "blocks.\($0).mlp.down" })
                let ed = MEMITFamily(kind, hparams: h, covariance: stats)
                _ = try ed.contextTemplates(m)
                let before = bench.sustainedSgemm(seconds: window)
                let d = try ed.apply(m, Array(facts.prefix(10)))
                let parts = d.timings.map { String(format: "%@ %.1f s", $0.0 as NSString, $0.1) }.joined(separator: ", ")
                let total = d.timings.map(\.1).reduce(0, +)
                print(String(format: "%@: %.1f s per batch of 10 (%@)   target <= 85 s (ratio %.2f)", method as NSString, total, parts, total / 85))
                let zTime = d.timings.first { $0.0 == "targets" }?.1 ?? 0
                let zFlops = try targetFlops(m, d.trace.work)
                let l = limit(before: before)
                print(String(format: "%@ target optimisation: %.1f GFLOP/s, ratio %.3f  target >= 0.65", method as NSString,
                             zFlops / zTime / 1e9, zFlops / zTime / 1e9 / l))
                try m.restore(snapshot)
                let ed1 = MEMITFamily(kind, hparams: h, covariance: stats)
                _ = try ed1.contextTemplates(m)
                var single = 0.0
                for r in facts.prefix(3) { single += try ed1.apply(m, [r]).timings.map(\.1).reduce(0, +) }
                print(String(format: "%@: %.1f s per sequential single edit", method as NSString, single / 3))
                try m.restore(snapshot)
            }
        }
    }
}
