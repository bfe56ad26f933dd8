import Datasets
import Foundation
import LanguageModels

/// Hyper-parameters of the locate-and-edit editors (ROME, MEMIT, EMMET, AlphaEdit, ENCORE),
/// under the reference implementations' field names (`v_lr`, `mom2_update_weight`, ...), so
/// published `hparams/*.json` and EasyEdit YAML files load as they are. Fields a method does
/// not use are ignored by it. EditLab's own additions: `prompt_prefix`, `template_seed`,
/// `context_templates`, `nullspace_energy`, `early_stop_loss`, `kl_prompt`,
/// `rome_inverse_float32`.
public struct EditHyperparameters: Sendable, Equatable {
    /// Edited layers (0-based); the last one is where MEMIT-family targets are computed.
    public var layers: [Int] = [5]
    /// Token whose key/value is edited: `subject_last` (reference default), `subject_first`, `last`.
    public var factToken: String = "subject_last"
    /// Steps of the target (v*/z) optimisation, the last of which only evaluates.
    public var vNumGradSteps: Int = 20
    /// Adam learning rate of the target optimisation.
    public var vLR: Double = 0.5
    /// Layer whose output feeds the NLL (through the final norm and unembedding); the model's
    /// last layer unless set.
    public var vLossLayer: Int? = nil
    /// Weight of ‖δ‖ / ‖target_init‖² in the target loss.
    public var vWeightDecay: Double = 0.5
    /// δ is kept inside the L2 ball of radius clamp_norm_factor · ‖target_init‖.
    public var clampNormFactor: Double = 4
    /// Weight of the KL term on the "{} is a" prompt.
    public var klFactor: Double = 0.0625
    /// Whether to whiten by C0 (ROME's `mom2_adjustment`).
    public var mom2Adjustment: Bool = true
    /// λ: weight of the preservation term λ C0 (MEMIT, EMMET, ENCORE).
    public var mom2UpdateWeight: Double = 15000
    /// Corpus of the C0 statistics (`wordnet` for WordNet glosses; the reference's
    /// `wikipedia` is not available offline).
    public var mom2Dataset: String = "wordnet"
    /// Number of corpus documents for C0.
    public var mom2NSamples: Int = 100_000
    /// Storage dtype of C0 (`float32` in the reference; accumulation is always float64).
    public var mom2Dtype: String = "float32"
    /// ROME's sampled context templates: [[length, count], ...].
    public var contextTemplateLengthParams: [[Int]] = [[5, 10], [10, 10]]
    /// α: Frobenius-norm penalty of the update (EMMET's μ, ENCORE's α).
    public var updateNormLambda: Double = 0
    /// EMMET's conditioning term added to D for batches of more than one edit.
    public var emmetLambda: Double = 0.1
    /// MPES: < 0 stops after |prob_cutoff| consecutive checks with every target token top-1;
    /// > 0 stops when the mean target probability exceeds it; 0 disables MPES.
    public var probCutoff: Double = 0
    /// Whether earlier batches' keys are preserved (Σ K_prev K_prevᵀ in the solve).
    public var addPrevEdits: Bool = false
    /// AlphaEdit's absolute null-space threshold on the eigenvalues of C0.
    public var nullspaceThreshold: Double = 2e-2
    /// EditLab's energy-fraction null-space rule: keep the smallest-eigenvalue directions
    /// carrying at most this fraction of trace(C0) (nil: use the absolute threshold).
    public var nullspaceEnergy: Double? = nil
    /// AlphaEdit's ridge term.
    public var l2: Double = 10
    /// Prefix put in front of every prompt, identically when editing and when evaluating.
    public var promptPrefix: PromptPrefix = .automatic
    /// Seed of the context-template sampler.
    public var templateSeed: UInt64 = 0
    /// Fixed context templates (ROME: a flat list; MEMIT family: groups), instead of sampled ones.
    public var contextTemplates: [[String]]? = nil
    /// The target optimisation stops when the total loss is below this (reference: 5e-2).
    public var earlyStopLoss: Double = 5e-2
    /// The KL prompt (reference: "{} is a").
    public var klPrompt: String = "{} is a"
    /// Quirk: invert C0 in float32 for ROME's u = C0⁻¹k*, as the reference does (default:
    /// a float64 solve).
    public var romeInverseFloat32: Bool = false

