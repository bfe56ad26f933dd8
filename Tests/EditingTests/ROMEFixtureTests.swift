import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors
import Testing

@Suite("ROME against the reference outputs")
struct ROMEFixtureTests {
    @Test func keysTargetTraceAndUpdateMatchTheReference() throws {
        let model = try EditorFixtures.model()
        let request = try EditorFixtures.requests()[0]
        let rome = ROME(hparams: try EditorFixtures.hparams("rome"), covariance: try EditorFixtures.covariance())
        let w0 = try model.parameter("blocks.1.mlp.down").clone()
        let (deltas, internals, _) = try rome.edit(model, request)
        let i = try #require(internals.first)
        let f = "rome"
        #expect(try EditorFixtures.relativeError(i.kStar, EditorFixtures.tensor(f, "b0.kstar")) < 1e-5)
        #expect(try EditorFixtures.relativeError(i.k, EditorFixtures.tensor(f, "b0.k")) < 1e-5)
        #expect(try EditorFixtures.relativeError(i.wk, EditorFixtures.tensor(f, "b0.Wk")) < 1e-5)
        #expect(try EditorFixtures.relativeError(i.u, EditorFixtures.tensor(f, "b0.u")) < 1e-3, "u (float64 solve vs the reference's float32 inverse)")
        #expect(try EditorFixtures.relativeError(i.target.targetInit.select(0, 0), EditorFixtures.tensor(f, "b0.v.r0.target_init")) < 1e-5)
        let trace = try EditorFixtures.tensor(f, "b0.v.r0.loss_trace")
        let rows = i.target.traces[0].rows
        #expect(rows.count == trace.shape[0])
        for (s, row) in rows.enumerated() {
            for c in 0..<5 {
                let want = try trace.value(at: [s, c])
                #expect(abs(row[c] - want) <= 1e-4 * max(1, abs(want)), "loss trace step \(s) column \(c): \(row[c]) vs \(want)")
            }
        }
        #expect(try EditorFixtures.relativeError(i.target.delta.select(0, 0), EditorFixtures.tensor(f, "b0.v.r0.delta")) < 1e-4)
        #expect(try EditorFixtures.relativeError(i.vStar, EditorFixtures.tensor(f, "b0.v_star")) < 1e-5)
        #expect(try EditorFixtures.relativeError(i.rightVector, EditorFixtures.tensor(f, "b0.v.r0.right_vector")) < 1e-3)
        let d = try #require(deltas.first)
        #expect(try EditorFixtures.relativeError(d.update, EditorFixtures.tensor(f, "b0.L1.dW")) < 1e-3)
        #expect(try EditorFixtures.relativeError(model.parameter("blocks.1.mlp.down"),
                                                 EditorFixtures.tensor(f, "post.W.down", as: .float32).select(0, 1)) < 1e-5)
        #expect(try w0.maxAbsDifference(EditorFixtures.tensor(f, "pre.W.down", as: .float32).select(0, 1)) == 0)
    }

    @Test("the target optimisation's work record counts the passes it ran, tokens and attention pairs alike")
    func targetWorkCountsWhatRan() throws {
        #expect(TargetWork.causalPairs([1, 2, 3]) == 1 + 3 + 6)
        #expect(TargetWork.causalPairs([]) == 0)
        let model = try EditorFixtures.model()
        let rome = ROME(hparams: try EditorFixtures.hparams("rome"), covariance: try EditorFixtures.covariance())
        let (_, internals, _) = try rome.edit(model, try EditorFixtures.requests()[0])
        let i = try #require(internals.first)
        let w = i.target.work
        // One request: every prompt stays in every pass; the last pass only evaluates.
        #expect(w.forwardPasses == i.target.traces[0].rows.count)
        #expect(w.backwardPasses == w.forwardPasses - 1)
        #expect(w.upperTokens == w.forwardPasses * w.lowerTokens)
        #expect(w.upperBackwardTokens == w.backwardPasses * w.lowerTokens)
        #expect(w.upperAttentionPairs == w.forwardPasses * w.lowerAttentionPairs)
        #expect(w.upperBackwardAttentionPairs == w.backwardPasses * w.lowerAttentionPairs)
        // Each prompt of n tokens has n(n+1)/2 ≥ n pairs; all of them in one sequence would have more.
        #expect(w.lowerAttentionPairs > w.lowerTokens)
        #expect(w.lowerAttentionPairs < TargetWork.causalPairs([w.lowerTokens]))
    }

    @Test func referenceFloat32InverseReproducesU() throws {
        let model = try EditorFixtures.model()
        var h = try EditorFixtures.hparams("rome")
        h.romeInverseFloat32 = true
        h.vNumGradSteps = 1
        let rome = ROME(hparams: h, covariance: try EditorFixtures.covariance())
        let (_, internals, _) = try rome.edit(model, try EditorFixtures.requests()[0])
        #expect(try EditorFixtures.relativeError(internals[0].u, EditorFixtures.tensor("rome", "b0.u")) < 1e-5)
    }

    @Test func closedFormSatisfiesItsDefiningEquation() throws {
        // After ROME, W′k = v* for the bare prompt's key, and in general W′k* ≠ v*.
        let model = try EditorFixtures.model()
        let rome = ROME(hparams: try EditorFixtures.hparams("rome"), covariance: try EditorFixtures.covariance())
        let (_, internals, _) = try rome.edit(model, try EditorFixtures.requests()[0])
        let i = internals[0]
        let w = try model.parameter("blocks.1.mlp.down").to(.float64)
        let wk = try w.matmul(i.k)
        #expect(try wk.maxAbsDifference(i.vStar) / i.vStar.norm() < 1e-5)
        let wkStar = try w.matmul(i.kStar)
        #expect(try wkStar.maxAbsDifference(i.vStar) / i.vStar.norm() > 1e-3)
    }

    @Test func revertRestoresBitForBitAndBadStatisticsLeaveTheModelUnchanged() throws {
        let model = try EditorFixtures.model()
        let before = try model.parameter("blocks.1.mlp.down").clone()
        let rome = ROME(hparams: try EditorFixtures.hparams("rome"), covariance: try EditorFixtures.covariance())
        let d = try rome.apply(model, [try EditorFixtures.requests()[0]])
        #expect(try model.parameter("blocks.1.mlp.down").maxAbsDifference(before) > 0)
        try d.revert()
        #expect(try model.parameter("blocks.1.mlp.down").maxAbsDifference(before) == 0)

        // A singular C0 (all zeros) is refused and nothing is written.
        let zero = FixedCovariance((0..<4).reduce(into: [:]) { $0[$1] = Tensor.zeros([128, 128], dtype: .float64) })
        let bad = ROME(hparams: try EditorFixtures.hparams("rome"), covariance: zero)
        #expect(throws: EditorError.self) { try bad.apply(model, [try EditorFixtures.requests()[0]]) }
        #expect(try model.parameter("blocks.1.mlp.down").maxAbsDifference(before) == 0)
        // NaN in C0 likewise.
        let nan = FixedCovariance((0..<4).reduce(into: [:]) { $0[$1] = Tensor.full([128, 128], .nan, dtype: .float64) })
        #expect(throws: EditorError.self) { try ROME(hparams: try EditorFixtures.hparams("rome"), covariance: nan).apply(model, [try EditorFixtures.requests()[0]]) }
        #expect(try model.parameter("blocks.1.mlp.down").maxAbsDifference(before) == 0)
    }
}
