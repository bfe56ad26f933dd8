import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets

/// Every score against values computed by hand on a five-token Markov "model" (MarkovStub:
/// P(next | current) is a fixed table, so a score is a product of table entries).
@Suite("Edit metrics on known logits")
struct MetricTests {
    let p = MarkovStub.p

    @Test func continuationScoresReadTheRightColumns() throws {
        let queries = [
            ContinuationQuery(context: [4], continuation: [0, 1]),
            ContinuationQuery(context: [2, 3, 3, 1], continuation: [3]),
            ContinuationQuery(context: [0], continuation: [0, 0, 4]),
        ]
        // tiny batches force several passes, padding and reordering
        for opts in [ScoringOptions(), ScoringOptions(maxTokensPerBatch: 3, maxLogitColumns: 2)] {
            for prefix in [[Int](), [2], [1, 3]] {
                let s = try ContinuationScorer.score(queries, prefixIDs: prefix, padID: 0, options: opts, logits: MarkovStub.logits)
                #expect(close(s[0].meanNLL, -(log(0.25) + log(0.3)) / 2))
                #expect(s[0].tokenCorrect == [false, false])
                #expect(s[0].tokenRanks == [1, 1])
                #expect(close(s[1].meanNLL, -log(0.1)))
                #expect(close(s[2].meanNLL, -(log(0.4) + log(0.4) + log(0.1)) / 3))
                #expect(s[2].tokenCorrect == [true, true, false])
                #expect(s[2].tokenRanks == [0, 0, 2])
                #expect(!s[2].allCorrect)
            }
        }
        // an empty context needs a prefix; an empty continuation is refused
        #expect(datasetError { _ = try ContinuationScorer.score([ContinuationQuery(context: [], continuation: [1])], prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
        #expect(close(try ContinuationScorer.score([ContinuationQuery(context: [], continuation: [1])], prefixIDs: [4], padID: 0, logits: MarkovStub.logits)[0].meanNLL, -log(0.25)))
        #expect(datasetError { _ = try ContinuationScorer.score([ContinuationQuery(context: [1], continuation: [])], prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
        #expect(datasetError { _ = try ContinuationScorer.score([ContinuationQuery(context: [1], continuation: [7])], prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
    }

    @Test func rowsThatArePrefixesOfAnotherAreRunOnce() throws {
        let queries = [
            ContinuationQuery(context: [4], continuation: [0]),
            ContinuationQuery(context: [4], continuation: [0, 1]),
            ContinuationQuery(context: [4], continuation: [1, 2]),
            ContinuationQuery(context: [4], continuation: [0, 3, 2]),
            ContinuationQuery(context: [3], continuation: [0]),
        ]
        final class Counter: @unchecked Sendable { var rows = 0 }
        let counter = Counter()
        let s = try ContinuationScorer.score(queries, prefixIDs: [], padID: 0) { batch, cols in
            counter.rows += batch.batchSize
            return try MarkovStub.logits(batch, cols)
        }
        #expect(counter.rows == 3)  // [4, 0, 3], [4, 1] and [3]
        #expect(close(s[0].meanNLL, -log(0.25)))
        #expect(close(s[1].meanNLL, -(log(0.25) + log(0.3)) / 2))
        #expect(close(s[2].meanNLL, -(log(0.25) + log(0.2)) / 2))
        #expect(close(s[3].meanNLL, -(log(0.25) + log(0.1) + log(0.6)) / 3))
        #expect(s[3].tokenCorrect == [false, false, true])
        #expect(close(s[4].meanNLL, -log(0.05)))
    }

    /// Two requests; tokens "abcde" → 0...4 (spaces dropped), so " bd" is [1, 3].
    static let requests = [
        EditRequest(caseID: 1, prompt: "{} c", subject: "a", targetNew: EditTarget("bd"), targetTrue: EditTarget("e"),
                    paraphrasePrompts: ["c a", "b"], neighborhoodPrompts: [NeighborhoodPrompt("e"), NeighborhoodPrompt("d d")]),
        EditRequest(caseID: 2, prompt: "{}", subject: "b", targetNew: EditTarget("b"), targetTrue: EditTarget("e")),
    ]

