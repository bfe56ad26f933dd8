/// A reference-counted, contiguous block of elements that tensors view.
///
/// Several `Tensor` values (views) may share one storage; an in-place write through any of
/// them is visible through all. Every in-place write bumps `version`, which the autograd
/// tape uses to refuse backpropagation through tensors mutated after they were recorded.
public final class TensorStorage {
    /// Element type of the storage.
    public let dtype: DType
    /// Number of elements.
    public let count: Int
    /// Start of the memory (64-byte aligned).
    public let baseAddress: UnsafeMutableRawPointer
    /// Incremented by every in-place write.
    public private(set) var version: Int = 0

    /// Whether the memory is its own mapping (`Heap.mappedFrom` bytes or more), released
    /// with `munmap`.
    let mapped: Bool

    /// Allocates `count` elements of `dtype`, zero-filled when `zeroed` is true. Storage of
    /// `Heap.mappedFrom` bytes or more is its own anonymous mapping, in transparent huge pages
    /// where the system allows them: it starts zero-filled without a pass over it, and its
    /// pages fault in 2 MB at a time (all-position logits of a batch are hundreds of MB).
    public init(dtype: DType, count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "TensorStorage: negative element count")
        self.dtype = dtype
        self.count = count
        let bytes = max(count * dtype.byteSize, 1)
        _ = Heap.retainsFreedMemory
        if bytes >= Heap.mappedFrom, let region = Heap.mapZeroed(bytes) {
            self.baseAddress = region
            self.mapped = true
            return
        }
        self.baseAddress = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        self.mapped = false
        if zeroed { baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
    }

    deinit {
        if mapped {
            Heap.unmap(baseAddress, max(count * dtype.byteSize, 1))
        } else {
            baseAddress.deallocate()
        }
    }

    /// Whether the storage starts zero-filled however it was requested (its own mapping).
    public var startsZeroed: Bool { mapped }

    /// Number of bytes held.
    public var byteCount: Int { count * dtype.byteSize }

    /// Records an in-place write.
    public func bumpVersion() { version &+= 1 }

    /// Typed pointer to the first element. The caller must use the storage's own dtype.
    public func pointer<T: TensorScalar>(as _: T.Type) -> UnsafeMutablePointer<T> {
        baseAddress.assumingMemoryBound(to: T.self)
    }
}
