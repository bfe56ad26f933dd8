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

    /// Sizes up to which tensor storage comes from the heap rather than from its own mapping
    /// (32 MB, glibc's largest): every activation of a forward pass over a batch, but not
    /// all-position logits.
    public static let mappedFrom = 32 << 20
    /// Free memory at the top of the heap that `free` alone never returns to the system.
    public static let trimAbove = 256 << 20

    /// Makes freed tensor storage stay in the heap for the next pass instead of going back to
    /// the system at once (glibc `mallopt`: a fixed mmap threshold of `mappedFrom` and a trim
    /// threshold of `trimAbove`). With glibc's adaptive defaults a forward pass gets most of
    /// its multi-megabyte activations as fresh pages, each written once after a page fault
    /// (about 57k faults, 230 MB, per prefill of 8 × 128 tokens on the default model); kept
    /// in the heap they are reused. Memory is still returned when asked
    /// (`releaseFreeMemory`, before all-position logits). Applied once, when the first
    /// storage is allocated; no effect where glibc is not the allocator.
    static let retainsFreedMemory: Bool = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        // M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1 (malloc.h).
        return mallopt(-3, Int32(mappedFrom)) == 1 && mallopt(-1, Int32(trimAbove)) == 1
        #else
        return false
        #endif
    }()

    /// A fresh anonymous mapping of `bytes` (zero-filled, page-aligned), advised to use
    /// transparent huge pages; nil where mappings are not available or the call fails.
    static func mapZeroed(_ bytes: Int) -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        guard let region = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              region != MAP_FAILED else { return nil }
        _ = madvise(region, bytes, MADV_HUGEPAGE)
        return region
        #else
        return nil
        #endif
    }

    /// Releases a mapping made by `mapZeroed`.
    static func unmap(_ region: UnsafeMutableRawPointer, _ bytes: Int) {
        #if canImport(Glibc)
        _ = munmap(region, bytes)
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
