import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where runs live and how their directories are claimed.
public enum RunDirectory {
    /// `${EDITLAB_HOME:-~/.cache/editlab}/runs`.
    public static var root: String {
        let env = ProcessInfo.processInfo.environment
        let home = env["EDITLAB_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/editlab")
        return home + "/runs"
    }

    /// The run's name and directory from the options: `directory` as given (`~` expanded; the
    /// name defaults to its last component), else `root/<name>`.
    public static func resolve(name: String?, directory: String?) throws -> (name: String, directory: String) {
        if let n = name { try validate(n) }
        if let d = directory {
            guard !d.isEmpty else { throw LabError.invalidOption("dir must not be empty") }
            let expanded = (d as NSString).expandingTildeInPath
            let absolute = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
            let standard = (absolute as NSString).standardizingPath
            return (name ?? (standard as NSString).lastPathComponent, standard)
        }
        guard let n = name else { throw LabError.invalidOption("a run needs a name (name = \"...\") or a directory (dir = \"...\")") }
        return (n, root + "/" + n)
    }

    /// A run name is one path component: not empty, no `/`, not `.` or `..`.
    static func validate(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.contains("\0"), name != ".", name != ".." else {
            throw LabError.invalidOption("the run name \"\(name)\" is not usable as a directory name (one path component, no '/')")
        }
    }

    /// Whether `dir` holds (part of) a run: a manifest, metric rows or checkpoint files.
    public static func holdsRun(_ dir: String) -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir + "/manifest.json") { return true }
        if let a = try? fm.attributesOfItem(atPath: dir + "/metrics.jsonl"), (a[.size] as? NSNumber)?.intValue ?? 0 > 0 { return true }
        let ck = (try? fm.contentsOfDirectory(atPath: dir + "/checkpoints")) ?? []
        return ck.contains { $0.hasPrefix("batch-") }
    }
}

/// An exclusive claim on a run directory (`flock` on `<run>/.lock`), so two runs never write
/// the same files. The kernel releases it when the process ends, however it ends.
public final class RunLock {
    private var fd: Int32

    /// Claims `directory`, or throws `LabError.locked` when another open run holds it.
    public init(directory: String) throws {
        let path = directory + "/.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.failure(path, "cannot open the lock file") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            systemClose(fd)
            fd = -1
            throw LabError.locked(directory: directory)
        }
    }

    deinit { release() }

    /// Gives the claim up.
    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        systemClose(fd)
        fd = -1
    }
}
