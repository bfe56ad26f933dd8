import Editing
import LanguageModels

/// Builds what an editor computes from the model on its first edit and then keeps: the
/// context templates (sampled from the model) and C0 of its layers (statistics collected from
/// the model, when they are not imported). A run does this on the unedited model before its
/// first batch, so a resumed run — whose weights come back edited from a checkpoint — uses
/// exactly what the uninterrupted run used.
public enum EditorPriming {
    /// Primes `editor` on `model`. Editors other than ROME and the MEMIT family, and editors
    /// whose layers do not fit the model or that cannot edit it for lack of a tokenizer (their
    /// first edit reports it), are left as they are.
    public static func prime(_ editor: Editor, model: LanguageModel) throws {
        guard model.tokenizer != nil, (try? editor.hparams.validate(for: model.config)) != nil else { return }
        switch editor {
        case let e as MEMITFamily:
            _ = try e.contextTemplates(model)
            for l in e.hparams.layers { _ = try e.covariance.c0(layer: l, model: model) }
        case let e as ROME:
            _ = try e.contextTemplates(model)
            if e.hparams.mom2Adjustment {
                for l in e.hparams.layers { _ = try e.covariance.c0(layer: l, model: model) }
            }
        default:
            break
        }
    }
}
