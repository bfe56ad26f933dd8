import Datasets
import Foundation
import LanguageModels
import Tensors

/// Where the optimised vector δ is added.
public enum TargetSite: Sendable {
    /// The MLP output of the layer (ROME's v*: `blocks.{l}.hook_mlp_out`).
    case mlpOutput
    /// The whole layer's output (MEMIT-family z: `blocks.{l}.hook_resid_post`).
    case layerOutput

    var hook: String { self == .mlpOutput ? "hook_mlp_out" : "hook_resid_post" }
}

/// The optimisation trace of one request's target.
public struct TargetTrace: Sendable {
    /// Per forward pass: (total loss, nll, kl term, weight-decay term, mean exp(−nll) over prompts).
    public var rows: [[Double]]
    /// Why the loop ended: `loss` (below early_stop_loss), `mpes`, or `steps`.
    public var stopReason: String
    /// ‖target_init‖, ‖δ‖ and ‖target‖ (ENCORE logs these).
    public var initNorm: Double, deltaNorm: Double, finalNorm: Double

    /// The final total loss.
    public var finalLoss: Double { rows.last?[0] ?? .nan }
}

/// The result of a batched target optimisation.
public struct TargetResult {
    /// Initial values at the edit site (`[n, d_model]`, float32).
    public let targetInit: Tensor
    /// Optimised δ (`[n, d_model]`).
    public let delta: Tensor
    /// target_init + δ (`[n, d_model]`): ROME's v*, MEMIT's z.
    public let targets: Tensor
    /// Per request.
    public let traces: [TargetTrace]
    /// The work done (for throughput figures).
    public var work = TargetWork()
}

/// What a target optimisation computed: token counts per stage, for achieved-throughput
/// figures (FLOPs are derived from them by the caller, who knows the model's shapes).
public struct TargetWork: Sendable, Equatable {
    /// Tokens run once through the blocks up to and including the edit site's block.
    public var lowerTokens = 0
    /// Σ over forward passes of the tokens run through the blocks above the edit site's block
    /// (each also back-propagated, activation gradients only, except in the last
    /// evaluation-only pass).
    public var upperTokens = 0
    /// The real tokens of the passes that were back-propagated.
    public var upperBackwardTokens = 0
    /// Σ over passes of the positions whose logits were computed, and of those back-propagated.
    public var logitColumns = 0, backwardLogitColumns = 0
    /// Causal attention pairs (query, visible key) per head and layer: Σ over sequences of
    /// len·(len+1)/2, in the single pass below the edit site, summed over the forward passes
    /// above it, and over those passes that were back-propagated.
    public var lowerAttentionPairs = 0, upperAttentionPairs = 0, upperBackwardAttentionPairs = 0
    /// Forward passes (optimisation steps plus the final evaluation) and backward passes.
    public var forwardPasses = 0, backwardPasses = 0
    /// The edit site's block (the last block of the lower part).
    public var siteLayer = 0

    public init() {}

    /// Σ len·(len+1)/2 over sequences of `lengths`: the (query, key) pairs causal attention
    /// needs per head and layer.
    public static func causalPairs(_ lengths: [Int]) -> Int {
        lengths.reduce(0) { $0 + $1 * ($1 + 1) / 2 }
    }

    /// Adds another optimisation's work (the site layer is kept from the first).
    public mutating func add(_ o: TargetWork) {
        if forwardPasses == 0 { siteLayer = o.siteLayer }
        lowerTokens += o.lowerTokens
        upperTokens += o.upperTokens
        logitColumns += o.logitColumns
        upperBackwardTokens += o.upperBackwardTokens
        backwardLogitColumns += o.backwardLogitColumns
        lowerAttentionPairs += o.lowerAttentionPairs
        upperAttentionPairs += o.upperAttentionPairs
        upperBackwardAttentionPairs += o.upperBackwardAttentionPairs
        forwardPasses += o.forwardPasses
        backwardPasses += o.backwardPasses
    }
}

