import Tensors

/// Which logits a forward pass computes.
public enum LogitSelection: Sendable, Equatable {
    /// Every position: `[batch, length, vocab]`.
    case all
    /// The last real token of each row (of each sequence of a packed batch): `[batch, vocab]`.
    case last
    /// Chosen (row, column) pairs of the padded batch: `[n, vocab]`.
    case columns([Int])
    /// No logits (stop before the unembedding).
    case none
}

/// Options of one forward pass.
public struct ForwardOptions {
    /// Which logits to compute.
    public var logits: LogitSelection = .all
    /// Hook names whose activations to keep (run_with_cache).
    public var cacheNames: Set<String> = []
    /// Hooks to run for this pass only (in addition to the model's permanent hooks).
    public var hooks: [String: [HookFunction]] = [:]
    /// Stop after this block (inclusive): no later blocks, no final norm, no logits.
    public var stopAfterLayer: Int? = nil
    /// Start at this block with `initialResidual` as its `hook_resid_pre` (blocks below are
    /// not run again — the v* optimisation computes them once per edit).
    public var startLayer: Int = 0
    /// The residual stream entering `startLayer`, `[batch, length, d_model]`.
    public var initialResidual: Tensor? = nil

    /// Default options: logits at every position, no cache, no extra hooks.
    public init(logits: LogitSelection = .all, cacheNames: Set<String> = [], hooks: [String: [HookFunction]] = [:],
                stopAfterLayer: Int? = nil, startLayer: Int = 0, initialResidual: Tensor? = nil) {
        self.logits = logits
        self.cacheNames = cacheNames
        self.hooks = hooks
        self.stopAfterLayer = stopAfterLayer
        self.startLayer = startLayer
        self.initialResidual = initialResidual
    }
}

/// What a forward pass returns.
public struct ForwardResult {
    /// The logits selected by the options (nil for `.none` or when the pass stopped early).
    public var logits: Tensor?
    /// The activations asked for, by hook name.
    public var cache: [String: Tensor]
    /// The residual stream after the last block run (`[batch, length, d_model]`).
    public var residual: Tensor
}
