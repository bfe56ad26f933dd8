import Foundation
import LanguageModels

/// What a run was started with, written to `<run>/manifest.json` (keys sorted, indented) when
/// the run is created and extended with its loop when the loop starts. A resume compares the
/// current run with it and refuses on any difference that could change the results.
public struct RunManifest: Equatable, Sendable {
    /// The format tag of the file.
    public static let format = "editlab-run-1"

    /// The model, as loaded at the start of the run.
    public struct Model: Equatable, Sendable {
        /// `config.name` of the model.
        public var name: String
        /// The files it was loaded from.
        public var files: [String]
        /// WeightHash of every parameter at the start (16 hex digits).
        public var weightsHash: String
        /// Number of parameters.
        public var parameters: Int
    }

    /// The editor and all its hyper-parameters (reference names).
    public struct Editor: Equatable, Sendable {
        /// `rome`, `memit`, ...
        public var name: String
        /// Every field, from `HyperparameterRecord`.
        public var hparams: [String: JSONValue]
    }

    /// The batch loop: which requests, in batches of how many.
    public struct Loop: Equatable, Sendable {
        /// Number of requests.
        public var requests: Int
        /// SHA-256 of the requests as JSONL (every field of every request, in order).
        public var requestsSHA256: String
        /// Requests per batch.
        public var batch: Int
    }

    /// The run's name.
    public var name: String
    /// When the run was created (UTC, ISO 8601).
    public var created: String
    /// The EditLab version that created it.
    public var editlabVersion: String
    /// The seed of the run's random generator.
    public var seed: UInt64
    /// OpenBLAS threads (results depend on them: a resume must use the same number).
    public var blasThreads: Int
    /// Batches between checkpoints.
    public var checkpointEvery: Int
    /// The model, if the run has one.
    public var model: Model?
    /// The editor, if the run has one.
    public var editor: Editor?
    /// The loop, once it has started.
    public var loop: Loop?

    // MARK: JSON

