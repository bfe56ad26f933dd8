import Tensors

/// The forward pass: one implementation per family, on `F` operations (so it records a tape
/// exactly when something requires a gradient), with hook points at TransformerLens's names.
extension LanguageModel {
    /// Runs the model on a batch.
    public func forward(_ batch: TokenBatch, _ options: ForwardOptions = ForwardOptions()) throws -> ForwardResult {
        try validate(batch)
        try validateHookNames(options.cacheNames)
        try validateHookNames(options.hooks.keys)
        return try run(Pass(batch: batch, ids: batch.ids, mask: batch.mask, positions: batch.positions,
                            columns: batch.length, columnOffset: 0), options, cache: nil)
    }

    /// Logits at every position, `[batch, length, vocab]`.
    public func logits(_ batch: TokenBatch) throws -> Tensor {
        guard let l = try forward(batch, ForwardOptions(logits: .all)).logits else {
            throw ModelError.invalidOption("no logits were computed")
        }
        return l
    }

    /// Runs the batch and keeps the activations at `names` (`run_with_cache`), with logits as
    /// selected.
    public func runWithCache(_ batch: TokenBatch, names: [String], logits: LogitSelection = .all) throws -> ForwardResult {
        try forward(batch, ForwardOptions(logits: logits, cacheNames: Set(names)))
    }

    /// The columns of one pass (the whole batch, or the new tokens of a generation step).
    struct Pass {
        let batch: TokenBatch
        let ids: [Int]
        let mask: [Bool]
        let positions: [Int]
        let columns: Int
        let columnOffset: Int
        var rows: Int { batch.batchSize }
    }

    /// Runs the hooks registered at `name` and caches the result if asked.
    func hookPoint(_ name: String, _ x: Tensor, layer: Int?, pass: Pass, options: ForwardOptions,
                   cache: inout [String: Tensor]) throws -> Tensor {
        var y = x
        let perm = permanentHooks[name]
        let extra = options.hooks[name]
        if perm != nil || extra != nil {
            let ctx = HookContext(name: name, layer: layer, batch: pass.batch, columnOffset: pass.columnOffset)
            for fn in (perm?.map(\.fn) ?? []) + (extra ?? []) {
                if let r = try fn(y, ctx) {
                    guard r.shape == y.shape else { throw ModelError.hookShape(name: name, expected: y.shape, got: r.shape) }
                    guard r.dtype == y.dtype else { throw ModelError.hookShape(name: name, expected: y.shape, got: r.shape) }
                    y = r
                }
            }
        }
        if options.cacheNames.contains(name) { cache[name] = y }
        return y
    }

    /// Whether the hook point `name` does nothing in this pass: no hook registered on it and
    /// not asked for in the cache (its activation then need not exist on its own).
    func hookIsIdle(_ name: String, options: ForwardOptions) -> Bool {
        (permanentHooks[name]?.isEmpty ?? true) && (options.hooks[name]?.isEmpty ?? true) && !options.cacheNames.contains(name)
    }

    func w(_ name: String) throws -> Tensor { try parameter(name) }
    func wOpt(_ name: String) -> Tensor? { weights[name] }

