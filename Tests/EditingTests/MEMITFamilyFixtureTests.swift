import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors
import Testing

@Suite("MEMIT, EMMET, AlphaEdit and ENCORE against the reference outputs")
struct MEMITFamilyFixtureTests {
    typealias Fx = EditorFixtures

    /// Runs the method on the fixture batches and compares every recorded quantity.
    func runAndCompare(_ method: MEMITFamily.Method, batches: [[Int]], dWTolerance: Double = 1e-4) throws {
        let model = try Fx.model()
        let file = method.rawValue
        let requests = try Fx.requests()
        let editor = MEMITFamily(method, hparams: try Fx.hparams(file), covariance: try Fx.covariance())
        for (j, batch) in batches.enumerated() {
            if method == .encore && j == 1 {
                for l in [1, 2] {
                    let want = try Fx.tensor(file, "b1.L\(l).seq_cache_before")
                    let got = try #require(editor.previousKeys[l])
                    #expect(try Fx.relativeError(got, want) < 1e-5, "seq_cache_before L\(l)")
                }
            }
            var beforeCache: [Int: Tensor] = [:]
            if method == .alphaedit { beforeCache = editor.previousKeys }
            let (delta, i) = try editor.edit(model, batch.map { requests[$0] })
            #expect(try Fx.relativeError(i.target.targets.t(), Fx.tensor(file, "b\(j).Z")) < 1e-4, "\(file) b\(j).Z")
            for (r, _) in batch.enumerated() {
                let trace = try Fx.tensor(file, "b\(j).z.r\(r).loss_trace")
                let rows = i.target.traces[r].rows
                #expect(rows.count == trace.shape[0], "\(file) b\(j) r\(r) trace length")
                for (s, row) in rows.enumerated() where s < trace.shape[0] {
                    for c in 0..<5 {
                        let want = try trace.value(at: [s, c])
                        #expect(abs(row[c] - want) <= 2e-4 * max(1, abs(want)), "\(file) b\(j) r\(r) step \(s) col \(c): \(row[c]) vs \(want)")
                    }
                }
            }
            for l in [1, 2] {
                #expect(try Fx.relativeError(#require(i.keys[l]), Fx.tensor(file, "b\(j).L\(l).K")) < 1e-4, "\(file) b\(j) K L\(l)")
                #expect(try Fx.relativeError(#require(i.currentZ[l]), Fx.tensor(file, "b\(j).L\(l).cur_z")) < 1e-4, "\(file) b\(j) cur_z L\(l)")
                #expect(try Fx.relativeError(#require(i.residual[l]), Fx.tensor(file, "b\(j).L\(l).R")) < 1e-3, "\(file) b\(j) R L\(l)")
                #expect(try Fx.relativeError(#require(i.update[l]), Fx.tensor(file, "b\(j).L\(l).dW")) < dWTolerance, "\(file) b\(j) dW L\(l)")
                if method == .alphaedit {
                    #expect(try Fx.relativeError(#require(i.keysAfter[l]), Fx.tensor(file, "b\(j).L\(l).K_after")) < 1e-4)
                    let cb = try Fx.tensor(file, "b\(j).L\(l).cache_c_before")
                    let mine = beforeCache[l] ?? Tensor.zeros([128, 128], dtype: .float64)
                    #expect(try mine.maxAbsDifference(cb) <= 1e-4 * max(1, cb.norm()), "cache before L\(l)")
                    let ca = try Fx.tensor(file, "b\(j).L\(l).cache_c_after")
                    #expect(try Fx.relativeError(#require(editor.previousKeys[l]), ca) < 1e-4, "cache after L\(l)")
                }
            }
            #expect(delta.parameters.map(\.name) == ["blocks.1.mlp.down", "blocks.2.mlp.down"])
        }
        let post = try Fx.tensor(file, "post.W.down", as: .float32)
        for l in 0..<4 {
            #expect(try Fx.relativeError(model.parameter("blocks.\(l).mlp.down"), post.select(0, l)) < 1e-5, "\(file) post W L\(l)")
        }
        if method == .alphaedit {
            for l in [1, 2] {
                let rank = try SafetensorsReader(path: Fx.root + "/alphaedit.safetensors").integers(named: "P_rank.L\(l)")
                #expect(editor.nullSpace[l]?.dimension == rank.first, "null-space dimension L\(l)")
                #expect(try Fx.relativeError(#require(editor.projectors[l]), Fx.tensor(file, "P.L\(l)")) < 1e-4)
            }
        }
    }

