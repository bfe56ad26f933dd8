import ArgumentParser
import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors

/// `editlab calibrate`: the hyper-parameter sweep behind the default model's MEMIT-family
/// presets (docs/DEFAULTS.md). Per batch of built-in requests, the targets z are optimised once
/// per target configuration and shared by every closed-form setting that uses them (λ, α, the
/// null-space rule do not change z); each setting is applied, scored with CounterFact's metrics
/// and reverted bit for bit.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Sweep the MEMIT-family hyper-parameters on the default model (the evidence of docs/DEFAULTS.md).",
        discussion: """
        Batches are consecutive slices of the built-in facts starting at --first (the behaviour \
        tests use facts 0-9, so the sweep starts at 10 by default). Prints one row per setting: \
        efficacy, paraphrase and neighbourhood scores averaged over batches, the unedited \
        neighbourhood score, and the largest relative update ‖ΔW_l‖_F / ‖W_l‖_F over the edited layers.
        """
    )

    @Option(help: "Model (path or name).")
    var model = "smollm2"
    @Option(help: "Index of the first built-in fact used.")
    var first = 10
    @Option(help: "Number of batches.")
    var batches = 3
    @Option(help: "Requests per batch.")
    var batchSize = 10
    @Option(help: "Methods to sweep (comma-separated: memit, emmet, alphaedit, encore, layers).")
    var methods = "memit,emmet,alphaedit,encore,layers"

    /// One closed-form setting: a label and the change to the preset.
    struct Setting {
        let method: MEMITFamily.Method
        let label: String
        let change: (inout EditHyperparameters) -> Void
    }

    /// A group of settings sharing one target optimisation.
    struct Group {
        let name: String
        let targetMethod: MEMITFamily.Method
        let targetChange: (inout EditHyperparameters) -> Void
        let settings: [Setting]
    }

    func groups(_ chosen: Set<String>) -> [Group] {
        var out: [Group] = []
        var plain: [Setting] = []
        if chosen.contains("memit") {
            for l in [200.0, 1000, 5000, 20000] {
                plain.append(Setting(method: .memit, label: "λ=\(Int(l))") { $0.mom2UpdateWeight = l })
            }
        }
        if chosen.contains("emmet") {
            for l in [1000.0, 20000] {
                for e in [0.1, 1.0] {
                    plain.append(Setting(method: .emmet, label: "λ=\(Int(l)) emmet_λ=\(e)") {
                        $0.mom2UpdateWeight = l
                        $0.emmetLambda = e
                    })
                }
            }
        }
        if chosen.contains("alphaedit") {
            for e in [0.02, 0.05, 0.1] {
                for l2 in [1.0, 10] {
                    plain.append(Setting(method: .alphaedit, label: "energy=\(e) L2=\(Int(l2))") {
                        $0.nullspaceEnergy = e
                        $0.l2 = l2
                    })
                }
            }
            for l2 in [1.0, 10] {
                plain.append(Setting(method: .alphaedit, label: "threshold=2e-2 L2=\(Int(l2))") {
                    $0.nullspaceEnergy = nil
                    $0.nullspaceThreshold = 2e-2
                    $0.l2 = l2
                })
            }
        }
        if !plain.isEmpty { out.append(Group(name: "z without MPES, layers 4-8", targetMethod: .memit, targetChange: { _ in }, settings: plain)) }
        if chosen.contains("encore") {
            var s: [Setting] = []
            for a in [3.0, 10, 20, 50, 100] {
                s.append(Setting(method: .encore, label: "α=\(Int(a))") { $0.updateNormLambda = a })
            }
            out.append(Group(name: "z with MPES (prob_cutoff -2), layers 4-8", targetMethod: .encore, targetChange: { _ in }, settings: s))
        }
        if chosen.contains("layers") {
            for layers in [[2, 3, 4, 5, 6], [6, 7, 8, 9, 10]] {
                let name = "\(layers[0])-\(layers[layers.count - 1])"
                out.append(Group(name: "z without MPES, layers \(name)", targetMethod: .memit, targetChange: { $0.layers = layers },
                                 settings: [Setting(method: .memit, label: "layers \(name) λ=1000") { $0.layers = layers }]))
            }
        }
        return out
    }

    func run() throws {
        let chosen = Set(methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        let known: Set<String> = ["memit", "emmet", "alphaedit", "encore", "layers"]
        guard chosen.isSubset(of: known), !chosen.isEmpty else {
            throw ValidationError("--methods takes a comma-separated subset of \(known.sorted().joined(separator: ", "))")
        }
        guard batches > 0, batchSize > 0, first >= 0 else { throw ValidationError("--batches and --batch-size must be positive, --first non-negative") }
        let facts = BuiltinFacts.requests
        guard first + batches * batchSize <= facts.count else {
            throw ValidationError("needs \(first + batches * batchSize) built-in facts, there are \(facts.count)")
        }
        let m = try LanguageModel.load(model)
        let base = try HyperparameterPresets.preset(method: "memit", model: "smollm2")
        let stats = try CovarianceStatistics.forModel(m, hparams: base)
        try stats.prepare(layers: Array(2...10), model: m)
        let plan = groups(chosen)
        // per setting label: sums over batches
        var rows: [String: (method: String, es: Double, ps: Double, ns: Double, ns0: Double, rel: Double, n: Int, notes: String)] = [:]
        var order: [String] = []
        for b in 0..<batches {
            let batch = Array(facts[(first + b * batchSize)..<(first + (b + 1) * batchSize)])
            let before = try CounterFactMetrics.evaluate(m, batch).summary
            for g in plan {
                var ht = try HyperparameterPresets.preset(method: g.targetMethod.rawValue, model: "smollm2")
                g.targetChange(&ht)
                let t0 = Date()
                let z = try MEMITFamily(g.targetMethod, hparams: ht, covariance: stats).targets(m, batch)
                FileHandle.standardError.write(Data(String(format: "batch %d, %@: targets in %.1f s\n", b, g.name, Date().timeIntervalSince(t0)).utf8))
                for s in g.settings {
                    var h = try HyperparameterPresets.preset(method: s.method.rawValue, model: "smollm2")
                    s.change(&h)
                    let ed = MEMITFamily(s.method, hparams: h, covariance: stats)
                    let (d, _) = try ed.edit(m, batch, targets: z)
                    let after = try CounterFactMetrics.evaluate(m, batch).summary
                    var rel = 0.0
                    for p in d.parameters { rel = max(rel, p.observed.norm() / p.before.norm()) }
                    // AlphaEdit: the null-space dimension kept and the energy it discards, per layer
                    let dims = d.trace.notes.filter { $0.0.hasPrefix("nullspace_dim") }.map { Int($0.1) }
                    let lost = d.trace.notes.filter { $0.0.hasPrefix("nullspace_discarded_energy") }.map(\.1)
                    let notes = dims.isEmpty ? "" : String(format: "null space %d-%d of %d, discards ≤ %.3f of trace(C0)",
                                                           dims.min() ?? 0, dims.max() ?? 0, m.config.mlpDim, lost.max() ?? 0)
                    try d.revert()
                    let key = "\(s.method.rawValue) \(s.label)"
                    if rows[key] == nil { order.append(key) }
                    var r = rows[key] ?? (s.method.rawValue, 0, 0, 0, 0, 0, 0, notes)
                    r.es += after.efficacyScore ?? .nan
                    r.ps += after.paraphraseScore ?? .nan
                    r.ns += after.neighborhoodScore ?? .nan
                    r.ns0 += before.neighborhoodScore ?? .nan
                    r.rel = max(r.rel, rel)
                    r.n += 1
                    rows[key] = r
                    FileHandle.standardError.write(Data(String(format: "  %@: es %.2f ps %.2f ns %.2f (unedited %.2f) max ‖ΔW‖/‖W‖ %.3f %@\n",
                                                               key, after.efficacyScore ?? .nan, after.paraphraseScore ?? .nan,
                                                               after.neighborhoodScore ?? .nan, before.neighborhoodScore ?? .nan, rel,
                                                               notes as NSString).utf8))
                }
            }
        }
        print("| setting | efficacy | paraphrase | neighbourhood (unedited) | max ‖ΔW_l‖/‖W_l‖ | notes (first batch) |")
        print("|---|---|---|---|---|---|")
        for key in order {
            guard let r = rows[key] else { continue }
            let n = Double(r.n)
            print(String(format: "| %@ | %.2f | %.2f | %.2f (%.2f) | %.3f | %@ |", key as NSString, r.es / n, r.ps / n, r.ns / n, r.ns0 / n, r.rel,
                         r.notes as NSString))
        }
        print("(\(batches) batches of \(batchSize) built-in facts from index \(first); scores averaged over batches, the update ratio is the largest)")
    }
}