    func run(_ pass: Pass, _ options: ForwardOptions, cache kv: KVCache?) throws -> ForwardResult {
        let c = config
        let (b, t, d) = (pass.rows, pass.columns, c.dModel)
        var saved: [String: Tensor] = [:]
        var h: Tensor
        let first = options.startLayer
        guard first >= 0, first <= c.layerCount else { throw ModelError.invalidOption("startLayer \(first) outside 0...\(c.layerCount)") }
        if first > 0 {
            guard let r = options.initialResidual, r.shape == [b, t, d] else {
                throw ModelError.invalidOption("startLayer \(first) needs initialResidual of shape \(shapeString([b, t, d]))")
            }
            h = r
        } else {
            let emb = try F.reshape(F.indexSelect(w("embed"), pass.ids), [b, t, d])
            h = try hookPoint("hook_embed", emb, layer: nil, pass: pass, options: options, cache: &saved)
            if c.family == .gpt2 {
                let pos = try F.reshape(F.indexSelect(w("pos_embed"), pass.positions), [b, t, d])
                let p = try hookPoint("hook_pos_embed", pos, layer: nil, pass: pass, options: options, cache: &saved)
                h = try F.add(h, p)
            }
        }
        if kv != nil && pass.batch.segmentLengths != nil {
            throw ModelError.invalidOption("a packed batch cannot run with a KV cache")
        }
        let last = min(options.stopAfterLayer ?? (c.layerCount - 1), c.layerCount - 1)
        let keyMask: [Bool]? = {
            let m = kv.map { $0.keyMask(adding: pass.mask, batch: b, columns: t) } ?? pass.mask
            return m.allSatisfy { $0 } ? nil : m
        }()
        // RoPE's tables depend only on the positions: computed once for every layer.
        let rope = c.family == .llama && first <= last
            ? RopeTables(positions: pass.positions, headDim: c.headDim, theta: c.ropeTheta, dtype: h.dtype) : nil
        if first <= last {
            for i in first...last {
                try Cancellation.check()
                h = try block(i, h, pass: pass, keyMask: keyMask, rope: rope, options: options, cache: &saved, kv: kv)
            }
        }
        if let kv { kv.commit(mask: pass.mask, batch: b, columns: t) }
        if options.stopAfterLayer != nil && last < c.layerCount - 1 {
            return ForwardResult(logits: nil, cache: saved, residual: h)
        }
        if case .none = options.logits {
            if !options.cacheNames.contains("ln_final.hook_normalized") { return ForwardResult(logits: nil, cache: saved, residual: h) }
        }
        // Final norm and unembedding, only at the positions asked for.
        let rows: [Int]?
        switch options.logits {
        case .all, .none: rows = nil
        case .last:
            if let segments = pass.batch.segmentLengths {
                rows = segments.indices.map { pass.batch.start(ofSegment: $0) + segments[$0] - 1 }
            } else {
                rows = try (0..<b).map { r in r * t + (try pass.batch.lastColumn(row: r)) - pass.columnOffset }
            }
        case .columns(let cols):
            for col in cols where col < 0 || col >= b * t {
                throw ModelError.positionOutOfRange(batch: col / max(t, 1), position: col % max(t, 1), detail: "flat column \(col) of \(b * t)")
            }
            rows = cols
        }
        let normed = try finalNorm(h, pass: pass, options: options, cache: &saved)
        if case .none = options.logits { return ForwardResult(logits: nil, cache: saved, residual: h) }
        let flat = try F.reshape(normed, [b * t, d])
        let selected = try rows.map { try F.indexSelect(flat, $0) } ?? flat
        var logits = try unembedding(selected)
        if case .all = options.logits { logits = try F.reshape(logits, [b, t, c.vocabSize]) }
        return ForwardResult(logits: logits, cache: saved, residual: h)
    }

    /// Final norm and unembedding of residual-stream rows `[n, d_model]` (differentiable):
    /// the logits a residual would produce if it left the last block.
    public func unembed(_ residual: Tensor) throws -> Tensor {
        let n: Tensor
        switch config.family {
        case .llama: n = try F.rmsNorm(residual, weight: w("ln_final"), eps: config.normEpsilon)
        case .gpt2: n = try F.layerNorm(residual, weight: w("ln_final"), bias: w("ln_final.bias"), eps: config.normEpsilon)
        }
        return try F.linear(n, w("unembed"), bias: wOpt("unembed.bias"))
    }

    /// Vocabulary columns per panel of an inference unembedding.
    static let unembeddingPanel = 8192
    /// Logit count (16M: 64 MB in float32) from which the heap's free memory is returned to
    /// the system before the logits are allocated.
    static let largeLogits = 1 << 24