    @Test func memit() throws { try runAndCompare(.memit, batches: [[0, 1, 2]]) }
    @Test func emmet() throws { try runAndCompare(.emmet, batches: [[0, 1, 2]]) }
    @Test func alphaedit() throws { try runAndCompare(.alphaedit, batches: [[0, 1], [2, 3]], dWTolerance: 1e-3) }
    @Test func encore() throws { try runAndCompare(.encore, batches: [[0, 1], [2, 3]]) }

    /// The closed forms alone, from the stored K, R, C0 (and caches, projectors).
    @Test func closedFormsFromStoredInputs() throws {
        let model = try Fx.model()
        for method in MEMITFamily.Method.allCases {
            let file = method.rawValue
            let editor = MEMITFamily(method, hparams: try Fx.hparams(file), covariance: try Fx.covariance())
            let batch = method == .alphaedit || method == .encore ? 1 : 0
            var state: [String: Tensor] = [:]
            for l in [1, 2] {
                if method == .encore { state["previous_keys.L\(l)"] = try Fx.tensor(file, "b1.L\(l).seq_cache_before") }
                if method == .alphaedit {
                    state["previous_keys.L\(l)"] = try Fx.tensor(file, "b1.L\(l).cache_c_before")
                    state["projector.L\(l)"] = try Fx.tensor(file, "P.L\(l)")
                }
            }
            try editor.restore(state: state)
            for l in [1, 2] {
                let k = try Fx.tensor(file, "b\(batch).L\(l).K"), r = try Fx.tensor(file, "b\(batch).L\(l).R")
                let dW = try editor.solve(layer: l, keys: k, residual: r, model: model)
                let tol = method == .alphaedit ? 1e-5 : 1e-10
                #expect(try Fx.relativeError(dW, Fx.tensor(file, "b\(batch).L\(l).dW")) < tol, "\(file) closed form L\(l)")
            }
        }
    }
}

@Suite("MEMIT family: closed forms against their defining equations")
struct MEMITFamilyAlgebraTests {
    typealias Fx = EditorFixtures

    func inputs() throws -> (k: Tensor, r: Tensor, c0: Tensor) {
        (try Fx.tensor("memit", "b0.L1.K"), try Fx.tensor("memit", "b0.L1.R"), try Fx.tensor("c0", "C0.L1"))
    }

