import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, atomic file writes: the bytes go to a temporary file in the same directory, the
/// file is synced, renamed over the destination, and the directory is synced. A crash at any
/// point leaves either the old file or the new one, never a mixture (at worst a stray
/// temporary file, which readers ignore).
public enum AtomicFile {
    /// Writes `data` to `path` atomically and durably.
    public static func write(_ data: Data, to path: String) throws {
        try write(data, to: path, beforeRename: nil)
    }

    /// As `write(_:to:)`; `beforeRename` runs after the temporary file is synced and before the
    /// rename (tests use it to stop there, as a crash would).
    static func write(_ data: Data, to path: String, beforeRename: (() throws -> Void)?) throws {
        let dir = directory(of: path)
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(tmp, "cannot create") }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            try writeAll(fd, data, path: tmp)
            guard fsync(fd) == 0 else { throw failure(tmp, "cannot sync") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(tmp, "cannot close") }
        try beforeRename?()
        guard rename(tmp, path) == 0 else { throw failure(path, "cannot rename \(tmp) to it") }
        ok = true
        try syncDirectory(dir)
    }

    /// The temporary file `write` uses for `path` (same directory, hidden, process-specific).
    public static func temporaryPath(for path: String) -> String {
        directory(of: path) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
    }

    /// Whether a file name is one of `write`'s temporary files.
    public static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.range(of: ".tmp-") != nil
    }

    /// Flushes a directory's entries (new, renamed and removed files) to disk.
    public static func syncDirectory(_ dir: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(dir, "cannot open the directory to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(dir, "cannot sync the directory") }
    }

    /// Writes every byte of `data` to `fd` (retrying short writes and interruptions).
    static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var off = 0
            while off < raw.count {
                let n = systemWrite(fd, base + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot write")
                }
                off += n
            }
        }
    }

    static func directory(of path: String) -> String {
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    /// A `LabError.io` with the system's reason for the last failure.
    static func failure(_ path: String, _ what: String) -> LabError {
        LabError.io(path: path, detail: "\(what): \(String(cString: strerror(errno)))")
    }
}

