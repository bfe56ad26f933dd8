import Foundation
import LanguageModels

/// The small JSON file that completes a checkpoint (`checkpoints/batch-NNNNNN.json`, written
/// last): where the loop was, how long the metric files were, the random state, and the name,
/// length and SHA-256 of the payload (`batch-NNNNNN.safetensors`: the edited weights and the
/// editor state). A checkpoint without its descriptor, or whose payload does not match it, is
/// not used.
public struct CheckpointDescriptor: Equatable, Sendable {
    /// The format tag of the file.
    public static let format = "editlab-checkpoint-1"

    /// Batches finished when it was written.
    public var batch: Int
    /// Batches in the loop.
    public var batches: Int
    /// The payload's file name (in the same directory).
    public var payloadFile: String
    /// The payload's length in bytes.
    public var payloadBytes: Int
    /// The payload's SHA-256 (lowercase hex).
    public var payloadSHA256: String
    /// The metric files at that point.
    public var metrics: MetricLogState
    /// The run's random generator (`RandomGenerator.savedState`).
    public var random: [UInt64]
    /// The model parameters stored in the payload (`weights/<name>`), in model order.
    public var weights: [String]
    /// The editor state entries stored in the payload (`state/<key>`), sorted.
    public var editorState: [String]

    /// A descriptor from its parts.
    public init(batch: Int, batches: Int, payloadFile: String, payloadBytes: Int, payloadSHA256: String,
                metrics: MetricLogState, random: [UInt64], weights: [String], editorState: [String]) {
        self.batch = batch
        self.batches = batches
        self.payloadFile = payloadFile
        self.payloadBytes = payloadBytes
        self.payloadSHA256 = payloadSHA256
        self.metrics = metrics
        self.random = random
        self.weights = weights
        self.editorState = editorState
    }

    /// The descriptor as JSON (no timestamps: the same progress gives the same bytes).
    public var json: JSONValue {
        .object([
            "format": .string(CheckpointDescriptor.format),
            "batch": .int(batch), "batches": .int(batches),
            "payload": .object(["file": .string(payloadFile), "bytes": .int(payloadBytes), "sha256": .string(payloadSHA256)]),
            "metrics": .object(["lines": .int(metrics.lines), "jsonl_bytes": .int(metrics.jsonlBytes),
                                "csv_bytes": .int(metrics.csvBytes), "csv_columns": .array(metrics.columns.map { .string($0) })]),
            "random": .array(random.map { .string(String(format: "%016llx", $0)) }),
            "weights": .array(weights.map { .string($0) }),
            "editor_state": .array(editorState.map { .string($0) }),
        ])
    }

    /// Reads a descriptor; errors are plain strings (the caller reports the checkpoint).
    public init(json v: JSONValue) throws {
        func bad(_ s: String) -> LabError { LabError.invalidOption(s) }
        guard let o = v.objectValue, o["format"]?.stringValue == CheckpointDescriptor.format else { throw bad("not a checkpoint descriptor") }
        guard let b = o["batch"]?.intValue, let n = o["batches"]?.intValue, b >= 0, n >= b else { throw bad("bad batch counts") }
        guard let p = o["payload"]?.objectValue, let file = p["file"]?.stringValue, let bytes = p["bytes"]?.intValue,
              let sha = p["sha256"]?.stringValue else { throw bad("bad payload entry") }
        guard !file.contains("/"), !file.isEmpty else { throw bad("bad payload file name") }
        guard let m = o["metrics"]?.objectValue, let lines = m["lines"]?.intValue, let jb = m["jsonl_bytes"]?.intValue,
              let cb = m["csv_bytes"]?.intValue, let cols = m["csv_columns"]?.arrayValue else { throw bad("bad metrics entry") }
        let columns = cols.compactMap(\.stringValue)
        guard columns.count == cols.count, lines >= 0, jb >= 0, cb >= 0 else { throw bad("bad metrics entry") }
        guard let r = o["random"]?.arrayValue else { throw bad("bad random entry") }
        let words = r.compactMap { $0.stringValue.flatMap { UInt64($0, radix: 16) } }
        guard words.count == r.count else { throw bad("bad random entry") }
        guard let w = o["weights"]?.arrayValue, let s = o["editor_state"]?.arrayValue else { throw bad("bad tensor lists") }
        let weights = w.compactMap(\.stringValue), state = s.compactMap(\.stringValue)
        guard weights.count == w.count, state.count == s.count else { throw bad("bad tensor lists") }
        self.init(batch: b, batches: n, payloadFile: file, payloadBytes: bytes, payloadSHA256: sha,
                  metrics: MetricLogState(lines: lines, jsonlBytes: jb, csvBytes: cb, columns: columns),
                  random: words, weights: weights, editorState: state)
    }
}
