/// The Llama family's name map (SmolLM2, Llama 2/3, Mistral): HF key, GGUF name, EditLab
/// name, orientation fix, expected shape.
public enum LlamaNameMap {
    /// One row per weight; `{i}` is the layer.
    public static let entries: [NameMapEntry] = [
        .init(hf: "model.embed_tokens.weight", gguf: "token_embd.weight", editLab: "embed", shape: [.vocab, .model]),
        .init(hf: "model.layers.{i}.input_layernorm.weight", gguf: "blk.{i}.attn_norm.weight", editLab: "blocks.{i}.ln1", shape: [.model]),
        .init(hf: "model.layers.{i}.self_attn.q_proj.weight", gguf: "blk.{i}.attn_q.weight", editLab: "blocks.{i}.attn.q", fix: .ropePermuted(.query), shape: [.query, .model]),
        .init(hf: "model.layers.{i}.self_attn.q_proj.bias", gguf: "blk.{i}.attn_q.bias", editLab: "blocks.{i}.attn.q.bias", fix: .ropePermuted(.query), shape: [.query], optional: true),
        .init(hf: "model.layers.{i}.self_attn.k_proj.weight", gguf: "blk.{i}.attn_k.weight", editLab: "blocks.{i}.attn.k", fix: .ropePermuted(.key), shape: [.keyValue, .model]),
        .init(hf: "model.layers.{i}.self_attn.k_proj.bias", gguf: "blk.{i}.attn_k.bias", editLab: "blocks.{i}.attn.k.bias", fix: .ropePermuted(.key), shape: [.keyValue], optional: true),
        .init(hf: "model.layers.{i}.self_attn.v_proj.weight", gguf: "blk.{i}.attn_v.weight", editLab: "blocks.{i}.attn.v", shape: [.keyValue, .model]),
        .init(hf: "model.layers.{i}.self_attn.v_proj.bias", gguf: "blk.{i}.attn_v.bias", editLab: "blocks.{i}.attn.v.bias", shape: [.keyValue], optional: true),
        .init(hf: "model.layers.{i}.self_attn.o_proj.weight", gguf: "blk.{i}.attn_output.weight", editLab: "blocks.{i}.attn.o", shape: [.model, .query]),
        .init(hf: "model.layers.{i}.self_attn.o_proj.bias", gguf: "blk.{i}.attn_output.bias", editLab: "blocks.{i}.attn.o.bias", shape: [.model], optional: true),
        .init(hf: "model.layers.{i}.post_attention_layernorm.weight", gguf: "blk.{i}.ffn_norm.weight", editLab: "blocks.{i}.ln2", shape: [.model]),
        .init(hf: "model.layers.{i}.mlp.gate_proj.weight", gguf: "blk.{i}.ffn_gate.weight", editLab: "blocks.{i}.mlp.gate", shape: [.mlp, .model]),
        .init(hf: "model.layers.{i}.mlp.gate_proj.bias", gguf: "blk.{i}.ffn_gate.bias", editLab: "blocks.{i}.mlp.gate.bias", shape: [.mlp], optional: true),
        .init(hf: "model.layers.{i}.mlp.up_proj.weight", gguf: "blk.{i}.ffn_up.weight", editLab: "blocks.{i}.mlp.up", shape: [.mlp, .model]),
        .init(hf: "model.layers.{i}.mlp.up_proj.bias", gguf: "blk.{i}.ffn_up.bias", editLab: "blocks.{i}.mlp.up.bias", shape: [.mlp], optional: true),
        .init(hf: "model.layers.{i}.mlp.down_proj.weight", gguf: "blk.{i}.ffn_down.weight", editLab: "blocks.{i}.mlp.down", shape: [.model, .mlp]),
        .init(hf: "model.layers.{i}.mlp.down_proj.bias", gguf: "blk.{i}.ffn_down.bias", editLab: "blocks.{i}.mlp.down.bias", shape: [.model], optional: true),
        .init(hf: "model.norm.weight", gguf: "output_norm.weight", editLab: "ln_final", shape: [.model]),
        .init(hf: "lm_head.weight", gguf: "output.weight", editLab: "unembed", shape: [.vocab, .model]),
    ]

    /// HF keys that are buffers, not weights, and are skipped (`{i}` is the layer).
    public static let ignoredHF: [String] = ["model.layers.{i}.self_attn.rotary_emb.inv_freq"]
}