    /// Defaults (every field as documented above).
    public init() {}

    /// Reference keys accepted and ignored: module templates and bookkeeping fields.
    static let ignoredKeys: Set<String> = [
        "rewrite_module_tmp", "layer_module_tmp", "mlp_module_tmp", "attn_module_tmp", "ln_f_module",
        "lm_head_module", "model_name", "layer_selection", "calculate_objective_value", "norm_control",
        "dynamic_multiplier", "random_vector_preservation", "grad_desc_lr", "grad_desc_steps", "gd_lambda",
        "spectral_norm", "condition_num", "calculate_norms", "alg_name", "device", "model_parallel",
        "stats_dir", "sequential", "batch_size", "max_length",
    ]

    /// Applies `key = value` (reference field names), with type and range checks.
    public mutating func set(_ key: String, _ value: HyperValue, method: String) throws {
        func number() throws -> Double {
            guard let d = value.doubleValue, d.isFinite else { throw EditorError.invalidHyperparameter(key, detail: "expected a number, got \(value)") }
            return d
        }
        func nonNegative() throws -> Double {
            let d = try number()
            guard d >= 0 else { throw EditorError.invalidHyperparameter(key, detail: "must be non-negative, got \(d)") }
            return d
        }
        func integer() throws -> Int {
            guard let i = value.intValue else { throw EditorError.invalidHyperparameter(key, detail: "expected an integer, got \(value)") }
            return i
        }
        func bool() throws -> Bool {
            guard case .bool(let b) = value else { throw EditorError.invalidHyperparameter(key, detail: "expected true or false, got \(value)") }
            return b
        }
        func string() throws -> String {
            guard case .string(let s) = value else { throw EditorError.invalidHyperparameter(key, detail: "expected a string, got \(value)") }
            return s
        }
        func ints() throws -> [Int] {
            if let i = value.intValue { return [i] }
            guard case .array(let a) = value else { throw EditorError.invalidHyperparameter(key, detail: "expected a list of integers, got \(value)") }
            return try a.map {
                guard let i = $0.intValue else { throw EditorError.invalidHyperparameter(key, detail: "expected integers, got \($0)") }
                return i
            }
        }
        switch key {
        case "layers":
            let l = try ints()
            guard !l.isEmpty, l.allSatisfy({ $0 >= 0 }) else { throw EditorError.invalidHyperparameter(key, detail: "needs at least one non-negative layer") }
            guard l == l.sorted(), Set(l).count == l.count else { throw EditorError.invalidHyperparameter(key, detail: "layers must be increasing, got \(l)") }
            layers = l
        case "fact_token":
            let s = try string()
            guard ["subject_last", "subject_first", "last"].contains(s) else {
                throw EditorError.invalidHyperparameter(key, detail: "'\(s)' (supported: subject_last, subject_first, last)")
            }
            factToken = s
        case "v_num_grad_steps":
            let i = try integer()
            guard i >= 1 else { throw EditorError.invalidHyperparameter(key, detail: "must be at least 1") }
            vNumGradSteps = i
        case "v_lr": vLR = try nonNegative()
        case "v_loss_layer": vLossLayer = try integer()
        case "v_weight_decay": vWeightDecay = try nonNegative()
        case "clamp_norm_factor": clampNormFactor = try nonNegative()
        case "kl_factor": klFactor = try nonNegative()
        case "mom2_adjustment": mom2Adjustment = try bool()
        case "mom2_update_weight": mom2UpdateWeight = try nonNegative()
        case "mom2_dataset": mom2Dataset = try string()
        case "mom2_n_samples":
            let i = try integer()
            guard i >= 1 else { throw EditorError.invalidHyperparameter(key, detail: "must be at least 1") }
            mom2NSamples = i
        case "mom2_dtype":
            let s = try string()
            guard s == "float32" || s == "float64" else { throw EditorError.invalidHyperparameter(key, detail: "float32 or float64, got \(s)") }
            mom2Dtype = s
        case "context_template_length_params":
            guard case .array(let rows) = value else { throw EditorError.invalidHyperparameter(key, detail: "expected [[length, count], ...]") }
            contextTemplateLengthParams = try rows.map { row in
                guard case .array(let pair) = row, pair.count == 2, let a = pair[0].intValue, let b = pair[1].intValue, a > 0, b >= 0 else {
                    throw EditorError.invalidHyperparameter(key, detail: "expected [[length, count], ...], got \(row)")
                }
                return [a, b]
            }
        case "update_norm_lambda": updateNormLambda = try nonNegative()
        case "emmet_lambda": emmetLambda = try nonNegative()
        case "prob_cutoff": probCutoff = try number()
        case "add_prev_edits": addPrevEdits = try bool()
        case "nullspace_threshold": nullspaceThreshold = try nonNegative()
        case "nullspace_energy":
            let d = try number()
            guard d > 0, d < 1 else { throw EditorError.invalidHyperparameter(key, detail: "a fraction in (0, 1), got \(d)") }
            nullspaceEnergy = d
        case "L2", "l2": l2 = try nonNegative()
        case "prompt_prefix":
            do { promptPrefix = try PromptPrefix(name: try string()) } catch let e as EditorError { throw e } catch {
                throw EditorError.invalidHyperparameter(key, detail: "\(error)")
            }
        case "template_seed":
            let i = try integer()
            guard i >= 0 else { throw EditorError.invalidHyperparameter(key, detail: "must be non-negative") }
            templateSeed = UInt64(i)
        case "context_templates":
            guard case .array(let items) = value else { throw EditorError.invalidHyperparameter(key, detail: "expected a list of templates") }
            func template(_ v: HyperValue) throws -> String {
                guard case .string(let s) = v, s.components(separatedBy: "{}").count == 2 else {
                    throw EditorError.invalidHyperparameter(key, detail: "each template is a string with one {}, got \(v)")
                }
                return s
            }
            contextTemplates = try items.map { item in
                if case .array(let group) = item { return try group.map(template) }
                return [try template(item)]
            }
        case "early_stop_loss": earlyStopLoss = try nonNegative()
        case "kl_prompt":
            let s = try string()
            guard s.contains("{}") else { throw EditorError.invalidHyperparameter(key, detail: "must contain {}") }
            klPrompt = s
        case "rome_inverse_float32": romeInverseFloat32 = try bool()
        case "use_gd":
            if try bool() { throw EditorError.invalidHyperparameter(key, detail: "the gradient-descent variant is not implemented (use the closed form)") }
        default:
            if EditHyperparameters.ignoredKeys.contains(key) { return }
            throw EditorError.unknownHyperparameter(key, method: method)
        }
    }

