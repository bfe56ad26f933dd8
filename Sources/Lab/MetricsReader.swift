import Foundation

/// Reads `metrics.jsonl` files back into rows (for plots, reports and comparisons of runs).
public enum MetricsReader {
    /// The rows of a `metrics.jsonl` file, or of `<path>/metrics.jsonl` when `path` is a run
    /// directory. Null (how NaN is written) reads back as NaN, `±1e999` as ±infinity.
    public static func rows(path: String) throws -> [MetricRow] {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path + "/metrics.jsonl" : path
        guard let data = FileManager.default.contents(atPath: file) else { throw LabError.io(path: file, detail: "cannot read") }
        return try rows(text: String(decoding: data, as: UTF8.self), source: file)
    }

    /// The rows of JSONL text (blank lines are skipped); `source` names it in errors.
    public static func rows(text: String, source: String) throws -> [MetricRow] {
        var out: [MetricRow] = []
        for (n, line) in text.utf8.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0d || $0 == 0x09 }) { continue }
            do {
                out.append(try MetricRow(try MetricLineParser.fields(line)))
            } catch {
                throw LabError.io(path: source, detail: "line \(n + 1): \(error)")
            }
        }
        return out
    }
}
