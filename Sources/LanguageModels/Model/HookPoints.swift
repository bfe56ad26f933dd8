/// The hook point names of a model, TransformerLens's names verbatim.
public enum HookPoints {
    /// Per-block hook names (without the `blocks.{i}.` prefix), in forward order.
    public static let blockPoints = [
        "hook_resid_pre", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z",
        "hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_pre_linear",
        "mlp.hook_post", "hook_mlp_out", "hook_resid_post",
    ]

    /// Every hook name of a model with `layers` blocks (`hook_embed`, `hook_pos_embed` for
    /// GPT-2, the block points, `ln_final.hook_normalized`).
    public static func all(layers: Int, family: ModelFamily) -> [String] {
        var names = ["hook_embed"]
        if family == .gpt2 { names.append("hook_pos_embed") }
        for i in 0..<layers { names += blockPoints.map { "blocks.\(i).\($0)" } }
        if family == .gpt2 { names.removeAll { $0.hasSuffix("mlp.hook_pre_linear") } }
        names.append("ln_final.hook_normalized")
        return names
    }

    /// The block index of a hook name, if it is a block point.
    public static func layer(of name: String) -> Int? {
        guard name.hasPrefix("blocks.") else { return nil }
        let rest = name.dropFirst("blocks.".count)
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        return Int(rest[rest.startIndex..<dot])
    }
}
