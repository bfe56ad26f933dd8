import Datasets
import LanguageModels
import Tensors

/// Keys (inputs of `blocks.{l}.mlp.down`, the `mlp.hook_post` activation) and layer outputs
/// at the fact token of prompts, read in batches without a tape.
struct KeyReader {
    let model: LanguageModel
    let prompts: EditPrompts
    let factToken: String

    /// One prompt: a template with `{}` (already holding the request's prompt) and a subject.
    struct Query {
        let template: String
        let subject: String
        let caseID: Int
    }

    /// Activations at `hookName` of block `layer` at each query's fact token: `[n, width]`.
    /// Runs only the blocks up to `layer`.
    func read(_ queries: [Query], layer: Int, hook: String) throws -> Tensor {
        let name = "blocks.\(layer).\(hook)"
        var rows: [Tensor] = []
        let chunk = 64
        var start = 0
        while start < queries.count {
            let part = Array(queries[start..<min(start + chunk, queries.count)])
            let ids = part.map { prompts.encode(EditRequest.fill($0.template, $0.subject)) }
            let idx = try part.map { try prompts.lookupIndex(template: $0.template, subject: $0.subject, factToken: factToken, caseID: $0.caseID) }
            let batch = try TokenBatch(ids, padding: .right, padID: prompts.tokenizer.padID ?? 0)
            let r = try Autograd.noGrad {
                try model.forward(batch, ForwardOptions(logits: .none, cacheNames: [name], stopAfterLayer: layer))
            }
            guard let act = r.cache[name] else { throw EditorError.statistics("activation \(name) was not recorded") }
            let flat = try act.reshaped([-1, act.shape[act.rank - 1]])
            for (i, j) in idx.enumerated() {
                guard j < ids[i].count else {
                    throw EditorError.badRequest(caseID: part[i].caseID, detail: "fact token index \(j) beyond the prompt's \(ids[i].count) tokens")
                }
                rows.append(try flat.select(0, i * batch.length + j))
            }
            start += chunk
        }
        return try F.concat(rows.map { try $0.unsqueezed(0) }, dim: 0)
    }

    /// The reference key of each request: the mean over template groups of the mean within
    /// the group of the key at the fact token (`compute_ks`; ROME's k* is the one-group case).
    func keys(_ requests: [EditRequest], groups: [[String]], layer: Int) throws -> Tensor {
        var queries: [Query] = []
        for r in requests {
            for g in groups { for t in g { queries.append(Query(template: EditRequest.fill(t, r.prompt), subject: r.subject, caseID: r.caseID)) } }
        }
        let all = try read(queries, layer: layer, hook: "mlp.hook_post").to(.float64)
        let width = all.shape[1]
        let perRequest = groups.map(\.count).reduce(0, +)
        var out: [Double] = []
        for ri in 0..<requests.count {
            var acc = [Double](repeating: 0, count: width)
            var at = ri * perRequest
            for g in groups {
                let block = try all.narrow(0, start: at, length: g.count).mean(dim: 0).doubles()
                for j in 0..<width { acc[j] += block[j] / Double(groups.count) }
                at += g.count
            }
            out += acc
        }
        return try Tensor(shape: [requests.count, width], values: out, dtype: .float64)
    }
}
