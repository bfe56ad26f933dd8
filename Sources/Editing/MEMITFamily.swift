import Datasets
import Foundation
import LanguageModels
import Tensors

/// The batch editors that spread a layer-L residual over several layers (EDITING.md §2–5):
/// MEMIT, EMMET, AlphaEdit and ENCORE. They share the targets z (optimised at the last edited
/// layer's output, batched with per-request stopping), the keys (template-group means at the
/// subject's last token) and the spread residual R_l = (Z − H_L) / (#layers − i); they differ
/// in the closed form, all solved in float64:
///
/// - MEMIT:     Δ = R Kᵀ (λC0 + [S_prev] + K Kᵀ)⁻¹              (S_prev with add_prev_edits)
/// - EMMET:     Δ = R D⁻¹ Kᵀ C⁻¹,  C = λC0 + μI,  D = Kᵀ C⁻¹ K (+ emmet_lambda·I when n > 1)
/// - AlphaEdit: Δ = [ (P(K Kᵀ + K_p K_pᵀ) + L2·I)⁻¹ P K Rᵀ ]ᵀ,  P the null-space projector of C0
/// - ENCORE:    Δ = R Kᵀ (λC0 + αI + S_prev + K Kᵀ)⁻¹, with MPES in the target optimisation
///
/// Layers are edited in ascending order; each layer's keys and H_L see the earlier layers'
/// updates. If any layer fails, every layer already written in this call is restored.
public final class MEMITFamily: Editor {
    /// Which closed form.
    public enum Method: String, Sendable, CaseIterable {
        case memit, emmet, alphaedit, encore
    }

    public let method: Method
    public var name: String { method.rawValue }
    public private(set) var hparams: EditHyperparameters
    /// Source of C0.
    public let covariance: CovarianceProvider
    private var templates: [[String]]?
    /// Per edited layer: Σ K Kᵀ of earlier batches (MEMIT with add_prev_edits, ENCORE: the
    /// keys used in the solve; AlphaEdit: the keys recomputed after each batch).
    public private(set) var previousKeys: [Int: Tensor] = [:]
    /// AlphaEdit's projector per layer (fixed once computed).
    public private(set) var projectors: [Int: Tensor] = [:]
    /// AlphaEdit's null-space diagnostics per layer: (dimension kept, fraction of trace(C0) discarded).
    public private(set) var nullSpace: [Int: (dimension: Int, discardedEnergy: Double)] = [:]

    /// An editor of the given method.
    public init(_ method: Method, hparams: EditHyperparameters, covariance: CovarianceProvider) {
        self.method = method
        self.hparams = hparams
        self.covariance = covariance
    }

    /// The context template groups in use (sampled once per editor, or the given ones).
    public func contextTemplates(_ model: LanguageModel) throws -> [[String]] {
        if let t = templates { return t }
        let t = try hparams.contextTemplates ?? ContextTemplates.memit(model, seed: hparams.templateSeed)
        templates = t
        return t
    }

    // MARK: State

    public func state() -> [String: Tensor] {
        var s: [String: Tensor] = [:]
        for (l, k) in previousKeys { s["previous_keys.L\(l)"] = k }
        for (l, p) in projectors { s["projector.L\(l)"] = p }
        return s
    }

    public func restore(state: [String: Tensor]) throws {
        var keys: [Int: Tensor] = [:], proj: [Int: Tensor] = [:]
        for (name, t) in state {
            if name.hasPrefix("previous_keys.L"), let l = Int(name.dropFirst("previous_keys.L".count)) { keys[l] = t.to(.float64) }
            else if name.hasPrefix("projector.L"), let l = Int(name.dropFirst("projector.L".count)) { proj[l] = t.to(.float64) }
            else { throw EditorError.state("unknown entry '\(name)' for \(self.name)") }
        }
        previousKeys = keys
        projectors = proj
    }

    // MARK: Editing

    /// Intermediate quantities of one batch (for tests and diagnostics).
    public struct Internals {
        public var target: TargetResult
        /// Per layer: keys K `[d_mlp, n]`, current H_L `[d_model, n]`, spread residual R `[d_model, n]`, update Δ.
        public var keys: [Int: Tensor] = [:], currentZ: [Int: Tensor] = [:], residual: [Int: Tensor] = [:], update: [Int: Tensor] = [:]
        /// AlphaEdit: keys recomputed after the batch, per layer.
        public var keysAfter: [Int: Tensor] = [:]
    }

    public func apply(_ model: LanguageModel, _ requests: [EditRequest]) throws -> Delta {
        try edit(model, requests).0
    }

