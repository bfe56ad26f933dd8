import CLua
import Datasets
import Editing
import Foundation
import Lab
import LanguageModels
import LuaShim
import Tensors

/// The `lab` module and the `Run` class: thin bridges over `Lab` (run directories, manifests,
/// metric files, checkpoints and bit-identical resume, SVG plots).
public enum LabModule {
    static let moduleDoc = """
    Experiment runs. lab.run{name=, model=, editor=, resume=, checkpoint_every=} opens a run \
    directory (default ${EDITLAB_HOME:-~/.cache/editlab}/runs/<name>) holding manifest.json \
    (model weights hash, editor and every hyper-parameter, seed, BLAS threads, EditLab \
    version), metrics.jsonl and metrics.csv (one row per run:log) and checkpoints/. \
    for i, batch in run:each(requests, {batch = 10}) do ... end edits in batches and \
    checkpoints every checkpoint_every batches; with resume = true a crashed or interrupted \
    run continues after its last checkpoint and ends with the same bytes (weights, metrics) as \
    an uninterrupted one. run:plot draws logged metrics as SVG; lab.metrics reads them back.
    """

    static let runDoc = """
    An experiment run (from lab.run): run.dir, run.name, run.manifest, run.batches_done, \
    run.resumed_from; run:log{...} writes a metrics row, run:each(requests, {batch=}) \
    iterates over batches with checkpoints, run:plot{x=, y=, file=} draws an SVG, \
    run:close() releases the directory.
    """

    /// Defines the `Run` class and the `lab` module in `vm`.
    public static func install(_ vm: LuaVM) throws {
        _ = try DataModule.requestClasses(vm)
        let R = try vm.defineClass(LuaRun.self, name: "Run", doc: runDoc)
        let iterator = vm.register("Run:each (iterator)", "(run, i) -> i, batch",
                                   "The iterator of run:each: finishes the previous batch and returns the next.", checksArity: false) { c in
            try nextBatch(c)
        }
        defineRun(R, iterator: iterator)
        try vm.defineModule("lab", doc: moduleDoc) { m in defineModule(m) }
    }

    // MARK: Module

    static let runOptions = ["name", "dir", "model", "editor", "resume", "overwrite", "checkpoint_every", "seed", "progress"]

    static func defineModule(_ m: LuaModule) {
        m.function("run", "({name=, dir=, model=, editor=, resume=, overwrite=, checkpoint_every=, seed=, progress=}) -> Run",
                   "Opens a run. name: the run's name (its directory is ${EDITLAB_HOME:-~/.cache/editlab}/runs/<name> unless dir is given); model: the unedited Model it edits (its weights hash goes into the manifest); editor: the Editor (its name and every hyper-parameter go into the manifest, its state into checkpoints); checkpoint_every: batches between checkpoints (default 10; one is also written after the last batch); seed (default 0): seeds tensor.randn/tensor.rand, whose state checkpoints keep (math.random is not kept: use tensor.rand). resume = true continues the run in the directory from its newest valid checkpoint (a corrupted or half-written one is reported and the one before is used); it refuses, naming the difference, under another BLAS thread count, seed, checkpoint_every, model, editor or hyper-parameter, and in run:each under other requests or batch size. Without resume an existing run is an error unless overwrite = true (which replaces it). progress: show edits/s and ETA on stderr during run:each (default: when stderr is a terminal).") { c in
            try c.push(object: try openRun(c))
        }
        m.function("metrics", "(path) -> table",
                   "The rows of a metrics.jsonl file (or of <path>/metrics.jsonl for a run directory), in order: a table of tables with the logged keys (nested tables were flattened to dotted keys such as shift.cka; null reads as NaN, ±1e999 as ±inf).") { c in
            let rows = try MetricsReader.rows(path: try c.string(1))
            return try c.push(.table(LuaTable(array: rows.map(rowTable))))
        }
    }

    static func openRun(_ c: LuaCall) throws -> LuaRun {
        let o = try c.options(1, known: runOptions)
        guard o.isPresent else { throw c.typeError(1, expected: "table of options") }
        var opts = RunOptions(name: try o.string("name"), directory: try o.string("dir"))
        opts.resume = try o.boolean("resume") ?? false
        opts.overwrite = try o.boolean("overwrite") ?? false
        if let n = try o.integer("checkpoint_every") { opts.checkpointEvery = n }
        if let s = try o.integer("seed") {
            guard s >= 0 else { throw c.argumentError(1, "option 'seed' must be non-negative, got \(s)") }
            opts.seed = UInt64(s)
        }
        if let p = try o.boolean("progress") { opts.showProgress = p }
        var model: LanguageModel? = nil
        if let v = try o.value("model") {
            guard case .object(let m as LanguageModel, _) = v else { throw c.argumentError(1, "option 'model' must be a Model, got \(v.typeName)") }
            model = m
        }
        var editor: LuaEditor? = nil
        if let v = try o.value("editor") {
            guard case .object(let e as LuaEditor, _) = v else { throw c.argumentError(1, "option 'editor' must be an Editor, got \(v.typeName)") }
            editor = e
        }
        let run: Run
        do {
            run = try Run.open(opts, model: model, editor: editor?.editor)
        } catch LabError.locked {
            // a run of this state that nothing references any more still holds the directory
            // until it is collected: collect and try once more
            _ = luashim_gc(c.L, LUA_GCCOLLECT, 0)
            run = try Run.open(opts, model: model, editor: editor?.editor)
        }
        c.vm.random = run.random
        return LuaRun(run: run)
    }

