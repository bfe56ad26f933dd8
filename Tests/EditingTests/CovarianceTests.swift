import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors
import Testing

@Suite("Covariance statistics")
struct CovarianceTests {
    typealias Fx = EditorFixtures

    struct C0Texts: Decodable { let c0_texts: [String] }

    func documents(_ model: LanguageModel) throws -> [[Int]] {
        let texts = try JSONDecoder().decode(C0Texts.self, from: Data(contentsOf: URL(fileURLWithPath: Fx.root + "/fixed_inputs.json"))).c0_texts
        let tok = try model.requireTokenizer()
        return texts.map { tok.encode($0) }
    }

    func temporaryDirectory() -> String {
        let d = NSTemporaryDirectory() + "editlab-c0-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func matchesTheReferenceSecondMomentForEveryLayerInOnePass() throws {
        let model = try Fx.model()
        let stats = CovarianceStatistics(corpusName: "c0_texts", documents: try documents(model), sampleCount: 20,
                                         dtype: .float32, cacheDirectory: nil)
        stats.batchTokens = 64   // several batches with padding
        try stats.prepare(layers: [0, 1, 2, 3], model: model)
        for l in 0..<4 {
            #expect(stats.tokenCounts[l] == 223)
            let got = try stats.c0(layer: l, model: model)
            #expect(try Fx.relativeError(got, Fx.tensor("c0", "C0.L\(l)")) < 1e-5, "C0 layer \(l)")
        }
    }

    /// An editor asks for the statistics of all its layers before it changes a weight, so a
    /// multi-layer edit does not collect a later layer's C0 on a model whose earlier layers it
    /// has already edited (the reference uses statistics of the unedited model throughout).
    @Test func editorsTakeEveryLayersStatisticsFromThePreEditModel() throws {
        let model = try Fx.model()
        let docs = try documents(model)
        var h = try Fx.hparams("memit")
        h.layers = [1, 2]
        let used = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: nil)
        let d = try MEMITFamily(.memit, hparams: h, covariance: used).apply(model, Array(try Fx.requests().prefix(2)))
        #expect(try model.parameter("blocks.1.mlp.down").maxAbsDifference(try #require(d.parameters.first?.before)) > 0, "the edit changed layer 1")
        let underEdit = try used.c0(layer: 2, model: model)
        try d.revert()
        let fresh = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: nil)
        for l in h.layers {
            #expect(try used.c0(layer: l, model: model).maxAbsDifference(fresh.c0(layer: l, model: model)) == 0, "layer \(l)")
        }
        #expect(try underEdit.maxAbsDifference(fresh.c0(layer: 2, model: model)) == 0)
    }

    @Test func cachedByWeightContentAndReused() throws {
        let model = try Fx.model()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = try documents(model)
        let a = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        let first = try a.c0(layer: 2, model: model)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".safetensors") }
        #expect(files.count == 1)
        // a new instance reads the cache: same numbers
        let b = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        #expect(try b.c0(layer: 2, model: model).maxAbsDifference(first) == 0)
        // changing a weight that feeds layer 2's keys changes the key: a second cache entry
        let w = try model.parameter("blocks.1.mlp.up")
        try w.setValue(try w.value(at: [0, 0]) + 0.5, at: [0, 0])
        let c = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        let changed = try c.c0(layer: 2, model: model)
        #expect(try changed.maxAbsDifference(first) > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".safetensors") }.count == 2)
        // a weight after layer 2's keys (its own down projection) does not
        let down = try model.parameter("blocks.2.mlp.down")
        try down.setValue(1, at: [0, 0])
        let d = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        #expect(try d.c0(layer: 2, model: model).maxAbsDifference(changed) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".safetensors") }.count == 2)
    }

    @Test func resumesFromAPartialCheckpoint() throws {
        let model = try Fx.model()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let docs = try documents(model)
        let full = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: nil)
        let expected = try full.c0(layer: 1, model: model)
        // Interrupt a collection after a few checkpointed batches, then resume it.
        let a = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        a.batchTokens = 16
        a.checkpointEvery = 1
        var calls = 0
        a.shouldStop = { calls += 1; return calls > 6 }
        #expect(throws: InterruptedError.self) { try a.prepare(layers: [1], model: model) }
        let partials = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial.") }
        #expect(partials.count == 1)
        let b = CovarianceStatistics(corpusName: "c0_texts", documents: docs, sampleCount: 20, cacheDirectory: dir)
        b.batchTokens = 16
        let resumed = try b.c0(layer: 1, model: model)
        #expect(b.tokenCounts[1] == 223)
        #expect(try resumed.maxAbsDifference(expected) < 1e-6 * expected.norm())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial.") }.isEmpty)
    }

    @Test func importsTheReferenceNPZLayoutAndSafetensors() throws {
        let npz = Fx.root + "/../derived/c0_L1_reference_layout.npz"
        let c0 = try StatisticsImport.npz(path: npz)
        #expect(try Fx.relativeError(c0, Fx.tensor("c0", "C0.L1")) < 1e-6)
        let st = try StatisticsImport.safetensors(path: Fx.root + "/c0.safetensors", name: "C0.L2")
        #expect(try st.maxAbsDifference(Fx.tensor("c0", "C0.L2")) == 0)
        #expect(throws: EditorError.self) { try StatisticsImport.npz(path: Fx.root + "/c0.safetensors") }
        // truncated archives fail cleanly (or, cut after the arrays it needs, still read them exactly)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: npz))
        for cut in stride(from: 0, to: bytes.count, by: max(bytes.count / 50, 1)) {
            let p = NSTemporaryDirectory() + "truncated-\(cut).npz"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: p))
            do {
                let c = try StatisticsImport.npz(path: p)
                #expect(try c.maxAbsDifference(c0) == 0, "cut at \(cut)")
            } catch is EditorError {
            } catch {
                Issue.record("cut at \(cut): unexpected error \(error)")
            }
            try? FileManager.default.removeItem(atPath: p)
        }
    }
}