    /// Logits of final-normed rows `[n, d_model]`. On a tape it is one differentiable linear;
    /// without one (inference) the product runs in vocabulary panels written straight into
    /// the logits, so BLAS packs at most one panel of the unembedding at a time; before large
    /// logits (all positions of a batch: hundreds of MB) the transient memory the blocks left
    /// in the heap is returned to the system, so the peak is the weights plus the logits.
    func unembedding(_ x: Tensor) throws -> Tensor {
        let weight = try w("unembed"), bias = wOpt("unembed.bias")
        let taped = Autograd.isRecording && (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false))
        if taped || x.rank != 2 || x.shape[0] < 64 { return try F.linear(x, weight, bias: bias) }
        if x.shape[0] * weight.shape[0] >= LanguageModel.largeLogits { Heap.releaseFreeMemory() }
        let logits = try x.detached().matmul(weight.detached().t(), columnPanel: LanguageModel.unembeddingPanel)
        if let bias { try logits.addInPlace(bias.detached()) }
        return logits
    }

    func finalNorm(_ h: Tensor, pass: Pass, options: ForwardOptions, cache: inout [String: Tensor]) throws -> Tensor {
        let n: Tensor
        switch config.family {
        case .llama: n = try F.rmsNorm(h, weight: w("ln_final"), eps: config.normEpsilon)
        case .gpt2: n = try F.layerNorm(h, weight: w("ln_final"), bias: w("ln_final.bias"), eps: config.normEpsilon)
        }
        return try hookPoint("ln_final.hook_normalized", n, layer: nil, pass: pass, options: options, cache: &cache)
    }

    func norm(_ x: Tensor, _ name: String) throws -> Tensor {
        switch config.family {
        case .llama: return try F.rmsNorm(x, weight: w(name), eps: config.normEpsilon)
        case .gpt2: return try F.layerNorm(x, weight: w(name), bias: w(name + ".bias"), eps: config.normEpsilon)
        }
    }

    func linear(_ x: Tensor, _ name: String) throws -> Tensor {
        try F.linear(x, w(name), bias: wOpt(name + ".bias"))
    }

    /// One transformer block.
    func block(_ i: Int, _ hIn: Tensor, pass: Pass, keyMask: [Bool]?, rope: RopeTables?, options: ForwardOptions,
               cache: inout [String: Tensor], kv: KVCache?) throws -> Tensor {
        let c = config
        let (b, t) = (pass.rows, pass.columns)
        let p = "blocks.\(i)."
        func hook(_ name: String, _ x: Tensor) throws -> Tensor {
            try hookPoint(p + name, x, layer: i, pass: pass, options: options, cache: &cache)
        }
        /// `residual + linear(x)` for an output projection (`weight` within the block). When its
        /// hook point is idle, one product accumulates onto the residual stream; otherwise the
        /// projection passes its hook point, then is added.
        func addProjection(_ residual: Tensor, _ x: Tensor, _ weight: String, hookName: String) throws -> Tensor {
            let name = p + weight
            if hookIsIdle(p + hookName, options: options) { return try F.linear(x, w(name), bias: wOpt(name + ".bias"), adding: residual) }
            return try F.add(residual, hook(hookName, linear(x, name)))
        }
        var h = try hook("hook_resid_pre", hIn)
        let x = try hook("ln1.hook_normalized", norm(h, p + "ln1"))
        var q = try hook("attn.hook_q", F.reshape(linear(x, p + "attn.q"), [b, t, c.headCount, c.headDim]))
        var k = try hook("attn.hook_k", F.reshape(linear(x, p + "attn.k"), [b, t, c.kvHeadCount, c.headDim]))
        var v = try hook("attn.hook_v", F.reshape(linear(x, p + "attn.v"), [b, t, c.kvHeadCount, c.headDim]))
        if c.family == .llama {
            let tables = rope.flatMap { $0.dtype == q.dtype ? $0 : nil }
                ?? RopeTables(positions: pass.positions, headDim: c.headDim, theta: c.ropeTheta, dtype: q.dtype)
            q = try F.rope(q, tables: tables)
            k = try F.rope(k, tables: tables)
        }
        if let kv { (k, v) = try kv.append(layer: i, k: k, v: v) }
        let z = try hook("attn.hook_z", F.attention(q: q, k: k, v: v, keyMask: keyMask, segments: pass.batch.segmentLengths))
        h = try hook("hook_resid_mid", addProjection(h, F.reshape(z, [b, t, c.headCount * c.headDim]), "attn.o", hookName: "hook_attn_out"))
        let x2 = try hook("ln2.hook_normalized", norm(h, p + "ln2"))
        let post: Tensor
        switch c.family {
        case .llama:
            let gate = try hook("mlp.hook_pre", linear(x2, p + "mlp.gate"))
            let up = try hook("mlp.hook_pre_linear", linear(x2, p + "mlp.up"))
            post = try hook("mlp.hook_post", F.swiglu(gate: gate, up: up))
        case .gpt2:
            let pre = try hook("mlp.hook_pre", linear(x2, p + "mlp.up"))
            post = try hook("mlp.hook_post", F.gelu(pre, approximate: true))
        }
        return try hook("hook_resid_post", addProjection(h, post, "mlp.down", hookName: "hook_mlp_out"))
    }
}
