/// Problems with a model configuration (HF `config.json` or GGUF metadata). Messages name the
/// file and the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The configuration file is not valid JSON (or not a JSON object).
    case invalidJSON(file: String, detail: String)
    /// A required key is missing.
    case missingKey(file: String, key: String)
    /// A key has a value of the wrong type or out of range.
    case invalidValue(file: String, key: String, detail: String)
    /// The architecture is not one EditLab implements.
    case unsupportedArchitecture(file: String, architecture: String)
    /// The model uses a feature EditLab does not implement yet (rope scaling, ...).
    case unsupportedFeature(file: String, detail: String)

    /// A one-line explanation naming the file and key.
    public var description: String {
        switch self {
        case .invalidJSON(let f, let d): return "\(f): not a valid model configuration: \(d)"
        case .missingKey(let f, let k): return "\(f): missing required key '\(k)'"
        case .invalidValue(let f, let k, let d): return "\(f): '\(k)': \(d)"
        case .unsupportedArchitecture(let f, let a):
            return "\(f): unsupported architecture '\(a)' (supported: LlamaForCausalLM, MistralForCausalLM, GPT2LMHeadModel; GGUF: llama, gpt2)"
        case .unsupportedFeature(let f, let d): return "\(f): \(d) is not supported yet"
        }
    }
}
