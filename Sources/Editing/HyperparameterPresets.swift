/// Published hyper-parameters (EDITING.md §1–5, read from the reference repositories'
/// `hparams/*.json`) and EditLab's defaults for the default model, by method and model name.
public enum HyperparameterPresets {
    /// Model names with presets.
    public static let models = ["gpt2-xl", "gpt-j-6b", "llama3-8b", "smollm2"]
    /// Method names.
    public static let methods = ["rome", "memit", "emmet", "alphaedit", "encore"]

    /// The preset of `method` for `model`; throws for an unknown pair.
    public static func preset(method: String, model: String) throws -> EditHyperparameters {
        var h = EditHyperparameters()
        func set(_ entries: [(String, HyperValue)]) throws { try h.apply(entries, method: method) }
        let key = model.lowercased()
        guard methods.contains(method) else { throw EditorError.invalidHyperparameter("method", detail: "unknown method '\(method)' (\(methods.joined(separator: ", ")))") }
        guard models.contains(key) else { throw EditorError.invalidHyperparameter("model", detail: "no preset for '\(model)' (\(models.joined(separator: ", ")))") }
        // Reference runs compute statistics on Wikipedia; EditLab offline on WordNet glosses.
        let common: [(String, HyperValue)] = [("kl_factor", .double(0.0625)), ("fact_token", .string("subject_last"))]
        try set(common)
        // The reference configs are for tokenizers where prompts need no prefix (GPT-2, GPT-J) or
        // add BOS themselves (Llama 3): the prefix rule only matters for models without BOS.
        h.promptPrefix = key == "smollm2" ? .automatic : .none
        let layerRange: (Int, Int) -> HyperValue = { a, b in .array((a...b).map { .int($0) }) }
        switch (method, key) {
        case ("rome", "gpt2-xl"):
            try set([("layers", .array([.int(17)])), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(47)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(4)), ("mom2_n_samples", .int(100_000))])
        case ("rome", "gpt-j-6b"):
            try set([("layers", .array([.int(5)])), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(27)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(4)), ("mom2_n_samples", .int(100_000))])
        case ("rome", "llama3-8b"):
            try set([("layers", .array([.int(5)])), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(31)),
                     ("v_weight_decay", .double(1e-3)), ("clamp_norm_factor", .double(4)), ("mom2_n_samples", .int(100_000))])
        case ("memit", "gpt2-xl"):
            try set([("layers", layerRange(13, 17)), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(47)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(20000)),
                     ("mom2_n_samples", .int(100_000))])
        case ("memit", "gpt-j-6b"):
            try set([("layers", layerRange(3, 8)), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(27)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(15000)),
                     ("mom2_n_samples", .int(100_000))])
        case ("memit", "llama3-8b"):
            try set([("layers", layerRange(4, 8)), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(31)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(15000)),
                     ("mom2_n_samples", .int(10_000)), ("add_prev_edits", .bool(true))])
        case ("emmet", "gpt2-xl"):
            try set([("layers", .array([.int(17)])), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(47)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(1000)),
                     ("emmet_lambda", .double(0.1))])
        case ("emmet", "gpt-j-6b"):
            try set([("layers", .array([.int(5)])), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(27)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(1)),
                     ("emmet_lambda", .double(0.1))])
        case ("emmet", "llama3-8b"):
            // EDITING.md §3 lists Llama-2-7B's EMMET config (layer 5, λ 1, clamp 4, wd 1e-3); used here for Llama 3.
            try set([("layers", .array([.int(5)])), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(31)),
                     ("v_weight_decay", .double(1e-3)), ("clamp_norm_factor", .double(4)), ("mom2_update_weight", .double(1)),
                     ("emmet_lambda", .double(0.1))])
        case ("alphaedit", "gpt2-xl"):
            try set([("layers", layerRange(13, 17)), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(47)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("nullspace_threshold", .double(2e-2)), ("L2", .double(10))])
        case ("alphaedit", "gpt-j-6b"):
            try set([("layers", layerRange(3, 8)), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(27)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("nullspace_threshold", .double(2e-2)), ("L2", .double(10))])
        case ("alphaedit", "llama3-8b"):
            try set([("layers", layerRange(4, 8)), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.1)), ("v_loss_layer", .int(31)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("nullspace_threshold", .double(2e-2)), ("L2", .double(10))])
        case ("encore", "gpt2-xl"):
            try set([("layers", layerRange(13, 17)), ("v_num_grad_steps", .int(20)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(47)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(20000)),
                     ("update_norm_lambda", .double(10)), ("prob_cutoff", .double(-4)), ("add_prev_edits", .bool(true))])
        case ("encore", "llama3-8b"):
            try set([("layers", layerRange(4, 8)), ("v_num_grad_steps", .int(25)), ("v_lr", .double(0.5)), ("v_loss_layer", .int(31)),
                     ("v_weight_decay", .double(0.5)), ("clamp_norm_factor", .double(0.75)), ("mom2_update_weight", .double(15000)),
                     ("update_norm_lambda", .double(20)), ("prob_cutoff", .double(-2)), ("add_prev_edits", .bool(true)),
                     ("mom2_n_samples", .int(10_000))])
        case ("encore", "gpt-j-6b"):
            throw EditorError.invalidHyperparameter("model", detail: "ENCORE was not published for GPT-J")
        case (_, "smollm2"):
            h = try smolLM2(method)
        default:
            throw EditorError.invalidHyperparameter("model", detail: "no preset for \(method) on \(model)")
        }
        return h
    }

    /// EditLab's defaults for SmolLM2-135M (30 layers). See docs/DEFAULTS.md for the
    /// measurements behind them.
    static func smolLM2(_ method: String) throws -> EditHyperparameters {
        var h = EditHyperparameters()
        h.promptPrefix = .automatic
        h.vLossLayer = 29
        h.klFactor = 0.0625
        h.vLR = 0.5
        h.vWeightDecay = 0.5
        h.mom2Dataset = "wordnet"
        h.mom2NSamples = 50          // packed 512-token documents: about 25k tokens
        switch method {
        case "rome":
            h.layers = [4]
            h.vNumGradSteps = 20
            h.clampNormFactor = 4
            h.contextTemplateLengthParams = [[5, 10], [10, 10]]
        default:
            h.layers = [4, 5, 6, 7, 8]
            h.vNumGradSteps = 25
            h.clampNormFactor = 0.75
            h.mom2UpdateWeight = 1000
            switch method {
            case "memit": h.addPrevEdits = true
            case "emmet": h.emmetLambda = 0.1
            case "alphaedit":
                h.nullspaceEnergy = 0.05
                h.l2 = 1
            case "encore":
                h.addPrevEdits = true
                h.updateNormLambda = 3
                h.probCutoff = -2
            default: break
            }
        }
        return h
    }
}
