import Tensors

/// Turns a checkpoint's stored tensors into EditLab weights using the family's name map:
/// finds each entry's stored tensor, checks its shape against the configuration before
/// decoding anything, decodes all of them in one parallel pass, applies the orientation
/// fixes, and ties `unembed` to `embed` when the checkpoint has no separate output weight.
struct WeightAssembler {
    let config: ModelConfig
    let map: NameMap
    let source: WeightSource

    /// What the assembler produced.
    struct Result {
        let names: [String]
        let weights: [String: Tensor]
        let sourceTensors: [SourceTensor]
    }

    private struct Planned {
        let entry: NameMapEntry
        let storedName: String
    }

    func assemble() throws -> Result {
        // Every layer has tensors of its own: a layer count above the number of tensors is a
        // corrupt configuration, refused before anything is built per layer.
        let tensorCount = source.tensorNames.count
        guard config.layerCount <= tensorCount else {
            throw ModelLoadError.implausibleLayerCount(file: source.files.joined(separator: ", "),
                                                       layers: config.layerCount, tensorCount: tensorCount)
        }
        let entries = map.instantiated(layers: config.layerCount)
        let available = Set(source.tensorNames)
        let prefixStripped = usesStrippedPrefix(available)
        func stored(_ e: NameMapEntry) -> String {
            if source.isGGUF { return e.gguf }
            if prefixStripped, let p = map.omissibleHFPrefix, e.hf.hasPrefix(p) { return String(e.hf.dropFirst(p.count)) }
            return e.hf
        }

        var planned: [Planned] = []
        var consumed = Set<String>()
        var tiedUnembed = false
        for e in entries {
            let name = stored(e)
            if e.editLab == "unembed" && config.tiedEmbeddings {
                // HF ties lm_head to the embedding even when the file also stores it.
                consumed.insert(name)
                tiedUnembed = true
                continue
            }
            guard available.contains(name) else {
                if e.optional { continue }
                throw ModelLoadError.missingTensor(file: source.files.joined(separator: ", "), tensor: name, editLabName: e.editLab)
            }
            try checkStoredShape(e, name: name)
            planned.append(Planned(entry: e, storedName: name))
            consumed.insert(name)
        }
        let ignored = source.isGGUF ? Set<String>() : ignoredNames(prefixStripped)
        let unexpected = source.tensorNames.filter { !consumed.contains($0) && !ignored.contains($0) }
        guard unexpected.isEmpty else {
            throw ModelLoadError.unexpectedTensors(file: source.files.joined(separator: ", "), tensors: unexpected,
                                                   family: config.family, layers: config.layerCount)
        }

        // Decode each stored tensor once (GPT-2's fused c_attn feeds three entries).
        var order: [String] = []
        var seen = Set<String>()
        for p in planned where seen.insert(p.storedName).inserted { order.append(p.storedName) }
        let decoded = try source.decode(order)
        var byName: [String: Tensor] = [:]
        for (n, t) in zip(order, decoded) { byName[n] = t }

        var names: [String] = []
        var weights: [String: Tensor] = [:]
        var madeFrom: [String: [String]] = [:]
        for p in planned {
            guard let raw = byName[p.storedName] else { continue }
            let t = try fixed(raw, p.entry, name: p.storedName)
            let expected = p.entry.shape.map { $0.size(in: config) }
            guard t.shape == expected else {
                throw ModelLoadError.wrongShape(file: source.file(of: p.storedName), tensor: p.storedName, shape: t.shape,
                                                expected: "\(expected) for '\(p.entry.editLab)'")
            }
            names.append(p.entry.editLab)
            weights[p.entry.editLab] = t
            madeFrom[p.storedName, default: []].append(p.entry.editLab)
        }
        if tiedUnembed, let embed = weights["embed"] {
            names.append("unembed")
            weights["unembed"] = embed
        }
        let sources = order.map { n in
            SourceTensor(name: n, file: source.file(of: n), storedType: source.storedType(of: n) ?? "?",
                         shape: source.shape(of: n) ?? [], editLabNames: madeFrom[n] ?? [])
        }
        return Result(names: names, weights: weights, sourceTensors: sources)
    }

    /// Whether this HF checkpoint omits the family's optional prefix (`wte.weight`).
    private func usesStrippedPrefix(_ available: Set<String>) -> Bool {
        guard !source.isGGUF, let p = map.omissibleHFPrefix,
              let embed = map.entries.first(where: { $0.editLab == "embed" }), embed.hf.hasPrefix(p) else { return false }
        return !available.contains(embed.hf) && available.contains(String(embed.hf.dropFirst(p.count)))
    }

    private func ignoredNames(_ stripped: Bool) -> Set<String> {
        let names = map.ignoredHFNames(layers: config.layerCount)
        guard stripped, let p = map.omissibleHFPrefix else { return names }
        return Set(names.map { $0.hasPrefix(p) ? String($0.dropFirst(p.count)) : $0 })
    }

    /// The shape the entry's tensor must have in the file, given the fix the format needs.
    private func expectedStoredShape(_ e: NameMapEntry) -> [Int] {
        let shape = e.shape.map { $0.size(in: config) }
        switch e.fix {
        case .none, .ropePermuted: return shape
        case .conv1D: return (!source.isGGUF && shape.count == 2) ? shape.reversed() : shape
        case .conv1DFusedQKV:
            var s = shape
            s[0] *= 3
            return (!source.isGGUF && s.count == 2) ? s.reversed() : s
        }
    }

    private func checkStoredShape(_ e: NameMapEntry, name: String) throws {
        let want = expectedStoredShape(e)
        let have = source.shape(of: name) ?? []
        guard have == want else {
            throw ModelLoadError.wrongShape(file: source.file(of: name), tensor: name, shape: have,
                                            expected: "\(want) for '\(e.editLab)' (\(config.family), d_model \(config.dModel), \(config.layerCount) layers)")
        }
    }

    /// Applies the entry's orientation fix for this source's format.
    private func fixed(_ t: Tensor, _ e: NameMapEntry, name: String) throws -> Tensor {
        let file = source.file(of: name)
        switch e.fix {
        case .none:
            return t
        case .ropePermuted(let proj):
            guard source.isGGUF else { return t }
            let heads = proj == .query ? config.headCount : config.kvHeadCount
            return try WeightTransforms.unpermuteRoPE(t, heads: heads, name: name, file: file)
        case .conv1D:
            return source.isGGUF ? t : try WeightTransforms.transposed(t)
        case .conv1DFusedQKV(let part):
            if !source.isGGUF && t.rank == 2 {
                return try WeightTransforms.rowBlock(t.transposed(0, 1), part: part, of: 3, name: name, file: file)
            }
            return try WeightTransforms.rowBlock(t, part: part, of: 3, name: name, file: file)
        }
    }
}
