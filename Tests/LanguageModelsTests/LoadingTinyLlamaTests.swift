import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// tiny-llama loaded from its three GGUF files and from safetensors: the same EditLab names,
/// the F32 GGUF equal to safetensors exactly after un-permuting Q/K, the quantised files
/// within quantisation error.
struct LoadingTinyLlamaTests {
    static let expectedNames: [String] = {
        var n = ["embed"]
        for i in 0..<2 {
            n += ["ln1", "attn.q", "attn.k", "attn.v", "attn.o", "ln2", "mlp.gate", "mlp.up", "mlp.down"].map { "blocks.\(i).\($0)" }
        }
        return n + ["ln_final", "unembed"]
    }()

    static let expectedShapes: [String: [Int]] = [
        "embed": [320, 64], "unembed": [320, 64], "ln_final": [64],
        "blocks.1.ln1": [64], "blocks.1.attn.q": [64, 64], "blocks.1.attn.k": [32, 64], "blocks.1.attn.v": [32, 64],
        "blocks.1.attn.o": [64, 64], "blocks.1.ln2": [64], "blocks.1.mlp.gate": [160, 64], "blocks.1.mlp.up": [160, 64],
        "blocks.1.mlp.down": [64, 160],
    ]

    static func hfModel() throws -> LoadedModel {
        try ModelLoader.load(LoaderFixtures.path("tiny-llama"))
    }

