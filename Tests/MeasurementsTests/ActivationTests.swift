import Foundation
import Testing
import Tensors
import LanguageModels
@testable import Measurements

/// A tensor `[1, t, d]` from per-position vectors given as sparse (dimension, value) pairs.
func positions(_ vectors: [[(Int, Double)]], width d: Int) throws -> Tensor {
    var v = [Float](repeating: 0, count: vectors.count * d)
    for (t, entries) in vectors.enumerated() { for (j, x) in entries { v[t * d + j] = Float(x) } }
    return try Tensor(shape: [1, vectors.count, d], floats: v)
}

func l2(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// Activation statistics against hand-made activations and against an independent route
/// (one prompt at a time through `runWithCache`, reduced in double precision).
@Suite("Activation statistics")
struct ActivationTests {
    /// Permanent hooks replace block 0's activations by hand-made vectors; the statistics must
    /// be the hand-computed ones. Positions: prefix token, subject token, other token, last token.
    @Test func sharesNormsAndMassiveDimensionsOnHandMadeVectors() throws {
        let m = try tinyLlama()
        let d = m.config.dModel
        // norms: residual input [2, 3, 5, 1], attention [0, 4, 0, 1], MLP [2, 5, 5, 2]
        let resid = try positions([[(0, 2)], [(1, 3)], [(2, 3), (3, 4)], [(4, 1)]], width: d)
        let attn = try positions([[], [(0, 4)], [], [(7, -1)]], width: d)
        let mlp = try positions([[(1, 2)], [(3, -3), (4, 4)], [(5, 5)], [(6, 2)]], width: d)
        // residual output: ~1 everywhere, dimension 5 at ±500, dimension 9 at 200 on the subject token
        var out = [[Double]](repeating: [], count: 4)
        for t in 0..<4 {
            out[t] = (0..<d).map { 1 + 0.01 * Double($0) * Double(t + 1) }
            out[t][5] = t % 2 == 0 ? 500 : -500
        }
        out[1][9] = 200
        let post = try positions(out.map { $0.enumerated().map { ($0.offset, $0.element) } }, width: d)
        for (name, x) in [("blocks.0.hook_resid_pre", resid), ("blocks.0.hook_attn_out", attn),
                          ("blocks.0.hook_mlp_out", mlp), ("blocks.0.hook_resid_post", post)] {
            try m.addHook(name) { _, _ in x }
        }
        let prompt = ActivationPrompt(tokens: [11, 12, 13], subjectTokens: 0..<1)
        var o = ActivationOptions(hooks: ["blocks.0.hook_resid_post", "blocks.0.hook_mlp_out"], prefix: .tokens([7]),
                                  keep: .all, massiveFactor: 100)
        let s = try ActivationStatistics.measure(m, [prompt], options: o)

        // shares (by hand): subject 3,4,5 → 1/4, 1/3, 5/12; other 5,0,5 → 1/2, 0, 1/2; last 1,1,2 → 1/4, 1/4, 1/2
        let sh = try #require(s.shares(layer: 0))
        #expect(s.shares.map(\.layer) == [0])
        #expect(sh.all.count == 3 && sh.prefix.count == 1)
        #expect(close(sh.all.residual, 1.0 / 3, 1e-7) && close(sh.all.attention, 7.0 / 36, 1e-7) && close(sh.all.mlp, 17.0 / 36, 1e-7))
        #expect(close(sh.subject.residual, 0.25, 1e-7) && close(sh.subject.attention, 1.0 / 3, 1e-7) && close(sh.subject.mlp, 5.0 / 12, 1e-7))
        #expect(close(sh.other.residual, 0.5, 1e-7) && sh.other.attention == 0 && close(sh.other.mlp, 0.5, 1e-7))
        #expect(close(sh.last.residual, 0.25, 1e-7) && close(sh.last.attention, 0.25, 1e-7) && close(sh.last.mlp, 0.5, 1e-7))
        #expect(close(sh.prefix.residual, 0.5, 1e-7) && sh.prefix.attention == 0 && close(sh.prefix.mlp, 0.5, 1e-7))

        // mean norms per class of the MLP output: prefix 2, subject 5, other 5, last 2
        let mo = try #require(s.statistics("blocks.0.hook_mlp_out"))
        #expect(mo.width == d && mo.layer == 0)
        #expect(mo.subject.count == 1 && mo.other.count == 1 && mo.last.count == 1 && mo.prefix.count == 1 && mo.all.count == 3)
        #expect(close(mo.subject.meanNorm, 5, 1e-6) && close(mo.other.meanNorm, 5, 1e-6) && close(mo.last.meanNorm, 2, 1e-6))
        #expect(close(mo.prefix.meanNorm, 2, 1e-6) && close(mo.all.meanNorm, 4, 1e-6))
        #expect(close(mo.all.rmsNorm, (54.0 / 3).squareRoot(), 1e-6))

        // the residual output: dimension 5 is massive at factor 100; 9 (mean 67.3) is not
        let rp = try #require(s.statistics("blocks.0.hook_resid_post"))
        #expect(rp.massive.indices == [5])
        #expect(close(rp.massive.meanAbs[0], 500, 1e-4))
        let prompt3 = Array(out[1...3])
        let meanAbs = (0..<d).map { j in prompt3.reduce(0) { $0 + Swift.abs($1[j]) } / 3 }
        #expect(close(rp.massive.medianMeanAbs, median(meanAbs), 1e-5))
        for j in 0..<d { #expect(close(rp.meanAbs[j], meanAbs[j], 1e-4 * Swift.max(1, meanAbs[j]))) }
        let norms = prompt3.map(l2)
        #expect(relClose(rp.all.meanNorm, norms.reduce(0, +) / 3, 1e-6))
        let energy = prompt3.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }
        let rest = prompt3.reduce(0) { acc, v in acc + v.enumerated().filter { $0.offset != 5 }.reduce(0) { $0 + $1.element * $1.element } }
        #expect(relClose(rp.all.rmsNorm, (energy / 3).squareRoot(), 1e-6))
        #expect(relClose(rp.all.rmsNormWithoutMassive, (rest / 3).squareRoot(), 1e-6))
        #expect(relClose(rp.massive.energyShare, (energy - rest) / energy, 1e-6))
        #expect(relClose(rp.subject.rmsNormWithoutMassive, (out[1].enumerated().filter { $0.offset != 5 }.reduce(0) { $0 + $1.element * $1.element }).squareRoot(), 1e-6))
        #expect(relClose(rp.prefix.meanNorm, l2(out[0]), 1e-6))
        // at factor 20, dimension 9 (≈ 35× the median) joins, ordered by magnitude
        o.massiveFactor = 20
        let s20 = try ActivationStatistics.measure(m, [prompt], options: o)
        #expect(s20.statistics("blocks.0.hook_resid_post")?.massive.indices == [5, 9])

        // kept vectors (.all): the three prompt tokens, in token order
        let kept = try #require(s.keptMatrix("blocks.0.hook_resid_post"))
        #expect(kept.shape == [3, d])
        for t in 0..<3 { for j in 0..<d { #expect(try kept.value(at: [t, j]) == Double(Float(out[t + 1][j]))) } }
        #expect(s.prefixLength == 1 && s.promptTokens == [[7, 11, 12, 13]])
    }

    /// Five prompts of different lengths in several padded batches against one prompt at a
    /// time through `runWithCache`, reduced in double precision.
    @Test func batchedStatisticsMatchPromptByPromptCaches() throws {
        let m = try tinyLlama()
        var g = RandomGenerator(seed: 4)
        let lengths = [3, 7, 5, 9, 4]
        let subjects: [Range<Int>?] = [0..<2, 2..<4, nil, 3..<9, 1..<2]
        let ids = lengths.map { n in (0..<n).map { _ in 3 + g.nextInt(below: 300) } }
        let prompts = zip(ids, subjects).map { ActivationPrompt(tokens: $0, subjectTokens: $1) }
        let hooks = ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out", "blocks.0.mlp.hook_post",
                     "blocks.1.hook_resid_pre", "blocks.1.attn.hook_q", "blocks.1.hook_attn_out", "blocks.1.hook_mlp_out"]
        let o = ActivationOptions(hooks: hooks, prefix: .tokens([1]), maxTokensPerBatch: 20, keep: .all)
        #expect(try ActivationStatistics.batches(m, prompts, options: o).map(\.batchSize) == [3, 2])
        let s = try ActivationStatistics.measure(m, prompts, options: o)
        #expect(s.hooks.map(\.name) == m.hookNames.filter { hooks.contains($0) })  // model order

        // the independent route
        var caches: [[String: Tensor]] = []
        for p in ids { caches.append(try m.runWithCache(TokenBatch([[1] + p]), names: hooks, logits: .none).cache) }
        func cls(_ p: Int, _ i: Int) -> PositionClass {
            if i == 0 { return .prefix }
            if i == ids[p].count { return .last }
            if let r = subjects[p], r.contains(i - 1) { return .subject }
            return .other
        }
        func vector(_ name: String, _ p: Int, _ i: Int) throws -> [Double] {
            let x = caches[p][name]!
            let w = x.count / x.shape[1]
            return Array(x.doubles()[i * w..<(i + 1) * w])
        }
        for h in s.hooks {
            for c in PositionClass.allCases {
                var norms: [Double] = []
                for p in ids.indices { for i in 0...ids[p].count where cls(p, i) == c { norms.append(l2(try vector(h.name, p, i))) } }
                let st = h.statistics(c)
                #expect(st.count == norms.count, "\(h.name) \(c)")
                #expect(relClose(st.meanNorm, norms.reduce(0, +) / Double(norms.count), 2e-5), "\(h.name) \(c)")
                #expect(relClose(st.rmsNorm, (norms.reduce(0) { $0 + $1 * $1 } / Double(norms.count)).squareRoot(), 2e-5))
            }
            // kept rows are every prompt token in order
            let kept = try #require(s.keptMatrix(h.name))
            var row = 0
            for p in ids.indices {
                for i in 1...ids[p].count {
                    let want = try vector(h.name, p, i)
                    let got = try kept.select(0, row).doubles()
                    let scale = Swift.max(1, want.map { Swift.abs($0) }.max() ?? 0)
                    #expect(zip(got, want).allSatisfy { Swift.abs($0 - $1) <= 2e-5 * scale }, "\(h.name) row \(row)")
                    row += 1
                }
            }
            #expect(row == kept.shape[0])
        }
        // shares by hand from the cached norms
        for l in 0..<2 {
            var sum = (0.0, 0.0, 0.0), n = 0
            for p in ids.indices {
                for i in 1...ids[p].count {
                    let r = l2(try vector("blocks.\(l).hook_resid_pre", p, i)), a = l2(try vector("blocks.\(l).hook_attn_out", p, i))
                    let mm = l2(try vector("blocks.\(l).hook_mlp_out", p, i))
                    sum = (sum.0 + r / (r + a + mm), sum.1 + a / (r + a + mm), sum.2 + mm / (r + a + mm))
                    n += 1
                }
            }
            let sh = try #require(s.shares(layer: l)).all
            #expect(sh.count == n)
            #expect(close(sh.residual, sum.0 / Double(n), 1e-6) && close(sh.attention, sum.1 / Double(n), 1e-6) && close(sh.mlp, sum.2 / Double(n), 1e-6))
            #expect(close(sh.residual + sh.attention + sh.mlp, 1, 1e-12))
        }
        // deterministic, and independent of the batching up to float rounding
        let again = try ActivationStatistics.measure(m, prompts, options: o)
        #expect(again.hooks == s.hooks && again.shares == s.shares)
        var one = o
        one.maxTokensPerBatch = 4096
        let single = try ActivationStatistics.measure(m, prompts, options: one)
        for (a, b) in zip(single.hooks, s.hooks) {
            #expect(relClose(a.all.meanNorm, b.all.meanNorm, 1e-5) && relClose(a.last.rmsNorm, b.last.rmsNorm, 1e-5))
        }
    }

    @Test func runsOnlyTheBlocksItNeeds() throws {
        let m = try tinyLlama()
        var calls: [String: Int] = [:]
        for n in ["blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "ln_final.hook_normalized"] {
            try m.addHook(n) { _, _ in calls[n, default: 0] += 1; return nil }
        }
        let p = [ActivationPrompt(tokens: [5, 6, 7]), ActivationPrompt(tokens: [8, 9])]
        let s0 = try ActivationStatistics.measure(m, p, options: ActivationOptions(hooks: ["blocks.0.*", "blocks.0.*.*"]))
        #expect(calls["blocks.0.hook_resid_post"] == 1 && calls["blocks.1.hook_resid_pre"] == nil)
        #expect(s0.shares.map(\.layer) == [0])
        #expect(s0.hooks.count == HookPoints.blockPoints.count)
        #expect(s0.kept.map(\.matrix.shape) == s0.hooks.map { [2, $0.width] })
        let fin = try ActivationStatistics.measure(m, p, options: ActivationOptions(hooks: ["ln_final.hook_normalized"], residualShares: false))
        #expect(calls["ln_final.hook_normalized"] == 1 && calls["blocks.1.hook_resid_pre"] == 1)
        #expect(fin.hooks.map(\.name) == ["ln_final.hook_normalized"] && fin.hooks[0].layer == nil && fin.shares.isEmpty)
        #expect(fin.hooks[0].all.count == 5 && fin.hooks[0].last.count == 2 && fin.hooks[0].subject.count == 0)
        #expect(fin.hooks[0].subject.meanNorm.isNaN)
        // kept rows per mode
        let sub = [ActivationPrompt(tokens: [5, 6, 7], subjectTokens: 0..<2), ActivationPrompt(tokens: [8, 9])]
        let sl = try ActivationStatistics.measure(m, sub, options: ActivationOptions(hooks: ["blocks.1.hook_resid_post"], keep: .subjectLast))
        let none = try ActivationStatistics.measure(m, sub, options: ActivationOptions(hooks: ["blocks.1.hook_resid_post"], keep: .none))
        let last = try ActivationStatistics.measure(m, sub, options: ActivationOptions(hooks: ["blocks.1.hook_resid_post"], keep: .last))
        let all = try ActivationStatistics.measure(m, sub, options: ActivationOptions(hooks: ["blocks.1.hook_resid_post"], keep: .all))
        #expect(sl.kept[0].matrix.shape[0] == 1 && none.kept.isEmpty && last.kept[0].matrix.shape[0] == 2)
        let allM = all.kept[0].matrix
        #expect(allM.shape[0] == 5)
        #expect(try sl.kept[0].matrix.select(0, 0).doubles() == allM.select(0, 1).doubles())   // subject's last token
        #expect(try last.kept[0].matrix.select(0, 1).doubles() == allM.select(0, 4).doubles())  // second prompt's last
        #expect(sl.hooks[0].subject.count == 2)
    }

    /// Every hook point of both families is measured, with the width the configuration predicts
    /// (the accumulators are sized from it before the passes).
    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func everyHookPointOfBothFamilies(fixture: String) throws {
        let m = try LanguageModel.load(Fixtures.path(fixture))
        let p = [ActivationPrompt(tokens: [5, 6, 7]), ActivationPrompt(tokens: [8, 9])]
        let s = try ActivationStatistics.measure(m, p, options: ActivationOptions(hooks: ["*", "*.*", "blocks.*.*", "blocks.*.*.*"]))
        #expect(s.hooks.map(\.name) == m.hookNames)
        for h in s.hooks {
            #expect(Accumulator.expectedWidth(h.name, m.config) == h.width, "\(h.name)")
            #expect(h.all.count == 5 && h.all.meanNorm > 0)
            #expect(s.keptMatrix(h.name)?.shape == [2, h.width])
        }
    }

    @Test func badInputGetsClearErrors() throws {
        let m = try tinyLlama()
        let p = [ActivationPrompt(tokens: [5, 6, 7])]
        #expect(throws: MeasurementError.noMatch(kind: "hook point", pattern: "blocks.*.nope")) {
            try ActivationStatistics.measure(m, p, options: ActivationOptions(hooks: ["blocks.*.nope"]))
        }
        #expect(throws: MeasurementError.self) { try ActivationStatistics.measure(m, []) }
        #expect(throws: MeasurementError.self) { try ActivationStatistics.measure(m, [ActivationPrompt(tokens: [])]) }
        #expect(throws: MeasurementError.self) {
            try ActivationStatistics.measure(m, [ActivationPrompt(tokens: [5, 6], subjectTokens: 1..<3)])
        }
        #expect(throws: MeasurementError.self) { try ActivationStatistics.measure(m, p, options: ActivationOptions(maxTokensPerBatch: 0)) }
        #expect(throws: MeasurementError.self) { try ActivationStatistics.measure(m, p, options: ActivationOptions(massiveFactor: .nan)) }
        #expect(throws: ModelError.self) { try ActivationStatistics.measure(m, texts: ["no tokenizer here"]) }
        #expect(throws: ModelError.self) { try ActivationStatistics.measure(m, [ActivationPrompt(tokens: [5, 100_000])]) }
        #expect(throws: MeasurementError.self) { try ActivationStatistics.measure(m, p, options: ActivationOptions(prefix: .bos)) }
    }
}
