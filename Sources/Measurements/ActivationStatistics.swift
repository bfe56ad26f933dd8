import Foundation
import Datasets
import LanguageModels
import Tensors

/// Activation statistics over a prompt set at any hook points (EDITING.md §8.2): mean L2
/// norms split by position class (subject tokens, last token, other tokens, prompt prefix),
/// the residual-stream shares of every block, the massive-activation dimensions reported
/// apart, and kept vectors for subspace comparisons.
///
/// Streaming: prompts run in batched forward passes without logits (stopping after the last
/// block needed); hooks reduce every activation as it is produced, so memory holds one
/// batch's activations plus per-hook accumulators, whatever the number of prompts.
/// Deterministic: batches are formed in a fixed order (length-sorted, stable) and results do
/// not depend on how prompts are split into batches beyond float rounding.
public enum ActivationStatistics {
    /// Measures `prompts` (texts or token ids, with optional subject spans) on `model`.
    public static func measure(_ model: LanguageModel, _ prompts: [ActivationPrompt],
                               options: ActivationOptions = ActivationOptions()) throws -> ActivationSet {
        guard !prompts.isEmpty else { throw MeasurementError.invalidArgument("no prompts to measure") }
        guard options.maxTokensPerBatch > 0 else { throw MeasurementError.invalidArgument("maxTokensPerBatch must be positive") }
        guard options.massiveFactor > 0, options.massiveFactor.isFinite else {
            throw MeasurementError.invalidArgument("massiveFactor must be positive and finite, got \(options.massiveFactor)")
        }
        let plan = try Plan(model, prompts, options)
        var fo = ForwardOptions(logits: .none, stopAfterLayer: plan.stopAfterLayer)
        if plan.names.contains("ln_final.hook_normalized") { fo.cacheNames = ["ln_final.hook_normalized"] }
        // Every accumulator and the kept vectors (one block) are allocated before the passes,
        // so that they are not interleaved with the passes' activations in the heap; widths
        // come from the configuration (a hook point it does not know is allocated on first use).
        let widths = plan.names.map { Accumulator.expectedWidth($0, model.config) ?? -1 }
        let acc = Accumulator(plan, widths: widths)
        for (i, name) in plan.names.enumerated() {
            fo.hooks[name] = [{ x, _ in
                try acc.consume(slot: i, x)
                return nil
            }]
        }
        try Autograd.noGrad {
            for members in plan.batches {
                let batch = try TokenBatch(members.map { plan.tokens[$0] }, padding: .right, padID: plan.padID)
                acc.begin(batch: batch, members: members)
                _ = try model.forward(batch, fo)
            }
        }
        return acc.result()
    }

    /// Measures text prompts without subjects.
    public static func measure(_ model: LanguageModel, texts: [String],
                               options: ActivationOptions = ActivationOptions()) throws -> ActivationSet {
        try measure(model, texts.map { ActivationPrompt($0) }, options: options)
    }

    /// The batches `measure` runs for these prompts: token ids (prefix + prompt) per prompt,
    /// grouped in the order they are run (for a plain forward over the same batches, as the
    /// benchmark does).
    public static func batches(_ model: LanguageModel, _ prompts: [ActivationPrompt],
                               options: ActivationOptions = ActivationOptions()) throws -> [TokenBatch] {
        let plan = try Plan(model, prompts, options)
        return try plan.batches.map { try TokenBatch($0.map { plan.tokens[$0] }, padding: .right, padID: plan.padID) }
    }

    /// What to run: tokens, classes, hook slots, batches.
    struct Plan {
        let tokens: [[Int]]
        let prefixLength: Int
        let subjects: [Range<Int>?]
        let names: [String]
        let layers: [Int?]
        let measured: [Bool]
        let keptFlags: [Bool]
        /// Per slot: 0 residual input, 1 attention output, 2 MLP output, nil otherwise.
        let shareRole: [Int?]
        let shareLayers: [Int]
        let stopAfterLayer: Int?
        let batches: [[Int]]
        let padID: Int
        let keep: KeptTokens
        /// Per prompt: its first kept row (or -1 when it keeps none).
        let keptRowStart: [Int]
        let keptRows: Int
        let massiveFactor: Double