    /// Applies every entry, in order.
    public mutating func apply(_ entries: [(String, HyperValue)], method: String) throws {
        for (k, v) in entries { try set(k, v, method: method) }
    }

    /// Reads a reference `hparams/*.json` file or an EasyEdit-style YAML file (by extension)
    /// on top of `base`.
    public static func load(path: String, base: EditHyperparameters, method: String) throws -> EditHyperparameters {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EditorError.invalidHyperparameter(path, detail: "cannot read the file")
        }
        var h = base
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            try h.apply(try YAMLHyperparameters.entries(data, file: path), method: method)
        } else {
            let json: JSONValue
            do { json = try JSONValue.parse(data) } catch {
                throw EditorError.invalidHyperparameter(path, detail: "not valid JSON: \(error)")
            }
            guard let obj = json.objectValue else { throw EditorError.invalidHyperparameter(path, detail: "expected a JSON object") }
            try h.apply(try obj.keys.sorted().map { ($0, try HyperValue(json: obj[$0] ?? .null, key: $0)) }, method: method)
        }
        return h
    }

    /// Checks the layers against a model.
    public func validate(for config: ModelConfig) throws {
        for l in layers where l >= config.layerCount { throw EditorError.layerOutOfRange(l, layers: config.layerCount) }
        if let v = vLossLayer, v < 0 || v >= config.layerCount { throw EditorError.layerOutOfRange(v, layers: config.layerCount) }
    }

    /// The loss layer for a model: max(v_loss_layer, last edited layer), the last layer when unset.
    func lossLayer(for config: ModelConfig) -> Int {
        max(vLossLayer ?? (config.layerCount - 1), layers.last ?? 0)
    }
}
