import Foundation
import LanguageModels
import Tensors

/// A checkpoint read back and verified: its descriptor and its tensors.
public struct LoadedCheckpoint {
    /// The descriptor.
    public let descriptor: CheckpointDescriptor
    /// Model parameters by name (float32, whole tensors).
    public let weights: [String: Tensor]
    /// The editor state by key (float32 or float64, as saved).
    public let editorState: [String: Tensor]
}

/// The checkpoints of a run, in `<run>/checkpoints`: for batch k, `batch-<k>.safetensors` (the
/// payload) and `batch-<k>.json` (the descriptor with the payload's SHA-256, written after the
/// payload is durable). Both are written atomically (`AtomicFile`). The previous checkpoint is
/// removed only after the new one is complete, and one earlier checkpoint is kept besides the
/// newest, so a checkpoint damaged later still leaves one to fall back to.
public final class CheckpointStore {
    /// `<run>/checkpoints`.
    public let directory: String

    /// The store in `directory` (created if missing).
    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LabError.io(path: directory, detail: "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
    }

    /// `batch-000012` for batch 12 (six digits at least; more when needed).
    public static func stem(_ batch: Int) -> String { String(format: "batch-%06d", batch) }

    /// Writes the checkpoint of `batch`: the payload (the `weights` under `weights/<name>` and
    /// the editor `state` under `state/<key>`), then its descriptor; returns the descriptor.
    public func write(batch: Int, batches: Int, weights: [(String, Tensor)], state: [String: Tensor],
                      random: [UInt64], metrics: MetricLogState) throws -> CheckpointDescriptor {
        var tensors: [String: Tensor] = [:]
        for (n, t) in weights { tensors["weights/" + n] = t.dtype == .float32 ? t : t.to(.float32) }
        for (k, t) in state { tensors["state/" + k] = t }
        let payload: Data
        do {
            payload = try SafetensorsWriter.encode(tensors, metadata: ["format": "editlab-checkpoint", "batch": String(batch)])
        } catch {
            throw LabError.io(path: directory, detail: "cannot encode the checkpoint of batch \(batch): \(error)")
        }
        let stem = CheckpointStore.stem(batch)
        try AtomicFile.write(payload, to: directory + "/" + stem + ".safetensors")
        let d = CheckpointDescriptor(batch: batch, batches: batches, payloadFile: stem + ".safetensors", payloadBytes: payload.count,
                                     payloadSHA256: SHA256.hex(payload), metrics: metrics, random: random,
                                     weights: weights.map(\.0), editorState: state.keys.sorted())
        try AtomicFile.write(Data(JSONText.encode(d.json, pretty: true).utf8), to: directory + "/" + stem + ".json")
        return d
    }

    /// The batches that have a descriptor file, newest first.
    public func batchesWithDescriptors() -> [Int] {
        files().filter { $0.isDescriptor }.map(\.batch).sorted(by: >)
    }

    /// The newest checkpoint that is complete and intact, checked newest first: its descriptor
    /// parses, its payload has the recorded length and SHA-256 and decodes, and `accept` (extra
    /// conditions, such as metric files long enough) returns nil. Each checkpoint passed over is
    /// reported through `warn` with the reason. Nil when none qualifies.
    public func latestValid(warn: (String) -> Void, accept: (CheckpointDescriptor) -> String?) -> LoadedCheckpoint? {
        var rejected: [String] = []
        for b in batchesWithDescriptors() {
            let stem = CheckpointStore.stem(b)
            do {
                let c = try load(batch: b)
                if let reason = accept(c.descriptor) { throw LabError.invalidOption(reason) }
                if !rejected.isEmpty { warn("using checkpoint \(stem) instead") }
                return c
            } catch {
                rejected.append(stem)
                warn("checkpoint \(stem) in \(directory) is unusable (\(error)); trying the one before")
            }
        }
        if !rejected.isEmpty { warn("no usable checkpoint: the run starts again from its first batch") }
        return nil
    }

    /// Reads and verifies the checkpoint of `batch`.
    public func load(batch: Int) throws -> LoadedCheckpoint {
        let stem = CheckpointStore.stem(batch)
        let dpath = directory + "/" + stem + ".json"
        guard let ddata = FileManager.default.contents(atPath: dpath) else { throw LabError.io(path: dpath, detail: "cannot read") }
        let d: CheckpointDescriptor
        do { d = try CheckpointDescriptor(json: try JSONValue.parse(ddata)) } catch {
            throw LabError.io(path: dpath, detail: "not a valid descriptor: \(error)")
        }
        guard d.batch == batch else { throw LabError.io(path: dpath, detail: "records batch \(d.batch), its name says \(batch)") }
        let ppath = directory + "/" + d.payloadFile
        guard let payload = FileManager.default.contents(atPath: ppath) else { throw LabError.io(path: ppath, detail: "missing or unreadable") }
        guard payload.count == d.payloadBytes else {
            throw LabError.io(path: ppath, detail: "\(payload.count) bytes, the descriptor records \(d.payloadBytes) (half-written?)")
        }
        guard SHA256.hex(payload) == d.payloadSHA256 else { throw LabError.io(path: ppath, detail: "SHA-256 mismatch (corrupted)") }
        do {
            let r = try SafetensorsReader(bytes: payload, label: ppath)
            defer { r.close() }
            var weights: [String: Tensor] = [:], state: [String: Tensor] = [:]
            for n in d.weights { weights[n] = try r.tensor(named: "weights/" + n) }
            for k in d.editorState {
                let name = "state/" + k
                let dtype: DType = r.header.tensor(named: name)?.dtype == .f64 ? .float64 : .float32
                state[k] = try r.tensor(named: name, as: dtype)
            }
            return LoadedCheckpoint(descriptor: d, weights: weights, editorState: state)
        } catch {
            throw LabError.io(path: ppath, detail: "cannot decode: \(error)")
        }
    }

    /// Removes every checkpoint (descriptor first, then payload) whose batch is not in `keep`,
    /// and stray temporary files.
    public func prune(keep: Set<Int>) throws {
        let all = files()
        for f in all where f.isDescriptor && !keep.contains(f.batch) { try remove(f.name) }
        for f in all where !f.isDescriptor && !keep.contains(f.batch) { try remove(f.name) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where AtomicFile.isTemporary(name) {
            try remove(name)
        }
        try AtomicFile.syncDirectory(directory)
    }

    private func remove(_ name: String) throws {
        do { try FileManager.default.removeItem(atPath: directory + "/" + name) } catch {
            throw LabError.io(path: directory + "/" + name, detail: "cannot remove: \(error.localizedDescription)")
        }
    }

    private struct Entry {
        let name: String
        let batch: Int
        let isDescriptor: Bool
    }

    /// The checkpoint files present (by their names).
    private func files() -> [Entry] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.compactMap { n in
            guard n.hasPrefix("batch-") else { return nil }
            let isDescriptor = n.hasSuffix(".json")
            guard isDescriptor || n.hasSuffix(".safetensors") else { return nil }
            let digits = n.dropFirst("batch-".count).prefix { $0.isNumber }
            guard let b = Int(digits), n == CheckpointStore.stem(b) + (isDescriptor ? ".json" : ".safetensors") else { return nil }
            return Entry(name: n, batch: b, isDescriptor: isDescriptor)
        }
    }
}