        init(_ model: LanguageModel, _ prompts: [ActivationPrompt], _ options: ActivationOptions) throws {
            let tok = model.tokenizer
            let prefix: [Int]
            if let tok {
                prefix = try options.prefix.ids(for: tok)
            } else {
                switch options.prefix {
                case .automatic, .none: prefix = []
                case .tokens(let ids): prefix = ids
                case .bos, .text:
                    throw MeasurementError.invalidArgument("prompt prefix '\(options.prefix.name)' needs a tokenizer; the model has none")
                }
            }
            prefixLength = prefix.count
            var toks: [[Int]] = [], subj: [Range<Int>?] = []
            for (i, p) in prompts.enumerated() {
                let ids: [Int]
                switch p.content {
                case .tokens(let t): ids = t
                case .text(let s):
                    guard let tok else { throw ModelError.noTokenizer(model.tokenizerIssue ?? "none in the checkpoint") }
                    ids = tok.encode(s)
                }
                guard !ids.isEmpty else { throw MeasurementError.invalidArgument("prompt \(i) has no tokens") }
                if let s = p.subjectTokens, s.lowerBound < 0 || s.upperBound > ids.count || s.isEmpty {
                    throw MeasurementError.invalidArgument("prompt \(i): subject tokens \(s) outside its \(ids.count) tokens")
                }
                toks.append(prefix + ids)
                subj.append(p.subjectTokens)
            }
            tokens = toks
            subjects = subj
            padID = tok?.padID ?? tok?.eosID ?? 0

            let measuredNames = try DottedPattern.select(options.hooks, from: model.hookNames, kind: "hook point")
            let keepNames = options.keep == .none ? [] :
                try DottedPattern.select(options.keepHooks ?? options.hooks, from: model.hookNames, kind: "hook point")
            // the last block any measured or kept hook needs
            var lastNeeded = -1, needsFinal = false
            for n in measuredNames + keepNames {
                if let l = blockIndex(n) { lastNeeded = Swift.max(lastNeeded, l) }
                if n == "ln_final.hook_normalized" { needsFinal = true }
            }
            if needsFinal { lastNeeded = model.config.layerCount - 1 }
            shareLayers = options.residualShares && lastNeeded >= 0 ? Array(0...lastNeeded) : []
            var shareNames: [String: Int] = [:]
            for l in shareLayers {
                shareNames["blocks.\(l).hook_resid_pre"] = 0
                shareNames["blocks.\(l).hook_attn_out"] = 1
                shareNames["blocks.\(l).hook_mlp_out"] = 2
            }
            let measuredSet = Set(measuredNames), keepSet = Set(keepNames)
            names = model.hookNames.filter { measuredSet.contains($0) || keepSet.contains($0) || shareNames[$0] != nil }
            layers = names.map(blockIndex)
            measured = names.map { measuredSet.contains($0) }
            keptFlags = names.map { keepSet.contains($0) }
            shareRole = names.map { shareNames[$0] }
            stopAfterLayer = needsFinal ? nil : Swift.max(lastNeeded, 0)

            keep = options.keep
            var start: [Int] = [], rows = 0
            for (i, t) in toks.enumerated() {
                switch keep {
                case .none: start.append(-1)
                case .last: start.append(rows); rows += 1
                case .subjectLast:
                    if subj[i] != nil { start.append(rows); rows += 1 } else { start.append(-1) }
                case .all: start.append(rows); rows += t.count - prefix.count
                }
            }
            keptRowStart = start
            keptRows = rows
            massiveFactor = options.massiveFactor

            // length-sorted batches (stable on the index), bounded by rows × padded length
            let order = toks.indices.sorted { (toks[$0].count, $0) < (toks[$1].count, $1) }
            var out: [[Int]] = [], cur: [Int] = [], maxLen = 0
            for i in order {
                let len = Swift.max(maxLen, toks[i].count)
                if !cur.isEmpty && len * (cur.count + 1) > options.maxTokensPerBatch {
                    out.append(cur)
                    cur = []
                    maxLen = 0
                }
                cur.append(i)
                maxLen = Swift.max(maxLen, toks[i].count)
            }
            if !cur.isEmpty { out.append(cur) }
            batches = out
        }

        /// The class of token `index` (0-based, prefix included) of prompt `p`.
        func positionClass(prompt p: Int, index: Int) -> PositionClass {
            if index < prefixLength { return .prefix }
            if index == tokens[p].count - 1 { return .last }
            if let s = subjects[p], s.contains(index - prefixLength) { return .subject }
            return .other
        }

