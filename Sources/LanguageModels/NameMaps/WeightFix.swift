/// How a stored weight is turned into EditLab's layout (nn.Linear `[out, in]`, HF row order).
/// The same fix is read differently by each file format, because the formats store the
/// same weight differently.
public enum WeightFix: Sendable, Equatable {
    /// Stored as EditLab wants it in every format.
    case none
    /// Llama query (`.query`, `head_count` heads) or key (`.key`, `head_count_kv` heads)
    /// projection: GGUF stores its rows permuted for interleaved RoPE (llama.cpp's convert),
    /// so GGUF weights and biases are un-permuted; HF weights are already in order.
    case ropePermuted(RoPEProjection)
    /// GPT-2 Conv1D weight: HF stores it `[in, out]`, so a 2-D HF tensor is transposed;
    /// llama.cpp already transposed it in GGUF.
    case conv1D
    /// One third of GPT-2's fused `c_attn` (`part` 0 = q, 1 = k, 2 = v): the source (after the
    /// Conv1D transpose for a 2-D HF weight) is split into three equal blocks of rows.
    case conv1DFusedQKV(part: Int)

    /// Which projection a RoPE permutation applies to.
    public enum RoPEProjection: Sendable, Equatable {
        /// Queries: permuted with `head_count` heads.
        case query
        /// Keys: permuted with `head_count_kv` heads.
        case key
    }
}
