/// An n-dimensional array: a view (shape, strides, offset) on a shared, reference-counted
/// `TensorStorage`, as in torch7 and PyTorch.
///
/// Views (`transposed`, `narrow`, `select`, `view`, ...) never copy: they share the storage,
/// and in-place methods (`addInPlace`, `copy(from:)`, `fill`, ...) write through to every view.
/// `clone()` copies. Dimensions and indices are 0-based in the Swift API (the Lua bridge
/// converts to Lua's 1-based convention); a negative dimension counts from the end.
public struct Tensor {
    /// The shared storage this tensor views (`var` only so the tape can ask whether a
    /// gradient buffer is referenced from nowhere else; it is never reassigned).
    public private(set) var storage: TensorStorage
    /// Size of each dimension.
    public let shape: [Int]
    /// Step in elements between neighbours along each dimension (0 for broadcast dimensions).
    public let strides: [Int]
    /// Index of the first element in the storage.
    public let offset: Int
    /// Autograd state: set on leaves that require a gradient and on results of recorded
    /// operations; `nil` for plain tensors.
    public internal(set) var autograd: AutogradMeta?

    /// Creates a view without checking it against the storage. Internal use only: every
    /// public view constructor validates its arguments first.
    init(unchecked storage: TensorStorage, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// Creates a view of `storage`, checking that every element it addresses lies inside it.
    public init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int = 0) throws {
        guard shape.count == strides.count else {
            throw TensorError.invalidArgument(op: "Tensor(storage:)", detail: "\(shape.count) sizes but \(strides.count) strides")
        }
        guard shape.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw TensorError.invalidArgument(op: "Tensor(storage:)", detail: "negative size or offset")
        }
        let n = try checkedCount(shape, op: "Tensor(storage:)")
        if n > 0 {
            var lo = offset, hi = offset
            for (s, st) in zip(shape, strides) {
                // absurd strides must throw, not trap on overflow
                let (span, o1) = (s - 1).multipliedReportingOverflow(by: st)
                let (next, o2) = span < 0 ? lo.addingReportingOverflow(span) : hi.addingReportingOverflow(span)
                guard !o1, !o2 else {
                    throw TensorError.outOfRange(op: "Tensor(storage:)", detail: "strides \(strides) overflow for shape \(shapeString(shape))")
                }
                if span < 0 { lo = next } else { hi = next }
            }
            guard lo >= 0, hi < storage.count else {
                throw TensorError.outOfRange(op: "Tensor(storage:)", detail: "view addresses elements \(lo)...\(hi) of a storage of \(storage.count)")
            }
        }
        self.init(unchecked: storage, shape: shape, strides: strides, offset: offset)
    }

    /// A new zero-filled contiguous tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        let n = shape.reduce(1, *)
        self.init(unchecked: TensorStorage(dtype: dtype, count: n), shape: shape,
                  strides: Tensor.contiguousStrides(shape), offset: 0)
    }

    /// A new contiguous tensor whose contents are unspecified (to be overwritten).
    static func uninitialized(_ shape: [Int], dtype: DType) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(unchecked: TensorStorage(dtype: dtype, count: n, zeroed: false), shape: shape,
                      strides: contiguousStrides(shape), offset: 0)
    }

    /// Row-major strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= Swift.max(shape[i], 1)
        }
        return strides
    }

    /// Element type.
    public var dtype: DType { storage.dtype }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// The storage's version counter (bumped by every in-place write through any view).
    public var version: Int { storage.version }

    /// Whether the elements are laid out row-major without gaps (sizes of 1 ignored).
    public var isContiguous: Bool {
        if count == 0 { return true } // no elements, no gaps (as PyTorch)
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) throws -> Int { shape[try normalizedDim(dim, op: "size")] }

    /// Maps a possibly negative dimension to `0..<rank`, or throws.
    func normalizedDim(_ dim: Int, op: String, rankOverride: Int? = nil) throws -> Int {
        let r = rankOverride ?? rank
        let d = dim < 0 ? dim + r : dim
        guard d >= 0, d < r else {
            throw TensorError.outOfRange(op: op, detail: "dimension \(dim) of a \(r)-dimensional tensor")
        }
        return d
    }

    /// Throws unless the dtype is `expected`.
    func requireDType(_ expected: DType, _ op: String) throws {
        guard dtype == expected else { throw TensorError.dtypeMismatch(op: op, expected: expected, got: dtype) }
    }

    /// Typed pointer to this view's first element. `T` must match `dtype`.
    public func pointer<T: TensorScalar>(as _: T.Type) -> UnsafeMutablePointer<T> {
        precondition(T.dtype == dtype, "Tensor.pointer: element type does not match dtype")
        return storage.pointer(as: T.self) + offset
    }

    /// Storage offset of the element at `indices` (each checked against the shape).
    func elementOffset(_ indices: [Int], op: String) throws -> Int {
        guard indices.count == rank else {
            throw TensorError.invalidArgument(op: op, detail: "\(indices.count) indices for a \(rank)-dimensional tensor")
        }
        var off = offset
        for (d, i) in indices.enumerated() {
            let j = i < 0 ? i + shape[d] : i
            guard j >= 0, j < shape[d] else {
                throw TensorError.outOfRange(op: op, detail: "index \(i) in dimension \(d) of size \(shape[d])")
            }
            off += j * strides[d]
        }
        return off
    }

    /// The element at `indices` (0-based, negative counts from the end), as a `Double`.
    public func value(at indices: [Int]) throws -> Double {
        let off = try elementOffset(indices, op: "value(at:)")
        switch dtype {
        case .float32: return Double(storage.pointer(as: Float.self)[off])
        case .float64: return storage.pointer(as: Double.self)[off]
        }
    }

    /// Writes one element in place (visible through every view).
    public func setValue(_ value: Double, at indices: [Int]) throws {
        let off = try elementOffset(indices, op: "setValue(_:at:)")
        switch dtype {
        case .float32: storage.pointer(as: Float.self)[off] = Float(value)
        case .float64: storage.pointer(as: Double.self)[off] = value
        }
        storage.bumpVersion()
    }

    /// The single element of a one-element tensor.
    public func item() throws -> Double {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: "item", detail: "tensor of shape \(shapeString(shape)) has \(count) elements, not 1")
        }
        return try value(at: [Int](repeating: 0, count: rank))
    }

    /// The elements in row-major order, converted to `T`.
    public func toArray<T: TensorScalar>(_: T.Type = T.self) -> [T] {
        let c = contiguous()
        let n = c.count
        switch c.dtype {
        case .float32:
            let p = c.pointer(as: Float.self)
            return (0..<n).map { T(Double(p[$0])) }
        case .float64:
            let p = c.pointer(as: Double.self)
            return (0..<n).map { T(p[$0]) }
        }
    }

    /// The elements in row-major order as `Float` (no conversion cost for float32 tensors).
    public func floats() -> [Float] {
        let c = contiguous()
        if c.dtype == .float32 { return Array(UnsafeBufferPointer(start: c.pointer(as: Float.self), count: c.count)) }
        return c.toArray(Float.self)
    }

    /// The elements in row-major order as `Double`.
    public func doubles() -> [Double] {
        let c = contiguous()
        if c.dtype == .float64 { return Array(UnsafeBufferPointer(start: c.pointer(as: Double.self), count: c.count)) }
        return c.toArray(Double.self)
    }

    /// Whether no other tensor value refers to this one's storage (then writing into it in
    /// place cannot be seen through any other view).
    mutating func ownsStorageUniquely() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// Whether two tensors are views of the same storage.
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}