    @Test func counterFactScoresByHand() throws {
        let r = try CounterFactMetrics.evaluate(Self.requests, encode: MarkovStub.encode, prefixIDs: [], padID: 0,
                                                options: ScoringOptions(maxTokensPerBatch: 6), logits: MarkovStub.logits)
        let a = r.records[0]
        // rewrite "a c" = [0, 2]: new [1, 3], true [4]
        #expect(close(a.rewrite[0].newNLL, -(log(0.2) + log(0.1)) / 2))
        #expect(close(a.rewrite[0].trueNLL, -log(0.2)))
        #expect(a.rewriteSuccess == 0)
        #expect(close(a.rewriteMagnitude, (0.2 * 0.1).squareRoot() - 0.2))
        // paraphrases "c a" = [2, 0] and "b" = [1]: the new object wins on both
        #expect(close(a.paraphrase[0].newNLL, -(log(0.3) + log(0.1)) / 2))
        #expect(close(a.paraphrase[1].newNLL, -(log(0.5) + log(0.1)) / 2))
        #expect(a.paraphraseSuccess == 1)
        #expect(close(a.paraphraseMagnitude, (((0.3 * 0.1).squareRoot() - 0.1) + ((0.5 * 0.1).squareRoot() - 0.1)) / 2))
        // neighbourhood "e" = [4] and "d d" = [3, 3]: the true object wins on both
        #expect(a.neighborhoodSuccess == 1)
        #expect(close(a.neighborhoodMagnitude, ((0.3 - (0.25 * 0.1).squareRoot()) + (0.1 - (0.05 * 0.1).squareRoot())) / 2))
        // accuracies: rewrite new [1,3] after [..2]: argmax of row 2 is 0 (tie, lowest id) -> wrong
        #expect(a.rewriteAccuracy == 0 && a.paraphraseAccuracy == 0)
        #expect(a.neighborhoodAccuracy == 0.5)  // "e": argmax of row 4 is 4 = true; "d d": row 3 argmax 2
        let b = r.records[1]
        #expect(b.rewriteSuccess == 1 && b.rewriteAccuracy == 1)
        #expect(close(b.rewriteMagnitude, 0.5 - 0.1))
        #expect(b.paraphraseSuccess == nil && b.neighborhoodSuccess == nil)
        let s = r.summary
        #expect(s.count == 2)
        #expect(s.efficacyScore == 0.5)
        #expect(close(s.efficacyMagnitude, (((0.02).squareRoot() - 0.2) + 0.4) / 2))
        #expect(s.paraphraseScore == 1 && s.neighborhoodScore == 1)
        #expect(s.efficacyAccuracy == 0.5 && s.paraphraseAccuracy == 0 && s.neighborhoodAccuracy == 0.5)
        #expect(close(s.overallScore, 3 / (1 / 50.0 + 1 / 100.0 + 1 / 100.0)))  // = 75
        #expect(s.fields.map(\.name) == ["count", "es", "em", "ps", "pm", "ns", "nm", "es_acc", "ps_acc", "ns_acc", "score"])
        // the prompt prefix changes nothing for this model (it reads only the previous token)
        let withPrefix = try CounterFactMetrics.evaluate(Self.requests, encode: MarkovStub.encode, prefixIDs: [3], padID: 0, logits: MarkovStub.logits)
        #expect(close(withPrefix.summary.efficacyMagnitude, s.efficacyMagnitude!, 1e-9))
        #expect(CounterFactMetrics.harmonicMean([100, 0, 50]) == 0)
    }