        /// The kept row of token `index` of prompt `p`, or -1.
        func keptRow(prompt p: Int, index: Int) -> Int {
            let start = keptRowStart[p]
            guard start >= 0, index >= prefixLength else { return -1 }
            switch keep {
            case .none: return -1
            case .last: return index == tokens[p].count - 1 ? start : -1
            case .subjectLast:
                guard let s = subjects[p] else { return -1 }
                return index - prefixLength == s.upperBound - 1 ? start : -1
            case .all: return start + index - prefixLength
            }
        }
    }
}

/// Per-hook accumulators of `ActivationStatistics` (a class: the hooks mutate it while the
/// forward pass runs). Each activation is reduced token by token (norms, kept vectors), writing
/// |x| and x² of a chunk of rows into a cache-sized scratch; the per-class, per-dimension sums of
/// the chunk are then one BLAS gemm with the class-indicator matrix, accumulated in float32
/// over the batch and added to float64 totals after each activation.
final class Accumulator {
    static let classCount = 4
    static let pad: UInt8 = 255

    final class Slot {
        var width = -1
        /// Per class, per dimension (class-major): Σ|x| and Σx² (nil when not measured).
        var absTotal: UnsafeMutablePointer<Double>?
        var sqTotal: UnsafeMutablePointer<Double>?
        var count = [Int](repeating: 0, count: Accumulator.classCount)
        var sumNorm = [Double](repeating: 0, count: Accumulator.classCount)
        var kept: Tensor?

        func allocate(width w: Int, perDimension: Bool) {
            width = w
            if perDimension {
                let n = Accumulator.classCount * w
                absTotal = .allocate(capacity: n)
                absTotal?.initialize(repeating: 0, count: n)
                sqTotal = .allocate(capacity: n)
                sqTotal?.initialize(repeating: 0, count: n)
            }
        }

        /// Σ|x_j| and Σx_j² over class `c` (0 when not measured).
        func abs(_ c: Int, _ j: Int) -> Double { absTotal?[c * width + j] ?? 0 }
        func sq(_ c: Int, _ j: Int) -> Double { sqTotal?[c * width + j] ?? 0 }

        deinit {
            absTotal?.deallocate()
            sqTotal?.deallocate()
        }
    }

    let plan: ActivationStatistics.Plan
    let slots: [Slot]
    /// Per share layer, per class: tokens and Σ of the three shares.
    var shareCount: [[Int]]
    var shareSums: [[(Double, Double, Double)]]
    /// Share layer → its index in `shareCount`.
    let shareIndex: [Int: Int]
    /// The current batch: class of every (row, column), kept row of every (row, column).
    var classes: [UInt8] = []
    var keptRows: [Int] = []
    var cells = 0
    /// Scratch for the per-dimension sums: `[chunkRows, 2·width]` rows of |x| and x², the class
    /// indicator `[classCount, chunkRows]` and the sums `[classCount, 2·width]` (grown on demand).
    var scratchRows: UnsafeMutablePointer<Float>
    var indicator: UnsafeMutablePointer<Float>
    var sums: UnsafeMutablePointer<Float>
    var scratchWidth: Int
    /// Rows per gemm of the per-dimension sums (the scratch stays in cache).
    static let chunkRows = 64

    func scratch(width w: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        if w > scratchWidth {
            scratchRows.deallocate()
            sums.deallocate()
            scratchWidth = w
            scratchRows = .allocate(capacity: Accumulator.chunkRows * 2 * w)
            sums = .allocate(capacity: Accumulator.classCount * 2 * w)
        }
        return (scratchRows, indicator, sums)
    }

    deinit {
        scratchRows.deallocate()
        sums.deallocate()
        indicator.deallocate()
    }
    /// Per share layer: per-token norms of the residual input and the attention output.
    var residualNorms: [[Float]]
    var attentionNorms: [[Float]]

    /// The width of the vectors at a hook point, from the configuration (nil for a point it
    /// does not know).
    static func expectedWidth(_ name: String, _ c: ModelConfig) -> Int? {
        var point = name
        if let l = blockIndex(name) { point = String(name.dropFirst("blocks.\(l).".count)) }
        switch point {
        case "hook_embed", "hook_pos_embed", "ln_final.hook_normalized", "hook_resid_pre", "ln1.hook_normalized",
             "hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "hook_mlp_out", "hook_resid_post":
            return c.dModel
        case "attn.hook_q", "attn.hook_z": return c.queryDim
        case "attn.hook_k", "attn.hook_v": return c.kvDim
        case "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post": return c.mlpDim
        default: return nil
        }
    }