    // MARK: Run

    static func defineRun(_ R: LuaClass<LuaRun>, iterator: LuaFunctionEntry) {
        R.describe { r in
            let state = r.run.isClosed ? "closed" : "batches done \(r.batchesDone)"
            return "Run '\(r.run.name)' (\(r.run.directory); \(state))"
        }
        R.field("dir", "The run directory (absolute path).") { c, r in c.push(r.run.directory) }
        R.field("name", "The run's name.") { c, r in c.push(r.run.name) }
        R.field("manifest", "The manifest as a table (a copy of manifest.json: model, editor with hparams, seed, blas_threads, loop, ...).") { c, r in
            try c.push(jsonTable(r.run.manifest.json))
        }
        R.field("batches_done", "Batches finished so far (including those restored from a checkpoint).") { c, r in c.push(r.batchesDone) }
        R.field("resumed_from", "The batch restored from a checkpoint when run:each started, or nil.") { c, r in
            r.run.resumedFrom.map { c.push($0) } ?? c.pushNil()
        }
        R.method("log", "(metrics)",
                 "Appends a row to metrics.jsonl (one JSON object per line) and metrics.csv (a column for every key logged so far: a row with a new key rewrites the CSV with that column, earlier rows leaving it empty). Values are numbers (integers stay integers; floats are written in their shortest round-trip form; in JSON NaN is null and ±inf ±1e999), booleans and strings; nested tables flatten to dotted keys (shift = {cka = 0.9} is shift.cka, a list l = {...} is l.1, l.2, ...). Keys are sorted, numbers numerically (l.2 before l.10).") { c, r in
            try c.require(2, type: LUA_TTABLE, "table of metrics")
            guard let t = try c.value(2).tableValue else { throw c.typeError(2, expected: "table of metrics") }
            guard t.array.isEmpty else { throw c.argumentError(2, "metrics are named (loss = 0.1, ...); the table has \(t.array.count) unnamed value(s)") }
            var values: [String: MetricInput] = [:]
            for k in t.sortedKeys { values[k] = try metricInput(t.fields[k] ?? .nilValue, key: k) }
            try r.run.log(try MetricRow(flattening: values))
            return 0
        }
        R.method("each", "(requests[, {batch=}]) -> function",
                 "The batch loop: for i, batch in run:each(requests, {batch = 10}) do ... end gives each batch's number i (1-based) and its requests (batch: requests per batch, default 1) (a table of Requests, as ed:apply and the metrics take). Asking for the next batch finishes the previous one; every checkpoint_every batches, and after the last, the run checkpoints (metric files synced, every weight changed since the loop started, the editor state, the tensor random state). With resume, the editor is first primed on the unedited model (its context templates and C0), then the checkpoint is restored and the loop continues after its batch. One loop per run. Leaving the loop early (break, error) keeps the last checkpoint.") { c, r in
            let reqs = try DataModule.requests(c, 2)
            let o = try c.options(3, known: ["batch"])
            let b = try o.integer("batch") ?? 1
            guard b >= 1 else { throw c.argumentError(3, "option 'batch' must be at least 1, got \(b)") }
            r.run.random = c.vm.random
            r.loop = try r.run.loop(requests: reqs, batchSize: b)
            c.vm.random = r.run.random
            r.wrapOutput(c.vm)
            c.vm.pushFunction(iterator)
            lua_pushvalue(c.L, 1)
            lua_pushinteger(c.L, 0)
            return 3
        }
        R.method("plot", "({x=, y=, file=[, title=, width=, height=]}) -> string",
                 "Draws logged metrics as an SVG line plot: y (a key or a table of keys) against x (a key such as \"edit\"), with axes, ticks and a legend; rows without a y value break its line, a key never logged is marked (no data) in the legend. file is relative to run.dir unless absolute. Returns the file's path.") { c, r in
            let o = try c.options(2, known: ["x", "y", "file", "title", "width", "height"])
            guard o.isPresent else { throw c.typeError(2, expected: "table of options") }
            guard let x = try o.string("x") else { throw c.argumentError(2, "option 'x' (the key on the horizontal axis) is required") }
            guard let y = try o.strings("y"), !y.isEmpty else { throw c.argumentError(2, "option 'y' (a key or a table of keys) is required") }
            guard let file = try o.string("file") else { throw c.argumentError(2, "option 'file' (the .svg to write) is required") }
            var p = PlotOptions(x: x, y: y, title: try o.string("title"))
            if let w = try o.integer("width") { p.width = w }
            if let h = try o.integer("height") { p.height = h }
            return c.push(try r.run.plot(p, file: file))
        }
        R.method("close", "()",
                 "Syncs and closes the metric files and releases the run directory (a closed run cannot log). Runs are also closed when collected or when the script ends.") { c, r in
            r.close(c.vm)
            return 0
        }
    }