    @Test func zsRETokenAccuracyByHand() throws {
        let req = EditRequest(caseID: 0, prompt: "{} c", subject: "a", targetNew: EditTarget("ab"), targetTrue: EditTarget("<|endoftext|>"),
                              paraphrasePrompts: ["b"], neighborhoodPrompts: [NeighborhoodPrompt("b", target: "b"), NeighborhoodPrompt("c", target: "d")])
        for mode in [ZsRETokenMode.reference, .teacherForcing] {
            let r = try ZsREMetrics.evaluate([req], encode: MarkovStub.encode, decode: { MarkovStub.decode($0) }, mode: mode,
                                             prefixIDs: [], padID: 0, logits: MarkovStub.logits)
            let x = r.records[0]
            // "a c" + " ab": argmax(row 2) = 0 = 'a' right; argmax(row 0) = 0 != 'b'
            #expect(x.rewriteCorrect == [true, false])
            // "b" + " ab": argmax(row 1) = 1 != 'a'; argmax(row 0) = 0 != 'b'
            #expect(x.paraphraseCorrect == [false, false])
            // "b" -> argmax(row 1) = 1 = 'b' right; "c" -> argmax(row 2) = 0 != 'd'
            #expect(x.neighborhoodCorrect == [true, false])
            #expect(r.summary.efficacy == 0.5 && r.summary.paraphrase == 0 && r.summary.specificity == 0.5)
        }
        let noTarget = EditRequest(caseID: 3, prompt: "{}", subject: "a", targetNew: EditTarget("b"), targetTrue: EditTarget("c"),
                                   neighborhoodPrompts: [NeighborhoodPrompt("b")])
        #expect(datasetError { _ = try ZsREMetrics.evaluate([noTarget], encode: MarkovStub.encode, decode: { MarkovStub.decode($0) }, prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
    }

    @Test func perplexityByHand() throws {
        let docs = [[0, 1, 3], [4, 4]]
        let r = try Perplexity.evaluate(documents: docs, prefixIDs: [], padID: 0, logits: MarkovStub.logits)
        let nll = -(log(0.3) + log(0.1) + log(0.3)) / 3
        #expect(r.tokenCount == 3 && r.documentCount == 2)
        #expect(close(r.meanNLL, nll) && close(r.perplexity, exp(nll), 1e-4))
        // with a prefix every token is predicted (row 2 is uniform: 0.2)
        let q = try Perplexity.evaluate(documents: docs, prefixIDs: [2], padID: 0, logits: MarkovStub.logits)
        #expect(q.tokenCount == 5)
        #expect(close(q.meanNLL, -(log(0.2) + log(0.3) + log(0.1) + log(0.2) + log(0.3)) / 5))
        #expect(datasetError { _ = try Perplexity.evaluate(documents: [[1]], prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
        #expect(datasetError { _ = try Perplexity.evaluate(documents: [], prefixIDs: [], padID: 0, logits: MarkovStub.logits) } != nil)
    }