    /// Accumulators for `plan`, with the width of every slot's vectors where known (-1: on first use).
    init(_ plan: ActivationStatistics.Plan, widths: [Int]) {
        self.plan = plan
        indicator = .allocate(capacity: Accumulator.classCount * Accumulator.chunkRows)
        // sized for the widest measured hook before the passes (grown if an unknown point is wider)
        let maxWidth = Swift.max(zip(widths, plan.measured).filter { $0.1 }.map(\.0).max() ?? 1, 1)
        scratchWidth = maxWidth
        scratchRows = .allocate(capacity: Accumulator.chunkRows * 2 * maxWidth)
        sums = .allocate(capacity: Accumulator.classCount * 2 * maxWidth)
        slots = plan.names.map { _ in Slot() }
        var keptTotal = 0
        for (i, s) in slots.enumerated() where widths[i] > 0 {
            s.allocate(width: widths[i], perDimension: plan.measured[i])
            if plan.keptFlags[i] { keptTotal += plan.keptRows * widths[i] }
        }
        let block = TensorStorage(dtype: .float32, count: keptTotal)
        var offset = 0
        for (i, s) in slots.enumerated() where plan.keptFlags[i] && s.width > 0 {
            s.kept = try? Tensor(storage: block, shape: [plan.keptRows, s.width], strides: [s.width, 1], offset: offset)
            offset += plan.keptRows * s.width
        }
        let n = plan.shareLayers.count
        shareCount = Array(repeating: [Int](repeating: 0, count: Accumulator.classCount), count: n)
        shareSums = Array(repeating: Array(repeating: (0, 0, 0), count: Accumulator.classCount), count: n)
        var idx: [Int: Int] = [:]
        for (i, l) in plan.shareLayers.enumerated() { idx[l] = i }
        shareIndex = idx
        residualNorms = Array(repeating: [], count: n)
        attentionNorms = Array(repeating: [], count: n)
    }

    /// Lays out the classes and kept rows of a batch (right padding: column = token index).
    func begin(batch: TokenBatch, members: [Int]) {
        let t = batch.length
        cells = members.count * t
        classes = [UInt8](repeating: Accumulator.pad, count: cells)
        keptRows = [Int](repeating: -1, count: cells)
        for (r, p) in members.enumerated() {
            for c in 0..<plan.tokens[p].count {
                classes[r * t + c] = UInt8(plan.positionClass(prompt: p, index: c).index)
                keptRows[r * t + c] = plan.keptRow(prompt: p, index: c)
            }
        }
        for i in residualNorms.indices {
            residualNorms[i] = [Float](repeating: 0, count: cells)
            attentionNorms[i] = [Float](repeating: 0, count: cells)
        }
    }

