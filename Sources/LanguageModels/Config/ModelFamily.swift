/// The transformer families EditLab implements (one forward pass each).
public enum ModelFamily: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Llama-style: RMSNorm, SwiGLU MLP (`gate`, `up`, `down`), RoPE, grouped-query attention,
    /// no biases (SmolLM2, Llama 2/3, Mistral).
    case llama
    /// GPT-2: LayerNorm with bias, gelu_new MLP (`up`, `down`), learned positions, biases everywhere.
    case gpt2

    /// The family's name (`llama`, `gpt2`).
    public var description: String { rawValue }
}
