/// One row of a family's name map: the same weight's name in HF checkpoints, in GGUF files
/// and in EditLab, how to fix its orientation, and its expected EditLab shape.
/// Patterns contain `{i}` for the layer number.
public struct NameMapEntry: Sendable, Equatable {
    /// HF safetensors key pattern (`model.layers.{i}.self_attn.q_proj.weight`).
    public let hf: String
    /// GGUF tensor name pattern (`blk.{i}.attn_q.weight`).
    public let gguf: String
    /// EditLab name pattern (`blocks.{i}.attn.q`).
    public let editLab: String
    /// The orientation fix applied at load.
    public let fix: WeightFix
    /// Expected shape in EditLab orientation.
    public let shape: [ShapeDim]
    /// Whether the weight may be absent (biases some checkpoints have and others lack).
    public let optional: Bool

    /// Creates an entry.
    public init(hf: String, gguf: String, editLab: String, fix: WeightFix = .none, shape: [ShapeDim], optional: Bool = false) {
        self.hf = hf
        self.gguf = gguf
        self.editLab = editLab
        self.fix = fix
        self.shape = shape
        self.optional = optional
    }

    /// Whether the patterns contain `{i}` (one instance per layer).
    public var isPerLayer: Bool { editLab.contains("{i}") }

    /// The entry with `{i}` replaced by `layer`.
    public func instantiated(layer: Int) -> NameMapEntry {
        let s = String(layer)
        return NameMapEntry(hf: hf.replacingLayer(s), gguf: gguf.replacingLayer(s), editLab: editLab.replacingLayer(s),
                            fix: fix, shape: shape, optional: optional)
    }
}

extension String {
    /// The pattern with every `{i}` replaced by `layer`.
    func replacingLayer(_ layer: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: "{i}") {
            out += rest[..<r.lowerBound]
            out += layer
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