    @Test func safetensorsCheckpointLoads() throws {
        let m = try Self.hfModel()
        #expect(m.format == .safetensors)
        #expect(m.names == Self.expectedNames)
        for (n, s) in Self.expectedShapes { #expect(m[n]?.shape == s, "\(n)") }
        #expect(m.config.tiedEmbeddings == false)
        #expect(m["unembed"].map { !$0.sharesStorage(with: m["embed"] ?? $0) } == true)
        #expect(m.weights.values.allSatisfy { $0.dtype == .float32 && $0.isContiguous })
        // q is read unchanged from HF
        let raw = try SafetensorsReader(path: LoaderFixtures.path("tiny-llama/model.safetensors"))
        #expect(try raw.tensor(named: "model.layers.0.self_attn.q_proj.weight").maxAbsDifference(#require(m["blocks.0.attn.q"])) == 0)
        #expect(m.storedTypeBreakdown.map(\.type) == ["F32"])
        #expect(m.parameterCount == 2 * 320 * 64 + 64 + 2 * (64 * 64 * 2 + 32 * 64 * 2 + 3 * 160 * 64 + 128))
    }

    @Test(arguments: ["f32", "q8_0", "q4_1"])
    func ggufLoadsUnderEditLabNames(kind: String) throws {
        let m = try ModelLoader.load(LoaderFixtures.path("tiny-llama/tiny-llama-\(kind).gguf"))
        #expect(m.format == .gguf(version: 3))
        #expect(m.names == Self.expectedNames)
        for (n, s) in Self.expectedShapes { #expect(m[n]?.shape == s, "\(n)") }
        #expect(m.config.family == .llama)
        #expect(m.config.layerCount == 2 && m.config.dModel == 64 && m.config.headCount == 4 && m.config.kvHeadCount == 2)
        #expect(m.config.headDim == 16 && m.config.mlpDim == 160 && m.config.vocabSize == 320 && m.config.contextLength == 128)
        #expect(m.config.ropeTheta == 10000 && !m.config.tiedEmbeddings)
        #expect(m.sourceTensors.count == 21)
        #expect(m.sourceTensors.first { $0.name == "blk.0.attn_q.weight" }?.editLabNames == ["blocks.0.attn.q"])
    }

    @Test func f32GGUFEqualsSafetensorsExactly() throws {
        let hf = try Self.hfModel()
        let gg = try ModelLoader.load(LoaderFixtures.path("tiny-llama/tiny-llama-f32.gguf"))
        for n in Self.expectedNames {
            let a = try #require(hf[n]), b = try #require(gg[n])
            #expect(a.shape == b.shape, "\(n)")
            #expect(try a.maxAbsDifference(b) == 0, "\(n) differs between GGUF F32 and safetensors")
        }
    }

    @Test func ggufStoresQKPermutedAndTheLoaderUndoesIt() throws {
        // The raw GGUF rows are llama.cpp's permutation of the HF rows.
        let hf = try SafetensorsReader(path: LoaderFixtures.path("tiny-llama/model.safetensors"))
        let gg = try GGUFReader(path: LoaderFixtures.path("tiny-llama/tiny-llama-f32.gguf"))
        for (ggName, hfName, heads) in [("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", 4),
                                        ("blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", 2)] {
            let raw = try gg.tensor(named: ggName).floats(), want = try hf.tensor(named: hfName).floats()
            let rows = want.count / 64, hd = rows / heads
            #expect(raw != want)
            for h in 0..<heads { for r in 0..<(hd / 2) { for t in 0..<2 {
                let file = h * hd + 2 * r + t, orig = h * hd + t * hd / 2 + r
                #expect(Array(raw[(file * 64)..<(file * 64 + 64)]) == Array(want[(orig * 64)..<(orig * 64 + 64)]))
            } } }
        }
    }

    /// Quantised weights are within quantisation error of the float32 weights; norms stored
    /// as F32 are exact.
    @Test(arguments: ["q8_0", "q4_1"])
    func quantisedCloseToSafetensors(kind: String) throws {
        let hf = try Self.hfModel()
        let gg = try ModelLoader.load(LoaderFixtures.path("tiny-llama/tiny-llama-\(kind).gguf"))
        let stored = Dictionary(uniqueKeysWithValues: gg.sourceTensors.flatMap { s in s.editLabNames.map { ($0, s.storedType) } })
        for n in Self.expectedNames {
            let a = try #require(hf[n]).floats(), b = try #require(gg[n]).floats()
            let type = stored[n] ?? "?"
            if type == "F32" {
                #expect(a == b, "\(n)")
                continue
            }
            // Per 32-element block of each row: Q8_0 error <= amax/127 (half a step, plus fp16
            // rounding of d); Q4_1 error <= (max - min)/15 (half a step, plus rounding).
            let cols = try #require(hf[n]).shape.last ?? 1
            var worst = 0.0
            for start in stride(from: 0, to: a.count, by: 32) {
                let blk = Array(a[start..<min(start + 32, a.count)])
                let lo = Double(blk.min() ?? 0), hi = Double(blk.max() ?? 0)
                let amax = max(abs(lo), abs(hi))
                let bound = type == "Q8_0" ? amax / 127 : (hi - lo) / 15
                for k in blk.indices {
                    let err = abs(Double(blk[k]) - Double(b[start + k]))
                    worst = max(worst, err / max(bound, 1e-12))
                }
            }
            #expect(worst <= 1.0, "\(kind) \(n) (\(type)): error \(worst) of the bound, cols \(cols)")
            #expect(worst > 0, "\(kind) \(n): quantised weights identical to float32?")
        }
    }

    @Test func shardedCheckpointLoadsLikeSingleFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("editlab-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try SafetensorsReader(path: LoaderFixtures.path("tiny-llama/model.safetensors"))
        var first: [String: Tensor] = [:], second: [String: Tensor] = [:]
        for (k, info) in src.tensorInfos.enumerated() {
            if k % 2 == 0 { first[info.name] = try src.tensor(named: info.name) } else { second[info.name] = try src.tensor(named: info.name) }
        }
        try SafetensorsWriter.write(first, to: dir.appendingPathComponent("model-00001-of-00002.safetensors").path)
        try SafetensorsWriter.write(second, to: dir.appendingPathComponent("model-00002-of-00002.safetensors").path)
        var map: [String] = []
        for n in first.keys.sorted() { map.append("\"\(n)\": \"model-00001-of-00002.safetensors\"") }
        for n in second.keys.sorted() { map.append("\"\(n)\": \"model-00002-of-00002.safetensors\"") }
        try Data("{\"metadata\": {}, \"weight_map\": {\(map.joined(separator: ", "))}}".utf8)
            .write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        try FileManager.default.copyItem(atPath: LoaderFixtures.path("tiny-llama/config.json"), toPath: dir.appendingPathComponent("config.json").path)

        let sharded = try ModelLoader.load(dir.path)
        let single = try Self.hfModel()
        #expect(sharded.files.count == 2)
        #expect(sharded.names == single.names)
        for n in single.names { #expect(try #require(sharded[n]).maxAbsDifference(#require(single[n])) == 0, "\(n)") }
    }

    @Test func brokenCheckpointsAreRefusedWithNames() throws {
        // A config that disagrees with the weights: the error names the file and the tensor.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("editlab-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = try String(contentsOfFile: LoaderFixtures.path("tiny-llama/config.json"), encoding: .utf8)
        try cfg.replacingOccurrences(of: "\"intermediate_size\": 160", with: "\"intermediate_size\": 128")
            .write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: LoaderFixtures.path("tiny-llama/model.safetensors"), toPath: dir.appendingPathComponent("model.safetensors").path)
        do {
            _ = try ModelLoader.load(dir.path)
            Issue.record("loaded a model whose config disagrees with its weights")
        } catch let e as ModelLoadError {
            #expect("\(e)".contains("model.safetensors") && "\(e)".contains("mlp"))
        }
        // Fewer layers in the config than in the file: the extra tensors are named.
        try cfg.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1")
            .write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect {
            _ = try ModelLoader.load(dir.path)
        } throws: { e in
            guard case ModelLoadError.unexpectedTensors(_, let ts, _, _) = e else { return false }
            return ts.contains("model.layers.1.mlp.down_proj.weight")
        }
        // A GGUF file with a tensor removed from the name table: missing tensor is named.
        var b = TestGGUFBuilder()
        let r = try GGUFReader(path: LoaderFixtures.path("tiny-llama/tiny-llama-f32.gguf"))
        b.metadata = r.header.metadata.compactMap { e in
            switch e.value {
            case .string(let s): return (e.key, .string(s))
            case .uint32(let v): return (e.key, .u32(v))
            case .float32(let v): return (e.key, .f32(v))
            default: return nil
            }
        }
        let raw = try LoaderFixtures.bytes("tiny-llama/tiny-llama-f32.gguf")
        b.tensors = r.header.tensors.filter { $0.name != "blk.1.ffn_up.weight" }.map {
            .init(name: $0.name, dims: $0.dims, type: $0.type.rawValue, data: Array(raw[$0.byteRange]))
        }
        #expect(throws: ModelLoadError.missingTensor(file: "cut.gguf", tensor: "blk.1.ffn_up.weight", editLabName: "blocks.1.mlp.up")) {
            _ = try ModelLoader.loadGGUF(GGUFReader(bytes: b.build(), label: "cut.gguf"))
        }
    }
}
