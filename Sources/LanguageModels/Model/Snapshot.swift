import Foundation
import Tensors

/// Copies of some of a model's weights, with the storage versions they had, so that
/// `LanguageModel.restore` can put back exactly (bit for bit) the tensors that changed.
public struct ModelSnapshot {
    /// Copied tensors by parameter name.
    public let tensors: [String: Tensor]
    /// Names in model order.
    public let names: [String]
    let versions: [String: Int]
}

extension LanguageModel {
    /// Copies the parameters `names` (default: all; tied tensors copied once each name).
    public func snapshot(_ names: [String]? = nil) throws -> ModelSnapshot {
        let chosen = names ?? parameterNames
        var copies: [String: Tensor] = [:], versions: [String: Int] = [:]
        for n in chosen {
            let p = try parameter(n)
            copies[n] = p.clone()
            versions[n] = p.version
        }
        return ModelSnapshot(tensors: copies, names: chosen, versions: versions)
    }

    /// Names of snapshotted parameters written in place since the snapshot.
    public func changedParameters(since s: ModelSnapshot) throws -> [String] {
        try s.names.filter { try parameter($0).version != s.versions[$0] }
    }

    /// Restores the snapshotted parameters that changed since the snapshot (copying into the
    /// live tensors, so views stay valid); returns their names.
    @discardableResult
    public func restore(_ s: ModelSnapshot) throws -> [String] {
        let changed = try changedParameters(since: s)
        for n in changed {
            guard let saved = s.tensors[n] else { continue }
            try parameter(n).copy(from: saved)
        }
        return changed
    }

    /// Writes the parameters as a safetensors file under EditLab names: all of them, or only
    /// those changed since `changedSince` (tied tensors are written once per name).
    public func save(to path: String, changedSince: ModelSnapshot? = nil) throws {
        let names = try changedSince.map { try changedParameters(since: $0) } ?? parameterNames
        var out: [String: Tensor] = [:]
        for n in names { out[n] = try parameter(n).detached() }
        try SafetensorsWriter.write(out, metadata: ["format": "editlab", "model": config.name], to: path)
    }
}
