/// Softmax family and the losses of editing and fine-tuning: masked cross-entropy and the
/// KL divergence between two next-token distributions given as logits.
extension F {
    /// Softmax along the last dimension.
    public static func softmax(_ x: Tensor) throws -> Tensor {
        let out = try x.softmax(dim: -1)
        let od = out.detached()
        return out.recording("softmax", inputs: [x]) { g in
            // dx = p ⊙ (g − Σ g p)
            let dot = try g.binary(.mul, od).sum(dim: -1, keepDim: true)
            return [try od.binary(.mul, g.binary(.sub, dot))]
        }
    }

    /// Log-softmax along the last dimension.
    public static func logSoftmax(_ x: Tensor) throws -> Tensor {
        let out = try x.logSoftmax(dim: -1)
        let od = out.detached()
        return out.recording("logSoftmax", inputs: [x]) { g in
            // dx = g − softmax · Σ g
            let total = try g.sum(dim: -1, keepDim: true)
            return [try g.binary(.sub, od.unary(.exp).binary(.mul, total))]
        }
    }

    /// Cross-entropy of `logits` `[N, V]` against `targets` (N token ids), weighted per row:
    /// `Σ_i w_i · (−log softmax(logits_i)[t_i])`, divided by `Σ_i w_i` when `normalize` is true
    /// (the mean over the positions the mask selects). `weights` defaults to all ones; a
    /// weight of 0 masks a position out (its target is then not checked).
    public static func crossEntropy(_ logits: Tensor, targets: [Int], weights: [Double]? = nil,
                                    normalize: Bool = true) throws -> Tensor {
        guard logits.rank == 2 else {
            throw TensorError.invalidArgument(op: "crossEntropy", detail: "logits must be [N, V], got \(shapeString(logits.shape))")
        }
        let (n, vocab) = (logits.shape[0], logits.shape[1])
        guard targets.count == n else {
            throw TensorError.shapeMismatch(op: "crossEntropy", detail: "\(targets.count) targets for \(n) rows")
        }
        let w = weights ?? [Double](repeating: 1, count: n)
        guard w.count == n else { throw TensorError.shapeMismatch(op: "crossEntropy", detail: "\(w.count) weights for \(n) rows") }
        for (i, t) in targets.enumerated() where w[i] != 0 && (t < 0 || t >= vocab) {
            throw TensorError.outOfRange(op: "crossEntropy", detail: "target \(t) at row \(i) for a vocabulary of \(vocab)")
        }
        let totalW = w.reduce(0, +)
        let denom = normalize ? totalW : 1
        guard denom != 0 else { throw TensorError.invalidArgument(op: "crossEntropy", detail: "all weights are zero") }
        let logp = try logits.logSoftmax(dim: -1)
        let lp = logp.contiguous()
        var loss = 0.0
        switch lp.dtype {
        case .float32:
            let p = lp.pointer(as: Float.self)
            for i in 0..<n where w[i] != 0 { loss -= w[i] * Double(p[i * vocab + targets[i]]) }
        case .float64:
            let p = lp.pointer(as: Double.self)
            for i in 0..<n where w[i] != 0 { loss -= w[i] * p[i * vocab + targets[i]] }
        }
        loss /= denom
        let dtype = logits.dtype
        return Tensor.scalar(loss, dtype: dtype).recording("crossEntropy", inputs: [logits], saving: []) { g in
            // d/dlogits_i = g · w_i / denom · (softmax_i − onehot(t_i))
            let gv = try g.item()
            let grad = lp.unary(.exp)
            let coef = try Tensor(shape: [n, 1], values: w.map { gv * $0 / denom }, dtype: dtype)
            try grad.mulInPlace(coef)
            for i in 0..<n where w[i] != 0 {
                let v = try grad.value(at: [i, targets[i]])
                try grad.setValue(v - gv * w[i] / denom, at: [i, targets[i]])
            }
            return [grad]
        }
    }

    /// KL divergence between the distributions given by `logits` (P, differentiated) and
    /// `reference` (Q, a constant), both `[N, V]`, averaged over the N rows:
    /// `mean_i Σ_v P_iv (log P_iv − log Q_iv)`. This is ROME's KL term
    /// (`kl_div(log Q, log P, log_target=True, reduction="batchmean")`).
    public static func klDivergence(_ logits: Tensor, reference: Tensor) throws -> Tensor {
        guard logits.rank == 2, reference.shape == logits.shape else {
            throw TensorError.shapeMismatch(op: "klDivergence", detail: "logits \(shapeString(logits.shape)) vs reference \(shapeString(reference.shape))")
        }
        guard reference.dtype == logits.dtype else {
            throw TensorError.dtypeMismatch(op: "klDivergence", expected: logits.dtype, got: reference.dtype)
        }
        let n = logits.shape[0]
        let logp = try logits.logSoftmax(dim: -1)
        let logq = try reference.detached().logSoftmax(dim: -1)
        let diff = try logp.binary(.sub, logq)                       // log P − log Q
        let p = logp.unary(.exp)
        let rowKL = try p.binary(.mul, diff).sum(dim: -1, keepDim: true)  // [N, 1]
        let kl = rowKL.sum() / Double(Swift.max(n, 1))
        return Tensor.scalar(kl, dtype: logits.dtype).recording("klDivergence", inputs: [logits]) { g in
            // d/dz_j of Σ_v p_v (log p_v − log q_v) = p_j (log p_j − log q_j − KL_row)
            let gv = try g.item() / Double(Swift.max(n, 1))
            let grad = try p.binary(.mul, diff.binary(.sub, rowKL))
            return [grad.unary(.mulScalar(gv))]
        }
    }
}
