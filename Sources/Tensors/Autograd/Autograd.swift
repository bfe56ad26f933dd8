/// Reverse-mode automatic differentiation: the tape.
///
/// Differentiable operations live in `F` (like `torch.nn.functional`). Each computes its
/// result with the plain tensor kernels and, only when recording is enabled and at least one
/// input requires a gradient, attaches a `GradNode` to the result. With nothing requiring a
/// gradient (or inside `Autograd.noGrad`), no node is created and nothing extra is kept: the
/// same code is the inference path.
///
/// Leaves ask for gradients with `requiringGrad()`; `F.backward(loss)` accumulates into each
/// leaf's `grad`. Intermediate gradients are dropped as soon as they are consumed, and each
/// node releases the tensors it saved once it has run. A node remembers the storage versions
/// of the tensors it saved and refuses to run if any of them was written in place since.
public enum Autograd {
    /// Per thread (and per task): whether recording is switched off. Grad mode is
    /// thread-local, as in PyTorch, so concurrent work on other threads is unaffected.
    @TaskLocal static var recordingDisabled = false
    @TaskLocal static var gradientCounter: GradientCounter?

    /// Whether operations currently record onto the tape (true unless inside `noGrad`).
    public static var isRecording: Bool { !recordingDisabled }

    /// Runs `body` with recording disabled on this thread: results carry no graph and no
    /// saved tensors.
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $recordingDisabled.withValue(true) { try body() }
    }

    /// Runs `body` and returns its result with the number of gradient elements that recorded
    /// operations produced for their inputs during it (on this thread) — an instrument for
    /// checking that no gradient is computed for tensors that do not require one.
    public static func countingGradientElements<R>(_ body: () throws -> R) rethrows -> (R, Int) {
        let counter = GradientCounter()
        let r = try $gradientCounter.withValue(counter) { try body() }
        return (r, counter.elements)
    }

    static func countGradient(_ n: Int) { gradientCounter?.elements += n }
}

/// Accumulator behind `Autograd.countingGradientElements`.
final class GradientCounter: @unchecked Sendable {
    var elements = 0
}

/// Errors of the tape.
public enum AutogradError: Error, CustomStringConvertible, Equatable {
    /// A tensor saved for backward was written in place after it was recorded.
    case modifiedInPlace(op: String, saved: Int, now: Int)
    /// `backward` was called on a tensor that does not require a gradient.
    case noGraph
    /// The root of `backward` is not a single element and no output gradient was given.
    case nonScalarRoot(shape: [Int])
    /// The graph behind this tensor was already consumed by an earlier `backward`.
    case graphFreed(op: String)
    /// An output gradient does not have the shape of the output.
    case gradientShape(op: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .modifiedInPlace(let op, let s, let n):
            return "autograd: a tensor saved by '\(op)' for backward was modified in place since it was recorded (version \(s) -> \(n))"
        case .noGraph: return "autograd: backward on a tensor that does not require a gradient"
        case .nonScalarRoot(let s): return "autograd: backward needs a one-element tensor or an explicit gradient, got shape \(shapeString(s))"
        case .graphFreed(let op): return "autograd: the graph through '\(op)' was already used by backward and freed"
        case .gradientShape(let op, let e, let g):
            return "autograd: '\(op)' produced a gradient of shape \(shapeString(g)) for an input of shape \(shapeString(e))"
        }
    }
}

/// The autograd state attached to a tensor that requires a gradient: either a leaf (whose
/// `grad` accumulates) or the output of a recorded operation (`node`).
public final class AutogradMeta {
    /// The recorded operation that produced this tensor; `nil` for a leaf.
    let node: GradNode?
    /// Accumulated gradient of a leaf (nil until the first backward reaches it).
    public internal(set) var grad: Tensor?
    /// Shape of the tensor this belongs to (gradients must match it).
    let shape: [Int]

    init(node: GradNode?, shape: [Int]) {
        self.node = node
        self.shape = shape
    }

    /// Whether this is a leaf (created by `requiringGrad`, not by an operation).
    public var isLeaf: Bool { node == nil }
}

/// One recorded operation: its inputs' autograd states (nil for inputs that need no
/// gradient), the closure computing input gradients from the output gradient, and the
/// versions of the storages it saved.
final class GradNode {
    let op: String
    let inputs: [AutogradMeta?]
    private var backwardFn: ((Tensor) throws -> [Tensor?])?
    /// For operations with one input needing a gradient: adds that input's gradient straight
    /// into an existing contiguous accumulator. Row selections (a mostly-zero gradient) then do
    /// not each build and add a dense one; a linear layer whose input feeds several layers
    /// (Q, K and V; gate and up) adds its product into the sum with the gemm's `beta = 1`
    /// instead of zeroing a fresh output and adding it in a second pass.
    private var accumulateFn: ((Tensor, Tensor) throws -> Void)?
    private var saved: [(TensorStorage, Int)]

