import Foundation

/// A per-step projection applied to a parameter after each optimiser step (in place):
/// ROME's clamp of δ into an L2 ball, FT-L's L∞ ball around the original weights.
public enum Projection {
    /// Scales `x − center` back onto the L2 ball of `radius` when it lies outside.
    case l2Ball(center: Tensor?, radius: Double)
    /// Clamps every element of `x − center` into `[−radius, radius]`.
    case lInfBall(center: Tensor?, radius: Double)
    /// Any in-place function of the parameter.
    case custom((Tensor) throws -> Void)

    /// Applies the projection to `x` in place.
    public func apply(to x: Tensor) throws {
        switch self {
        case .l2Ball(let center, let radius):
            let diff = try center.map { try x.sub($0) } ?? x
            let n = diff.norm()
            if n > radius {
                let scaled = diff.mul(radius / n)
                if let center { try x.copy(from: try scaled.add(center)) } else { try x.copy(from: scaled) }
            }
        case .lInfBall(let center, let radius):
            let diff = try center.map { try x.sub($0) } ?? x
            let clamped = diff.unary(.clamp(min: -radius, max: radius))
            if let center { try x.copy(from: try clamped.add(center)) } else { try x.copy(from: clamped) }
        case .custom(let f):
            try f(x)
        }
    }
}

/// An optimiser over leaf tensors that require gradients; `step()` updates them in place
/// from their accumulated `grad` (parameters without a gradient are skipped).
public protocol Optimizer: AnyObject {
    /// The parameters (leaves created with `requiringGrad()`).
    var parameters: [Tensor] { get }
    /// Projections applied after every step, by parameter index.
    var projections: [Int: Projection] { get set }
    /// One update from the current gradients.
    func step() throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Applies the registered projections (called by `step`).
    func project() throws {
        for (i, p) in parameters.enumerated() {
            if let proj = projections[i] { try proj.apply(to: p) }
        }
    }
}

/// Rescales the gradients of `parameters` in place so that their joint L2 norm is at most
/// `maxNorm`; returns the norm before clipping (as `torch.nn.utils.clip_grad_norm_`).
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    var ss = 0.0
    for p in parameters { if let g = p.grad { let n = g.norm(); ss += n * n } }
    let total = ss.squareRoot()
    let coef = maxNorm / (total + 1e-6)
    if coef < 1 { for p in parameters { p.grad?.mulInPlace(coef) } }
    return total
}

/// Stochastic gradient descent with optional momentum and (L2) weight decay, as `torch.optim.SGD`.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var projections: [Int: Projection] = [:]
    /// Learning rate.
    public var lr: Double
    /// Momentum factor (0: none).
    public var momentum: Double
    /// L2 penalty added to the gradient.
    public var weightDecay: Double
    private var buffers: [Int: Tensor] = [:]

    /// Creates the optimiser.
    public init(_ parameters: [Tensor], lr: Double, momentum: Double = 0, weightDecay: Double = 0) {
        self.parameters = parameters
        self.lr = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step() throws {
        for (i, p) in parameters.enumerated() {
            guard var g = p.grad else { continue }
            if weightDecay != 0 { g = try g.add(p.detached().mul(weightDecay)) }
            if momentum != 0 {
                if let b = buffers[i] {
                    b.mulInPlace(momentum)
                    try b.addInPlace(g)
                    g = b
                } else {
                    let b = g.clone()
                    buffers[i] = b
                    g = b
                }
            }
            try p.addInPlace(g, alpha: -lr)
        }
        try project()
    }
}

/// Adam and AdamW (`decoupled: true`: weight decay applied to the weights, not the
/// gradient), with bias correction, following `torch.optim.Adam`/`AdamW` step by step.
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var projections: [Int: Projection] = [:]
    /// Learning rate.
    public var lr: Double
    /// Exponential decay rates of the first and second moments.
    public var beta1: Double, beta2: Double
    /// Term added to the denominator.
    public var eps: Double
    /// Weight decay: L2 on the gradient (Adam) or decoupled (AdamW).
    public var weightDecay: Double
    /// Whether weight decay is decoupled (AdamW).
    public let decoupled: Bool
    /// Number of steps taken.
    public private(set) var stepCount = 0
    private var m: [Int: Tensor] = [:], v: [Int: Tensor] = [:]

    /// Adam (`decoupled: false`) or AdamW (`decoupled: true`).
    public init(_ parameters: [Tensor], lr: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0, decoupled: Bool = false) {
        self.parameters = parameters
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    /// AdamW with PyTorch's default weight decay of 0.01.
    public static func adamW(_ parameters: [Tensor], lr: Double = 1e-3, weightDecay: Double = 0.01) -> Adam {
        Adam(parameters, lr: lr, weightDecay: weightDecay, decoupled: true)
    }

    public func step() throws {
        stepCount += 1
        let bc1 = 1 - Foundation.pow(beta1, Double(stepCount))
        let bc2 = 1 - Foundation.pow(beta2, Double(stepCount))
        for (i, p) in parameters.enumerated() {
            guard var g = p.grad else { continue }
            if decoupled && weightDecay != 0 { p.mulInPlace(1 - lr * weightDecay) }
            if !decoupled && weightDecay != 0 { g = try g.add(p.detached().mul(weightDecay)) }
            let mi = m[i] ?? Tensor.zeros(p.shape, dtype: p.dtype)
            let vi = v[i] ?? Tensor.zeros(p.shape, dtype: p.dtype)
            m[i] = mi
            v[i] = vi
            switch p.dtype {
            case .float32: adamKernel(p, g.contiguous(), mi, vi, bc1: bc1, bc2: bc2, Float.self)
            case .float64: adamKernel(p, g.contiguous(), mi, vi, bc1: bc1, bc2: bc2, Double.self)
            }
            p.storage.bumpVersion()
        }
        try project()
    }

    private func adamKernel<T: TensorScalar>(_ p: Tensor, _ g: Tensor, _ m: Tensor, _ v: Tensor, bc1: Double, bc2: Double, _: T.Type) {
        let b1 = T(beta1), b2 = T(beta2), e = T(eps)
        let stepSize = T(lr / bc1), bc2Sqrt = T(bc2.squareRoot())
        let pg = g.pointer(as: T.self), pm = m.pointer(as: T.self), pv = v.pointer(as: T.self)
        // p may be a non-contiguous view: walk it with its strides.
        let loop = StridedLoop(shape: p.shape, strides: [p.strides, Tensor.contiguousStrides(p.shape)])
        let pp = p.storage.pointer(as: T.self)
        loop.forEachRow(base: (p.offset, 0, 0)) { o0, o1, _, n, s0, s1, _ in
            for j in 0..<n {
                let k = o1 + j * s1, x = pp + o0 + j * s0
                let gk = pg[k]
                pm[k] = pm[k] + (1 - b1) * (gk - pm[k])           // exp_avg.lerp_(grad, 1 − β1)
                pv[k] = pv[k] * b2 + (1 - b2) * gk * gk          // exp_avg_sq.mul_(β2).addcmul_(g, g, 1 − β2)
                let denom = pv[k].squareRoot() / bc2Sqrt + e
                x.pointee = x.pointee - stepSize * (pm[k] / denom)
            }
        }
    }
}
