import LanguageModels
import Tensors

/// Which of a model's parameters have been written since a starting point, by the storage
/// each one had and its version counter (bumped by every in-place write): the parameters a
/// checkpoint must store whole. Nothing is copied.
public struct ParameterTracker {
    private let names: [String]
    private let storages: [TensorStorage]
    private let versions: [Int]

    /// Records every parameter of `model` as it is now.
    public init(_ model: LanguageModel) throws {
        var s: [TensorStorage] = [], v: [Int] = []
        for n in model.parameterNames {
            let p = try model.parameter(n)
            s.append(p.storage)
            v.append(p.version)
        }
        names = model.parameterNames
        storages = s
        versions = v
    }

    /// The parameters written or replaced since the start, in model order.
    public func changed(in model: LanguageModel) throws -> [String] {
        var out: [String] = []
        for (i, n) in names.enumerated() {
            let p = try model.parameter(n)
            if p.storage !== storages[i] || p.version != versions[i] { out.append(n) }
        }
        return out
    }
}
