import LanguageModels
import Tensors

/// Where an editor gets C0 = E[k kᵀ] of the keys entering `blocks.{l}.mlp.down`.
public protocol CovarianceProvider: AnyObject {
    /// C0 of layer `layer` for `model`, float64 `[d_mlp, d_mlp]`.
    func c0(layer: Int, model: LanguageModel) throws -> Tensor
    /// Makes C0 of every layer in `layers` available for `model` as it is now. Editors call it
    /// before they change any weight, so the statistics of every edited layer come from the
    /// same (pre-edit) model, as the reference's cached statistics do, and are collected in
    /// one pass.
    func prepare(layers: [Int], model: LanguageModel) throws
}

extension CovarianceProvider {
    /// Asks for each layer's C0 in turn.
    public func prepare(layers: [Int], model: LanguageModel) throws {
        for l in layers { _ = try c0(layer: l, model: model) }
    }
}

/// Fixed matrices given per layer (imported statistics, tests).
public final class FixedCovariance: CovarianceProvider {
    private let matrices: [Int: Tensor]

    /// C0 per layer (converted to float64).
    public init(_ matrices: [Int: Tensor]) { self.matrices = matrices.mapValues { $0.to(.float64) } }

    public func c0(layer: Int, model: LanguageModel) throws -> Tensor {
        guard let m = matrices[layer] else { throw EditorError.statistics("no C0 for layer \(layer)") }
        let d = model.config.mlpDim
        guard m.shape == [d, d] else { throw EditorError.statistics("C0 of layer \(layer) is \(shapeString(m.shape)), the model needs \(d)x\(d)") }
        return m
    }
}
