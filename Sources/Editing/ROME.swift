import Datasets
import Foundation
import LanguageModels
import Tensors

/// ROME (Meng et al. 2022), EDITING.md §1: one fact at a time, a rank-one update of
/// `blocks.{l}.mlp.down`:
///
///   ΔW = (v* − W k) (C0⁻¹ k*)ᵀ / ((C0⁻¹ k*)ᵀ k)
///
/// with k* the key averaged over the context templates, k the bare prompt's key and v* the
/// optimised MLP output. After the edit W′k = v* exactly (for the bare prompt's key). Several
/// requests are edited one after another.
public final class ROME: Editor {
    public let name = "rome"
    public private(set) var hparams: EditHyperparameters
    /// Source of C0.
    public let covariance: CovarianceProvider
    private var templates: [String]?

    /// A ROME editor.
    public init(hparams: EditHyperparameters, covariance: CovarianceProvider) {
        self.hparams = hparams
        self.covariance = covariance
    }

    /// The context templates in use (sampled once per editor, or the given ones).
    public func contextTemplates(_ model: LanguageModel) throws -> [String] {
        if let t = templates { return t }
        let t = try hparams.contextTemplates.map { $0.flatMap { $0 } }
            ?? ContextTemplates.rome(model, lengthParams: hparams.contextTemplateLengthParams, seed: hparams.templateSeed)
        templates = t
        return t
    }

    public func state() -> [String: Tensor] { [:] }
    public func restore(state: [String: Tensor]) throws {}

    /// Intermediate quantities of one edit (for tests and diagnostics).
    public struct Internals {
        public let kStar: Tensor, u: Tensor, k: Tensor, wk: Tensor, vStar: Tensor, rightVector: Tensor
        public let target: TargetResult
    }

    /// Edits the requests one after another; one Delta for all of them.
    public func apply(_ model: LanguageModel, _ requests: [EditRequest]) throws -> Delta {
        var all: [ParameterDelta] = []
        var traces: [TargetTrace] = []
        var times: [String: Double] = [:]
        var work = TargetWork()
        for r in requests {
            let (deltas, internals, t) = try edit(model, r)
            for p in deltas {
                if let i = all.firstIndex(where: { $0.name == p.name }) {
                    all[i] = ParameterDelta(name: p.name, update: try all[i].update.add(p.update), before: all[i].before, after: p.after)
                } else { all.append(p) }
            }
            traces += internals.map(\.target.traces).flatMap { $0 }
            for i in internals { work.add(i.target.work) }
            for (k, v) in t { times[k, default: 0] += v }
        }
        return Delta(method: name, model: model, parameters: all, trace: EditTrace(targets: traces, notes: [], work: work),
                     timings: ["statistics", "targets", "keys", "solve"].map { ($0, times[$0] ?? 0) })
    }

    /// One request: every layer of `hparams.layers` in turn (the reference loop).
    public func edit(_ model: LanguageModel, _ request: EditRequest) throws -> ([ParameterDelta], [Internals], [String: Double]) {
        try hparams.validate(for: model.config)
        let prompts = try EditPrompts(model: model, prefix: hparams.promptPrefix)
        let templates = try contextTemplates(model)
        var deltas: [ParameterDelta] = []
        var internals: [Internals] = []
        var times: [String: Double] = [:]
        func timed<R>(_ k: String, _ f: () throws -> R) rethrows -> R {
            let t0 = Date()
            defer { times[k, default: 0] += Date().timeIntervalSince(t0) }
            return try f()
        }
        if hparams.mom2Adjustment {
            try timed("statistics") { try covariance.prepare(layers: hparams.layers, model: model) }
        }
        for layer in hparams.layers {
            let reader = KeyReader(model: model, prompts: prompts, factToken: hparams.factToken)
            let kStar = try timed("keys") { try reader.keys([request], groups: [templates], layer: layer).select(0, 0) }
            let u = try timed("solve") { try leftVector(kStar, layer: layer, model: model) }
            let opt = TargetOptimizer(model: model, prompts: prompts, hparams: hparams, layer: layer, site: .mlpOutput)
            let target = try timed("targets") { try opt.optimise([request], templates: templates) }
            let vStar = try target.targets.select(0, 0).to(.float64)
            let bare = KeyReader.Query(template: request.prompt, subject: request.subject, caseID: request.caseID)
            let (k, wk) = try timed("keys") {
                (try reader.read([bare], layer: layer, hook: "mlp.hook_post").select(0, 0).to(.float64),
                 try reader.read([bare], layer: layer, hook: "hook_mlp_out").select(0, 0).to(.float64))
            }
            let denom = try u.mul(k).sum()
            guard denom != 0, denom.isFinite else { throw EditorError.singular("ROME's denominator (C0⁻¹k*)ᵀk = \(denom) at layer \(layer)") }
            let right = try vStar.sub(wk).mul(1 / denom)
            let update = try right.unsqueezed(1).matmul(u.unsqueezed(0))
            let name = "blocks.\(layer).mlp.down"
            deltas += try timed("solve") { try commit(model, updates: [(name, update)], what: "ROME's update") }
            internals.append(Internals(kStar: kStar, u: u, k: k, wk: wk, vStar: vStar, rightVector: right, target: target))
        }
        return (deltas, internals, times)
    }

    /// u = C0⁻¹ k* / ‖C0⁻¹ k*‖ (float64 solve; float32 inverse with `rome_inverse_float32`), or
    /// k*/‖k*‖ without `mom2_adjustment`.
    func leftVector(_ kStar: Tensor, layer: Int, model: LanguageModel) throws -> Tensor {
        var u = kStar.to(.float64)
        if hparams.mom2Adjustment {
            let c0 = try covariance.c0(layer: layer, model: model)
            do {
                if hparams.romeInverseFloat32 {
                    u = try c0.to(.float32).inverse().matmul(kStar.to(.float32)).to(.float64)
                } else {
                    u = try c0.solve(u)
                }
            } catch let e as TensorError {
                throw EditorError.singular("C0 of layer \(layer): \(e)")
            }
        }
        let n = u.norm()
        guard n > 0, n.isFinite else { throw EditorError.nonFinite("ROME's left vector at layer \(layer)") }
        return u.mul(1 / n)
    }
}
