/// Views: new shapes and strides over the same storage. None of these copy (except
/// `reshaped` when the layout makes a view impossible, and `contiguous` when needed).
extension Tensor {
    /// Swaps two dimensions.
    public func transposed(_ d0: Int, _ d1: Int) throws -> Tensor {
        let a = try normalizedDim(d0, op: "transpose"), b = try normalizedDim(d1, op: "transpose")
        var sh = shape, st = strides
        sh.swapAt(a, b)
        st.swapAt(a, b)
        return Tensor(unchecked: storage, shape: sh, strides: st, offset: offset)
    }

    /// The transpose of a matrix (a 1- or 0-dimensional tensor is returned unchanged).
    public func t() throws -> Tensor {
        guard rank <= 2 else {
            throw TensorError.invalidArgument(op: "t", detail: "t() needs at most 2 dimensions, got \(rank); use transposed(_:_:)")
        }
        return rank < 2 ? self : try transposed(0, 1)
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `order[i]` of self.
    public func permuted(_ order: [Int]) throws -> Tensor {
        guard order.count == rank else {
            throw TensorError.invalidArgument(op: "permute", detail: "\(order.count) dimensions given for a \(rank)-dimensional tensor")
        }
        let dims = try order.map { try normalizedDim($0, op: "permute") }
        guard Set(dims).count == rank else {
            throw TensorError.invalidArgument(op: "permute", detail: "\(order) is not a permutation")
        }
        return Tensor(unchecked: storage, shape: dims.map { shape[$0] }, strides: dims.map { strides[$0] }, offset: offset)
    }

    /// `length` elements of dimension `dim` starting at `start`.
    public func narrow(_ dim: Int, start: Int, length: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "narrow")
        let s = start < 0 ? start + shape[d] : start
        guard s >= 0, length >= 0, s + length <= shape[d] else {
            throw TensorError.outOfRange(op: "narrow", detail: "start \(start) length \(length) in dimension \(dim) of size \(shape[d])")
        }
        var sh = shape
        sh[d] = length
        return Tensor(unchecked: storage, shape: sh, strides: strides, offset: offset + s * strides[d])
    }

    /// The slice at `index` of dimension `dim`, with that dimension removed.
    public func select(_ dim: Int, _ index: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "select")
        let i = index < 0 ? index + shape[d] : index
        guard i >= 0, i < shape[d] else {
            throw TensorError.outOfRange(op: "select", detail: "index \(index) in dimension \(dim) of size \(shape[d])")
        }
        var sh = shape, st = strides
        sh.remove(at: d)
        st.remove(at: d)
        return Tensor(unchecked: storage, shape: sh, strides: st, offset: offset + i * strides[d])
    }

    /// Resolves a requested shape that may contain one `-1` against `count`.
    func resolvedShape(_ requested: [Int], op: String) throws -> [Int] {
        var out = requested
        let unknown = requested.indices.filter { requested[$0] == -1 }
        guard unknown.count <= 1, requested.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument(op: op, detail: "invalid shape \(requested)")
        }
        let known = try checkedCount(requested.filter { $0 != -1 }, op: op)
        if let u = unknown.first {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: op, detail: "cannot infer -1 in \(requested) for \(count) elements")
            }
            out[u] = count / known
        }
        let total = try checkedCount(out, op: op)
        guard total == count else {
            throw TensorError.shapeMismatch(op: op, detail: "shape \(shapeString(out)) has \(total) elements, tensor has \(count)")
        }
        return out
    }

    /// Strides that present this tensor's elements (in row-major order) with `newShape`
    /// without copying, or `nil` when the layout does not allow it (PyTorch's rule).
    func viewStrides(_ newShape: [Int]) -> [Int]? {
        if count == 0 { return Tensor.contiguousStrides(newShape) }
        // Group old dimensions into contiguous chunks, then split each chunk.
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBaseStride = strides.last ?? 1
        var tensorNumel = 1
        var viewNumel = 1
        var tensorD = rank - 1
        while tensorD >= 0 {
            tensorNumel *= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBaseStride
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBaseStride = strides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
            tensorD -= 1
        }
        if viewD != -1 { return nil }
        return newStrides
    }

    /// The same elements with a new shape, without copying; throws when the strides make that
    /// impossible (call `reshaped` to copy in that case). One size may be `-1`.
    public func view(_ newShape: [Int]) throws -> Tensor {
        let sh = try resolvedShape(newShape, op: "view")
        if rank == 0 || sh.isEmpty {
            return Tensor(unchecked: storage, shape: sh, strides: Tensor.contiguousStrides(sh), offset: offset)
        }
        guard let st = viewStrides(sh) else {
            throw TensorError.invalidArgument(op: "view", detail: "cannot view a \(shapeString(shape)) tensor with strides \(strides) as \(shapeString(sh)) without copying; use reshaped")
        }
        return Tensor(unchecked: storage, shape: sh, strides: st, offset: offset)
    }

    /// The same elements with a new shape: a view when possible, else a contiguous copy.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let sh = try resolvedShape(newShape, op: "reshape")
        if let v = try? view(sh) { return v }
        return try contiguous().view(sh)
    }

    /// A view with every dimension flattened into one.
    public func flattened() -> Tensor {
        // reshaped cannot fail for the element count itself
        (try? reshaped([count])) ?? contiguous()
    }

    /// Inserts a dimension of size 1 at `dim` (0...rank).
    public func unsqueezed(_ dim: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "unsqueeze", rankOverride: rank + 1)
        var sh = shape, st = strides
        let stride = d < rank ? shape[d] * strides[d] : 1
        sh.insert(1, at: d)
        st.insert(stride, at: d)
        return Tensor(unchecked: storage, shape: sh, strides: st, offset: offset)
    }

    /// Removes dimension `dim`, which must have size 1.
    public func squeezed(_ dim: Int) throws -> Tensor {
        let d = try normalizedDim(dim, op: "squeeze")
        guard shape[d] == 1 else {
            throw TensorError.invalidArgument(op: "squeeze", detail: "dimension \(dim) has size \(shape[d]), not 1")
        }
        var sh = shape, st = strides
        sh.remove(at: d)
        st.remove(at: d)
        return Tensor(unchecked: storage, shape: sh, strides: st, offset: offset)
    }

    /// A view broadcast to `target` (dimensions of size 1 repeat with stride 0; no copy).
    public func expanded(to target: [Int]) throws -> Tensor {
        let st = try broadcastStrides(to: target, op: "expand")
        return Tensor(unchecked: storage, shape: target, strides: st, offset: offset)
    }

    /// A contiguous tensor with the same elements: self when already contiguous, else a copy.
    public func contiguous() -> Tensor {
        isContiguous ? self : clone()
    }

    /// A contiguous copy with its own storage.
    public func clone() -> Tensor {
        let out = Tensor.uninitialized(shape, dtype: dtype)
        out.copyElements(from: self)
        return out
    }

    /// A copy converted to `dtype` (self when already of that dtype).
    public func to(_ dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let out = Tensor.uninitialized(shape, dtype: dtype)
        out.copyElements(from: self)
        return out
    }
}
