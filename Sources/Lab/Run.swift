import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors

/// An experiment run: a directory with a manifest (what the run was started with), metric
/// files written as it goes, and checkpoints of everything a bit-identical resume needs.
///
/// ```swift
/// var o = RunOptions(name: "memit-sequential")
/// o.resume = true
/// let run = try Run.open(o, model: m, editor: ed)
/// let loop = try run.loop(requests: facts, batchSize: 10)
/// while let (i, batch) = try loop.next() {
///     let d = try ed.apply(m, batch)
///     try run.log(try MetricRow(["edit": .int(i), "norm": .double(d.norm())]))
/// }
/// run.close()
/// ```
///
/// Layout of the directory:
/// - `manifest.json`: name, creation time, EditLab version, seed, BLAS thread count,
///   checkpoint interval, the model (files, name, WeightHash of its initial weights), the
///   editor with every hyper-parameter, and the loop (request count and SHA-256, batch size).
/// - `metrics.jsonl`, `metrics.csv`: see `MetricLog`.
/// - `checkpoints/`: see `CheckpointStore`; each holds every parameter written since the loop
///   started (whole float32 tensors), the editor state, the random state and the metric
///   files' lengths.
/// - `.lock`: held while the run is open.
///
/// Resuming (`RunOptions.resume`) checks the manifest against the current run and refuses,
/// naming each difference, under a different BLAS thread count, seed, checkpoint interval,
/// model, editor or hyper-parameters, and (when the loop starts) different requests or batch
/// size. It cuts the metric files back to the newest valid checkpoint; rows the script logs
/// again before its loop are checked against the file instead of written again; when the loop
/// starts, the editor is primed on the still unedited model (`EditorPriming`), then weights,
/// editor state and random state come back from the checkpoint and the loop continues after
/// its batch. The results — weights and metric files — are then the same bytes as an
/// uninterrupted run's.
public final class Run {
    /// The run's name.
    public let name: String
    /// The run directory (absolute).
    public let directory: String
    /// The manifest (as recorded; the loop is added when it starts).
    public private(set) var manifest: RunManifest
    /// The model the run edits, if any.
    public let model: LanguageModel?
    /// The editor, if any.
    public let editor: Editor?
    /// The run's random generator, seeded with `RunOptions.seed`, saved with every checkpoint
    /// and restored on resume.
    public var random: RandomGenerator
    /// The options it was opened with.
    public let options: RunOptions
    /// The metric files.
    public let metrics: MetricLog
    /// The checkpoints.
    public let checkpoints: CheckpointStore
    /// The batch restored from a checkpoint when the loop started (nil: none).
    public private(set) var resumedFrom: Int?
    /// Whether `close()` was called.
    public private(set) var isClosed = false

    private var lock: RunLock?
    private var pending: LoadedCheckpoint?
    private var loopStarted = false
    /// The loop, once started.
    public private(set) var activeLoop: BatchLoop?
    private var tracker: ParameterTracker?
    private var lastCheckpoint: Int?

    /// `<run>/manifest.json`.
    public var manifestPath: String { directory + "/manifest.json" }

    private init(name: String, directory: String, manifest: RunManifest, model: LanguageModel?, editor: Editor?,
                 options: RunOptions, metrics: MetricLog, checkpoints: CheckpointStore, lock: RunLock, pending: LoadedCheckpoint?) {
        self.name = name
        self.directory = directory
        self.manifest = manifest
        self.model = model
        self.editor = editor
        self.options = options
        self.metrics = metrics
        self.checkpoints = checkpoints
        self.lock = lock
        self.pending = pending
        self.random = RandomGenerator(seed: options.seed)
    }

    deinit { close() }

    // MARK: Opening

