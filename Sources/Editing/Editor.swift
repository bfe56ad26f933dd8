import Datasets
import LanguageModels
import Tensors

/// An editing method. `apply` edits the model in place and returns a `Delta`; when it fails
/// (NaN/Inf, a singular system, a bad request) it throws and leaves the model exactly as it
/// was. State that persists across edits (accumulated keys) lives in the editor and can be
/// saved and restored with a run's checkpoint.
public protocol Editor: AnyObject {
    /// The method's name (`rome`, `memit`, ...).
    var name: String { get }
    /// The hyper-parameters.
    var hparams: EditHyperparameters { get }
    /// Edits the model for `requests` in place.
    func apply(_ model: LanguageModel, _ requests: [EditRequest]) throws -> Delta
    /// The persistent state as named tensors (empty when the method keeps none).
    func state() -> [String: Tensor]
    /// Restores a state saved by `state()`.
    func restore(state: [String: Tensor]) throws
}

extension Editor {
    /// Writes the updated weights only when every one of them is finite; otherwise throws
    /// and writes nothing.
    func commit(_ model: LanguageModel, updates: [(String, Tensor)], what: String) throws -> [ParameterDelta] {
        var prepared: [(String, Tensor, Tensor, Tensor)] = []
        for (name, update) in updates {
            guard update.isFinite else { throw EditorError.nonFinite(what + " (\(name))") }
            let w = try model.parameter(name)
            let before = w.clone()
            let after = try before.add(update.to(.float32))
            guard after.isFinite else { throw EditorError.nonFinite(what + " (\(name))") }
            prepared.append((name, update, before, after))
        }
        for (name, _, _, after) in prepared { try model.parameter(name).copy(from: after) }
        return prepared.map { ParameterDelta(name: $0.0, update: $0.1, before: $0.2, after: $0.3) }
    }
}