    /// Reduces one activation `[batch, length, ...]` at slot `i`.
    func consume(slot i: Int, _ x: Tensor) throws {
        let s = slots[i]
        guard x.rank >= 2, cells > 0, x.count % cells == 0, x.shape[0] * x.shape[1] == cells else {
            throw MeasurementError.shapeMismatch("activation at '\(plan.names[i])' has shape \(shapeString(x.shape)), expected [batch, length, ...] with \(cells) positions")
        }
        let xc = x.to(.float32).contiguous()
        let w = xc.count / cells
        if s.width < 0 {
            s.allocate(width: w, perDimension: plan.measured[i])
            if plan.keptFlags[i] { s.kept = Tensor.zeros([plan.keptRows, w]) }
        } else if s.width != w {
            throw MeasurementError.shapeMismatch("activation at '\(plan.names[i])' has width \(w), expected \(s.width)")
        }
        let p = UnsafePointer(xc.pointer(as: Float.self))
        let keptPtr = s.kept?.pointer(as: Float.self)
        let role = plan.shareRole[i]
        let share = role.flatMap { _ in plan.layers[i].flatMap { shareIndex[$0] } }
        var norms = [Float](repeating: 0, count: role == nil ? 0 : cells)
        let cls = classes, kr = keptRows
        if let a = s.absTotal, let q = s.sqTotal {
            // per chunk of rows: [|x| x²] rows into the scratch, then class sums by one gemm
            let chunk = Accumulator.chunkRows
            let (sc, ind, out) = scratch(width: w)
            out.update(repeating: 0, count: Accumulator.classCount * 2 * w)
            var r0 = 0
            while r0 < cells {
                let n = Swift.min(chunk, cells - r0)
                ind.update(repeating: 0, count: Accumulator.classCount * chunk)
                for k in 0..<n {
                    let cell = r0 + k
                    let c = Int(cls[cell])
                    let row = sc + k * 2 * w
                    if c == Int(Accumulator.pad) {
                        row.update(repeating: 0, count: 2 * w)
                        continue
                    }
                    ind[c * chunk + k] = 1
                    let v = p + cell * w
                    let norm = Double(Accumulator.absAndSquares(v, row, row + w, w)).squareRoot()
                    s.count[c] += 1
                    s.sumNorm[c] += norm
                    if role != nil { norms[cell] = Float(norm) }
                    if let kp = keptPtr, kr[cell] >= 0 { (kp + kr[cell] * w).update(from: v, count: w) }
                }
                // out[4, 2w] += ind[4, n] · scratch[n, 2w]
                Float.gemm(transA: false, transB: false, m: Accumulator.classCount, n: 2 * w, k: n, alpha: 1,
                           a: ind, lda: chunk, b: sc, ldb: 2 * w, beta: 1, c: out, ldc: 2 * w)
                r0 += n
            }
            for c in 0..<Accumulator.classCount {
                for j in 0..<w {
                    a[c * w + j] += Double(out[c * 2 * w + j])
                    q[c * w + j] += Double(out[c * 2 * w + w + j])
                }
            }
        } else {
            for cell in 0..<cells {
                let c = Int(cls[cell])
                if c == Int(Accumulator.pad) { continue }
                let v = p + cell * w
                let norm = Double(Accumulator.sumOfSquares(v, w)).squareRoot()
                s.count[c] += 1
                s.sumNorm[c] += norm
                if role != nil { norms[cell] = Float(norm) }
                if let kp = keptPtr, kr[cell] >= 0 { (kp + kr[cell] * w).update(from: v, count: w) }
            }
        }
        if let role, let li = share {
            switch role {
            case 0: residualNorms[li] = norms
            case 1: attentionNorms[li] = norms
            default: addShares(li, mlpNorms: norms)
            }
        }
    }

    func addShares(_ li: Int, mlpNorms m: [Float]) {
        let r = residualNorms[li], a = attentionNorms[li]
        for cell in 0..<cells {
            let c = Int(classes[cell])
            if c == Int(Accumulator.pad) { continue }
            let (hr, ha, hm) = (Double(r[cell]), Double(a[cell]), Double(m[cell]))
            let den = hr + ha + hm
            guard den > 0 else { continue }
            shareCount[li][c] += 1
            let s = shareSums[li][c]
            shareSums[li][c] = (s.0 + hr / den, s.1 + ha / den, s.2 + hm / den)
        }
    }

