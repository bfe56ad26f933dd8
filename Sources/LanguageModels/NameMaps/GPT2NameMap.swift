/// GPT-2's name map: HF key, GGUF name (llama.cpp's convert), EditLab name, orientation fix,
/// expected shape. HF's Conv1D weights are `[in, out]`; the fused `c_attn` is split into
/// q, k and v.
public enum GPT2NameMap {
    /// One row per weight; `{i}` is the layer.
    public static let entries: [NameMapEntry] = [
        .init(hf: "transformer.wte.weight", gguf: "token_embd.weight", editLab: "embed", shape: [.vocab, .model]),
        .init(hf: "transformer.wpe.weight", gguf: "position_embd.weight", editLab: "pos_embed", shape: [.context, .model]),
        .init(hf: "transformer.h.{i}.ln_1.weight", gguf: "blk.{i}.attn_norm.weight", editLab: "blocks.{i}.ln1", shape: [.model]),
        .init(hf: "transformer.h.{i}.ln_1.bias", gguf: "blk.{i}.attn_norm.bias", editLab: "blocks.{i}.ln1.bias", shape: [.model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.weight", gguf: "blk.{i}.attn_qkv.weight", editLab: "blocks.{i}.attn.q", fix: .conv1DFusedQKV(part: 0), shape: [.model, .model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.bias", gguf: "blk.{i}.attn_qkv.bias", editLab: "blocks.{i}.attn.q.bias", fix: .conv1DFusedQKV(part: 0), shape: [.model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.weight", gguf: "blk.{i}.attn_qkv.weight", editLab: "blocks.{i}.attn.k", fix: .conv1DFusedQKV(part: 1), shape: [.model, .model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.bias", gguf: "blk.{i}.attn_qkv.bias", editLab: "blocks.{i}.attn.k.bias", fix: .conv1DFusedQKV(part: 1), shape: [.model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.weight", gguf: "blk.{i}.attn_qkv.weight", editLab: "blocks.{i}.attn.v", fix: .conv1DFusedQKV(part: 2), shape: [.model, .model]),
        .init(hf: "transformer.h.{i}.attn.c_attn.bias", gguf: "blk.{i}.attn_qkv.bias", editLab: "blocks.{i}.attn.v.bias", fix: .conv1DFusedQKV(part: 2), shape: [.model]),
        .init(hf: "transformer.h.{i}.attn.c_proj.weight", gguf: "blk.{i}.attn_output.weight", editLab: "blocks.{i}.attn.o", fix: .conv1D, shape: [.model, .model]),
        .init(hf: "transformer.h.{i}.attn.c_proj.bias", gguf: "blk.{i}.attn_output.bias", editLab: "blocks.{i}.attn.o.bias", shape: [.model]),
        .init(hf: "transformer.h.{i}.ln_2.weight", gguf: "blk.{i}.ffn_norm.weight", editLab: "blocks.{i}.ln2", shape: [.model]),
        .init(hf: "transformer.h.{i}.ln_2.bias", gguf: "blk.{i}.ffn_norm.bias", editLab: "blocks.{i}.ln2.bias", shape: [.model]),
        .init(hf: "transformer.h.{i}.mlp.c_fc.weight", gguf: "blk.{i}.ffn_up.weight", editLab: "blocks.{i}.mlp.up", fix: .conv1D, shape: [.mlp, .model]),
        .init(hf: "transformer.h.{i}.mlp.c_fc.bias", gguf: "blk.{i}.ffn_up.bias", editLab: "blocks.{i}.mlp.up.bias", shape: [.mlp]),
        .init(hf: "transformer.h.{i}.mlp.c_proj.weight", gguf: "blk.{i}.ffn_down.weight", editLab: "blocks.{i}.mlp.down", fix: .conv1D, shape: [.model, .mlp]),
        .init(hf: "transformer.h.{i}.mlp.c_proj.bias", gguf: "blk.{i}.ffn_down.bias", editLab: "blocks.{i}.mlp.down.bias", shape: [.model]),
        .init(hf: "transformer.ln_f.weight", gguf: "output_norm.weight", editLab: "ln_final", shape: [.model]),
        .init(hf: "transformer.ln_f.bias", gguf: "output_norm.bias", editLab: "ln_final.bias", shape: [.model]),
        .init(hf: "lm_head.weight", gguf: "output.weight", editLab: "unembed", shape: [.vocab, .model]),
    ]

    /// HF keys that are buffers, not weights, and are skipped (`{i}` is the layer).
    public static let ignoredHF: [String] = ["transformer.h.{i}.attn.bias", "transformer.h.{i}.attn.masked_bias"]
}
