import Tensors

/// The file format a model was loaded from.
public enum ModelFileFormat: Sendable, Equatable, CustomStringConvertible {
    /// A GGUF file of the given version.
    case gguf(version: Int)
    /// HF safetensors with `config.json`.
    case safetensors

    /// `GGUF v3` or `safetensors`.
    public var description: String {
        switch self {
        case .gguf(let v): return "GGUF v\(v)"
        case .safetensors: return "safetensors"
        }
    }
}

/// One stored tensor of the checkpoint and the EditLab weights made from it.
public struct SourceTensor: Sendable, Equatable {
    /// The name in the file.
    public let name: String
    /// The file holding it.
    public let file: String
    /// The stored type (`Q4_1`, `Q8_0`, `F32`, `BF16`, ...).
    public let storedType: String
    /// The stored row-major shape (before any orientation fix).
    public let shape: [Int]
    /// The EditLab names made from it (three for GPT-2's fused `c_attn`).
    public let editLabNames: [String]
}

/// A model's weights in float32 under EditLab names, in nn.Linear `[out, in]` orientation,
/// with its configuration, tokenizer and provenance.
public struct LoadedModel {
    /// The hyper-parameters.
    public let config: ModelConfig
    /// EditLab weight names in model order (`embed`, `blocks.0.ln1`, ..., `unembed`).
    public let names: [String]
    /// Float32 weights by EditLab name. With tied embeddings `unembed` is the same tensor
    /// (same storage) as `embed`.
    public let weights: [String: Tensor]
    /// The tokenizer, when one could be built from the checkpoint.
    public let tokenizer: Tokenizer?
    /// Why there is no tokenizer (nil when there is one).
    public let tokenizerIssue: String?
    /// The format of the checkpoint.
    public let format: ModelFileFormat
    /// The files read.
    public let files: [String]
    /// The stored tensors used, in EditLab order, with their stored types and shapes.
    public let sourceTensors: [SourceTensor]
    /// GGUF metadata in file order (empty for safetensors checkpoints).
    public let ggufMetadata: [GGUFMetadataEntry]

    /// The weight called `name` (an EditLab name).
    public subscript(name: String) -> Tensor? { weights[name] }

    /// Number of parameters, counting a tensor shared by two names (tied embeddings) once.
    public var parameterCount: Int {
        var seen = Set<ObjectIdentifier>()
        var total = 0
        for n in names {
            guard let t = weights[n] else { continue }
            let id = ObjectIdentifier(t.storage)
            if seen.insert(id).inserted { total += t.count }
        }
        return total
    }

    /// Stored types with their tensor and element counts, sorted by type name.
    public var storedTypeBreakdown: [(type: String, tensors: Int, elements: Int)] {
        var counts: [String: (Int, Int)] = [:]
        for s in sourceTensors {
            let c = counts[s.storedType] ?? (0, 0)
            counts[s.storedType] = (c.0 + 1, c.1 + s.shape.reduce(1, *))
        }
        return counts.keys.sorted().map { k in (k, counts[k]?.0 ?? 0, counts[k]?.1 ?? 0) }
    }
}
