import Foundation
import Testing
import Tensors
import LanguageModels

/// Paths of the golden fixtures.
enum Fixtures {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()
    static func path(_ rel: String) -> String { root + "/" + rel }

    /// Reads a tensor of an expected-values file.
    static func expected(_ file: String, _ name: String) throws -> Tensor {
        try SafetensorsReader(path: path(file)).tensor(named: name)
    }

    /// The two input rows every tiny fixture uses.
    static func inputIDs(_ file: String) throws -> [[Int]] {
        let flat = try SafetensorsReader(path: path(file)).integers(named: "input_ids")
        let n = flat.count / 2
        return [Array(flat[0..<n]), Array(flat[n...])]
    }
}

@Suite("Forward pass against the golden fixtures (tiny models)")
struct ForwardGoldenTests {
    func checkLogitsAndHidden(model: LanguageModel, expectedFile: String, tolerance: Double = 1e-4) throws {
        let ids = try Fixtures.inputIDs(expectedFile)
        let batch = try TokenBatch(ids)
        let layers = model.config.layerCount
        let names = (0..<layers).map { "blocks.\($0).hook_resid_pre" } + ["ln_final.hook_normalized"]
        let result = try model.runWithCache(batch, names: names)
        let logits = try #require(result.logits)
        let expectedLogits = try Fixtures.expected(expectedFile, "logits")
        #expect(logits.shape == expectedLogits.shape)
        #expect(try logits.maxAbsDifference(expectedLogits) < tolerance, "logits")
        for i in 0...layers {
            let got = try #require(result.cache[names[i]])
            let want = try Fixtures.expected(expectedFile, "hidden_states.\(i)")
            #expect(try got.maxAbsDifference(want) < tolerance, "hidden state \(i)")
        }
    }

