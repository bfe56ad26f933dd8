import Foundation
import Testing
import Tensors

@Suite("Autograd: the tape's behaviour")
struct AutogradTapeTests {
    /// A small stack of frozen "blocks" (RMSNorm → SwiGLU MLP → residual) with a vector δ
    /// added at one position of the first block's output.
    struct FrozenStack {
        let weights: [Tensor]   // per block: norm [d], gate [m, d], up [m, d], down [d, m]
        let x: Tensor           // [n, d] input rows

        init(blocks: Int, n: Int, d: Int, m: Int, seed: UInt64) {
            var g = RandomGenerator(seed: seed)
            var w: [Tensor] = []
            for _ in 0..<blocks {
                w.append(Tensor.rand([d], low: 0.5, high: 1.5, dtype: .float64, generator: &g))
                w.append(Tensor.randn([m, d], std: 0.3, dtype: .float64, generator: &g))
                w.append(Tensor.randn([m, d], std: 0.3, dtype: .float64, generator: &g))
                w.append(Tensor.randn([d, m], std: 0.3, dtype: .float64, generator: &g))
            }
            weights = w
            x = Tensor.randn([n, d], dtype: .float64, generator: &g)
        }

        /// `deltaAtInput`: δ enters the residual stream before the first block (so every
        /// activation lies downstream of it); otherwise at the first block's MLP output.
        func loss(weights w: [Tensor], delta: Tensor, at row: Int, deltaAtInput: Bool = false) throws -> Tensor {
            var h = deltaAtInput ? try F.indexAdd(x, [row], F.reshape(delta, [1, -1])) : x
            for b in 0..<(w.count / 4) {
                let z = try F.rmsNorm(h, weight: w[4 * b], eps: 1e-6)
                let act = try F.swiglu(gate: F.linear(z, w[4 * b + 1]), up: F.linear(z, w[4 * b + 2]))
                var out = try F.linear(act, w[4 * b + 3])
                if b == 0 && !deltaAtInput { out = try F.indexAdd(out, [row], F.reshape(delta, [1, -1])) }
                h = try F.add(h, out)
            }
            return F.sumOfSquares(h)
        }
    }

    @Test func frozenWeightsGetNoGradientBuffers() throws {
        let stack = FrozenStack(blocks: 3, n: 5, d: 8, m: 12, seed: 1)
        let delta = Tensor.zeros([8], dtype: .float64).requiringGrad()
        let (_, frozenCount) = try Autograd.countingGradientElements {
            try F.backward(stack.loss(weights: stack.weights, delta: delta, at: 2, deltaAtInput: true))
        }
        #expect(delta.grad != nil)
        #expect(stack.weights.allSatisfy { $0.grad == nil })

        let trainable = stack.weights.map { $0.clone().requiringGrad() }
        let delta2 = Tensor.zeros([8], dtype: .float64).requiringGrad()
        let (_, fullCount) = try Autograd.countingGradientElements {
            try F.backward(stack.loss(weights: trainable, delta: delta2, at: 2, deltaAtInput: true))
        }
        let weightElements = stack.weights.map(\.count).reduce(0, +)
        // Exactly the weights' gradients are the difference: nothing was computed for them before.
        #expect(fullCount - frozenCount == weightElements)
        #expect(try delta.grad!.maxAbsDifference(delta2.grad!) < 1e-12)

        // δ at the MLP output of the first block: the frozen weights still get nothing.
        let delta3 = Tensor.zeros([8], dtype: .float64).requiringGrad()
        try F.backward(stack.loss(weights: stack.weights, delta: delta3, at: 2))
        #expect(delta3.grad != nil && stack.weights.allSatisfy { $0.grad == nil })
    }

