import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors
import Testing

/// The real default model, loaded once for the editing tests (which run serially and put the
/// weights back after every test).
enum SharedSmolLM2 {
    nonisolated(unsafe) private static var model: LanguageModel?
    private static let lock = NSLock()
    static func get() throws -> LanguageModel {
        lock.lock()
        defer { lock.unlock() }
        if let model { return model }
        let m = try LanguageModel.load("smollm2")
        model = m
        return m
    }
}

@Suite("Editing the default model", .serialized)
struct SmolLM2EditingTests {
    @Test func romeEditsTenBuiltInFactsOneAtATimeAndRevertsBitForBit() throws {
        let model = try SharedSmolLM2.get()
        let h = try HyperparameterPresets.preset(method: "rome", model: "smollm2")
        let stats = try CovarianceStatistics.forModel(model, hparams: h)
        let rome = ROME(hparams: h, covariance: stats)
        let requests = Array(BuiltinFacts.requests.prefix(10))
        #expect(requests.count == 10)
        let name = "blocks.\(h.layers[0]).mlp.down"
        let original = try model.parameter(name).clone()
        for r in requests {
            let before = try CounterFactMetrics.evaluate(model, [r]).records[0]
            #expect(before.rewriteSuccess == 0, "\(r.subject): the unedited model prefers the true object")
            let d = try rome.apply(model, [r])
            let after = try CounterFactMetrics.evaluate(model, [r]).records[0]
            #expect(after.rewriteSuccess == 1, "\(r.subject) → \(r.targetNew.str): efficacy after the edit")
            #expect(d.norm() > 0)
            try d.revert()
            #expect(try model.parameter(name).maxAbsDifference(original) == 0, "revert is exact")
        }
    }
}