    @Test func klDivergenceByHand() throws {
        let ref = NextTokenReference(prompts: ["x", "y"], prefix: .none, vocabularySize: 2,
                                     logProbs: [log(0.5), log(0.5), log(0.9), log(0.1)].map { Float($0) })
        let r = try ref.divergence(currentLogProbs: [log(0.25), log(0.75), log(0.9), log(0.1)])
        let kl0 = 0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75)
        #expect(close(r.perPrompt[0], kl0, 1e-6))
        #expect(close(r.perPrompt[1], 0, 1e-6))
        #expect(close(r.mean, kl0 / 2, 1e-6) && close(r.max, kl0, 1e-6))
        #expect(datasetError { _ = try ref.divergence(currentLogProbs: [0]) } != nil)
    }

    @Test func wordTokensAndNGramEntropyByHand() throws {
        #expect(GenerationMetrics.words("Don't stop, O'Neil! 3.5 km") == ["Don't", "stop", ",", "O'Neil", "!", "3", ".", "5", "km"])
        #expect(GenerationMetrics.words("  ") == [])
        // words a b a b: bigrams ab ×2, ba ×1; trigrams aba, bab
        let h2 = -(2.0 / 3 * log2(2.0 / 3) + 1.0 / 3 * log2(1.0 / 3))
        let h3 = 1.0
        #expect(close(try GenerationMetrics.ngramEntropy("a b a b"), (2.0 / 3 * h2 + 4.0 / 3 * h3) / 2, 1e-12))
        #expect(try GenerationMetrics.ngramEntropy("word") == 0)  // no bigrams, no trigrams
        let all = try GenerationMetrics.ngramEntropy(texts: ["a b a b", "word"])
        #expect(close(all.mean, (2.0 / 3 * h2 + 4.0 / 3 * h3) / 4, 1e-12))
        #expect(close(try GenerationMetrics.ngramEntropy("a b c", ns: [1], weights: [1]), log2(3), 1e-12))
        #expect(datasetError { _ = try GenerationMetrics.ngramEntropy("a b", ns: [2, 3], weights: [1]) } != nil)
        #expect(datasetError { _ = try GenerationMetrics.ngramEntropy(texts: []) } != nil)
    }

    @Test func tfidfReferenceScoreByHand() throws {
        let v = try TFIDFVectorizer.fit(documents: ["the cat sat", "the dog sat", "a cat ran"])
        // scikit-learn: sorted columns, tokens of 2+ word characters ("a" is dropped)
        #expect(v.vocabulary == ["cat": 0, "dog": 1, "ran": 2, "sat": 3, "the": 4])
        let idf2 = log(4.0 / 3) + 1, idf1 = log(4.0 / 2) + 1
        #expect(close(v.idf[0], idf2, 1e-12) && close(v.idf[1], idf1, 1e-12) && close(v.idf[4], idf2, 1e-12))
        // "cat cat dog" vs "the cat": raw counts × idf, cosine
        let a = [2 * idf2, idf1, 0, 0, 0], b = [idf2, 0, 0, 0, idf2]
        let dot = zip(a, b).map(*).reduce(0, +)
        let want = dot / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
        #expect(close(v.cosine("Cat cat DOG!", "the cat"), want, 1e-12))
        #expect(close(GenerationMetrics.referenceScore(generated: ["Cat cat", "DOG"], snippets: ["the", "cat"], vectorizer: v), want, 1e-12))
        #expect(v.cosine("zebra", "the cat").isNaN)
        #expect(TFIDFVectorizer.tokens("Hello, wörld_2 a b") == ["hello", "wörld_2"])
    }

    @Test func tfidfFilesAndSnippets() throws {
        // a .npy file (version 1, '<f8', shape (3,)) written byte by byte
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for x in [1.5, 2.0, -0.25] { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        #expect(try NumPyArray.readVector(Data(bytes), source: "idf.npy") == [1.5, 2.0, -0.25])
        guard case .unreadable? = datasetError({ _ = try NumPyArray.readVector(Data(bytes.dropLast(3)), source: "idf.npy") }) else { Issue.record("truncated npy"); return }
        guard case .unreadable? = datasetError({ _ = try NumPyArray.readVector(Data(bytes.prefix(12)), source: "idf.npy") }) else { Issue.record("truncated header"); return }
        let npy = FileManager.default.temporaryDirectory.appendingPathComponent("idf-\(ProcessInfo.processInfo.processIdentifier).npy")
        try Data(bytes).write(to: npy)
        let vocab = try tempFile("vocab.json", #"{"cat": 0, "dog": 2, "sat": 1}"#)
        let v = try TFIDFVectorizer.load(vocabularyPath: vocab, idfPath: npy.path)
        #expect(v.vocabulary["dog"] == 2 && v.idf == [1.5, 2.0, -0.25])
        let badVocab = try tempFile("badvocab.json", #"{"cat": 7}"#)
        #expect(datasetError { _ = try TFIDFVectorizer.load(vocabularyPath: badVocab, idfPath: npy.path) } != nil)
        let snips = try AttributeSnippets(data: Data(#"[{"relation_id": "P37", "target_id": "Q1860", "samples": [{"name": "Ann", "text": "Ann speaks English."}, {"name": "Bo", "text": "Bo too."}]}]"#.utf8), source: "s.json")
        #expect(snips.texts(relationID: "P37", targetID: "Q1860") == ["Ann speaks English.", "Bo too."])
        #expect(snips.texts(relationID: "P37", targetID: "Q1").isEmpty)
        #expect(datasetError { _ = try AttributeSnippets(data: Data(#"[{"relation_id": "P37"}]"#.utf8), source: "s.json") } != nil)
    }

    @Test func promptPrefixNames() throws {
        for p in [PromptPrefix.automatic, .none, .bos, .text("Hello there."), .tokens([0, 12])] {
            #expect(try PromptPrefix(name: p.name) == p)
        }
        #expect(datasetError { _ = try PromptPrefix(name: "begin") } != nil)
        let tok = try ByteTokenizer.make()
        #expect(try PromptPrefix.none.ids(for: tok) == [])
        #expect(try PromptPrefix.text("hi").ids(for: tok) == [104, 105])
        #expect(try PromptPrefix.automatic.ids(for: tok) == [])  // no BOS, no <|endoftext|>
        #expect(datasetError { _ = try PromptPrefix.bos.ids(for: tok) } != nil)
        #expect(datasetError { _ = try PromptPrefix.tokens([999]).ids(for: tok) } != nil)
    }
}

/// The batched scorer on a real forward pass (the tiny Llama fixture) against one unpadded
/// row at a time with every logit computed.
@Suite("Edit metrics on the tiny model")
struct TinyModelMetricTests {
    @Test func batchedScoresEqualSingleRowScores() throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-llama"))
        var rng = RandomGenerator(seed: 2)
        var queries = (0..<9).map { i in
            ContinuationQuery(context: (0..<(1 + i % 4)).map { _ in rng.nextInt(below: 320) },
                              continuation: (0..<(1 + i % 3)).map { _ in rng.nextInt(below: 320) })
        }
        // queries sharing a context, some read from another query's row
        queries.append(ContinuationQuery(context: queries[8].context, continuation: [queries[8].continuation[0]]))
        queries.append(ContinuationQuery(context: queries[8].context, continuation: [queries[8].continuation[0], 17, 4, 250]))
        queries.append(ContinuationQuery(context: queries[8].context, continuation: [99]))
        let prefix = [5]
        let batched = try ContinuationScorer.score(queries, prefixIDs: prefix, padID: 0,
                                                   options: ScoringOptions(maxTokensPerBatch: 16, maxLogitColumns: 5),
                                                   logits: ContinuationScorer.modelLogits(m))
        for (q, s) in zip(queries, batched) {
            let row = prefix + q.context + q.continuation
            let logits = try Autograd.noGrad { try m.logits(TokenBatch([row])) }.to(.float64).logSoftmax(dim: -1)
            var want: [Double] = []
            for (j, t) in q.continuation.enumerated() {
                want.append(try logits.value(at: [0, prefix.count + q.context.count - 1 + j, t]))
            }
            for (a, b) in zip(s.tokenLogProbs, want) { #expect(abs(a - b) < 1e-4, "\(q)") }
        }
        // perplexity over documents through the model agrees with the per-token sums
        let docs = [[3, 9, 27, 81, 243], [7, 49, 23]]
        let ppl = try Perplexity.evaluate(documents: docs, prefixIDs: [], padID: 0, logits: ContinuationScorer.modelLogits(m))
        var total = 0.0
        for d in docs {
            let l = try Autograd.noGrad { try m.logits(TokenBatch([d])) }.to(.float64).logSoftmax(dim: -1)
            for j in 1..<d.count { total -= try l.value(at: [0, j - 1, d[j]]) }
        }
        #expect(abs(ppl.meanNLL - total / 6) < 1e-5)
        #expect(ppl.tokenCount == 6)
    }
}
