import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets
@testable import Measurements

/// Measurements on the real default model (SmolLM2-135M), loaded once and shared; serial,
/// and every changed weight is put back.
@Suite("Measurements on the default model", .serialized)
struct DefaultModelTests {
    /// W₈ += s·u vᵀ with unit u, v: ‖W₈ − W₈⁰‖_F = s up to the float32 rounding of the stored
    /// sums (≤ 2⁻²⁴ ‖W₈‖_F), its spectral norm too; every other layer's difference is exactly 0.
    @Test func rankOneChangeShowsUpExactlyInOneLayer() throws {
        let m = try DefaultModel.shared()
        let names = m.parameterNames(matching: "blocks.*.mlp.down")
        let w0 = try m.snapshot(names)
        defer { _ = try? m.restore(w0) }
        var g = RandomGenerator(seed: 17)
        let u0 = Tensor.randn([576, 1], dtype: .float64, generator: &g), v0 = Tensor.randn([1, 1536], dtype: .float64, generator: &g)
        let u = (u0 / u0.norm()).to(.float32), v = (v0 / v0.norm()).to(.float32)
        let s = 2.5
        let w = try m.parameter("blocks.8.mlp.down")
        try w.addInPlace(u.matmul(v) * s)
        let t = try WeightNorms.table(m, "blocks.*.mlp.down", against: w0, options: WeightNormOptions(spectra: false))
        #expect(t.rows.map(\.layer) == Array(0..<30).map { Optional($0) })
        let expected = s * u.norm() * v.norm()
        let bound = Foundation.pow(2.0, -24) * w.norm() + Foundation.pow(2.0, -22) * s
        for r in t.rows {
            let d = try #require(r.delta).frobenius
            if r.layer == 8 {
                #expect(r.edited)
                #expect(Swift.abs(d - expected) <= bound, "‖ΔW₈‖_F = \(d), expected \(expected) ± \(bound)")
                #expect(close(try #require(r.distanceFromOriginal), d / Double(576 * 1536), 1e-18))
                #expect(close(try #require(r.relativeChange), d / w0.tensors[r.name]!.norm(), 1e-15))
            } else {
                #expect(!r.edited && d == 0, "\(r.name): ‖ΔW‖_F = \(d)")
            }
        }
        #expect(t.editedRows.map(\.name) == ["blocks.8.mlp.down"] && t.uneditedRows.count == 29)
        // the spectrum of the change: one singular value s, the rest at rounding level
        let row = try WeightNorms.measure(m, parameter: "blocks.8.mlp.down", against: w0)
        let ds = try #require(row.delta?.spectrum)
        #expect(Swift.abs(ds.spectralNorm - expected) <= bound && ds.energyRatio > 1 - 1e-6)
        #expect(close(try #require(row.relativeSpectralChange), ds.spectralNorm / (try #require(row.original?.spectrum)).spectralNorm, 1e-15))
        try m.restore(w0)
        #expect(try WeightNorms.deltaFrobenius(m, "blocks.*.mlp.down", against: w0).allSatisfy { $0.value == 0 })
    }

