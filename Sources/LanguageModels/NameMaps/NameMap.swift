/// A family's name map with the operations the loader and `editlab info` need.
public struct NameMap: Sendable {
    /// The family.
    public let family: ModelFamily
    /// The data table (see ``LlamaNameMap`` and ``GPT2NameMap``).
    public let entries: [NameMapEntry]
    /// HF keys that are buffers rather than weights and are skipped.
    public let ignoredHF: [String]
    /// A prefix some HF checkpoints of the family omit (GPT-2's original files have
    /// `wte.weight` instead of `transformer.wte.weight`).
    public let omissibleHFPrefix: String?

    /// The name map of `family`.
    public static func forFamily(_ family: ModelFamily) -> NameMap {
        switch family {
        case .llama:
            return NameMap(family: family, entries: LlamaNameMap.entries, ignoredHF: LlamaNameMap.ignoredHF, omissibleHFPrefix: nil)
        case .gpt2:
            return NameMap(family: family, entries: GPT2NameMap.entries, ignoredHF: GPT2NameMap.ignoredHF, omissibleHFPrefix: "transformer.")
        }
    }

    /// Every entry for a model of `layers` layers, in EditLab order: the entries before the
    /// first per-layer one, then layer 0, layer 1, ..., then the rest.
    public func instantiated(layers: Int) -> [NameMapEntry] {
        let firstLayer = entries.firstIndex(where: \.isPerLayer) ?? entries.count
        let lastLayer = entries.lastIndex(where: \.isPerLayer) ?? (firstLayer - 1)
        var out = Array(entries[..<firstLayer])
        let perLayer = entries.filter(\.isPerLayer)
        for i in 0..<max(layers, 0) {
            out.append(contentsOf: perLayer.map { $0.instantiated(layer: i) })
        }
        if lastLayer + 1 < entries.count {
            out.append(contentsOf: entries[(lastLayer + 1)...].filter { !$0.isPerLayer })
        }
        return out
    }

    /// The ignored HF keys for a model of `layers` layers.
    public func ignoredHFNames(layers: Int) -> Set<String> {
        var out = Set<String>()
        for p in ignoredHF {
            if p.contains("{i}") {
                for i in 0..<max(layers, 0) { out.insert(p.replacingLayer(String(i))) }
            } else {
                out.insert(p)
            }
        }
        return out
    }
}
