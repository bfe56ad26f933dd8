import Tensors

/// What a hook is told besides the activation.
public struct HookContext {
    /// The hook point's name (e.g. `blocks.3.hook_mlp_out`).
    public let name: String
    /// The block index, or nil for points outside the blocks (`hook_embed`, `ln_final...`).
    public let layer: Int?
    /// The batch being run (its padding, positions and lengths).
    public let batch: TokenBatch
    /// Index of the first query column in the full sequence (non-zero with a KV cache).
    public let columnOffset: Int
}

/// A function run at a hook point: it receives the activation and returns a replacement of
/// the same shape, or nil to leave it unchanged (read-only hooks). Built on `F` operations, a
/// replacement is differentiable (ROME and MEMIT add a vector this way and differentiate
/// through it).
public typealias HookFunction = (Tensor, HookContext) throws -> Tensor?

/// Ready-made hooks.
public enum Hooks {
    /// Adds `vectors` (`[n, d]`, or `[d]` for the same vector everywhere) to the activation at
    /// the (row, token index) pairs `at` — token indices count real tokens, 0-based, negative
    /// from the end. Differentiable in `vectors`.
    public static func add(_ vectors: Tensor, at positions: [(row: Int, index: Int)]) -> HookFunction {
        { x, ctx in
            let rows = try positions.map { try ctx.batch.flatIndex(row: $0.row, index: $0.index) }
            let d = x.shape.last ?? 0
            let flat = try F.reshape(x, [-1, d])
            let v = vectors.rank == 1 ? try F.reshape(F.concat(Array(repeating: F.reshape(vectors, [1, d]), count: rows.count), dim: 0), [rows.count, d])
                                      : vectors
            return try F.reshape(F.indexAdd(flat, rows, v), x.shape)
        }
    }

    /// Replaces the activation at the (row, token index) pairs by `values` (`[n, d]`).
    public static func replace(_ values: Tensor, at positions: [(row: Int, index: Int)]) -> HookFunction {
        { x, ctx in
            let rows = try positions.map { try ctx.batch.flatIndex(row: $0.row, index: $0.index) }
            let d = x.shape.last ?? 0
            let flat = try F.reshape(x, [-1, d])
            let current = try F.indexSelect(flat, rows)
            return try F.reshape(F.indexAdd(flat, rows, F.sub(values, current)), x.shape)
        }
    }
}
