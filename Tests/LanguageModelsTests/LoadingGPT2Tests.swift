import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// tiny-gpt2 from safetensors: [out, in] shapes, Conv1D weights transposed, the fused c_attn
/// split into q, k, v, tied unembedding — checked against the raw bytes of the file.
struct LoadingGPT2Tests {
    static let file = "tiny-gpt2/model.safetensors"

    /// Element [row, col] of the raw F32 tensor `name` in the file, read straight from its bytes.
    static func raw(_ name: String, _ row: Int, _ col: Int) throws -> Float {
        let bytes = try LoaderFixtures.bytes(file)
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any]
        let entry = try #require(header?[name] as? [String: Any])
        let shape = try #require(entry["shape"] as? [Int])
        let begin = try #require((entry["data_offsets"] as? [Int])?.first)
        let cols = shape.count == 2 ? shape[1] : 1
        let at = 8 + n + begin + 4 * (row * cols + col)
        return Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) })
    }

    @Test func loadsInLinearOrientation() throws {
        let m = try ModelLoader.load(LoaderFixtures.path("tiny-gpt2"))
        let c = m.config
        #expect(c.family == .gpt2 && c.layerCount == 2 && c.dModel == 64 && c.headCount == 4 && c.headDim == 16)
        #expect(c.mlpDim == 256 && c.contextLength == 64 && c.vocabSize == 320 && c.tiedEmbeddings)
        #expect(c.eosTokenId == nil)  // 50256 is outside this tiny vocabulary
        var expected = ["embed", "pos_embed"]
        for i in 0..<2 {
            expected += ["ln1", "ln1.bias", "attn.q", "attn.q.bias", "attn.k", "attn.k.bias", "attn.v", "attn.v.bias",
                         "attn.o", "attn.o.bias", "ln2", "ln2.bias", "mlp.up", "mlp.up.bias", "mlp.down", "mlp.down.bias"].map { "blocks.\(i).\($0)" }
        }
        expected += ["ln_final", "ln_final.bias", "unembed"]
        #expect(m.names == expected)
        #expect(m["blocks.0.attn.q"]?.shape == [64, 64])
        #expect(m["blocks.0.attn.o"]?.shape == [64, 64])
        #expect(m["blocks.0.mlp.up"]?.shape == [256, 64])
        #expect(m["blocks.0.mlp.down"]?.shape == [64, 256])
        #expect(m["blocks.1.mlp.up.bias"]?.shape == [256])
        #expect(m["pos_embed"]?.shape == [64, 64])
        let embed = try #require(m["embed"]), unembed = try #require(m["unembed"])
        #expect(unembed.sharesStorage(with: embed))
        #expect(m.parameterCount == 320 * 64 + 64 * 64 + 2 * (4 * 64 + 3 * 64 * 64 + 3 * 64 + 64 * 64 + 64 + 2 * 256 * 64 + 256 + 64) + 128)
        // q, k, v own separate storages (an edit of one cannot leak into another).
        #expect(try !#require(m["blocks.0.attn.q"]).sharesStorage(with: #require(m["blocks.0.attn.k"])))
        // c_attn is fed to three names
        #expect(m.sourceTensors.first { $0.name == "transformer.h.0.attn.c_attn.weight" }?.editLabNames
                == ["blocks.0.attn.q", "blocks.0.attn.k", "blocks.0.attn.v"])
    }

    @Test func conv1DTransposedByHand() throws {
        let m = try ModelLoader.load(LoaderFixtures.path("tiny-gpt2"))
        // c_fc is stored [in 64, out 256]: up[out, in] = raw[in, out]
        #expect(try #require(m["blocks.0.mlp.up"]).value(at: [200, 5]) == Double(Self.raw("transformer.h.0.mlp.c_fc.weight", 5, 200)))
        #expect(try #require(m["blocks.1.mlp.down"]).value(at: [7, 250]) == Double(Self.raw("transformer.h.1.mlp.c_proj.weight", 250, 7)))
        #expect(try #require(m["blocks.1.attn.o"]).value(at: [3, 60]) == Double(Self.raw("transformer.h.1.attn.c_proj.weight", 60, 3)))
        let up = try #require(m["blocks.0.mlp.up"]).floats()
        let raw = try SafetensorsReader(path: LoaderFixtures.path(Self.file)).tensor(named: "transformer.h.0.mlp.c_fc.weight").floats()
        for o in stride(from: 0, to: 256, by: 17) { for i in stride(from: 0, to: 64, by: 5) { #expect(up[o * 64 + i] == raw[i * 256 + o]) } }
    }

    @Test func fusedAttentionSplitIntoQKV() throws {
        let m = try ModelLoader.load(LoaderFixtures.path("tiny-gpt2"))
        let w = "transformer.h.1.attn.c_attn.weight", b = "transformer.h.1.attn.c_attn.bias"
        for (part, name) in ["q", "k", "v"].enumerated() {
            let t = try #require(m["blocks.1.attn.\(name)"])
            #expect(try t.value(at: [9, 33]) == Double(Self.raw(w, 33, part * 64 + 9)), "\(name)")
            #expect(try t.value(at: [63, 0]) == Double(Self.raw(w, 0, part * 64 + 63)), "\(name)")
            #expect(try #require(m["blocks.1.attn.\(name).bias"]).value(at: [11]) == Double(Self.raw(b, part * 64 + 11, 0)), "\(name).bias")
        }
    }

    /// A GPT-2 GGUF written the way llama.cpp converts HF GPT-2 (Conv1D weights transposed to
    /// [out, in], fused attn_qkv, names from the table) loads to the same weights.
    @Test func ggufLayoutLoadsToTheSameWeights() throws {
        let hf = try ModelLoader.load(LoaderFixtures.path("tiny-gpt2"))
        let reader = try SafetensorsReader(path: LoaderFixtures.path(Self.file))
        var b = TestGGUFBuilder()
        b.metadata = [("general.architecture", .string("gpt2")), ("general.name", .string("tiny-gpt2-gguf")),
                      ("gpt2.block_count", .u32(2)), ("gpt2.context_length", .u32(64)), ("gpt2.embedding_length", .u32(64)),
                      ("gpt2.feed_forward_length", .u32(256)), ("gpt2.attention.head_count", .u32(4)),
                      ("gpt2.attention.layer_norm_epsilon", .f32(1e-5))]
        let entries = NameMap.forFamily(.gpt2).instantiated(layers: 2)
        var done = Set<String>()
        for e in entries where e.editLab != "unembed" && done.insert(e.gguf).inserted {
            let t = try reader.tensor(named: e.hf)
            let conv1D: Bool
            switch e.fix {
            case .conv1D, .conv1DFusedQKV: conv1D = t.rank == 2
            default: conv1D = false
            }
            let stored = conv1D ? try t.transposed(0, 1).clone() : t
            b.tensors.append(.init(name: e.gguf, dims: stored.shape.reversed(), type: 0, data: loaderFloatBytes(stored.floats())))
        }
        let gg = try ModelLoader.loadGGUF(GGUFReader(bytes: b.build(), label: "gpt2.gguf"))
        #expect(gg.config.family == .gpt2 && gg.config.tiedEmbeddings && gg.config.mlpDim == 256)
        #expect(gg.names == hf.names)
        for n in hf.names {
            #expect(try #require(gg[n]).maxAbsDifference(#require(hf[n])) == 0, "\(n)")
        }
    }
}
