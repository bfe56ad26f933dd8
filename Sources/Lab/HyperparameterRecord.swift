import Editing
import LanguageModels

/// Every field of `EditHyperparameters` under the reference names, as JSON values (unset
/// optional fields as null), for the manifest and for comparing a resumed run's editor with
/// the recorded one.
public enum HyperparameterRecord {
    /// The fields by reference name.
    public static func fields(_ h: EditHyperparameters) -> [String: JSONValue] {
        func ints(_ a: [Int]) -> JSONValue { .array(a.map { .int($0) }) }
        return [
            "layers": ints(h.layers),
            "fact_token": .string(h.factToken),
            "v_num_grad_steps": .int(h.vNumGradSteps),
            "v_lr": .double(h.vLR),
            "v_loss_layer": h.vLossLayer.map { .int($0) } ?? .null,
            "v_weight_decay": .double(h.vWeightDecay),
            "clamp_norm_factor": .double(h.clampNormFactor),
            "kl_factor": .double(h.klFactor),
            "mom2_adjustment": .bool(h.mom2Adjustment),
            "mom2_update_weight": .double(h.mom2UpdateWeight),
            "mom2_dataset": .string(h.mom2Dataset),
            "mom2_n_samples": .int(h.mom2NSamples),
            "mom2_dtype": .string(h.mom2Dtype),
            "context_template_length_params": .array(h.contextTemplateLengthParams.map(ints)),
            "update_norm_lambda": .double(h.updateNormLambda),
            "emmet_lambda": .double(h.emmetLambda),
            "prob_cutoff": .double(h.probCutoff),
            "add_prev_edits": .bool(h.addPrevEdits),
            "nullspace_threshold": .double(h.nullspaceThreshold),
            "nullspace_energy": h.nullspaceEnergy.map { .double($0) } ?? .null,
            "L2": .double(h.l2),
            "prompt_prefix": .string(h.promptPrefix.name),
            "template_seed": h.templateSeed <= UInt64(Int.max) ? .int(Int(h.templateSeed)) : .string(String(h.templateSeed)),
            "context_templates": h.contextTemplates.map { .array($0.map { .array($0.map { .string($0) }) }) } ?? .null,
            "early_stop_loss": .double(h.earlyStopLoss),
            "kl_prompt": .string(h.klPrompt),
            "rome_inverse_float32": .bool(h.romeInverseFloat32),
        ]
    }

    /// The differences between a recorded set of fields and the current one, one readable line
    /// per field (in key order): `hyper-parameter v_lr: 0.5 in the run, 0.25 now`.
    public static func differences(recorded: [String: JSONValue], current: [String: JSONValue]) -> [String] {
        let keys = Set(recorded.keys).union(current.keys).sorted()
        return keys.compactMap { k in
            let a = recorded[k].map { JSONText.encode($0) } ?? "absent"
            let b = current[k].map { JSONText.encode($0) } ?? "absent"
            return a == b ? nil : "hyper-parameter \(k): \(a) in the run, \(b) now"
        }
    }
}
