import Foundation
import LanguageModels
import Tensors

/// The change one `apply` made to one parameter.
public struct ParameterDelta {
    /// The parameter (e.g. `blocks.5.mlp.down`).
    public let name: String
    /// The update as the closed form produced it (float64 `[out, in]`).
    public let update: Tensor
    /// The weights before the edit (float32 copy, for `revert`).
    public let before: Tensor
    /// The weights after the edit (float32 copy).
    public let after: Tensor

    /// ΔW as it landed in float32: after − before.
    public var observed: Tensor { (try? after.sub(before)) ?? Tensor.zeros(after.shape) }
}

/// What an optimisation of targets logged, per request.
public struct EditTrace {
    /// Per request (in order): the target optimisation's trace.
    public let targets: [TargetTrace]
    /// Extra scalar diagnostics (null-space dimension, discarded energy, ...), in a stable order.
    public var notes: [(String, Double)]
    /// The target optimisations' work, summed over the optimisations of this edit.
    public var work: TargetWork

    /// A trace of the given targets, notes and work.
    public init(targets: [TargetTrace], notes: [(String, Double)], work: TargetWork = TargetWork()) {
        self.targets = targets
        self.notes = notes
        self.work = work
    }

    /// Mean final target loss over the requests.
    public var finalLoss: Double {
        targets.isEmpty ? .nan : targets.map(\.finalLoss).reduce(0, +) / Double(targets.count)
    }
}

/// The result of one `Editor.apply`: which weights changed and how, the optimisation trace,
/// and the means to undo it exactly.
public final class Delta {
    /// The editor's name (`rome`, `memit`, ...).
    public let method: String
    /// Per edited parameter, in layer order.
    public let parameters: [ParameterDelta]
    /// The optimisation trace.
    public let trace: EditTrace
    /// Seconds spent: target optimisation, keys, solve.
    public let timings: [(String, Double)]
    private let model: LanguageModel

    init(method: String, model: LanguageModel, parameters: [ParameterDelta], trace: EditTrace, timings: [(String, Double)]) {
        self.method = method
        self.model = model
        self.parameters = parameters
        self.trace = trace
        self.timings = timings
    }

    /// Frobenius norm of the whole change (all parameters, as landed in float32).
    public func norm() -> Double {
        let ss = parameters.map { p -> Double in let n = p.observed.norm(); return n * n }.reduce(0, +)
        return ss.squareRoot()
    }

    /// Frobenius norm of the change per parameter, in order.
    public var layerNorms: [(String, Double)] { parameters.map { ($0.name, $0.observed.norm()) } }

    /// Puts back the weights as they were before this edit, bit for bit.
    public func revert() throws {
        for p in parameters { try model.parameter(p.name).copy(from: p.before) }
    }

    /// Writes the observed float32 changes (`<name>` = after − before) and the exact updates
    /// (`<name>.update`, float64) as safetensors.
    public func save(to path: String) throws {
        var out: [String: Tensor] = [:]
        for p in parameters {
            out[p.name] = p.observed
            out[p.name + ".update"] = p.update
        }
        try SafetensorsWriter.write(out, metadata: ["format": "editlab-delta", "method": method], to: path)
    }
}
