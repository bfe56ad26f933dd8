/// The hyper-parameters of a model, whatever file they came from (HF `config.json` or GGUF
/// metadata). Weight shapes are checked against them at load.
public struct ModelConfig: Sendable, Equatable {
    /// The transformer family.
    public var family: ModelFamily
    /// A display name (`general.name`, or the checkpoint's directory name).
    public var name: String
    /// Number of tokens in the vocabulary (rows of `embed`).
    public var vocabSize: Int
    /// Width of the residual stream.
    public var dModel: Int
    /// Number of transformer blocks.
    public var layerCount: Int
    /// Number of query heads.
    public var headCount: Int
    /// Number of key/value heads (equal to `headCount` without grouped-query attention).
    public var kvHeadCount: Int
    /// Width of one attention head.
    public var headDim: Int
    /// Width of the MLP's hidden layer.
    public var mlpDim: Int
    /// Maximum sequence length (learned positions for GPT-2, the trained context for Llama).
    public var contextLength: Int
    /// Epsilon of the RMSNorm (Llama) or LayerNorm (GPT-2).
    public var normEpsilon: Double
    /// RoPE base frequency (Llama); 0 for families without RoPE (GPT-2).
    public var ropeTheta: Double
    /// Whether `unembed` is the same tensor as `embed`.
    public var tiedEmbeddings: Bool
    /// Beginning-of-sequence token id, if known.
    public var bosTokenId: Int?
    /// End-of-sequence token id, if known.
    public var eosTokenId: Int?

    /// Creates a configuration; `validate()` checks it.
    public init(family: ModelFamily, name: String, vocabSize: Int, dModel: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDim: Int, mlpDim: Int, contextLength: Int, normEpsilon: Double,
                ropeTheta: Double, tiedEmbeddings: Bool, bosTokenId: Int? = nil, eosTokenId: Int? = nil) {
        self.family = family
        self.name = name
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.mlpDim = mlpDim
        self.contextLength = contextLength
        self.normEpsilon = normEpsilon
        self.ropeTheta = ropeTheta
        self.tiedEmbeddings = tiedEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// Rows of the query projection (`headCount * headDim`).
    public var queryDim: Int { headCount * headDim }
    /// Rows of the key and value projections (`kvHeadCount * headDim`).
    public var kvDim: Int { kvHeadCount * headDim }

    /// The configuration with token ids outside the vocabulary dropped (set to nil): some
    /// configs carry a family default (GPT-2's 50256) that a small model's vocabulary lacks.
    public func droppingOutOfRangeTokenIds() -> ModelConfig {
        var c = self
        if let b = c.bosTokenId, b < 0 || b >= vocabSize { c.bosTokenId = nil }
        if let e = c.eosTokenId, e < 0 || e >= vocabSize { c.eosTokenId = nil }
        return c
    }

    /// Checks that the sizes are positive and consistent; `file` names the source in errors.
    public func validate(file: String) throws(ConfigError) {
        let sizes: [(String, Int)] = [("vocabulary size", vocabSize), ("d_model", dModel), ("layer count", layerCount),
                                      ("head count", headCount), ("kv head count", kvHeadCount), ("head dim", headDim),
                                      ("MLP width", mlpDim), ("context length", contextLength)]
        for (what, v) in sizes where v <= 0 || v > 1 << 31 {
            throw ConfigError.invalidValue(file: file, key: what, detail: "\(v) is not a positive size")
        }
        guard headCount % kvHeadCount == 0 else {
            throw ConfigError.invalidValue(file: file, key: "kv head count", detail: "\(headCount) query heads are not a multiple of \(kvHeadCount) kv heads")
        }
        guard normEpsilon.isFinite, normEpsilon > 0 else {
            throw ConfigError.invalidValue(file: file, key: "norm epsilon", detail: "\(normEpsilon) is not a positive number")
        }
        if family == .llama {
            guard ropeTheta.isFinite, ropeTheta > 0 else {
                throw ConfigError.invalidValue(file: file, key: "rope theta", detail: "\(ropeTheta) is not a positive number")
            }
            guard headDim % 2 == 0 else {
                throw ConfigError.invalidValue(file: file, key: "head dim", detail: "\(headDim) is odd; RoPE needs an even head dim")
            }
        } else {
            guard headCount * headDim == dModel else {
                throw ConfigError.invalidValue(file: file, key: "n_head", detail: "d_model \(dModel) is not \(headCount) heads of \(headDim)")
            }
        }
    }
}
