import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// The real default model (SmolLM2-135M-Instruct, Q4_1 GGUF, installed by scripts/setup) and
/// the model resolver.
struct LoadingDefaultModelTests {
    @Test func resolverNamesAndPaths() throws {
        let env = ["HOME": "/home/someone"]
        #expect(ModelResolver.modelsDirectory(environment: env) == "/home/someone/.cache/editlab/models")
        #expect(ModelResolver.modelsDirectory(environment: ["EDITLAB_HOME": "/data/el", "HOME": "/h"]) == "/data/el/models")
        #expect(ModelResolver.isDefaultModelName("smollm2") && ModelResolver.isDefaultModelName("SmolLM2-135M-Instruct"))
        #expect(!ModelResolver.isDefaultModelName("gpt2"))
        let path = ModelResolver.defaultModelPath()
        #expect(try ModelResolver.resolve("smollm2") == .gguf(path: path))
        #expect(try ModelResolver.resolve("SmolLM2-135M-Instruct") == .gguf(path: path))
        #expect(try ModelResolver.resolve(nil) == .gguf(path: path))
        let dir = LoaderFixtures.path("tiny-llama")
        #expect(try ModelResolver.resolve(dir) == .safetensors(config: dir + "/config.json", weights: dir + "/model.safetensors"))
        #expect(try ModelResolver.resolve(dir + "/model.safetensors") == .safetensors(config: dir + "/config.json", weights: dir + "/model.safetensors"))
        #expect(try ModelResolver.resolve(dir + "/tiny-llama-q8_0.gguf") == .gguf(path: dir + "/tiny-llama-q8_0.gguf"))
        #expect(throws: ModelLoadError.notFound(path: "no-such-model")) { try ModelResolver.resolve("no-such-model") }
    }

    @Test func missingDefaultModelSaysRunSetup() throws {
        let env = ["EDITLAB_HOME": "/nonexistent/editlab-home"]
        #expect {
            try ModelResolver.resolve("smollm2", environment: env)
        } throws: { e in
            guard case ModelLoadError.defaultModelMissing = e else { return false }
            return "\(e)".contains("scripts/setup") && "\(e)".contains("/nonexistent/editlab-home/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        }
    }

    /// One test loads the real model once and checks everything about it (keeps the suite fast).
    @Test func defaultModelLoads() throws {
        let m = try ModelLoader.load("smollm2")
        let c = m.config
        #expect(m.format == .gguf(version: 3))
        #expect(c.family == .llama)
        #expect(c.layerCount == 30 && c.dModel == 576 && c.headCount == 9 && c.kvHeadCount == 3 && c.headDim == 64)
        #expect(c.mlpDim == 1536 && c.vocabSize == 49152 && c.contextLength == 8192)
        #expect(c.ropeTheta == 100_000 && c.tiedEmbeddings)
        #expect(c.bosTokenId == 1 && c.eosTokenId == 2)
        #expect(m.parameterCount == 134_515_008)
        #expect(m.names.count == 1 + 30 * 9 + 2)
        #expect(m.names.first == "embed" && m.names.last == "unembed")
        let embed = try #require(m["embed"]), unembed = try #require(m["unembed"])
        #expect(embed.shape == [49152, 576] && unembed.sharesStorage(with: embed))
        #expect(m["blocks.29.mlp.down"]?.shape == [576, 1536])
        #expect(m["blocks.0.attn.k"]?.shape == [192, 576])
        let types = m.storedTypeBreakdown
        #expect(types.map(\.type) == ["F32", "Q4_1", "Q8_0"])
        #expect(types.map(\.tensors) == [61, 210, 1])
        #expect(m.weights.values.allSatisfy { $0.dtype == .float32 })
        // Sanity of the values: finite, RMSNorm gains around 1, embeddings small.
        for n in ["embed", "blocks.0.attn.q", "blocks.15.mlp.down", "ln_final"] {
            let v = try #require(m[n]).floats()
            #expect(v.allSatisfy { $0.isFinite }, "\(n)")
        }
        let gains = try #require(m["blocks.3.ln1"]).floats()
        #expect(gains.reduce(0, +) / Float(gains.count) > 0.1)

        // The tokenizer from the GGUF metadata against the golden ids.
        let tok = try #require(m.tokenizer, "tokenizer missing: \(m.tokenizerIssue ?? "")")
        #expect(tok.vocabularySize == 49152)
        #expect(tok.encode("a  1") == [81, 256, 33])
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: LoaderFixtures.path("smollm2/golden.json")))) as? [String: Any]
        let cases = try #require(golden?["tokenize"] as? [[String: Any]])
        #expect(cases.count >= 10)
        for c in cases {
            let text = try #require(c["text"] as? String), ids = try #require(c["ids"] as? [Int])
            #expect(tok.encode(text) == ids, "\(text.debugDescription)")
        }
    }

    @Test func modelLoadsWithoutATokenizer() throws {
        // A GGUF whose tokenizer metadata is unusable still loads; the reason is kept.
        let r = try GGUFReader(path: LoaderFixtures.path("tiny-llama/tiny-llama-f32.gguf"))
        let raw = try LoaderFixtures.bytes("tiny-llama/tiny-llama-f32.gguf")
        var b = TestGGUFBuilder()
        b.metadata = r.header.metadata.compactMap { e in
            switch e.value {
            case .string(let s): return e.key == "tokenizer.ggml.model" ? (e.key, .string("bert")) : (e.key, .string(s))
            case .uint32(let v): return (e.key, .u32(v))
            case .float32(let v): return (e.key, .f32(v))
            default: return nil
            }
        }
        b.tensors = r.header.tensors.map { .init(name: $0.name, dims: $0.dims, type: $0.type.rawValue, data: Array(raw[$0.byteRange])) }
        let m = try ModelLoader.loadGGUF(GGUFReader(bytes: b.build(), label: "notok.gguf"))
        #expect(m.tokenizer == nil)
        #expect(m.tokenizerIssue != nil)
        #expect(m.names.count == 21)
    }
}