    /// The iterator behind run:each.
    static func nextBatch(_ c: LuaCall) throws -> Int32 {
        guard let R = c.vm.luaClass(LuaRun.self) else { throw c.error("no Run class") }
        let r = try R.get(c, 1)
        guard let loop = r.loop else { throw LuaRaise("Run:each: the loop has not started") }
        r.run.random = c.vm.random
        let next: (index: Int, requests: [EditRequest])?
        do { next = try loop.next() } catch {
            throw LuaRaise("Run:each: \(error)")
        }
        guard let (i, batch) = next else {
            r.unwrapOutput(c.vm)
            return c.pushNil()
        }
        c.push(i)
        try c.push(.table(LuaTable(array: batch.map { .object($0, typeName: "Request") })))
        return 2
    }

    // MARK: Conversions

    /// A Lua value as a metric (see run:log).
    static func metricInput(_ v: LuaValue, key: String) throws -> MetricInput {
        switch v {
        case .integer(let i): return .value(.int(i))
        case .number(let d): return .value(.double(d))
        case .boolean(let b): return .value(.bool(b))
        case .string(let s): return .value(.string(s))
        case .table(let t):
            var fields: [String: MetricInput] = [:]
            for k in t.sortedKeys { fields[k] = try metricInput(t.fields[k] ?? .nilValue, key: key + "." + k) }
            return .table(fields: fields, array: try t.array.enumerated().map { try metricInput($1, key: "\(key).\($0 + 1)") })
        case .tensor:
            throw LabError.badMetric("metric '\(key)' is a Tensor: log a number (t:item(), t:norm(), ...)")
        default:
            throw LabError.badMetric("metric '\(key)' is a \(v.typeName): log numbers, booleans, strings or tables of them")
        }
    }

    /// A metrics row as a Lua table.
    static func rowTable(_ row: MetricRow) -> LuaValue {
        var t = LuaTable()
        for (k, v) in row.fields {
            switch v {
            case .int(let i): t.fields[k] = .integer(i)
            case .double(let d): t.fields[k] = .number(d)
            case .bool(let b): t.fields[k] = .boolean(b)
            case .string(let s): t.fields[k] = .string(s)
            }
        }
        return .table(t)
    }

    /// A JSON value as a Lua value (null becomes nil, so its key is absent).
    static func jsonTable(_ v: JSONValue) -> LuaValue {
        switch v {
        case .null: return .nilValue
        case .bool(let b): return .boolean(b)
        case .int(let i): return .integer(i)
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .table(LuaTable(array: a.map(jsonTable)))
        case .object(let o):
            var t = LuaTable()
            for (k, x) in o { if case .null = x { continue }; t.fields[k] = jsonTable(x) }
            return .table(t)
        }
    }
}

/// A run as Lua holds it: the Swift run, its loop, and the print function it wraps while the
/// progress line is shown.
public final class LuaRun {
    /// The run.
    public let run: Run
    var loop: BatchLoop?
    private var savedOutput: ((String) -> Void)?

    init(run: Run) { self.run = run }

    /// Batches finished so far.
    var batchesDone: Int { loop?.finished ?? run.resumedFrom ?? 0 }

    /// While the progress line is shown, `print` clears it first and redraws it after.
    func wrapOutput(_ vm: LuaVM) {
        guard let loop, loop.progress.isEnabled, savedOutput == nil else { return }
        let old = vm.output
        savedOutput = old
        let progress = loop.progress
        vm.output = { [weak progress] s in
            if let progress { progress.interrupting { old(s) } } else { old(s) }
        }
    }

    func unwrapOutput(_ vm: LuaVM) {
        guard let old = savedOutput else { return }
        vm.output = old
        savedOutput = nil
    }

    func close(_ vm: LuaVM) {
        unwrapOutput(vm)
        run.close()
    }
}
