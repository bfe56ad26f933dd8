import Foundation

extension ModelConfig {
    /// Architectures (`config.json` `architectures[0]`) of the Llama family.
    public static let llamaArchitectures = ["LlamaForCausalLM", "MistralForCausalLM"]
    /// Architectures of the GPT-2 family.
    public static let gpt2Architectures = ["GPT2LMHeadModel"]

    /// Reads and parses the HF `config.json` at `path`; `name` defaults to its directory's name.
    public static func fromHuggingFace(path: String, name: String? = nil) throws -> ModelConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError.unreadable(file: path, reason: "no such file or not readable")
        }
        let dirName = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
        return try fromHuggingFace(json: data, file: path, name: name ?? dirName)
    }

    /// Parses an HF `config.json` (Llama, Mistral or GPT-2); `file` names it in errors.
    ///
    /// Llama: `rope_theta` is read at top level or inside `rope_parameters`; a non-null
    /// `rope_scaling` or a `rope_parameters.rope_type` other than `default` is rejected.
    /// GPT-2: `n_inner` null means `4 * n_embd`; the activation must be `gelu_new`.
    public static func fromHuggingFace(json data: Data, file: String, name: String = "model") throws(ConfigError) -> ModelConfig {
        let json: JSONValue
        do throws(JSONValueError) { json = try JSONValue.parse(data) } catch {
            throw ConfigError.invalidJSON(file: file, detail: "\(error)")
        }
        guard let object = json.objectValue else { throw ConfigError.invalidJSON(file: file, detail: "not a JSON object") }
        let f = ConfigFields(object: object, file: file)
        let arch: String
        if let archs = object["architectures"]?.arrayValue, let first = archs.first {
            guard let a = first.stringValue else {
                throw ConfigError.invalidValue(file: file, key: "architectures", detail: "expected a list of names")
            }
            arch = a
        } else {
            switch try f.string("model_type", default: "") {
            case "llama": arch = "LlamaForCausalLM"
            case "mistral": arch = "MistralForCausalLM"
            case "gpt2": arch = "GPT2LMHeadModel"
            case "": throw ConfigError.missingKey(file: file, key: "architectures")
            case let other: arch = other
            }
        }
        let config: ModelConfig
        if llamaArchitectures.contains(arch) {
            config = try llama(f, name: name)
        } else if gpt2Architectures.contains(arch) {
            config = try gpt2(f, name: name)
        } else {
            throw ConfigError.unsupportedArchitecture(file: file, architecture: arch)
        }
        try config.validate(file: file)
        return config.droppingOutOfRangeTokenIds()
    }

    private static func llama(_ f: ConfigFields, name: String) throws(ConfigError) -> ModelConfig {
        let file = f.file
        if !f.isAbsent("rope_scaling") {
            throw ConfigError.unsupportedFeature(file: file, detail: "rope_scaling (\(f.object["rope_scaling"].map { "\($0)" } ?? ""))")
        }
        var theta = try f.double("rope_theta", default: 10_000)
        if let params = f.object["rope_parameters"], !params.isNull {
            guard let p = params.objectValue else {
                throw ConfigError.invalidValue(file: file, key: "rope_parameters", detail: "expected an object")
            }
            let pf = ConfigFields(object: p, file: file)
            let type = try pf.string("rope_type", default: "default")
            guard type == "default" else {
                throw ConfigError.unsupportedFeature(file: file, detail: "rope_parameters.rope_type '\(type)' (RoPE scaling)")
            }
            if !pf.isAbsent("rope_theta") { theta = try pf.double("rope_theta") }
        }
        let act = try f.string("hidden_act", default: "silu")
        guard act == "silu" else {
            throw ConfigError.unsupportedFeature(file: file, detail: "hidden_act '\(act)' for a Llama-family model (only silu)")
        }
        let d = try f.int("hidden_size")
        let heads = try f.int("num_attention_heads")
        guard heads > 0 else { throw ConfigError.invalidValue(file: file, key: "num_attention_heads", detail: "must be positive") }
        let headDim = try f.optionalInt("head_dim") ?? d / heads
        if f.isAbsent("head_dim"), d % heads != 0 {
            throw ConfigError.invalidValue(file: file, key: "hidden_size", detail: "\(d) is not divisible by \(heads) heads and no head_dim is given")
        }
        let context = try f.int("max_position_embeddings", default: 2048)
        if let window = try f.optionalInt("sliding_window"), window < context {
            throw ConfigError.unsupportedFeature(file: file, detail: "sliding-window attention (sliding_window \(window) < context \(context))")
        }
        return ModelConfig(
            family: .llama, name: name, vocabSize: try f.int("vocab_size"), dModel: d,
            layerCount: try f.int("num_hidden_layers"), headCount: heads,
            kvHeadCount: try f.int("num_key_value_heads", default: heads), headDim: headDim,
            mlpDim: try f.int("intermediate_size"), contextLength: context,
            normEpsilon: try f.double("rms_norm_eps", default: 1e-6), ropeTheta: theta,
            tiedEmbeddings: try f.bool("tie_word_embeddings", default: false),
            bosTokenId: try f.tokenId("bos_token_id"), eosTokenId: try f.tokenId("eos_token_id"))
    }

    private static func gpt2(_ f: ConfigFields, name: String) throws(ConfigError) -> ModelConfig {
        let file = f.file
        let act = try f.string("activation_function", default: "gelu_new")
        guard act == "gelu_new" else {
            throw ConfigError.unsupportedFeature(file: file, detail: "activation_function '\(act)' for GPT-2 (only gelu_new)")
        }
        guard try f.bool("scale_attn_weights", default: true) else {
            throw ConfigError.unsupportedFeature(file: file, detail: "scale_attn_weights = false")
        }
        guard try !f.bool("scale_attn_by_inverse_layer_idx", default: false) else {
            throw ConfigError.unsupportedFeature(file: file, detail: "scale_attn_by_inverse_layer_idx = true")
        }
        let d = try f.int("n_embd")
        let heads = try f.int("n_head")
        guard heads > 0, d % heads == 0 else {
            throw ConfigError.invalidValue(file: file, key: "n_head", detail: "n_embd \(d) is not divisible by \(heads) heads")
        }
        guard d > 0, d <= 1 << 31 else {
            throw ConfigError.invalidValue(file: file, key: "n_embd", detail: "\(d) is not a positive size")
        }
        return ModelConfig(
            family: .gpt2, name: name, vocabSize: try f.int("vocab_size"), dModel: d,
            layerCount: try f.int("n_layer"), headCount: heads, kvHeadCount: heads, headDim: d / heads,
            mlpDim: try f.optionalInt("n_inner") ?? 4 * d, contextLength: try f.int("n_positions", default: 1024),
            normEpsilon: try f.double("layer_norm_epsilon", default: 1e-5), ropeTheta: 0,
            tiedEmbeddings: try f.bool("tie_word_embeddings", default: true),
            bosTokenId: try f.tokenId("bos_token_id"), eosTokenId: try f.tokenId("eos_token_id"))
    }
}