    /// The manifest as a JSON object.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "format": .string(RunManifest.format), "name": .string(name), "created": .string(created),
            "editlab_version": .string(editlabVersion), "seed": RunManifest.unsigned(seed),
            "blas_threads": .int(blasThreads), "checkpoint_every": .int(checkpointEvery),
            "model": .null, "editor": .null, "loop": .null,
        ]
        if let m = model {
            o["model"] = .object(["name": .string(m.name), "files": .array(m.files.map { .string($0) }),
                                  "weights_hash": .string(m.weightsHash), "parameters": .int(m.parameters)])
        }
        if let e = editor { o["editor"] = .object(["name": .string(e.name), "hparams": .object(e.hparams)]) }
        if let l = loop {
            o["loop"] = .object(["requests": .int(l.requests), "requests_sha256": .string(l.requestsSHA256), "batch": .int(l.batch)])
        }
        return .object(o)
    }

    /// The file's text (sorted keys, two-space indentation).
    public var text: String { JSONText.encode(json, pretty: true) }

    /// Reads a manifest; `path` names the file in errors.
    public init(json v: JSONValue, path: String) throws {
        func bad(_ s: String) -> LabError { LabError.corruptManifest(path: path, detail: s) }
        guard let o = v.objectValue else { throw bad("not a JSON object") }
        guard o["format"]?.stringValue == RunManifest.format else {
            throw bad("format is \(o["format"].map { JSONText.encode($0) } ?? "missing"), expected \"\(RunManifest.format)\"")
        }
        func str(_ k: String, in o: [String: JSONValue]) throws -> String {
            guard let s = o[k]?.stringValue else { throw bad("'\(k)' is missing or not a string") }
            return s
        }
        func int(_ k: String, in o: [String: JSONValue]) throws -> Int {
            guard let i = o[k]?.intValue else { throw bad("'\(k)' is missing or not an integer") }
            return i
        }
        name = try str("name", in: o)
        created = try str("created", in: o)
        editlabVersion = try str("editlab_version", in: o)
        switch o["seed"] {
        case .int(let i)? where i >= 0: seed = UInt64(i)
        case .string(let s)?: guard let u = UInt64(s) else { throw bad("'seed' is not an unsigned integer") }; seed = u
        default: throw bad("'seed' is missing or not an unsigned integer")
        }
        blasThreads = try int("blas_threads", in: o)
        checkpointEvery = try int("checkpoint_every", in: o)
        if let m = o["model"]?.objectValue {
            guard let files = m["files"]?.arrayValue?.compactMap(\.stringValue) else { throw bad("'model.files' is not a list of strings") }
            model = Model(name: try str("name", in: m), files: files, weightsHash: try str("weights_hash", in: m),
                          parameters: try int("parameters", in: m))
        }
        if let e = o["editor"]?.objectValue {
            guard let h = e["hparams"]?.objectValue else { throw bad("'editor.hparams' is not an object") }
            editor = Editor(name: try str("name", in: e), hparams: h)
        }
        if let l = o["loop"]?.objectValue {
            loop = Loop(requests: try int("requests", in: l), requestsSHA256: try str("requests_sha256", in: l), batch: try int("batch", in: l))
        }
    }

    /// A manifest from its parts.
    public init(name: String, created: String, editlabVersion: String, seed: UInt64, blasThreads: Int,
                checkpointEvery: Int, model: Model?, editor: Editor?, loop: Loop? = nil) {
        self.name = name
        self.created = created
        self.editlabVersion = editlabVersion
        self.seed = seed
        self.blasThreads = blasThreads
        self.checkpointEvery = checkpointEvery
        self.model = model
        self.editor = editor
        self.loop = loop
    }

    /// Reads `<dir>/manifest.json`.
    public static func read(path: String) throws -> RunManifest {
        guard let data = FileManager.default.contents(atPath: path) else { throw LabError.io(path: path, detail: "cannot read") }
        let v: JSONValue
        do { v = try JSONValue.parse(data) } catch { throw LabError.corruptManifest(path: path, detail: "\(error)") }
        return try RunManifest(json: v, path: path)
    }

    // MARK: Resume checks

    /// Why a run recorded as `self` cannot be resumed as `current` (empty: it can): one line
    /// per difference that could change the results.
    public func differences(from current: RunManifest) -> [String] {
        var d: [String] = []
        if blasThreads != current.blasThreads {
            d.append("the BLAS thread count was \(blasThreads) and is \(current.blasThreads) now (set OPENBLAS_NUM_THREADS=\(blasThreads))")
        }
        if seed != current.seed { d.append("the seed was \(seed) and is \(current.seed) now") }
        if checkpointEvery != current.checkpointEvery {
            d.append("checkpoint_every was \(checkpointEvery) and is \(current.checkpointEvery) now")
        }
        switch (model, current.model) {
        case (nil, nil): break
        case (let a?, let b?):
            if a.weightsHash != b.weightsHash {
                d.append("the model differs: its weights hash was \(a.weightsHash) (\(a.name)) and is \(b.weightsHash) (\(b.name)) now (pass the unedited model the run started from)")
            }
        case (let a?, nil): d.append("the run had a model (\(a.name)) and none is given now")
        case (nil, let b?): d.append("the run had no model and one is given now (\(b.name))")
        }
        switch (editor, current.editor) {
        case (nil, nil): break
        case (let a?, let b?):
            if a.name != b.name { d.append("the editor was \(a.name) and is \(b.name) now") } else {
                d += HyperparameterRecord.differences(recorded: a.hparams, current: b.hparams)
            }
        case (let a?, nil): d.append("the run had an editor (\(a.name)) and none is given now")
        case (nil, let b?): d.append("the run had no editor and one is given now (\(b.name))")
        }
        return d
    }

    /// Why the loop recorded as `self.loop` cannot continue as `current` (empty: it can).
    public func loopDifferences(_ current: Loop) -> [String] {
        guard let l = loop else { return [] }
        var d: [String] = []
        if l.batch != current.batch { d.append("the batch size was \(l.batch) and is \(current.batch) now") }
        if l.requests != current.requests {
            d.append("the run edits \(l.requests) requests and \(current.requests) are given now")
        } else if l.requestsSHA256 != current.requestsSHA256 {
            d.append("the requests differ from the run's (same count, different content or order)")
        }
        return d
    }

    static func unsigned(_ u: UInt64) -> JSONValue { u <= UInt64(Int.max) ? .int(Int(u)) : .string(String(u)) }
}
