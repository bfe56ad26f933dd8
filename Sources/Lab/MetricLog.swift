import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far the metric files have got: what a checkpoint records so that a resume can cut both
/// files back to exactly that point.
public struct MetricLogState: Equatable, Sendable {
    /// Rows written (lines of `metrics.jsonl`; records after the header in `metrics.csv`).
    public var lines: Int
    /// Length of `metrics.jsonl` in bytes.
    public var jsonlBytes: Int
    /// Length of `metrics.csv` in bytes.
    public var csvBytes: Int
    /// The CSV header (empty before the first row).
    public var columns: [String]

    /// A state: rows written, file lengths, CSV columns.
    public init(lines: Int, jsonlBytes: Int, csvBytes: Int, columns: [String]) {
        self.lines = lines
        self.jsonlBytes = jsonlBytes
        self.csvBytes = csvBytes
        self.columns = columns
    }

    /// Empty files.
    public static let empty = MetricLogState(lines: 0, jsonlBytes: 0, csvBytes: 0, columns: [])
}

/// A run's metric files, appended to row by row:
///
/// - `metrics.jsonl` (the record): one JSON object per row with every key of the row, sorted
///   as `MetricKey` orders them.
/// - `metrics.csv` (for spreadsheets): a header with every key logged so far, in the same
///   order, then one record per row (empty cells for keys a row does not have). When a row
///   brings a key not seen before, the CSV is rewritten (atomically) from the rows with the new
///   column. The CSV is thus always the same function of `metrics.jsonl`, which is how a resume
///   rebuilds it.
///
/// Every row is handed to the kernel as it is logged (a crash of the process loses nothing);
/// `sync()` makes both files durable, which a checkpoint does before it records their lengths.
public final class MetricLog {
    /// `<run>/metrics.jsonl`
    public let jsonlPath: String
    /// `<run>/metrics.csv`
    public let csvPath: String
    /// Rows written, file lengths and CSV columns.
    public private(set) var state: MetricLogState = .empty
    /// Where warnings go (a replayed row that differs, a rebuilt CSV that differs).
    public var warn: (String) -> Void
    private var jsonlFD: Int32 = -1
    private var csvFD: Int32 = -1
    private var rows: [MetricRow] = []
    private var lines: [String] = []
    private var columnSet: Set<String> = []
    private var replayPosition: Int?
    private var replayWarned = false