    @Test func activationStatisticsOnProbePrompts() throws {
        let m = try DefaultModel.shared()
        let texts = try ProbePrompts.first(32)
        let s = try ActivationStatistics.measure(m, texts: texts)
        let tok = try m.requireTokenizer()
        let promptTokens = texts.reduce(0) { $0 + tok.encode($1).count }
        #expect(s.prefixLength == 1 && s.promptTokens.allSatisfy { $0.first == 0 })
        #expect(s.hooks.count == 5 * 30 && s.shares.map(\.layer) == Array(0..<30))
        for l in s.shares {
            #expect(l.all.count == promptTokens && l.last.count == 32 && l.prefix.count == 32 && l.subject.count == 0)
            #expect(close(l.all.residual + l.all.attention + l.all.mlp, 1, 1e-9))
        }
        for h in s.hooks {
            #expect(h.all.count == promptTokens)
            #expect(s.keptMatrix(h.name)?.shape == [32, h.width])
        }
        #expect(s.statistics("blocks.3.mlp.hook_post")?.width == 1536)
        // the residual stream's outlier dimensions 507 and 247 (see ActivationOptions.massiveFactor)
        let r8 = try #require(s.statistics("blocks.8.hook_resid_post"))
        #expect(Set(r8.massive.indices).isSuperset(of: [507, 247]))
        #expect(r8.massive.energyShare > 0.1 && r8.all.rmsNormWithoutMassive < r8.all.rmsNorm)
        // the attention sink: the prefix token's residual stream is far larger than the prompt's
        let r12 = try #require(s.statistics("blocks.12.hook_resid_post"))
        #expect(r12.prefix.meanNorm > 20 * r12.all.meanNorm)
        #expect(s.byLayer("hook_resid_post").map(\.layer) == Array(0..<30))
        // the kept last-token vector against a forward of that prompt alone
        let ids = [0] + tok.encode(texts[0])
        let alone = try m.runWithCache(TokenBatch([ids]), names: ["blocks.8.hook_resid_post"], logits: .none)
        let want = try alone.cache["blocks.8.hook_resid_post"]!.select(1, ids.count - 1).squeezed(0)
        let got = try #require(s.keptMatrix("blocks.8.hook_resid_post")).select(0, 0)
        #expect(try got.maxAbsDifference(want) <= 1e-3 * want.norm())
    }

    @Test func subjectTokensFromText() throws {
        let tok = try DefaultModel.shared().requireTokenizer()
        let p = try ActivationPrompt.locating("Danielle Darrieux", in: "The mother tongue of Danielle Darrieux is", tokenizer: tok)
        let span = try #require(p.subjectTokens)
        let ids = tok.encode("The mother tongue of Danielle Darrieux is")
        #expect(try tok.decode(Array(ids[span])) == " Danielle Darrieux")
        for r in BuiltinFacts.requests.prefix(20) {
            let q = try ActivationPrompt.rewrite(of: r, tokenizer: tok)
            let all = tok.encode(r.filledPrompt)
            #expect(try tok.decode(Array(all[try #require(q.subjectTokens)])) == " " + r.subject, "case \(r.caseID)")
        }
        #expect(throws: MeasurementError.self) { try ActivationPrompt.locating("Paris", in: "The mother tongue of X is", tokenizer: tok) }
    }

    @Test func retentionOfRequestsOnTheUneditedModel() throws {
        let m = try DefaultModel.shared()
        let reqs = Array(BuiltinFacts.requests.prefix(12))
        let r = try Retention.evaluate(m, reqs, options: RetentionOptions(batchSize: 5))
        let rewriteOnly = reqs.map {
            EditRequest(caseID: $0.caseID, prompt: $0.prompt, subject: $0.subject, targetNew: $0.targetNew, targetTrue: $0.targetTrue)
        }
        let cf = try CounterFactMetrics.evaluate(m, rewriteOnly)
        #expect(r.held == cf.records.map { $0.rewrite[0].newWins })
        // the same scores (other batch compositions: equal up to float rounding)
        for (a, b) in zip(r.margins, cf.records.map({ $0.rewrite[0].trueNLL - $0.rewrite[0].newNLL })) { #expect(close(a, b, 1e-4)) }
        #expect(r.fraction <= 0.2)  // nothing edited: the counterfactuals do not hold
        // the true facts as "edits" hold
        let truths = reqs.map {
            EditRequest(caseID: $0.caseID, prompt: $0.prompt, subject: $0.subject, targetNew: $0.targetTrue, targetTrue: $0.targetNew)
        }
        #expect(try Retention.evaluate(m, truths).fraction >= 0.8)
        let acc = try Retention.evaluate(m, truths, options: RetentionOptions(criterion: .accuracy))
        #expect(acc.held == cf.records.map { $0.rewrite[0].trueCorrect })
    }
}