    @Test func memitZeroesTheGradientOfItsObjective() throws {
        let (k, r, c0) = try inputs()
        let h = try Fx.hparams("memit")
        let dW = try MEMITFamily(.memit, hparams: h, covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        // ∇ of λ tr(Δ C0 Δᵀ) + ‖ΔK − R‖² is 2Δ(λC0 + KKᵀ) − 2RKᵀ
        let grad = try dW.matmul(c0.mul(h.mom2UpdateWeight).add(k.matmul(k.t()))).sub(r.matmul(k.t()))
        #expect(try grad.norm() / r.matmul(k.t()).norm() < 1e-9)
    }

    @Test func emmetWithoutConditioningMeetsItsConstraints() throws {
        let (k, r, _) = try inputs()
        var h = try Fx.hparams("emmet")
        h.emmetLambda = 0
        let dW = try MEMITFamily(.emmet, hparams: h, covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        #expect(try dW.matmul(k).maxAbsDifference(r) / r.norm() < 1e-8)
        // with the conditioning term the constraints are only approximately met
        let dW2 = try MEMITFamily(.emmet, hparams: try Fx.hparams("emmet"), covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        #expect(try dW2.matmul(k).maxAbsDifference(r) / r.norm() > 1e-8)
    }

    /// By the push-through identity, R (KᵀC⁻¹K + μI)⁻¹ KᵀC⁻¹ = R Kᵀ (KKᵀ + μC)⁻¹: EMMET with
    /// C = λC0 and emmet_lambda = μ is MEMIT with λ' = μλ (no ridge, no earlier edits). The
    /// calibration sweep shows the same equality on the default model.
    @Test func emmetWithConditioningIsMEMITWithAScaledLambda() throws {
        let (k, r, _) = try inputs()
        var he = try Fx.hparams("emmet")
        he.emmetLambda = 0.3
        he.mom2UpdateWeight = 2000
        he.updateNormLambda = 0
        var hm = try Fx.hparams("memit")
        hm.mom2UpdateWeight = 0.3 * 2000
        hm.addPrevEdits = false
        let e = try MEMITFamily(.emmet, hparams: he, covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        let m = try MEMITFamily(.memit, hparams: hm, covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        #expect(try e.maxAbsDifference(m) / m.norm() < 1e-8)
        hm.mom2UpdateWeight = 2000
        let other = try MEMITFamily(.memit, hparams: hm, covariance: try Fx.covariance()).solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        #expect(try e.maxAbsDifference(other) / m.norm() > 1e-3, "a different λ gives a different update")
    }

    @Test func alphaEditLeavesThePreservedSubspaceUnchanged() throws {
        let (k, r, c0) = try inputs()
        let editor = MEMITFamily(.alphaedit, hparams: try Fx.hparams("alphaedit"), covariance: try Fx.covariance())
        let dW = try editor.solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        let p = try #require(editor.projectors[1])
        let dim = try #require(editor.nullSpace[1]).dimension
        #expect(dim > 0 && dim < 128, "the preserved subspace is non-trivial")
        // keys in the preserved subspace: (I − P) x for random x
        var g = RandomGenerator(seed: 3)
        let x = Tensor.randn([128, 16], dtype: .float64, generator: &g)
        let preserved = try x.sub(p.matmul(x))
        #expect(try dW.matmul(preserved).norm() / dW.norm() / preserved.norm() < 1e-10)
        #expect(try dW.matmul(p.matmul(x)).norm() > 0)
        _ = c0
    }

    @Test func encoreIsTheMinimiserOfItsObjective() throws {
        let (k, r, c0) = try inputs()
        let h = try Fx.hparams("encore")
        var g = RandomGenerator(seed: 4)
        let prevK = Tensor.randn([128, 3], dtype: .float64, generator: &g)
        let s = try prevK.matmul(prevK.t())
        let editor = MEMITFamily(.encore, hparams: h, covariance: try Fx.covariance())
        try editor.restore(state: ["previous_keys.L1": s])
        let dW = try editor.solve(layer: 1, keys: k, residual: r, model: try Fx.model())
        func objective(_ d: Tensor) throws -> Double {
            let pres = try d.matmul(c0).mul(d).sum() * h.mom2UpdateWeight
            let prev = try d.matmul(s).mul(d).sum()
            let fit = try d.matmul(k).sub(r).norm()
            let n = d.norm()
            return pres + prev + fit * fit + h.updateNormLambda * n * n
        }
        let best = try objective(dW)
        for i in 0..<20 {
            let dir = Tensor.randn(dW.shape, dtype: .float64, generator: &g).mul(1 / Double(8 * 128).squareRoot())
            let eps = 1e-3 * dW.norm() * Double(i % 4 + 1)
            #expect(try objective(dW.add(dir.mul(eps))) >= best)
            #expect(try objective(dW.sub(dir.mul(eps))) >= best)
        }
    }
}