    /// Opens (creating if needed) the metric files in `directory`; `reset(to:)` must follow to
    /// fix their contents.
    public init(directory: String, warn: @escaping (String) -> Void) throws {
        jsonlPath = directory + "/metrics.jsonl"
        csvPath = directory + "/metrics.csv"
        self.warn = warn
        jsonlFD = open(jsonlPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard jsonlFD >= 0 else { throw AtomicFile.failure(jsonlPath, "cannot open") }
        do { try openCSV() } catch {
            systemClose(jsonlFD)
            jsonlFD = -1
            throw error
        }
    }

    deinit { close() }

    /// Whether `metrics.jsonl` still holds the rows of `s` (it is at least that long).
    public func holds(_ s: MetricLogState) -> Bool { size(jsonlFD) >= s.jsonlBytes }

    /// Cuts `metrics.jsonl` back to the length of `s` and rebuilds `metrics.csv` from its rows
    /// (both durably), then continues from there.
    public func reset(to s: MetricLogState) throws {
        try ensureOpen()
        guard holds(s) else {
            throw LabError.io(path: jsonlPath, detail: "shorter than the \(s.jsonlBytes) bytes the checkpoint records")
        }
        guard ftruncate(jsonlFD, off_t(s.jsonlBytes)) == 0 else { throw AtomicFile.failure(jsonlPath, "cannot truncate") }
        var text = ""
        if s.jsonlBytes > 0 {
            guard let data = FileManager.default.contents(atPath: jsonlPath) else { throw LabError.io(path: jsonlPath, detail: "cannot read") }
            text = String(decoding: data.prefix(s.jsonlBytes), as: UTF8.self)
        }
        rows = try MetricsReader.rows(text: text, source: jsonlPath)
        lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { String($0) + "\n" }
        guard rows.count == s.lines, lines.count == s.lines else {
            throw LabError.io(path: jsonlPath, detail: "holds \(rows.count) rows where the checkpoint records \(s.lines)")
        }
        state = MetricLogState(lines: rows.count, jsonlBytes: s.jsonlBytes, csvBytes: 0, columns: [])
        columnSet = []
        try rewriteCSV()
        if state.columns != s.columns || state.csvBytes != s.csvBytes {
            warn("metrics.csv rebuilt from metrics.jsonl has \(state.csvBytes) bytes and \(state.columns.count) columns where the checkpoint records \(s.csvBytes) and \(s.columns.count)")
        }
        guard fsync(jsonlFD) == 0 else { throw AtomicFile.failure(jsonlPath, "cannot sync") }
    }

    /// Replays the rows already on disk: the next rows logged are compared with the file's
    /// rows, in order, instead of being written (a resumed script logs again what it logged
    /// before its loop; those rows are already there). A row that differs is reported once and
    /// the file keeps its own. `endReplay()` stops this.
    public func beginReplay() {
        replayPosition = rows.isEmpty ? nil : 0
    }

    /// Ends a replay: rows logged from now on are written.
    public func endReplay() { replayPosition = nil }

    /// Whether rows are being compared with the file instead of written.
    public var isReplaying: Bool { replayPosition.map { $0 < lines.count } ?? false }

    /// Appends a row to both files (or, during a replay, checks it against the file).
    public func append(_ row: MetricRow) throws {
        try ensureOpen()
        let line = row.jsonLine
        if let p = replayPosition, p < lines.count {
            if line != lines[p] && !replayWarned {
                replayWarned = true
                warn("metric row \(p + 1) differs from the one metrics.jsonl already holds from before the checkpoint; the file keeps its row")
            }
            replayPosition = p + 1
            return
        }
        try AtomicFile.writeAll(jsonlFD, Data(line.utf8), path: jsonlPath)
        state.jsonlBytes += line.utf8.count
        state.lines += 1
        rows.append(row)
        lines.append(line)
        if row.keys.allSatisfy(columnSet.contains) {
            let csv = row.csvLine(columns: state.columns)
            try AtomicFile.writeAll(csvFD, Data(csv.utf8), path: csvPath)
            state.csvBytes += csv.utf8.count
        } else {
            try rewriteCSV()
        }
    }

    /// Makes both files durable (fsync).
    public func sync() throws {
        try ensureOpen()
        guard fsync(jsonlFD) == 0 else { throw AtomicFile.failure(jsonlPath, "cannot sync") }
        guard fsync(csvFD) == 0 else { throw AtomicFile.failure(csvPath, "cannot sync") }
    }

    /// Closes the files (further appends fail).
    public func close() {
        if jsonlFD >= 0 { _ = fsync(jsonlFD); systemClose(jsonlFD); jsonlFD = -1 }
        if csvFD >= 0 { _ = fsync(csvFD); systemClose(csvFD); csvFD = -1 }
    }

    /// The CSV text of `rows`: every key as a column, in `MetricKey` order.
    public static func csv(_ rows: [MetricRow]) -> (text: String, columns: [String]) {
        guard !rows.isEmpty else { return ("", []) }
        let columns = Set(rows.flatMap(\.keys)).sorted(by: MetricKey.precedes)
        var text = columns.map(CSV.cell).joined(separator: ",") + "\n"
        for r in rows { text += r.csvLine(columns: columns) }
        return (text, columns)
    }

    /// Writes the whole CSV from the rows (atomically) and reopens it for appending.
    private func rewriteCSV() throws {
        let (text, columns) = MetricLog.csv(rows)
        let data = Data(text.utf8)
        try AtomicFile.write(data, to: csvPath)
        systemClose(csvFD)
        csvFD = -1
        try openCSV()
        state.columns = columns
        state.csvBytes = data.count
        columnSet = Set(columns)
    }

    private func openCSV() throws {
        csvFD = open(csvPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard csvFD >= 0 else { throw AtomicFile.failure(csvPath, "cannot open") }
    }

    private func ensureOpen() throws {
        guard jsonlFD >= 0, csvFD >= 0 else { throw LabError.io(path: jsonlPath, detail: "the metric files are closed") }
    }

    private func size(_ fd: Int32) -> Int {
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else { return -1 }
        return Int(st.st_size)
    }
}