    @Test func deltaGradientMatchesFiniteDifferences() throws {
        let stack = FrozenStack(blocks: 2, n: 4, d: 6, m: 10, seed: 2)
        try GradCheck.check([Tensor.zeros([6], dtype: .float64)]) { xs in
            let l = try stack.loss(weights: stack.weights, delta: xs[0], at: 1)
            return try F.reshape(l, [1])
        }
    }

    @Test func noGradRecordsNothing() throws {
        let w = Tensor.ones([3, 3], dtype: .float64).requiringGrad()
        let y = try Autograd.noGrad { try F.linear(Tensor.ones([2, 3], dtype: .float64), w) }
        #expect(!y.requiresGrad)
        #expect(throws: AutogradError.noGraph) { try F.backward(F.sum(y)) }
        // and nothing requiring a gradient means no graph either
        let z = try F.linear(Tensor.ones([2, 3], dtype: .float64), w.detached())
        #expect(!z.requiresGrad)
    }

    @Test func inPlaceWriteAfterRecordingIsRefused() throws {
        let w = Tensor.ones([3], dtype: .float64).requiringGrad()
        let x = Tensor.full([3], 2, dtype: .float64)
        let y = try F.mul(w, x)          // saves x
        x.fill(5)                        // mutate x in place
        #expect(throws: AutogradError.self) { try F.backward(F.sum(y)) }
        do {
            try F.backward(F.sum(y))
        } catch let e as AutogradError {
            #expect("\(e)".contains("modified in place"))
        }
    }

    @Test func intermediatesAreFreedAfterBackward() throws {
        let w = Tensor.ones([4, 4], dtype: .float64).requiringGrad()
        weak var intermediateStorage: TensorStorage?
        let loss: Tensor = try {
            let h = try F.unary(.tanh, F.linear(Tensor.ones([2, 4], dtype: .float64), w))
            intermediateStorage = h.storage
            return F.sumOfSquares(h)
        }()
        #expect(intermediateStorage != nil)        // kept alive by the graph
        try F.backward(loss)
        #expect(intermediateStorage == nil)        // released once backward has run
        #expect(throws: AutogradError.self) { try F.backward(loss) }   // graph consumed
        #expect(w.grad != nil)
    }

    @Test func leafGradientsAccumulateAcrossBackwardCalls() throws {
        let w = Tensor.full([2], 3, dtype: .float64).requiringGrad()
        try F.backward(F.sumOfSquares(w))
        try F.backward(F.sumOfSquares(w))
        #expect(w.grad?.doubles() == [12, 12])
        w.zeroGrad()
        #expect(w.grad == nil)
    }

    @Test func nonScalarRootNeedsAGradient() throws {
        let w = Tensor.ones([2, 2], dtype: .float64).requiringGrad()
        let y = F.scale(w, 2)
        #expect(throws: AutogradError.nonScalarRoot(shape: [2, 2])) { try F.backward(y) }
        try F.backward(y, gradient: Tensor.full([2, 2], 0.5, dtype: .float64))
        #expect(w.grad?.doubles() == [1, 1, 1, 1])
    }

    @Test func gradModeIsPerThread() async throws {
        // noGrad on one task does not switch recording off on another.
        let inside = Autograd.noGrad { Autograd.isRecording }
        #expect(!inside)
        #expect(Autograd.isRecording)
        let other = await Task.detached { Autograd.isRecording }.value
        #expect(other)
    }
}

