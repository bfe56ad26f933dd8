/// A low-rank additive override of a frozen weight: the layer computes with
/// `W + scale · B · A` (LoRA, MEND) without ever materialising that sum.
public struct LowRankOverride {
    /// `[rank, in]`.
    public var a: Tensor
    /// `[out, rank]`.
    public var b: Tensor
    /// The factor `s` in `W + s·B·A`.
    public var scale: Double

    /// Creates an override `scale · b · a`.
    public init(a: Tensor, b: Tensor, scale: Double = 1) {
        self.a = a
        self.b = b
        self.scale = scale
    }
}

extension F {
    /// Matrix product with NumPy broadcasting semantics (see `Tensor.matmul`).
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try a.matmul(b)
        let ad = a.detached(), bd = b.detached()
        let needA = a.requiresGrad, needB = b.requiresGrad
        return out.recording("matmul", inputs: [a, b], saving: [a, b]) { g in
            // Promote vectors to matrices so the adjoint formulas apply, then undo.
            let a2 = ad.rank == 1 ? try ad.unsqueezed(0) : ad
            let b2 = bd.rank == 1 ? try bd.unsqueezed(1) : bd
            var g2 = g
            if ad.rank == 1 { g2 = try g2.unsqueezed(-2) }
            if bd.rank == 1 { g2 = try g2.unsqueezed(-1) }
            var ga: Tensor? = nil, gb: Tensor? = nil
            if needA {
                let full = try g2.matmul(b2.transposed(-1, -2))
                ga = try full.summed(toShape: a2.shape).reshaped(ad.shape)
            }
            if needB {
                let full = try a2.transposed(-1, -2).matmul(g2)
                gb = try full.summed(toShape: b2.shape).reshaped(bd.shape)
            }
            return [ga, gb]
        }
    }

    /// A linear layer in nn.Linear orientation: `y = x Wᵀ + bias`, with `x` of shape
    /// `[..., in]`, `weight` `[out, in]`, `bias` `[out]`; optionally with a low-rank
    /// override, `y = x (W + s·B·A)ᵀ + bias`, computed as `x Wᵀ + s (x Aᵀ) Bᵀ`; optionally
    /// added to a `residual` of the output's shape, `y = residual + x Wᵀ + bias` (a block's
    /// residual stream): the product then accumulates onto a copy of the residual (gemm
    /// `beta = 1`) instead of zeroing its output and being added in a second pass.
    /// The weight gradient is one gemm over all rows, and is computed only when the weight
    /// requires it.
    public static func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil,
                              override: LowRankOverride? = nil, adding residual: Tensor? = nil) throws -> Tensor {
        guard weight.rank == 2, x.rank >= 1 else {
            throw TensorError.invalidArgument(op: "linear", detail: "weight must be [out, in], got \(shapeString(weight.shape))")
        }
        let inF = weight.shape[1], outF = weight.shape[0]
        guard x.shape[x.rank - 1] == inF else {
            throw TensorError.shapeMismatch(op: "linear", detail: "input \(shapeString(x.shape)) for weight \(shapeString(weight.shape))")
        }
        if let bias, bias.shape != [outF] {
            throw TensorError.shapeMismatch(op: "linear", detail: "bias \(shapeString(bias.shape)) for \(outF) outputs")
        }
        let lead = Array(x.shape.dropLast())
        let rows = lead.reduce(1, *)
        if let residual {
            guard residual.shape == lead + [outF] else {
                throw TensorError.shapeMismatch(op: "linear", detail: "residual \(shapeString(residual.shape)) for output \(shapeString(lead + [outF]))")
            }
            guard residual.dtype == x.dtype else { throw TensorError.dtypeMismatch(op: "linear", expected: x.dtype, got: residual.dtype) }
        }
        let xd = x.detached(), wd = weight.detached()
        let x2 = try xd.reshaped([rows, inF])
        var y: Tensor
        if let residual {
            y = Tensor.uninitialized([rows, outF], dtype: x.dtype)
            try y.view(residual.shape).copy(from: residual.detached())
            try x2.matmul(wd.t(), into: y, beta: 1)
        } else {
            y = try x2.matmul(wd.t())
        }
        if let bias { try y.addInPlace(bias.detached()) }
        var xa: Tensor? = nil
        if let o = override {
            guard o.a.rank == 2, o.b.rank == 2, o.a.shape[1] == inF, o.b.shape[0] == outF, o.a.shape[0] == o.b.shape[1] else {
                throw TensorError.shapeMismatch(op: "linear", detail: "override A \(shapeString(o.a.shape)), B \(shapeString(o.b.shape)) for weight \(shapeString(weight.shape))")
            }
            let h = try x2.matmul(o.a.detached().t())           // [rows, r]
            xa = h
            try h.matmul(o.b.detached().t(), into: y, alpha: o.scale, beta: 1)
        }
        y = try y.view(lead + [outF])
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        if let o = override { inputs += [o.a, o.b] }
        if let residual { inputs.append(residual) }
        let needResidual = residual?.requiresGrad ?? false
        let residualShape = residual?.shape
        let needX = x.requiresGrad, needW = weight.requiresGrad, needBias = bias?.requiresGrad ?? false
        let hasBias = bias != nil
        let ov = override.map { LowRankOverride(a: $0.a.detached(), b: $0.b.detached(), scale: $0.scale) }
        let needA = override?.a.requiresGrad ?? false, needB = override?.b.requiresGrad ?? false
        var saved = [x, weight]
        if let o = override { saved += [o.a, o.b] }
        /// The input gradient `g (W + s·B·A)` of `g2` (`[rows, out]`) written into `target`
        /// (`[rows, in]`, `beta = 0`) or added to it (`beta = 1`).
        func inputGradient(_ g2: Tensor, into target: Tensor, beta: Double) throws {
            try g2.matmul(wd, into: target, beta: beta)
            if let ov { try g2.matmul(ov.b).matmul(ov.a, into: target, alpha: ov.scale, beta: 1) }
        }
        // With only the input needing a gradient, a second consumer's gradient is summed by
        // the product itself (beta = 1): no zeroed output, no separate addition.
        let accumulate: ((Tensor, Tensor) throws -> Void)? = needX && !needW && !needBias && !needA && !needB && !needResidual ? { g, acc in
            try inputGradient(g.contiguous().view([rows, outF]), into: acc.view([rows, inF]), beta: 1)
        } : nil
        return y.recording("linear", inputs: inputs, saving: saved, backward: { g in
            let g2 = try g.contiguous().view([rows, outF])
            var grads: [Tensor?] = []
            if needX {
                let gx = Tensor.uninitialized([rows, inF], dtype: g2.dtype)
                try inputGradient(g2, into: gx, beta: 0)
                grads.append(try gx.view(xd.shape))
            } else { grads.append(nil) }
            grads.append(needW ? try g2.t().matmul(x2) : nil)        // [out, in]
            if hasBias { grads.append(needBias ? try g2.sum(dim: 0) : nil) }
            if let ov, let xa {
                // y += s · (x Aᵀ) Bᵀ:  dB = s · gᵀ (x Aᵀ);  dA = s · (g B)ᵀ x
                grads.append(needA ? try g2.matmul(ov.b).t().matmul(x2).mul(ov.scale) : nil)
                grads.append(needB ? try g2.t().matmul(xa).mul(ov.scale) : nil)
            }
            if let residualShape { grads.append(needResidual ? try g.reshaped(residualShape) : nil) }
            return grads
        }, accumulate: accumulate)
    }
}