    /// Writes |x_j| to `absOut` and x_j² to `sqOut` for the `n` values at `v`; returns Σx_j².
    @inline(__always)
    static func absAndSquares(_ v: UnsafePointer<Float>, _ absOut: UnsafeMutablePointer<Float>,
                              _ sqOut: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        let mask = SIMD8<UInt32>(repeating: 0x7fff_ffff)
        let vr = UnsafeRawPointer(v), ar = UnsafeMutableRawPointer(absOut), qr = UnsafeMutableRawPointer(sqOut)
        var s8 = SIMD8<Float>()
        var j = 0
        while j + 8 <= n {
            let o = j * 4
            let x = vr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let x2 = x * x
            s8 += x2
            ar.storeBytes(of: unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & mask, to: SIMD8<Float>.self),
                          toByteOffset: o, as: SIMD8<Float>.self)
            qr.storeBytes(of: x2, toByteOffset: o, as: SIMD8<Float>.self)
            j += 8
        }
        var s = s8.sum()
        while j < n {
            let x = v[j]
            absOut[j] = Swift.abs(x)
            sqOut[j] = x * x
            s += x * x
            j += 1
        }
        return s
    }

    /// Σx² of `v`.
    @inline(__always)
    static func sumOfSquares(_ v: UnsafePointer<Float>, _ n: Int) -> Float {
        let vr = UnsafeRawPointer(v)
        var s8 = SIMD8<Float>()
        var j = 0
        while j + 8 <= n {
            let x = vr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            s8 += x * x
            j += 8
        }
        var s = s8.sum()
        while j < n {
            s += v[j] * v[j]
            j += 1
        }
        return s
    }

    // MARK: Results

    func result() -> ActivationSet {
        var hooks: [HookStatistics] = []
        var kept: [KeptActivations] = []
        for (i, s) in slots.enumerated() {
            if plan.measured[i] { hooks.append(statistics(i, s)) }
            if plan.keptFlags[i], let k = s.kept { kept.append(KeptActivations(name: plan.names[i], matrix: k)) }
        }
        var shares: [LayerShares] = []
        for (li, l) in plan.shareLayers.enumerated() {
            func one(_ cs: [Int]) -> ResidualShares {
                var n = 0, a = 0.0, b = 0.0, c = 0.0
                for k in cs {
                    n += shareCount[li][k]
                    a += shareSums[li][k].0
                    b += shareSums[li][k].1
                    c += shareSums[li][k].2
                }
                let d = Double(n)
                return n == 0 ? ResidualShares(count: 0, residual: .nan, attention: .nan, mlp: .nan)
                              : ResidualShares(count: n, residual: a / d, attention: b / d, mlp: c / d)
            }
            shares.append(LayerShares(layer: l, all: one([0, 1, 2]), subject: one([0]), last: one([1]), other: one([2]),
                                      prefix: one([3])))
        }
        return ActivationSet(promptTokens: plan.tokens, prefixLength: plan.prefixLength, hooks: hooks, shares: shares,
                             keep: plan.keep, kept: kept)
    }

    func statistics(_ i: Int, _ s: Slot) -> HookStatistics {
        let w = Swift.max(s.width, 0)
        let promptClasses = [0, 1, 2]
        // mean |x_j| over the prompt tokens and the massive dimensions
        let nAll = promptClasses.reduce(0) { $0 + s.count[$1] }
        var meanAbs = [Double](repeating: 0, count: w)
        if nAll > 0 {
            for j in 0..<w {
                var a = 0.0
                for c in promptClasses { a += s.abs(c, j) }
                meanAbs[j] = a / Double(nAll)
            }
        }
        let med = nAll > 0 ? median(meanAbs) : .nan
        var massive = nAll > 0 ? (0..<w).filter { meanAbs[$0] > plan.massiveFactor * med } : []
        massive.sort { (meanAbs[$0], -$0) > (meanAbs[$1], -$1) }
        var isMassive = [Bool](repeating: false, count: w)
        for j in massive { isMassive[j] = true }

        func energy(_ cs: [Int]) -> (total: Double, rest: Double) {
            var t = 0.0, r = 0.0
            for c in cs {
                for j in 0..<w {
                    let q = s.sq(c, j)
                    t += q
                    if !isMassive[j] { r += q }
                }
            }
            return (t, r)
        }
        func stats(_ cs: [Int]) -> NormStatistics {
            let n = cs.reduce(0) { $0 + s.count[$1] }
            guard n > 0 else { return NormStatistics(count: 0, meanNorm: .nan, rmsNorm: .nan, rmsNormWithoutMassive: .nan) }
            let sumNorm = cs.reduce(0.0) { $0 + s.sumNorm[$1] }
            let e = energy(cs)
            let d = Double(n)
            return NormStatistics(count: n, meanNorm: sumNorm / d, rmsNorm: (e.total / d).squareRoot(),
                                  rmsNormWithoutMassive: (e.rest / d).squareRoot())
        }
        let eAll = energy(promptClasses)
        let share = eAll.total > 0 ? (eAll.total - eAll.rest) / eAll.total : 0
        return HookStatistics(name: plan.names[i], layer: plan.layers[i], width: w, all: stats(promptClasses),
                              subject: stats([0]), last: stats([1]), other: stats([2]), prefix: stats([3]),
                              massive: MassiveDimensions(indices: massive, meanAbs: massive.map { meanAbs[$0] },
                                                         medianMeanAbs: med, factor: plan.massiveFactor, energyShare: share),
                              meanAbs: meanAbs)
    }
}