@Suite("Optimisers")
struct OptimizerTests {
    /// PyTorch's Adam/AdamW step written out in doubles.
    func referenceAdam(p0: [Double], grads: [[Double]], lr: Double, b1: Double, b2: Double, eps: Double,
                       wd: Double, decoupled: Bool) -> [Double] {
        var p = p0, m = [Double](repeating: 0, count: p0.count), v = m
        for (t, g0) in grads.enumerated() {
            let step = Double(t + 1)
            var g = g0
            if decoupled { p = p.map { $0 * (1 - lr * wd) } } else { g = zip(g, p).map { $0 + wd * $1 } }
            for i in 0..<p.count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mh = m[i] / (1 - pow(b1, step)), vh = v[i] / (1 - pow(b2, step))
                p[i] -= lr * mh / (vh.squareRoot() + eps * 1)  // eps applied after the bias-corrected sqrt
            }
        }
        return p
    }

    @Test(arguments: [false, true])
    func adamMatchesReference(decoupled: Bool) throws {
        let p = try Tensor(shape: [3], values: [1, -2, 0.5]).requiringGrad()
        let grads: [[Double]] = [[0.1, -0.3, 2], [0.2, 0.1, -1], [-0.5, 0.4, 0.3]]
        let opt = Adam([p], lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05, decoupled: decoupled)
        for g in grads {
            opt.zeroGrad()
            try F.backward(F.sum(F.mul(p, try Tensor(shape: [3], values: g))))
            try opt.step()
        }
        let expected = referenceAdam(p0: [1, -2, 0.5], grads: grads, lr: 0.1, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.05, decoupled: decoupled)
        for (a, b) in zip(p.doubles(), expected) { #expect(abs(a - b) < 1e-12) }
        #expect(opt.stepCount == 3)
    }

    @Test func sgdWithMomentumMatchesReference() throws {
        let p = try Tensor(shape: [2], values: [1, 1]).requiringGrad()
        let opt = SGD([p], lr: 0.1, momentum: 0.9)
        var ref = [1.0, 1.0], buf = [0.0, 0.0]
        for step in 0..<3 {
            opt.zeroGrad()
            try F.backward(F.sumOfSquares(p))          // grad = 2p
            try opt.step()
            let g = ref.map { 2 * $0 }
            buf = step == 0 ? g : zip(buf, g).map { 0.9 * $0 + $1 }
            ref = zip(ref, buf).map { $0 - 0.1 * $1 }
        }
        for (a, b) in zip(p.doubles(), ref) { #expect(abs(a - b) < 1e-12) }
    }

    @Test func adamMinimisesAQuadratic() throws {
        let target = try Tensor(shape: [4], values: [1, -2, 3, 0.5])
        let x = Tensor.zeros([4], dtype: .float64).requiringGrad()
        let opt = Adam([x], lr: 0.1)
        for _ in 0..<500 {
            opt.zeroGrad()
            try F.backward(F.sumOfSquares(F.sub(x, target)))
            try opt.step()
        }
        #expect(try x.maxAbsDifference(target) < 1e-3)
    }

    @Test func clippingAndProjections() throws {
        let p = try Tensor(shape: [2], values: [0, 0]).requiringGrad()
        try F.backward(F.sum(F.mul(p, try Tensor(shape: [2], values: [3, 4]))))
        let before = clipGradNorm([p], maxNorm: 1)
        #expect(abs(before - 5) < 1e-12)
        #expect(abs(p.grad!.norm() - 1) < 1e-5)

        let center = try Tensor(shape: [2], values: [1, 1])
        let x = try Tensor(shape: [2], values: [4, 5])
        try Projection.l2Ball(center: center, radius: 2.5).apply(to: x)
        #expect(try x.maxAbsDifference(Tensor(shape: [2], values: [1 + 1.5, 1 + 2])) < 1e-12)
        let y = try Tensor(shape: [3], values: [0.5, -3, 1.2])
        try Projection.lInfBall(center: nil, radius: 1).apply(to: y)
        #expect(y.doubles() == [0.5, -1, 1])

        // a projection registered on the optimiser runs after every step
        let z = try Tensor(shape: [2], values: [0, 0]).requiringGrad()
        let opt = SGD([z], lr: 10)
        opt.projections[0] = .l2Ball(center: nil, radius: 1)
        try F.backward(F.sum(F.mul(z, try Tensor(shape: [2], values: [-3, -4]))))
        try opt.step()
        #expect(abs(z.norm() - 1) < 1e-12)
    }
}
