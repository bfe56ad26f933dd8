#if canImport(Glibc)
import Glibc
#endif

/// Housekeeping of the C heap that tensor storage comes from.
public enum Heap {
    /// Returns the heap's free memory to the operating system (glibc `malloc_trim`): the
    /// transient activations of a forward pass leave tens of MB free but resident in the heap,
    /// and a very large allocation made next (all-position logits) would otherwise count on
    /// top of them in the peak resident size. Costs page faults when that memory is reused.
    /// No effect where glibc is not the allocator.
    public static func releaseFreeMemory() {
        #if canImport(Glibc)
        if let trim = mallocTrim { _ = trim(0) }
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `int malloc_trim(size_t pad)` (not exported by the Glibc module), looked up once.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
    #endif
}
