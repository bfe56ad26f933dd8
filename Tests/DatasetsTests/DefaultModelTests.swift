import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets

/// Checks on the real default model (SmolLM2-135M-Instruct), loaded once and shared; run
/// serially because they share it.
@Suite("Datasets on the default model", .serialized)
struct DefaultModelTests {
    /// The check behind the built-in set, re-run: every kept candidate still has its true
    /// object as the model's greedy top-1 (allowing a few flips from float rounding on
    /// another BLAS kernel).
    @Test func builtinFactsStillPassTheirCheck() throws {
        let m = try DefaultModel.shared()
        let report = try BuiltinFacts.verify(m)
        let kept = BuiltinFacts.candidates.filter(\.kept).count
        #expect(report.checked == kept)
        #expect(Double(report.passed) >= 0.98 * Double(kept),
                "kept facts failing: \(report.keptButFailing.map { "\($0.prompt) -> \($0.candidate.object) ranks \($0.ranks)" })")
        #expect(report.top3 == kept)
    }

    /// Before any edit, the built-in requests' rewrite prompts prefer the true object over the
    /// counterfactual: s(true) < s(new) for at least 90% (expected: all).
    @Test func builtinFactsPreferTheTrueObjectBeforeEditing() throws {
        let m = try DefaultModel.shared()
        let rewriteOnly = BuiltinFacts.requests.map {
            EditRequest(caseID: $0.caseID, prompt: $0.prompt, subject: $0.subject, targetNew: $0.targetNew, targetTrue: $0.targetTrue)
        }
        let r = try CounterFactMetrics.evaluate(m, rewriteOnly)
        let trueWins = r.records.filter { $0.rewrite[0].trueWins }.count
        let efficacy = Double(trueWins) / Double(r.records.count)
        #expect(efficacy >= 0.9, "true object preferred on \(trueWins) of \(r.records.count)")
        #expect(try #require(r.summary.efficacyScore) <= 0.1)
        #expect(try #require(r.summary.efficacyAccuracy) == 0)
    }

    /// The built-in set's shape: a few hundred requests in CounterFact's schema with two
    /// paraphrases and several neighbourhood prompts each, no subject at position 0.
    @Test func builtinRequestsShape() throws {
        let reqs = BuiltinFacts.requests
        #expect(reqs.count >= 300)
        #expect(Set(reqs.map(\.caseID)).count == reqs.count)
        let tok = try DefaultModel.shared().requireTokenizer()
        for r in reqs {
            #expect(r.paraphrasePrompts.count == 2)
            #expect(r.neighborhoodPrompts.count >= BuiltinFacts.minimumNeighbors)
            #expect(r.targetNew != r.targetTrue)
            #expect(EditRequest.placeholderCount(r.prompt) == 1 && !r.prompt.hasPrefix("{}"))
            // joint tokenisation equals prompt + " target" tokens (what s(p, o) scores)
            #expect(tok.encode(r.filledPrompt + " " + r.targetTrue.str) == tok.encode(r.filledPrompt) + tok.encode(" " + r.targetTrue.str))
        }
        #expect(ProbePrompts.all.count >= 256)
        #expect(Set(ProbePrompts.all).count == ProbePrompts.all.count)
        #expect(try PromptPrefix.automatic.ids(for: tok) == [0])  // <|endoftext|>
        // the requests survive a round trip through the CounterFact loader
        let data = try JSONEncoder().encode(reqs)
        #expect(try RequestLoader.counterFact(data: data, source: "builtin").requests == reqs)
    }

    @Test func zsRELoaderWithTheModelTokenizer() throws {
        let tok = try DefaultModel.shared().requireTokenizer()
        let set = try RequestLoader.zsRE(data: Data(Samples.zsRE.utf8), source: "zsre.json", tokenizer: tok)
        let n = try #require(set.requests.first).neighborhoodPrompts
        let ids = tok.encode(" Lennon")
        #expect(n.count == ids.count)
        #expect(n[0] == NeighborhoodPrompt("nq question: who wrote the song yellow submarine?", target: try tok.decode([ids[0]])))
        let r = try ZsREMetrics.evaluate(try DefaultModel.shared(), set.requests)
        #expect(r.records[0].rewriteCorrect.count == tok.encode(" Scotland").count)
        #expect(r.records[0].neighborhoodCorrect.count == ids.count)
    }

    @Test func perplexityOnHeldOutWordNetGlosses() throws {
        let m = try DefaultModel.shared()
        let corpus = try Corpus.load(.wordNet(directory: Corpus.defaultWordNetDirectory, parts: [.verb]), tokenizer: m.requireTokenizer(),
                                     options: PackingOptions(maximumTokens: 512 * 10))
        let split = try corpus.split(heldOutFraction: 0.2, seed: 0)
        #expect(split.heldOut.documents.count == 2 && split.train.documents.count == 8)
        let p = try Perplexity.evaluate(m, corpus: split.heldOut)
        #expect(p.tokenCount == 2 * 512 && p.documentCount == 2)
        #expect(abs(p.perplexity - Foundation.exp(p.meanNLL)) < 1e-9 * p.perplexity)
        #expect(p.perplexity > 3 && p.perplexity < 100, "perplexity \(p.perplexity)")
        let q = try Perplexity.evaluate(m, corpus: split.heldOut, options: ScoringOptions(prefix: .none))
        #expect(q.tokenCount == 2 * 511)
    }

    /// The collapse canary: zero against itself, positive after a weight changes, zero again
    /// after the weight is restored.
    @Test func klCanaryAgainstAKeptReference() throws {
        let m = try DefaultModel.shared()
        let prompts = try ProbePrompts.first(6)
        let ref = try NextTokenReference.capture(m, prompts: prompts)
        #expect(ref.logProbs.count == 6 * m.config.vocabSize)
        let same = try ref.divergence(m)
        #expect(same.max < 1e-6)
        let w = try m.parameter("blocks.10.mlp.down")
        let saved = w.clone()
        defer { _ = try? w.copy(from: saved) }
        w.mulInPlace(0.5)
        let moved = try ref.divergence(m)
        #expect(moved.mean > 1e-4 && moved.perPrompt.allSatisfy { $0 > 0 })
        _ = try w.copy(from: saved)
        #expect(try ref.divergence(m).max < 1e-6)
    }

    @Test func generationEntropyIsSeeded() throws {
        let m = try DefaultModel.shared()
        let opts = GenerationOptions(maxLength: 16, seed: 7)
        let prompts = ["The capital of France is", "My favourite food is"]
        let a = try GenerationMetrics.generate(m, prompts: prompts, options: opts)
        let b = try GenerationMetrics.generate(m, prompts: prompts, options: opts)
        #expect(a == b)
        #expect(a[0].hasPrefix("The capital of France is") && a[1].hasPrefix("My favourite food is"))
        let tok = try m.requireTokenizer()
        for t in a { #expect(tok.encode(t).count <= 18) }  // ~16 tokens (decoding may re-merge)
        let e = try GenerationMetrics.ngramEntropy(texts: a)
        #expect(e.mean > 1 && e.mean < 8)
    }
}