    /// Opens a run: a new one (the directory must not hold a run unless `overwrite`), or the
    /// one in the directory when `resume` (see the type's documentation).
    public static func open(_ options: RunOptions, model: LanguageModel?, editor: Editor?) throws -> Run {
        guard options.checkpointEvery >= 1 else {
            throw LabError.invalidOption("checkpoint_every must be at least 1, got \(options.checkpointEvery)")
        }
        let (name, dir) = try RunDirectory.resolve(name: options.name, directory: options.directory)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw LabError.io(path: dir, detail: "cannot create the run directory: \(error.localizedDescription)")
        }
        let lock = try RunLock(directory: dir)
        let current = try describe(name: name, options: options, model: model, editor: editor)
        let manifestPath = dir + "/manifest.json"
        let warn: (String) -> Void = { options.report("warning: " + $0) }
        let metrics = try MetricLog(directory: dir, warn: warn)
        let store = try CheckpointStore(directory: dir + "/checkpoints")
        var manifest = current
        var pending: LoadedCheckpoint? = nil
        if RunDirectory.holdsRun(dir) && options.resume {
            guard FileManager.default.fileExists(atPath: manifestPath) else {
                throw LabError.cannotResume(directory: dir, differences: ["it has no manifest.json to check the run against"])
            }
            let recorded = try RunManifest.read(path: manifestPath)
            let diffs = recorded.differences(from: current)
            guard diffs.isEmpty else { throw LabError.cannotResume(directory: dir, differences: diffs) }
            if recorded.editlabVersion != current.editlabVersion {
                warn("the run was made by EditLab \(recorded.editlabVersion), this is \(current.editlabVersion): results may differ")
            }
            manifest = recorded
            let batches = recorded.loop.map { ($0.requests + $0.batch - 1) / $0.batch }
            pending = store.latestValid(warn: warn) { d in
                if let n = batches, d.batches != n { return "it belongs to a loop of \(d.batches) batches, the run's has \(n)" }
                if !d.weights.isEmpty && model == nil { return "it holds weights and the run has no model" }
                return metrics.holds(d.metrics) ? nil : "the metric files are shorter than it records"
            }
            try metrics.reset(to: pending?.descriptor.metrics ?? .empty)
            metrics.beginReplay()
        } else if RunDirectory.holdsRun(dir) && !options.overwrite {
            throw LabError.runExists(directory: dir)
        } else {
            // a new run (or one replacing the old): the old manifest goes first, so a crash in
            // between never leaves old metrics or checkpoints under the new manifest
            if FileManager.default.fileExists(atPath: manifestPath) {
                do { try FileManager.default.removeItem(atPath: manifestPath) } catch {
                    throw LabError.io(path: manifestPath, detail: "cannot remove: \(error.localizedDescription)")
                }
            }
            try store.prune(keep: [])
            try metrics.reset(to: .empty)
            try AtomicFile.write(Data(current.text.utf8), to: manifestPath)
        }
        let run = Run(name: name, directory: dir, manifest: manifest, model: model, editor: editor, options: options,
                      metrics: metrics, checkpoints: store, lock: lock, pending: pending)
        metrics.warn = { [weak run] m in if let run { run.say("warning: " + m) } else { warn(m) } }
        return run
    }

    /// The manifest of a run started now with these parts.
    static func describe(name: String, options: RunOptions, model: LanguageModel?, editor: Editor?) throws -> RunManifest {
        var m: RunManifest.Model? = nil
        if let model {
            let h = try WeightHash.of(model, names: model.parameterNames)
            m = RunManifest.Model(name: model.config.name, files: model.source.files, weightsHash: String(format: "%016llx", h),
                                  parameters: model.parameterCount)
        }
        let e = editor.map { RunManifest.Editor(name: $0.name, hparams: HyperparameterRecord.fields($0.hparams)) }
        let created = ISO8601DateFormatter().string(from: Date())
        return RunManifest(name: name, created: created, editlabVersion: EditLabVersion.current, seed: options.seed,
                           blasThreads: BLASInfo.threadCount, checkpointEvery: options.checkpointEvery, model: m, editor: e)
    }

    // MARK: Metrics

    /// Appends a row to the metric files.
    public func log(_ row: MetricRow) throws {
        try ensureOpen()
        try metrics.append(row)
    }

    /// Draws `options` from the logged metrics as SVG into `file` (relative paths are inside
    /// the run directory); returns the file's path.
    @discardableResult
    public func plot(_ options: PlotOptions, file: String) throws -> String {
        guard !file.isEmpty else { throw LabError.invalidOption("the plot needs a file name") }
        let path = file.hasPrefix("/") ? file : directory + "/" + file
        let rows = try MetricsReader.rows(path: metrics.jsonlPath)
        let svg = try SVGPlot.render(rows: rows, options: options)
        try AtomicFile.write(Data(svg.utf8), to: path)
        return path
    }

    // MARK: The loop

    /// Starts the run's batch loop over `requests` in batches of `batchSize` (the last one may
    /// be smaller). A run has one loop. On resume, restores the checkpoint here (see the
    /// type's documentation) and the loop continues after its batch.
    public func loop(requests: [EditRequest], batchSize: Int) throws -> BatchLoop {
        try ensureOpen()
        guard !loopStarted else { throw LabError.loopAlreadyStarted(directory: directory) }
        guard batchSize >= 1 else { throw LabError.invalidOption("the batch size must be at least 1, got \(batchSize)") }
        let digest: String
        do { digest = SHA256.hex(try RequestLoader.jsonlData(requests)) } catch {
            throw LabError.invalidOption("cannot serialise the requests to record them: \(error)")
        }
        let record = RunManifest.Loop(requests: requests.count, requestsSHA256: digest, batch: batchSize)
        if manifest.loop != nil {
            let diffs = manifest.loopDifferences(record)
            guard diffs.isEmpty else { throw LabError.cannotResume(directory: directory, differences: diffs) }
        } else {
            manifest.loop = record
            try AtomicFile.write(Data(manifest.text.utf8), to: manifestPath)
        }
        if let editor, let model { try EditorPriming.prime(editor, model: model) }
        if let model { tracker = try ParameterTracker(model) }
        let batches = (requests.count + batchSize - 1) / batchSize
        var start = 0
        if let ck = pending {
            let d = ck.descriptor
            guard d.batches == batches else {
                throw LabError.cannotResume(directory: directory, differences: ["its checkpoint belongs to a loop of \(d.batches) batches, this one has \(batches)"])
            }
            if let model {
                for n in d.weights {
                    guard let t = ck.weights[n] else { continue }
                    try model.setParameter(n, t)
                }
            }
            if let editor { try editor.restore(state: ck.editorState) } else if !ck.editorState.isEmpty {
                throw LabError.cannotResume(directory: directory, differences: ["its checkpoint has editor state and the run has no editor"])
            }
            do { random = try RandomGenerator(savedState: d.random) } catch {
                throw LabError.io(path: checkpoints.directory, detail: "the checkpoint's random state is invalid: \(error)")
            }
            start = d.batch
            lastCheckpoint = d.batch
            resumedFrom = d.batch
            say("resuming run '\(name)' after batch \(d.batch) of \(batches) (\(CheckpointStore.stem(d.batch)))")
        }
        metrics.endReplay()
        pending = nil
        loopStarted = true
        let progress = ProgressLine(label: name, enabled: options.showProgress)
        let loop = BatchLoop(run: self, requests: requests, batchSize: batchSize, finished: start, progress: progress)
        activeLoop = loop
        return loop
    }

    /// Writes the checkpoint after `batch` of `batches` batches: syncs the metric files, then
    /// stores every parameter written since the loop started, the editor state, the random
    /// state and the metric files' lengths; then removes all checkpoints but this one and the
    /// previous one.
    func checkpoint(batch: Int, batches: Int) throws {
        try metrics.sync()
        var weights: [(String, Tensor)] = []
        if let model, let tracker {
            for n in try tracker.changed(in: model) { weights.append((n, try model.parameter(n).contiguous())) }
        }
        _ = try checkpoints.write(batch: batch, batches: batches, weights: weights, state: editor?.state() ?? [:],
                                  random: random.savedState, metrics: metrics.state)
        var keep: Set<Int> = [batch]
        if let p = lastCheckpoint, p < batch { keep.insert(p) }
        try checkpoints.prune(keep: keep)
        lastCheckpoint = batch
    }

    // MARK: Closing

    /// Closes the run: syncs and closes the metric files and releases the directory. A loop
    /// left in the middle of a batch (a break or an error) keeps the last checkpoint, which a
    /// resume continues from; a notice says so.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if let loop = activeLoop {
            loop.progress.finish()
            if loop.isInsideBatch {
                let at = lastCheckpoint.map { "its checkpoint after batch \($0)" } ?? "no checkpoint (a resume starts from the first batch)"
                say("run '\(name)' closed during batch \(loop.finished + 1) of \(loop.batchCount): it keeps \(at)")
            }
        }
        metrics.close()
        lock?.release()
        lock = nil
    }

    func ensureOpen() throws {
        guard !isClosed else { throw LabError.closed(directory: directory) }
    }

    /// A notice (through the progress line, if one is shown).
    func say(_ message: String) {
        if let p = activeLoop?.progress { p.interrupting { options.report(message) } } else { options.report(message) }
    }
}