/// The v*/z optimisation of EDITING.md §0–2 and §5.1 for a batch of requests, each with its
/// own δ, Adam state and stopping rule (early stop on the loss, MPES, step budget).
///
/// Loss of request r: mean over its rewriting prompts of the target's mean token NLL (teacher
/// forced) + kl_factor · KL(P_δ ‖ P_0) on its KL prompt at the subject token + v_weight_decay
/// · ‖δ_r‖ / ‖target_init_r‖². The reference loop's quirks are kept: the last iteration only
/// evaluates, the early stop is checked before the step, the clamp projects δ after each step.
/// The blocks up to the edit site's own block run once (δ is added after them); the rows of all
/// active requests run packed, without padding; logits are computed only at target positions.
struct TargetOptimizer {
    let model: LanguageModel
    let prompts: EditPrompts
    let hparams: EditHyperparameters
    let layer: Int
    let site: TargetSite

    /// Per request: its rows in the batch, their lookup columns and target columns.
    struct Layout {
        var sequences: [[Int]] = []
        var requestOfRow: [Int] = []
        var lookup: [Int] = []            // per row
        var targetColumns: [[Int]] = []   // per rewriting row (empty for KL rows)
        var targetIDs: [[Int]] = []       // per request
        var rewritingRows: [[Int]] = []   // per request
        var klRow: [Int] = []             // per request
    }

    func layout(_ requests: [EditRequest], templates: [String]) throws -> Layout {
        var l = Layout()
        for (ri, r) in requests.enumerated() {
            let target = try prompts.targetIDs(r.targetNew.str)
            l.targetIDs.append(target)
            let targetPrefix = try prompts.tokenizer.decode(Array(target.dropLast()))
            var rows: [Int] = []
            for t in templates {
                let withPrompt = EditRequest.fill(t, r.prompt) + targetPrefix
                let ids = prompts.encode(EditRequest.fill(withPrompt, r.subject))
                let idx = try prompts.lookupIndex(template: withPrompt, subject: r.subject, factToken: hparams.factToken, caseID: r.caseID)
                guard ids.count >= target.count, idx < ids.count else {
                    throw EditorError.badRequest(caseID: r.caseID, detail: "prompt too short for its target")
                }
                rows.append(l.sequences.count)
                l.sequences.append(ids)
                l.requestOfRow.append(ri)
                l.lookup.append(idx)
                l.targetColumns.append(Array((ids.count - target.count)..<ids.count))
            }
            l.rewritingRows.append(rows)
            let kl = prompts.encode(EditRequest.fill(hparams.klPrompt, r.subject))
            let klIdx = try prompts.lookupIndex(template: hparams.klPrompt, subject: r.subject, factToken: hparams.factToken, caseID: r.caseID)
            l.klRow.append(l.sequences.count)
            l.sequences.append(kl)
            l.requestOfRow.append(ri)
            l.lookup.append(klIdx)
            l.targetColumns.append([])
        }
        return l
    }

    /// Per-request Adam (float32, torch's update order) on one δ row.
    struct RowAdam {
        var m: [Float], v: [Float]
        var t = 0
        init(width: Int) { m = [Float](repeating: 0, count: width); v = m }
        mutating func step(_ x: inout [Float], grad g: [Float], lr: Double) {
            t += 1
            let b1: Float = 0.9, b2: Float = 0.999, eps: Float = 1e-8
            let bc1 = 1 - Foundation.pow(0.9, Double(t)), bc2 = 1 - Foundation.pow(0.999, Double(t))
            let stepSize = Float(lr / bc1), bc2Sqrt = Float(bc2.squareRoot())
            for i in 0..<x.count {
                m[i] = m[i] + (1 - b1) * (g[i] - m[i])
                v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                let denom = v[i].squareRoot() / bc2Sqrt + eps
                x[i] = x[i] - stepSize * (m[i] / denom)
            }
        }
    }