    /// The targets z of `requests` (the first stage of `edit`): optimised at the last edited
    /// layer's output on the model as it is now, with this editor's target hyper-parameters
    /// (ENCORE's MPES included).
    public func targets(_ model: LanguageModel, _ requests: [EditRequest]) throws -> TargetResult {
        guard !requests.isEmpty else { throw EditorError.badRequest(caseID: -1, detail: "no requests") }
        try hparams.validate(for: model.config)
        let prompts = try EditPrompts(model: model, prefix: hparams.promptPrefix)
        let groups = try contextTemplates(model)
        var h = hparams
        if method != .encore && method != .memit { h.addPrevEdits = false }
        let optimiser = TargetOptimizer(model: model, prompts: prompts, hparams: h, layer: hparams.layers[hparams.layers.count - 1],
                                        site: .layerOutput)
        return try optimiser.optimise(requests, templates: groups.flatMap { $0 })
    }

    /// Edits one batch; returns the Delta and the intermediates.
    ///
    /// `targets`: z computed earlier by `targets(_:_:)` for the same requests on the same
    /// weights, with the same target hyper-parameters (v_*, kl_factor, clamp, layers,
    /// prob_cutoff). Sweeps over the closed form's hyper-parameters (λ, α, the null-space rule)
    /// reuse one optimisation this way: the rest of the edit is unchanged. The request count must
    /// match; anything else is the caller's responsibility.
    public func edit(_ model: LanguageModel, _ requests: [EditRequest], targets given: TargetResult? = nil) throws -> (Delta, Internals) {
        guard !requests.isEmpty else { throw EditorError.badRequest(caseID: -1, detail: "no requests") }
        try hparams.validate(for: model.config)
        if let given, given.targets.shape.first != requests.count {
            throw EditorError.badRequest(caseID: -1, detail: "\(given.targets.shape.first ?? 0) precomputed targets for \(requests.count) requests")
        }
        let prompts = try EditPrompts(model: model, prefix: hparams.promptPrefix)
        let groups = try contextTemplates(model)
        var times: [String: Double] = [:]
        func timed<R>(_ k: String, _ f: () throws -> R) rethrows -> R {
            let t0 = Date()
            defer { times[k, default: 0] += Date().timeIntervalSince(t0) }
            return try f()
        }
        let zLayer = hparams.layers[hparams.layers.count - 1]
        try timed("statistics") { try covariance.prepare(layers: hparams.layers, model: model) }
        let target = try given ?? timed("targets") { try targets(model, requests) }
        var internals = Internals(target: target)
        let z = try target.targets.to(.float64).t()                      // [d, n]
        let reader = KeyReader(model: model, prompts: prompts, factToken: hparams.factToken)
        let bare = requests.map { KeyReader.Query(template: $0.prompt, subject: $0.subject, caseID: $0.caseID) }
        var written: [ParameterDelta] = []
        var pendingKeys: [Int: Tensor] = [:]
        do {
            for (i, layer) in hparams.layers.enumerated() {
                try Cancellation.check()
                let k = try timed("keys") { try reader.keys(requests, groups: groups, layer: layer).t().contiguous() }   // [d_mlp, n]
                let cur = try timed("keys") { try reader.read(bare, layer: zLayer, hook: "hook_resid_post").to(.float64).t().contiguous() }
                let r = try z.sub(cur).mul(1 / Double(hparams.layers.count - i))
                let update = try timed("solve") { try solve(layer: layer, keys: k, residual: r, model: model) }
                internals.keys[layer] = k
                internals.currentZ[layer] = cur
                internals.residual[layer] = r
                internals.update[layer] = update
                written += try commit(model, updates: [("blocks.\(layer).mlp.down", update)], what: "\(name)'s update at layer \(layer)")
                if method == .encore || (method == .memit && hparams.addPrevEdits) {
                    pendingKeys[layer] = try k.matmul(k.t())
                }
            }
            if method == .alphaedit {
                for layer in hparams.layers {
                    let kAfter = try timed("keys") { try reader.keys(requests, groups: groups, layer: layer).t().contiguous() }
                    internals.keysAfter[layer] = kAfter
                    pendingKeys[layer] = try kAfter.matmul(kAfter.t())
                }
            }
        } catch {
            for p in written.reversed() { _ = try? model.parameter(p.name).copy(from: p.before) }
            throw error
        }
        for (layer, kk) in pendingKeys {
            previousKeys[layer] = try previousKeys[layer].map { try $0.add(kk) } ?? kk
        }
        var notes: [(String, Double)] = []
        for layer in hparams.layers {
            if let ns = nullSpace[layer] {
                notes.append(("nullspace_dim.L\(layer)", Double(ns.dimension)))
                notes.append(("nullspace_discarded_energy.L\(layer)", ns.discardedEnergy))
            }
        }
        let delta = Delta(method: name, model: model, parameters: written, trace: EditTrace(targets: target.traces, notes: notes, work: given == nil ? target.work : TargetWork()),
                          timings: ["statistics", "targets", "keys", "solve"].map { ($0, times[$0] ?? 0) })
        return (delta, internals)
    }