    @Test func tinyLlamaFromSafetensors() throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-llama"))
        try checkLogitsAndHidden(model: m, expectedFile: "tiny-llama/expected.safetensors")
    }

    @Test(arguments: ["f32", "q8_0", "q4_1"])
    func tinyLlamaFromGGUF(_ kind: String) throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-llama/tiny-llama-\(kind).gguf"))
        try checkLogitsAndHidden(model: m, expectedFile: "tiny-llama/expected-\(kind).safetensors")
    }

    @Test func tinyGPT2FromSafetensors() throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-gpt2"))
        try checkLogitsAndHidden(model: m, expectedFile: "tiny-gpt2/expected.safetensors")
    }

    @Test func tinyLlamaLossAndGradients() throws {
        let file = "tiny-llama/expected.safetensors"
        let m = try LanguageModel.load(Fixtures.path("tiny-llama"))
        let ids = try Fixtures.inputIDs(file)
        let batch = try TokenBatch(ids)
        // Weights that need gradients become leaves; δ is a zero vector added at
        // blocks.0.hook_mlp_out, row 0, position 3.
        let down = try m.parameter("blocks.1.mlp.down").requiringGrad()
        let embed = try m.parameter("embed").requiringGrad()
        try m.replaceParameter("blocks.1.mlp.down", down)
        try m.replaceParameter("embed", embed)
        let delta = Tensor.zeros([64]).requiringGrad()
        var options = ForwardOptions(logits: .all)
        options.hooks["blocks.0.hook_mlp_out"] = [Hooks.add(delta, at: [(0, 3)])]
        let logits = try #require(try m.forward(batch, options).logits)
        // next-token cross-entropy over positions 0..6 of both rows
        let t = batch.length
        var rows: [Int] = [], targets: [Int] = []
        for r in 0..<2 { for p in 0..<(t - 1) { rows.append(r * t + p); targets.append(ids[r][p + 1]) } }
        let flat = try F.reshape(logits, [2 * t, -1])
        let loss = try F.crossEntropy(F.indexSelect(flat, rows), targets: targets)
        let expectedLoss = try Fixtures.expected(file, "loss").item()
        #expect(abs(try loss.item() - expectedLoss) < 1e-5)
        try F.backward(loss)
        func checkGrad(_ got: Tensor?, _ name: String) throws {
            let g = try #require(got)
            let want = try Fixtures.expected(file, name)
            let scale = max(abs(want.max()), abs(want.min()))
            #expect(try g.maxAbsDifference(want) / scale < 1e-4, "\(name)")
        }
        try checkGrad(down.grad, "grad.blocks.1.mlp.down")
        try checkGrad(embed.grad, "grad.embed")
        try checkGrad(delta.grad, "grad.delta.blocks.0.hook_mlp_out.row0.pos3")
    }

    @Test func paddedAndUnpaddedBatchesAgree() throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-llama"))
        let ids = try Fixtures.inputIDs("tiny-llama/expected.safetensors")
        let short = Array(ids[1].prefix(5))
        let alone = try m.logits(TokenBatch([short]))
        for side in [PaddingSide.right, .left] {
            let both = try m.logits(TokenBatch([ids[0], short], padding: side))
            let offset = side == .left ? 3 : 0
            let rowsOfShort = try both.select(0, 1).narrow(0, start: offset, length: 5)
            #expect(try rowsOfShort.maxAbsDifference(alone.select(0, 0)) < 1e-4, "\(side) padding")
            #expect(try both.select(0, 0).maxAbsDifference(m.logits(TokenBatch([ids[0]])).select(0, 0)) < 1e-4)
        }
        let g = try LanguageModel.load(Fixtures.path("tiny-gpt2"))
        let aloneG = try g.logits(TokenBatch([short]))
        let leftG = try g.logits(TokenBatch([ids[0], short], padding: .left))
        #expect(try leftG.select(0, 1).narrow(0, start: 3, length: 5).maxAbsDifference(aloneG.select(0, 0)) < 1e-4)
    }

    @Test("a packed batch gives every token the logits and activations it has in a padded batch")
    func packedBatchesMatchPaddedOnes() throws {
        let ids = try Fixtures.inputIDs("tiny-llama/expected.safetensors")
        let sequences = [Array(ids[1].prefix(5)), ids[0], Array(ids[0].suffix(2))]
        for name in ["tiny-llama", "tiny-gpt2"] {
            let m = try LanguageModel.load(Fixtures.path(name))
            let packed = try TokenBatch(packing: sequences)
            #expect(packed.batchSize == 1 && packed.length == sequences.map(\.count).reduce(0, +))
            #expect(packed.segmentLengths == sequences.map(\.count))
            let hook = "blocks.1.hook_resid_mid"
            let p = try m.runWithCache(packed, names: [hook])
            let padded = try m.runWithCache(TokenBatch(sequences, padding: .right), names: [hook])
            guard let pl = p.logits, let ql = padded.logits, let ph = p.cache[hook], let qh = padded.cache[hook] else {
                Issue.record("missing logits or cache"); return
            }
            for (k, s) in sequences.enumerated() {
                let start = packed.start(ofSegment: k)
                #expect(try pl.select(0, 0).narrow(0, start: start, length: s.count)
                            .maxAbsDifference(ql.select(0, k).narrow(0, start: 0, length: s.count)) < 1e-4, "\(name) row \(k)")
                #expect(try ph.select(0, 0).narrow(0, start: start, length: s.count)
                            .maxAbsDifference(qh.select(0, k).narrow(0, start: 0, length: s.count)) < 1e-4, "\(name) row \(k)")
            }
            // .last gives each packed sequence's last token.
            guard let lastP = try m.forward(packed, ForwardOptions(logits: .last)).logits,
                  let lastQ = try m.forward(TokenBatch(sequences, padding: .left), ForwardOptions(logits: .last)).logits else {
                Issue.record("missing logits"); return
            }
            #expect(lastP.shape == [sequences.count, m.config.vocabSize])
            #expect(try lastP.maxAbsDifference(lastQ) < 1e-4)
        }
        #expect(throws: ModelError.self) { try TokenBatch(packing: [[1], []]) }
    }

    @Test("output projections fused onto the residual stream match hooked, separately added ones, values and gradients")
    func fusedResidualProjectionsMatchHookedOnes() throws {
        let ids = try Fixtures.inputIDs("tiny-llama/expected.safetensors")
        for name in ["tiny-llama", "tiny-gpt2"] {
            let m = try LanguageModel.load(Fixtures.path(name))
            let layers = m.config.layerCount
            let outs = (0..<layers).flatMap { ["blocks.\($0).hook_attn_out", "blocks.\($0).hook_mlp_out"] }
            let batch = try TokenBatch(ids)
            // Caching every projection output makes each block add it apart; without, fused.
            let apart = try m.runWithCache(batch, names: outs + ["ln_final.hook_normalized"])
            let fused = try m.runWithCache(batch, names: ["ln_final.hook_normalized"])
            let (la, lf) = (try #require(apart.logits), try #require(fused.logits))
            #expect(try la.maxAbsDifference(lf) < 1e-5, "\(name) logits")
            #expect(try #require(apart.cache["ln_final.hook_normalized"])
                        .maxAbsDifference(#require(fused.cache["ln_final.hook_normalized"])) < 1e-5, "\(name) final residual")
            // A hook on one projection's output still sees it and still changes the result.
            var options = ForwardOptions(logits: .all)
            var seen: [Int] = []
            options.hooks["blocks.0.hook_attn_out"] = [{ x, _ in seen = x.shape; return F.scale(x, 0) }]
            let zeroed = try #require(try m.forward(batch, options).logits)
            #expect(seen == [2, batch.length, m.config.dModel])
            #expect(try zeroed.maxAbsDifference(lf) > 1e-3)
            // Gradients to a residual-stream delta through fused blocks equal those through
            // blocks whose projections are hooked (identity hooks).
            func deltaGradient(hookAll: Bool) throws -> Tensor {
                let delta = Tensor.zeros([m.config.dModel]).requiringGrad()
                var o = ForwardOptions(logits: .all)
                o.hooks["blocks.0.hook_resid_pre"] = [Hooks.add(delta, at: [(0, 2)])]
                if hookAll { for n in outs { o.hooks[n] = [{ x, _ in x }] } }
                let logits = try #require(try m.forward(batch, o).logits)
                try F.backward(F.sum(F.mul(logits, logits)))
                return try #require(delta.grad)
            }
            let ga = try deltaGradient(hookAll: true), gf = try deltaGradient(hookAll: false)
            let scale = max(abs(ga.max()), abs(ga.min()), 1e-12)
            #expect(try ga.maxAbsDifference(gf) / scale < 1e-5, "\(name) gradient")
        }
    }

    @Test func badInputGetsClearErrors() throws {
        let m = try LanguageModel.load(Fixtures.path("tiny-llama"))
        #expect(throws: ModelError.tokenOutOfRange(id: 320, vocabularySize: 320)) { try m.logits(TokenBatch([[1, 320]])) }
        #expect(throws: ModelError.self) { try m.logits(TokenBatch([[Int](repeating: 1, count: 129)])) }
        #expect(throws: ModelError.unknownHook("blocks.9.hook_resid_pre")) {
            try m.runWithCache(TokenBatch([[1, 2]]), names: ["blocks.9.hook_resid_pre"])
        }
        var o = ForwardOptions()
        o.hooks["blocks.0.hook_mlp_out"] = [{ _, _ in Tensor.zeros([3]) }]
        #expect(throws: ModelError.self) { try m.forward(TokenBatch([[1, 2]]), o) }
        #expect(throws: ModelError.self) { try m.parameter("blocks.0.mlp.nope") }
        #expect(throws: ModelError.self) { try TokenBatch([]) }
    }
}