    func optimise(_ requests: [EditRequest], templates: [String]) throws -> TargetResult {
        let n = requests.count
        let d = model.config.dModel
        let l = try layout(requests, templates: templates)
        let lossLayer = hparams.lossLayer(for: model.config)
        let last = model.config.layerCount - 1
        // Every rewriting and KL row packed into one sequence of real tokens (no padding), so each
        // matrix product of a pass runs over all of its tokens at once.
        let rowStart = l.sequences.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.count) }
        // The blocks up to the edit site's own block do not depend on δ (both sites are at or
        // after the site block's MLP output, where δ is added): they run once; each pass starts
        // after the site block from its output with δ added at the lookup tokens.
        let siteName = "blocks.\(layer).\(site.hook)", postName = "blocks.\(layer).hook_resid_post"
        let (siteOutput, siteValues): (Tensor, Tensor) = try Autograd.noGrad {
            let r = try model.forward(TokenBatch(packing: l.sequences),
                                      ForwardOptions(logits: .none, cacheNames: [siteName, postName], stopAfterLayer: layer))
            guard let post = r.cache[postName], let value = r.cache[siteName] else { throw EditorError.statistics("the edit site was not reached") }
            return (try F.reshape(post, [-1, d]).contiguous(), try F.reshape(value, [-1, d]).contiguous())
        }
        let targetInit = try (0..<n).map { r in
            let bare = l.rewritingRows[r][0]
            return try siteValues.select(0, rowStart[bare] + l.lookup[bare]).floats()
        }
        var deltas = [[Float]](repeating: [Float](repeating: 0, count: d), count: n)
        var adams = [RowAdam](repeating: RowAdam(width: d), count: n)
        var klInit: Tensor? = nil
        var traces = [TargetTrace](repeating: TargetTrace(rows: [], stopReason: "steps", initNorm: 0, deltaNorm: 0, finalNorm: 0), count: n)
        var active = [Bool](repeating: true, count: n)
        var mpesCount = [Int](repeating: 0, count: n)

        var work = TargetWork()
        work.siteLayer = layer
        work.lowerTokens = rowStart[l.sequences.count]
        work.lowerAttentionPairs = TargetWork.causalPairs(l.sequences.map(\.count))
        for it in 0..<hparams.vNumGradSteps {
            try Cancellation.check()
            // The rows of the requests still being optimised, packed in their order.
            let rows = (0..<l.sequences.count).filter { active[l.requestOfRow[$0]] }
            if rows.isEmpty { break }
            let batch = try TokenBatch(packing: rows.map { l.sequences[$0] })
            let start = rows.indices.map { batch.start(ofSegment: $0) }
            let deltaLeaf = try Tensor(shape: [n, d], floats: deltas.flatMap { $0 }).requiringGrad()
            // Columns whose logits are needed: targets of rewriting rows, lookup of KL rows.
            var columns: [Int] = []
            var columnOfTarget: [[Int]] = Array(repeating: [], count: rows.count)
            var klColumn = [Int](repeating: -1, count: n)
            for (bi, row) in rows.enumerated() {
                if l.targetColumns[row].isEmpty {
                    klColumn[l.requestOfRow[row]] = columns.count
                    columns.append(start[bi] + l.lookup[row])
                } else {
                    for c in l.targetColumns[row] {
                        columnOfTarget[bi].append(columns.count)
                        columns.append(start[bi] + c)
                    }
                }
            }
            // The site block's output of these rows, with each row's request's δ at its lookup token.
            let tokens = rows.count == l.sequences.count ? siteOutput
                : try F.indexSelect(siteOutput, rows.flatMap { Array(rowStart[$0]..<rowStart[$0 + 1]) })
            let perRow = try F.indexSelect(deltaLeaf, rows.map { l.requestOfRow[$0] })
            let input = try F.indexAdd(tokens, rows.indices.map { start[$0] + l.lookup[rows[$0]] }, perRow)
            var options = ForwardOptions(logits: .columns(columns))
            options.startLayer = layer + 1
            options.initialResidual = try F.reshape(input, [1, batch.length, d])
            work.upperTokens += batch.length
            let passPairs = TargetWork.causalPairs(rows.map { l.sequences[$0].count })
            work.upperAttentionPairs += passPairs
            work.logitColumns += columns.count
            let fullLogits: Tensor, nllLogits: Tensor
            if lossLayer == last {
                guard let lg = try model.forward(batch, options).logits else { throw EditorError.statistics("no logits") }
                (fullLogits, nllLogits) = (lg, lg)
            } else {
                let name = "blocks.\(lossLayer).hook_resid_post"
                if lossLayer > layer { options.cacheNames = [name] }
                let r = try model.forward(batch, options)
                guard let lg = r.logits, let h = lossLayer > layer ? r.cache[name] : input else { throw EditorError.statistics("no logits") }
                fullLogits = lg
                nllLogits = try model.unembed(F.indexSelect(F.reshape(h, [-1, d]), columns))
            }
            work.forwardPasses += 1
            let passTokens = batch.length
            if it == 0 {
                klInit = try F.indexSelect(fullLogits, klColumn).detached()
            }
            // Losses per request.
            var total: Tensor? = nil
            var rowsStats: [(Int, [Double])] = []
            for r in 0..<n where active[r] {
                let target = l.targetIDs[r]
                var nllSum: Tensor? = nil
                var probs: [Double] = []
                var argmaxOK = 0, argmaxAll = 0
                let myRows = l.rewritingRows[r].compactMap { rows.firstIndex(of: $0) }
                for bi in myRows {
                    let picked = try F.indexSelect(nllLogits, columnOfTarget[bi])           // [n_t, V]
                    let each = try F.crossEntropy(picked, targets: target)                  // mean token NLL
                    probs.append(Foundation.exp(-(try each.item())))
                    nllSum = try nllSum.map { try F.add($0, each) } ?? each
                    // MPES counts the prompts after the bare one (the reference's log_probs[1:]).
                    if bi != myRows.first {
                        for (j, a) in try picked.detached().argmax(dim: 1).enumerated() {
                            argmaxAll += 1
                            if a == target[j] { argmaxOK += 1 }
                        }
                    }
                }
                guard let nllTotal = nllSum else { continue }
                let nll = F.scale(nllTotal, 1 / Double(myRows.count))
                let klCol = klColumn[r]
                let cur = try F.indexSelect(fullLogits, [klCol])
                let ref = try klInit.map { try $0.narrow(0, start: r, length: 1) } ?? cur.detached()
                let kl = F.scale(try F.klDivergence(cur, reference: ref), hparams.klFactor)
                let initNorm = Double(targetInit[r].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot())
                let wd = F.scale(F.norm(try F.reshape(F.narrow(deltaLeaf, 0, start: r, length: 1), [d])), hparams.vWeightDecay / (initNorm * initNorm))
                let loss = try F.add(F.add(nll, kl), wd)
                let lv = try loss.item()
                rowsStats.append((r, [lv, try nll.item(), try kl.item(), try wd.item(), probs.reduce(0, +) / Double(probs.count)]))
                total = try total.map { try F.add($0, loss) } ?? loss
                traces[r].rows.append(rowsStats.last?.1 ?? [])
                if !lv.isFinite { throw EditorError.nonFinite("the target loss of request \(requests[r].caseID)") }
                // Stopping rules, checked before any step (reference order).
                if lv < hparams.earlyStopLoss { active[r] = false; traces[r].stopReason = "loss"; continue }
                if hparams.probCutoff < 0 && argmaxAll > 0 && argmaxOK == argmaxAll {
                    mpesCount[r] += 1
                    if Double(mpesCount[r]) >= -hparams.probCutoff { active[r] = false; traces[r].stopReason = "mpes"; continue }
                } else if hparams.probCutoff > 0 && probs.reduce(0, +) / Double(probs.count) > hparams.probCutoff {
                    active[r] = false
                    traces[r].stopReason = "mpes"
                    continue
                }
                if it == hparams.vNumGradSteps - 1 { active[r] = false; traces[r].stopReason = "steps" }
            }
            guard let total, active.contains(true) else { break }
            try F.backward(total)
            work.backwardPasses += 1
            work.upperBackwardTokens += passTokens
            work.upperBackwardAttentionPairs += passPairs
            work.backwardLogitColumns += columns.count
            guard let grad = deltaLeaf.grad else { throw EditorError.statistics("no gradient reached δ") }
            let g = grad.floats()
            for r in 0..<n where active[r] {
                adams[r].step(&deltas[r], grad: Array(g[(r * d)..<((r + 1) * d)]), lr: hparams.vLR)
                // Project into the L2 ball of radius clamp · ‖target_init‖.
                let maxNorm = Float(hparams.clampNormFactor) * targetInit[r].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                let dn = deltas[r].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                if dn > maxNorm { deltas[r] = deltas[r].map { $0 * maxNorm / dn } }
            }
        }
        var targetsFlat: [Float] = []
        for r in 0..<n {
            let t = zip(targetInit[r], deltas[r]).map { $0 + $1 }
            targetsFlat += t
            func norm(_ v: [Float]) -> Double { Double(v.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()) }
            traces[r].initNorm = norm(targetInit[r])
            traces[r].deltaNorm = norm(deltas[r])
            traces[r].finalNorm = norm(t)
        }
        return TargetResult(targetInit: try Tensor(shape: [n, d], floats: targetInit.flatMap { $0 }),
                            delta: try Tensor(shape: [n, d], floats: deltas.flatMap { $0 }),
                            targets: try Tensor(shape: [n, d], floats: targetsFlat),
                            traces: traces, work: work)
    }
}
