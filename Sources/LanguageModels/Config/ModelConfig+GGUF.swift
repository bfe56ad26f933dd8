extension ModelConfig {
    /// The GGUF architectures EditLab reads (`general.architecture`).
    public static let ggufArchitectures: [String: ModelFamily] = ["llama": .llama, "gpt2": .gpt2]

    /// Builds the configuration from GGUF metadata (`{arch}.block_count`, ...); the vocabulary
    /// size is the row count of `token_embd.weight`, tied embeddings mean no `output.weight`.
    public static func fromGGUF(_ header: GGUFHeader) throws(ConfigError) -> ModelConfig {
        let file = header.file
        guard let archValue = header["general.architecture"] else {
            throw ConfigError.missingKey(file: file, key: "general.architecture")
        }
        guard let arch = archValue.stringValue else {
            throw ConfigError.invalidValue(file: file, key: "general.architecture", detail: "expected a string")
        }
        guard let family = ggufArchitectures[arch] else {
            throw ConfigError.unsupportedArchitecture(file: file, architecture: arch)
        }
        func int(_ key: String) throws(ConfigError) -> Int {
            guard let v = header[key] else { throw ConfigError.missingKey(file: file, key: key) }
            guard let i = v.intValue, v.boolValue == nil else {
                throw ConfigError.invalidValue(file: file, key: key, detail: "expected an integer, got \(v)")
            }
            return i
        }
        func optionalInt(_ key: String) throws(ConfigError) -> Int? { header[key] == nil ? nil : try int(key) }
        func double(_ key: String) throws(ConfigError) -> Double {
            guard let v = header[key] else { throw ConfigError.missingKey(file: file, key: key) }
            guard let d = v.doubleValue, v.boolValue == nil else {
                throw ConfigError.invalidValue(file: file, key: key, detail: "expected a number, got \(v)")
            }
            // A float32 value reads as its shortest decimal (1e-05, not 9.99999974e-06): the
            // same float32 in compute, and the same Double as HF's config.json.
            if case .float32(let f) = v, f.isFinite { return Double(f.description) ?? d }
            return d
        }
        let p = arch + "."
        if let scaling = header[p + "rope.scaling.type"]?.stringValue, scaling != "none" {
            throw ConfigError.unsupportedFeature(file: file, detail: "RoPE scaling '\(scaling)' (\(p)rope.scaling.type)")
        }
        if header.tensor(named: "rope_freqs.weight") != nil {
            throw ConfigError.unsupportedFeature(file: file, detail: "RoPE frequency factors (tensor rope_freqs.weight, Llama 3.1-style rope scaling)")
        }
        guard let embed = header.tensor(named: "token_embd.weight") else {
            throw ConfigError.missingKey(file: file, key: "tensor token_embd.weight")
        }
        guard embed.shape.count == 2 else {
            throw ConfigError.invalidValue(file: file, key: "tensor token_embd.weight", detail: "shape \(embed.shape) is not 2-D")
        }
        let vocab = embed.shape[0]
        if let declared = try optionalInt(p + "vocab_size"), declared != vocab {
            throw ConfigError.invalidValue(file: file, key: p + "vocab_size", detail: "\(declared) disagrees with token_embd.weight's \(vocab) rows")
        }
        let d = try int(p + "embedding_length")
        let heads = try int(p + "attention.head_count")
        guard heads > 0 else { throw ConfigError.invalidValue(file: file, key: p + "attention.head_count", detail: "must be positive") }
        let kvHeads = try optionalInt(p + "attention.head_count_kv") ?? heads
        let headDim = try optionalInt(p + "attention.key_length") ?? d / heads
        let config: ModelConfig
        switch family {
        case .llama:
            if let ropeDim = try optionalInt(p + "rope.dimension_count"), ropeDim != headDim {
                throw ConfigError.unsupportedFeature(file: file, detail: "partial RoPE (rope.dimension_count \(ropeDim) ≠ head dim \(headDim))")
            }
            config = ModelConfig(
                family: .llama, name: header["general.name"]?.stringValue ?? arch, vocabSize: vocab, dModel: d,
                layerCount: try int(p + "block_count"), headCount: heads, kvHeadCount: kvHeads, headDim: headDim,
                mlpDim: try int(p + "feed_forward_length"), contextLength: try int(p + "context_length"),
                normEpsilon: try double(p + "attention.layer_norm_rms_epsilon"),
                ropeTheta: header[p + "rope.freq_base"] == nil ? 10_000 : try double(p + "rope.freq_base"),
                tiedEmbeddings: header.tensor(named: "output.weight") == nil,
                bosTokenId: try optionalInt("tokenizer.ggml.bos_token_id"),
                eosTokenId: try optionalInt("tokenizer.ggml.eos_token_id"))
        case .gpt2:
            config = ModelConfig(
                family: .gpt2, name: header["general.name"]?.stringValue ?? arch, vocabSize: vocab, dModel: d,
                layerCount: try int(p + "block_count"), headCount: heads, kvHeadCount: heads, headDim: headDim,
                mlpDim: try int(p + "feed_forward_length"), contextLength: try int(p + "context_length"),
                normEpsilon: try double(p + "attention.layer_norm_epsilon"), ropeTheta: 0,
                tiedEmbeddings: header.tensor(named: "output.weight") == nil,
                bosTokenId: try optionalInt("tokenizer.ggml.bos_token_id"),
                eosTokenId: try optionalInt("tokenizer.ggml.eos_token_id"))
        }
        try config.validate(file: file)
        return config.droppingOutOfRangeTokenIds()
    }
}
