/// A symbolic size in a name-map entry's expected shape, resolved against a ``ModelConfig``.
public enum ShapeDim: Sendable, Equatable {
    /// `vocabSize`.
    case vocab
    /// `dModel`.
    case model
    /// `headCount * headDim` (query rows).
    case query
    /// `kvHeadCount * headDim` (key/value rows).
    case keyValue
    /// `mlpDim`.
    case mlp
    /// `contextLength` (learned positions).
    case context

    /// The size under `config`.
    public func size(in config: ModelConfig) -> Int {
        switch self {
        case .vocab: return config.vocabSize
        case .model: return config.dModel
        case .query: return config.queryDim
        case .keyValue: return config.kvDim
        case .mlp: return config.mlpDim
        case .context: return config.contextLength
        }
    }
}