    /// The closed form of the method for one layer: Δ `[d_model, d_mlp]` (float64) from keys
    /// `[d_mlp, n]` and the spread residual `[d_model, n]`, with this editor's accumulated state.
    public func solve(layer: Int, keys k: Tensor, residual r: Tensor, model: LanguageModel) throws -> Tensor {
        let d = k.shape[0]
        let c0 = try covariance.c0(layer: layer, model: model)
        let prev = previousKeys[layer]
        do {
            switch method {
            case .memit, .encore:
                var a = try c0.mul(hparams.mom2UpdateWeight).add(k.matmul(k.t()))
                if method == .encore { a = try a.add(Tensor.eye(d, dtype: .float64).mul(hparams.updateNormLambda)) }
                if let prev, method == .encore || hparams.addPrevEdits { a = try a.add(prev) }
                let adj = try a.solve(k)                                  // [d_mlp, n]
                return try r.matmul(adj.t())
            case .emmet:
                let c = try c0.mul(hparams.mom2UpdateWeight).add(Tensor.eye(d, dtype: .float64).mul(hparams.updateNormLambda))
                let cInvK = try c.solve(k)                                // C⁻¹K [d_mlp, n]
                var dm = try k.t().matmul(cInvK)                          // Kᵀ C⁻¹ K
                let n = k.shape[1]
                if n > 1 { dm = try dm.add(Tensor.eye(n, dtype: .float64).mul(hparams.emmetLambda)) }
                let rdInv: Tensor
                do { rdInv = try dm.t().solve(r.t()).t() }                // R D⁻¹
                catch { rdInv = try r.matmul(dm.pseudoInverse()) }
                return try rdInv.matmul(cInvK.t())                        // R D⁻¹ Kᵀ C⁻¹ (C symmetric)
            case .alphaedit:
                let p = try projector(layer: layer, c0: c0)
                var kk = try k.matmul(k.t())
                if let prev { kk = try kk.add(prev) }
                let lhs = try p.matmul(kk).add(Tensor.eye(d, dtype: .float64).mul(hparams.l2))
                let rhs = try p.matmul(k).matmul(r.t())                   // P K Rᵀ [d_mlp, d_model]
                return try lhs.solve(rhs).t()
            }
        } catch let e as TensorError {
            switch e {
            case .nonFinite: throw EditorError.nonFinite("\(name)'s system at layer \(layer)")
            default: throw EditorError.singular("\(name)'s system at layer \(layer): \(e)")
            }
        }
    }

    /// AlphaEdit's projector onto the span of C0's eigenvectors with small eigenvalues: the
    /// absolute threshold (reference: eigenvalue < nullspace_threshold) or, with
    /// `nullspace_energy`, the smallest directions whose eigenvalues sum to at most that
    /// fraction of trace(C0). Computed once per layer and kept.
    func projector(layer: Int, c0: Tensor) throws -> Tensor {
        if let p = projectors[layer] { return p }
        let (values, vectors) = try c0.symmetricEigen()                   // ascending
        let ev = values.doubles().map { max($0, 0) }
        let trace = ev.reduce(0, +)
        var keep: [Int] = []
        if let frac = hparams.nullspaceEnergy {
            var acc = 0.0
            for (i, v) in ev.enumerated() {
                if acc + v > frac * trace { break }
                acc += v
                keep.append(i)
            }
        } else {
            keep = ev.indices.filter { ev[$0] < hparams.nullspaceThreshold }
        }
        let d = c0.shape[0]
        let u = try F.indexSelect(vectors.t().contiguous(), keep)         // [kept, d]
        let p = keep.isEmpty ? Tensor.zeros([d, d], dtype: .float64) : try u.t().matmul(u)
        projectors[layer] = p
        nullSpace[layer] = (keep.count, trace > 0 ? keep.map { ev[$0] }.reduce(0, +) / trace : 0)
        return p
    }
}
