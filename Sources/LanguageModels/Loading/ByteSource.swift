import Foundation

/// Read-only bytes of a weight file: either the file memory-mapped (`PROT_READ`,
/// `MAP_PRIVATE`) or an owned copy of an in-memory buffer (used by tests and fuzzing).
///
/// `release()` unmaps or frees the bytes; every later access sees an empty buffer, so a
/// reader that outlives its bytes fails with a clean "truncated" error instead of reading
/// freed memory. Readers call `release()` as soon as the weights are dequantised: a loaded
/// model never keeps its file mapped.
public final class ByteSource {
    /// Where the bytes came from (a path, or a label such as `<memory>`), used in errors.
    public let label: String
    private var base: UnsafeRawPointer?
    private var length: Int
    private let isMapped: Bool

    /// Maps the file at `path` read-only. Throws ``ModelFileError/unreadable(file:reason:)``.
    public init(mapping path: String) throws {
        label = path
        isMapped = true
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelFileError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw ModelFileError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFileError.unreadable(file: path, reason: "not a regular file")
        }
        let size = Int(st.st_size)
        length = size
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw ModelFileError.unreadable(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    /// Copies `bytes` into memory owned by this source.
    public init<C: Collection>(copying bytes: C, label: String = "<memory>") where C.Element == UInt8 {
        self.label = label
        isMapped = false
        length = bytes.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(length, 1), alignment: 64)
        let typed = p.bindMemory(to: UInt8.self, capacity: max(length, 1))
        let copied: Void? = bytes.withContiguousStorageIfAvailable { src in
            if let base = src.baseAddress { typed.update(from: base, count: src.count) }
        }
        if copied == nil {
            _ = UnsafeMutableBufferPointer(start: typed, count: length).initialize(from: bytes)
        }
        base = UnsafeRawPointer(p)
    }

    deinit { release() }

    /// The bytes (empty after `release()`).
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : length)
    }

    /// Number of bytes (0 after `release()`).
    public var count: Int { base == nil ? 0 : length }

    /// Whether the bytes are still available.
    public var isOpen: Bool { base != nil || length == 0 }

    /// Tells the kernel that the whole-page part of `range` will not be read again, so the
    /// pages it holds can leave this process's resident set (mapped files only; a no-op for
    /// owned copies). Used while dequantising to keep peak memory near the float32 size.
    public func discard(_ range: Range<Int>) {
        guard isMapped, let base, range.lowerBound >= 0, range.upperBound <= length else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let lo = (range.lowerBound + page - 1) / page * page
        let hi = range.upperBound / page * page
        guard hi > lo else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + lo), hi - lo, MADV_DONTNEED)
    }

    /// Asks the kernel to read the whole mapping ahead (mapped files only).
    public func willNeed() {
        guard isMapped, let base, length > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_WILLNEED)
    }

    /// Unmaps (or frees) the bytes. Safe to call more than once.
    public func release() {
        guard let b = base else { return }
        base = nil
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: b), length)
        } else {
            UnsafeMutableRawPointer(mutating: b).deallocate()
        }
    }
}