    init(op: String, inputs: [AutogradMeta?], saved: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?],
         accumulate: ((Tensor, Tensor) throws -> Void)? = nil) {
        self.op = op
        self.inputs = inputs
        self.saved = saved.map { ($0.storage, $0.storage.version) }
        self.backwardFn = backward
        self.accumulateFn = accumulate
    }

    /// Which inputs need a gradient.
    var needs: [Bool] { inputs.map { $0 != nil } }

    /// The input `runAccumulating` adds into: the only one needing a gradient, when the
    /// operation can accumulate.
    var accumulatingInput: AutogradMeta? {
        guard accumulateFn != nil else { return nil }
        let needing = inputs.compactMap { $0 }
        return needing.count == 1 ? needing[0] : nil
    }

    private func checkSaved() throws {
        guard backwardFn != nil else { throw AutogradError.graphFreed(op: op) }
        for (s, v) in saved where s.version != v {
            throw AutogradError.modifiedInPlace(op: op, saved: v, now: s.version)
        }
    }

    private func release() {
        backwardFn = nil
        accumulateFn = nil
        saved = []
    }

    /// Runs the backward closure once, checking saved versions first, then releases it.
    func run(_ gradOutput: Tensor) throws -> [Tensor?] {
        try checkSaved()
        guard let fn = backwardFn else { throw AutogradError.graphFreed(op: op) }
        let grads = try fn(gradOutput)
        for g in grads { if let g { Autograd.countGradient(g.count) } }
        release()
        return grads
    }

    /// Like `run`, but adds the gradient of the one input needing it into `accumulator` in place.
    func runAccumulating(_ gradOutput: Tensor, into accumulator: Tensor) throws {
        try checkSaved()
        guard let fn = accumulateFn else { throw AutogradError.graphFreed(op: op) }
        try fn(gradOutput, accumulator)
        Autograd.countGradient(accumulator.count)
        release()
    }
}

extension Tensor {
    /// Whether this tensor takes part in gradient computation.
    public var requiresGrad: Bool { autograd != nil }

    /// The accumulated gradient of a leaf tensor (nil before any backward reached it).
    public var grad: Tensor? { autograd?.grad }

    /// A view of the same storage that is a new leaf requiring a gradient.
    public func requiringGrad() -> Tensor {
        var t = self
        t.autograd = AutogradMeta(node: nil, shape: shape)
        return t
    }

    /// The same view without any autograd state (no gradient flows through it).
    public func detached() -> Tensor {
        var t = self
        t.autograd = nil
        return t
    }

    /// Clears the accumulated gradient of a leaf.
    public func zeroGrad() { autograd?.grad = nil }

    /// Attaches a recorded operation to `self` (an op's freshly computed output) when
    /// recording is on and any input requires a gradient; returns self unchanged otherwise.
    func recording(_ op: String, inputs: [Tensor], saving saved: [Tensor] = [],
                   backward: @escaping (Tensor) throws -> [Tensor?],
                   accumulate: ((Tensor, Tensor) throws -> Void)? = nil) -> Tensor {
        guard Autograd.isRecording, inputs.contains(where: { $0.requiresGrad }) else { return self }
        var out = self
        let node = GradNode(op: op, inputs: inputs.map { $0.autograd }, saved: saved, backward: backward, accumulate: accumulate)
        out.autograd = AutogradMeta(node: node, shape: shape)
        return out
    }
}

extension F {
    /// Backpropagates from `root` (a one-element tensor, or any tensor with an explicit
    /// `gradient` of its shape), accumulating into the `grad` of every leaf that requires one.
    /// The graph is freed as it is consumed: a second backward through it throws.
    public static func backward(_ root: Tensor, gradient: Tensor? = nil) throws {
        guard let rootMeta = root.autograd else { throw AutogradError.noGraph }
        let g0: Tensor
        if let gradient {
            guard gradient.shape == root.shape else {
                throw AutogradError.gradientShape(op: "backward", expected: root.shape, got: gradient.shape)
            }
            g0 = gradient.detached()
        } else {
            guard root.count == 1 else { throw AutogradError.nonScalarRoot(shape: root.shape) }
            g0 = Tensor.ones(root.shape, dtype: root.dtype)
        }
        // Topological order of the metas reachable from the root (iterative DFS).
        var order: [AutogradMeta] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(AutogradMeta, Bool)] = [(rootMeta, false)]
        while let (m, expanded) = stack.popLast() {
            if expanded { order.append(m); continue }
            if visited.contains(ObjectIdentifier(m)) { continue }
            visited.insert(ObjectIdentifier(m))
            stack.append((m, true))
            if let node = m.node {
                for case let input? in node.inputs where !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(rootMeta): g0]
        for m in order.reversed() {
            guard let g = pending.removeValue(forKey: ObjectIdentifier(m)) else { continue }
            guard let node = m.node else {
                m.grad = try m.grad.map { try $0.add(g) } ?? g.clone()
                continue
            }
            // An operation whose input already has a private, contiguous gradient adds into it.
            if let input = node.accumulatingInput {
                let key = ObjectIdentifier(input)
                if var acc = pending.removeValue(forKey: key) {
                    if acc.isContiguous, acc.shape == input.shape, acc.dtype == g.dtype, acc.ownsStorageUniquely() {
                        try node.runAccumulating(g, into: acc)
                        pending[key] = acc
                        continue
                    }
                    pending[key] = acc
                }
            }
            let grads = try node.run(g)
            for (input, grad) in zip(node.inputs, grads) {
                guard let input, let grad else { continue }
                guard grad.shape == input.shape else {
                    throw AutogradError.gradientShape(op: node.op, expected: input.shape, got: grad.shape)
                }
                let key = ObjectIdentifier(input)
                if var acc = pending.removeValue(forKey: key) {
                    // Sum in place when no other tensor can see the accumulator.
                    if acc.dtype == grad.dtype, acc.isContiguous, acc.ownsStorageUniquely() {
                        try acc.addInPlace(grad)
                        pending[key] = acc
                    } else {
                        pending[key] = try acc.add(grad)
                    }
                } else {
                    pending[key] = grad
                }
            }
        }
    }
}

/// Differentiable operations (the `torch.nn.functional` of EditLab). Every function records
/// onto the tape only when an input requires a gradient and recording is on; otherwise it is
/// the plain computation.
public enum F {}
