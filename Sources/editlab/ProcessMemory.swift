import Foundation

/// Resident memory of this process, from /proc/self/status (Linux).
enum ProcessMemory {
    /// Current resident set size in bytes (VmRSS), or nil where unavailable.
    static var resident: Int? { field("VmRSS:") }
    /// Peak resident set size in bytes since start or the last `resetPeak()` (VmHWM).
    static var peak: Int? { field("VmHWM:") }

    /// Resets the peak counter (writes 5 to /proc/self/clear_refs).
    static func resetPeak() {
        if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            h.write(Data("5".utf8))
            try? h.close()
        }
    }

    private static func field(_ name: String) -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    /// Bytes as MB (10⁶) with one decimal.
    static func mb(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "n/a" }
}
