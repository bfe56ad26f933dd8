import Tensors

/// Keys and values of every block for the tokens seen so far, for incremental generation.
/// Tensors are `[batch, seen, kvHeads, headDim]`; `mask` marks real tokens.
public final class KVCache {
    /// Per block: keys.
    var keys: [Tensor?]
    /// Per block: values.
    var values: [Tensor?]
    /// Real-token flags of the columns seen so far, row-major `[batch, seen]`.
    var mask: [Bool] = []
    /// Next position of each row (number of real tokens seen).
    var nextPosition: [Int] = []
    /// Number of columns seen.
    public private(set) var length = 0

    /// An empty cache for a model with `layers` blocks.
    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Appends keys and values of one block for the new columns.
    func append(layer: Int, k: Tensor, v: Tensor) throws -> (Tensor, Tensor) {
        if let pk = keys[layer], let pv = values[layer] {
            let nk = try F.concat([pk, k], dim: 1), nv = try F.concat([pv, v], dim: 1)
            keys[layer] = nk
            values[layer] = nv
            return (nk, nv)
        }
        keys[layer] = k.contiguous()
        values[layer] = v.contiguous()
        return (k, v)
    }

    /// Records the new columns' mask after all blocks ran.
    func commit(mask newMask: [Bool], batch: Int, columns: Int) {
        var merged: [Bool] = []
        merged.reserveCapacity(batch * (length + columns))
        for b in 0..<batch {
            merged += mask[(b * length)..<((b + 1) * length)]
            merged += newMask[(b * columns)..<((b + 1) * columns)]
        }
        mask = merged
        length += columns
        if nextPosition.count != batch { nextPosition = [Int](repeating: 0, count: batch) }
        for b in 0..<batch { nextPosition[b] += newMask[(b * columns)..<((b + 1) * columns)].filter { $0 }.count }
    }

    /// The key mask for `columns` new columns with flags `newMask`.
    func keyMask(adding newMask: [Bool], batch: Int, columns: Int) -> [Bool] {
        var merged: [Bool] = []
        merged.reserveCapacity(batch * (length + columns))
        for b in 0..<batch {
            merged += mask[(b * length)..<((b + 1) * length)]
            merged += newMask[(b * columns)..<((b + 1) * columns)]
        }
        return merged
    }
}
