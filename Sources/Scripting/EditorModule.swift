import CLua
import Datasets
import Editing
import Foundation
import LanguageModels
import LuaShim
import Tensors

/// The `editor` module and the `Editor`, `Delta` and `Stats` classes: thin bridges over
/// `Editing` (ROME and the MEMIT family, their hyper-parameters and presets, covariance
/// statistics, causal tracing). Hyper-parameters keep the reference implementations' names;
/// layer numbers are 0-based.
public enum EditorModule {
    static let moduleDoc = """
    Knowledge editors (ROME, MEMIT, EMMET, AlphaEdit, ENCORE). editor.memit{...} builds an \
    editor from hyper-parameters under the reference names (layers = {4,5,6,7,8}, \
    mom2_update_weight = 1000, ...) applied on top of a preset (preset = "smollm2", \
    "gpt2-xl", "gpt-j-6b", "llama3-8b"; without preset or hparams the smollm2 defaults, \
    which only the default model accepts) or of a JSON/YAML file (hparams = path). \
    ed:apply(m, requests) edits m in place and returns a Delta. Layer numbers are 0-based.
    """

    static let constructorSignature = "([{preset=, hparams=, stats=, <hyper-parameter>=}]) -> Editor"

    static let editorDoc = """
    An editing method with its hyper-parameters (ed.hparams, reference names), its covariance \
    statistics (ed.stats) and the state it keeps across edits (AlphaEdit's and ENCORE's \
    accumulated keys: ed:state() / ed:restore(t)).
    """

    static let deltaDoc = """
    The change one ed:apply made: d:norm() (Frobenius norm of the whole change as landed in \
    float32), d.layers ({name=, norm=} per edited weight), d.trace (final_loss, notes, and per \
    request {loss=, steps=, stop=, ...}), d.timings (seconds), d:revert() (puts the weights \
    back bit for bit), d:save(path).
    """

    static let statsDoc = """
    Covariance statistics C0 = E[k kᵀ] of the keys entering blocks.{l}.mlp.down, per layer \
    (0-based): imported from a file, collected from a corpus (cached on disk under \
    ${EDITLAB_HOME}/stats), or built lazily by an editor on its first apply. s:c0(layer) \
    returns the float64 [d_mlp, d_mlp] matrix.
    """

    public static func install(_ vm: LuaVM) throws {
        _ = try DataModule.requestClasses(vm)
        let S = try vm.defineClass(LuaStats.self, name: "Stats", doc: statsDoc)
        defineStats(S)
        let D = try vm.defineClass(Delta.self, name: "Delta", doc: deltaDoc)
        defineDelta(D)
        let E = try vm.defineClass(LuaEditor.self, name: "Editor", doc: editorDoc)
        defineEditor(E)
        try vm.defineModule("editor", doc: moduleDoc) { m in try defineModule(m) }
    }

    // MARK: Module

    static func defineModule(_ m: LuaModule) throws {
        let docs: [(String, String)] = [
            ("rome", "ROME (rank-one update of one layer's blocks.{l}.mlp.down per request; several requests are edited one after another)."),
            ("memit", "MEMIT (a batch of requests spread over the layers; λ = mom2_update_weight; add_prev_edits keeps earlier batches' keys)."),
            ("emmet", "EMMET (equality-constrained batch editing; emmet_lambda conditions batches of more than one edit)."),
            ("alphaedit", "AlphaEdit (updates projected onto the null space of C0: nullspace_threshold, or nullspace_energy as a fraction of trace(C0); L2 ridge)."),
            ("encore", "ENCORE (MEMIT with most-probable early stopping, prob_cutoff, and a Frobenius-norm penalty α = update_norm_lambda)."),
        ]
        for (method, what) in docs {
            m.function(method, constructorSignature,
                       "\(what) Hyper-parameters under the reference names override preset (see editor.presets()) or the hparams file (JSON/YAML); with neither, the smollm2 defaults (default model only). stats: a Stats object for C0 (default: collected from mom2_dataset on the first apply, cached on disk). Unknown names and wrong types are errors.") { c in
                try c.push(object: try makeEditor(c, method: method))
            }
        }
        m.function("presets", "() -> table",
                   "The models and methods with published or measured hyper-parameters: {models = {...}, methods = {...}}.") { c in
            try c.push(.table(LuaTable(fields: ["models": .table(LuaTable(array: HyperparameterPresets.models.map { .string($0) })),
                                                "methods": .table(LuaTable(array: HyperparameterPresets.methods.map { .string($0) }))])))
        }
        m.function("preset", "(method, model) -> table",
                   "The hyper-parameters of method (rome, memit, emmet, alphaedit, encore) for model (gpt2-xl, gpt-j-6b, llama3-8b, smollm2) as a plain table under the reference names (with preset = model).") { c in
            let model = try c.string(2)
            return try c.push(hparamsTable(try HyperparameterPresets.preset(method: try c.string(1), model: model), preset: model))
        }
        m.function("stats", "(model[, {file=, name=, count=, layers=, documents=, mom2_dataset=, mom2_n_samples=, mom2_dtype=, cache=}]) -> Stats",
                   "Covariance statistics for model. Import: file = a .safetensors file (C0 of layer l in tensor name with {} replaced by l, default \"C0.L{}\"; with count = the name of a token-count tensor the tensor is a raw sum divided by it) or a .npz file in the reference layer_stats layout (a {} in the path is replaced by each layer); layers = which layers (default: every layer present). Collect: documents = a Corpus (data.corpus) or a table of token-id documents, or mom2_dataset (\"wordnet\" or a text/.jsonl path), mom2_n_samples and mom2_dtype (defaults: the smollm2 preset's on the default model, else the reference defaults); layers = layers to collect now (default: on first use); cache = false keeps nothing on disk.") { c in
            try c.push(object: try makeStats(c))
        }
        m.function("trace", "(model, {prompt=, subject=[, answer=, samples=, kind=, window=, noise=, seed=, prefix=]}) -> table",
                   "Causal tracing (ROME §2.1) of one prompt (a template with {} where subject goes): the subject's embeddings are corrupted with Gaussian noise (noise: default 3 × the std of the subject's token embeddings; samples rows, default 10; seed, default 1) and one clean state per block and position is restored (kind = \"residual\" (default), \"mlp\" or \"attention\" with a window of blocks, default 10). answer: the traced continuation (its first token; default the model's clean top-1). Returns {tokens, subject_first, subject_last (1-based positions in tokens), answer (0-based token id), answer_token, clean, corrupted, noise, scores = Tensor [n_layers, n_tokens] (row l+1 is block l)}.") { c in
            let model = try c.object(1, LanguageModel.self)
            let o = try c.options(2, known: ["prompt", "subject", "answer", "samples", "kind", "window", "noise", "seed", "prefix"])
            guard o.isPresent else { throw c.typeError(2, expected: "table of options") }
            guard let prompt = try o.string("prompt") else { throw c.argumentError(2, "option 'prompt' (a template with {}) is required") }
            guard EditRequest.placeholderCount(prompt) == 1 else { throw c.argumentError(2, "option 'prompt' must contain {} exactly once (where the subject goes)") }
            guard let subject = try o.string("subject"), !subject.isEmpty else { throw c.argumentError(2, "option 'subject' (a non-empty string) is required") }
            var opts = try traceOptions(c, o, 2)
            let noise = try o.number("noise") ?? CausalTracing.noiseLevel(model, subjects: [subject])
            opts.noise = noise
            let t = try CausalTracing.trace(model, template: prompt, subject: subject, answer: try o.string("answer"), noise: noise, options: opts)
            let tok = try model.requireTokenizer()
            let flat = t.scores.flatMap { $0 }
            let scores = try Tensor(shape: [t.scores.count, t.tokens.count], values: flat, dtype: .float64)
            return try c.push(.table(LuaTable(fields: [
                "tokens": .table(LuaTable(array: t.tokens.map { .string($0) })),
                "subject_first": .integer(t.subjectRange.lowerBound + 1), "subject_last": .integer(t.subjectRange.upperBound),
                "answer": .integer(t.answer), "answer_token": .string(try tok.decode([t.answer])),
                "clean": .number(t.clean), "corrupted": .number(t.corrupted), "noise": .number(noise), "scores": .tensor(scores),
            ])))
        }
        m.function("trace_average", "(model, requests[, {samples=, kind=, window=, noise=, seed=, prefix=}]) -> table",
                   "Causal traces of every request (its prompt and subject, answer = target_true) with one noise level (default 3 × the std of all the subjects' token embeddings), averaged by the ROME paper's position classes: {average = Tensor [n_layers, 6] of restored minus corrupted probability (row l+1 is block l), classes = the 6 class names, count, noise}.") { c in
            let model = try c.object(1, LanguageModel.self)
            let reqs = try DataModule.requests(c, 2)
            guard !reqs.isEmpty else { throw c.argumentError(2, "no requests to trace") }
            let o = try c.options(3, known: ["samples", "kind", "window", "noise", "seed", "prefix"])
            var opts = try traceOptions(c, o, 3)
            let noise = try o.number("noise") ?? CausalTracing.noiseLevel(model, subjects: reqs.map(\.subject))
            opts.noise = noise
            let traces = try reqs.map {
                try CausalTracing.trace(model, template: $0.prompt, subject: $0.subject, answer: $0.targetTrue.str, noise: noise, options: opts)
            }
            let avg = CausalTracing.averageByPositionClass(traces)
            let t = try Tensor(shape: [avg.count, CausalTracing.positionClasses.count], values: avg.flatMap { $0 }, dtype: .float64)
            return try c.push(.table(LuaTable(fields: [
                "average": .tensor(t), "classes": .table(LuaTable(array: CausalTracing.positionClasses.map { .string($0) })),
                "count": .integer(traces.count), "noise": .number(noise),
            ])))
        }
    }

    static func traceOptions(_ c: LuaCall, _ o: LuaOptions, _ arg: Int32) throws -> CausalTracing.Options {
        var opts = CausalTracing.Options()
        if let n = try o.integer("samples") {
            guard n >= 1 else { throw c.argumentError(arg, "option 'samples' must be at least 1, got \(n)") }
            opts.samples = n
        }
        if let k = try o.string("kind") {
            guard let kind = CausalTracing.Kind(rawValue: k) else {
                throw c.argumentError(arg, "option 'kind' must be \"residual\", \"mlp\" or \"attention\", got \"\(k)\"")
            }
            opts.kind = kind
        }
        if let w = try o.integer("window") {
            guard w >= 1 else { throw c.argumentError(arg, "option 'window' must be at least 1, got \(w)") }
            opts.window = w
        }
        if let s = try o.integer("seed") {
            guard s >= 0 else { throw c.argumentError(arg, "option 'seed' must be non-negative, got \(s)") }
            opts.seed = UInt64(s)
        }
        if let p = try o.string("prefix") { opts.prefix = try promptPrefix(c, p, arg) }
        return opts
    }

    /// A prompt prefix by name (automatic, none, bos, text:..., tokens:1,2).
    static func promptPrefix(_ c: LuaCall, _ name: String, _ arg: Int32) throws -> PromptPrefix {
        do { return try PromptPrefix(name: name) } catch DatasetError.invalidArgument(let s) {
            throw c.argumentError(arg, "option 'prefix': \(s)")
        } catch { throw c.argumentError(arg, "option 'prefix': \(error)") }
    }

    // MARK: Editors

    static let reservedKeys: Set<String> = ["preset", "hparams", "stats"]

    /// Whether `m` is the default model (SmolLM2-135M-Instruct, loaded from its file).
    static func isDefaultModel(_ m: LanguageModel) -> Bool {
        m.source.files.contains { URL(fileURLWithPath: $0).lastPathComponent == ModelResolver.defaultModelFile }
    }

    static func makeEditor(_ c: LuaCall, method: String) throws -> LuaEditor {
        var table = LuaTable()
        if !c.isNoneOrNil(1) {
            try c.require(1, type: LUA_TTABLE, "table of hyper-parameters")
            table = try c.value(1).tableValue ?? LuaTable()
        }
        guard table.array.isEmpty else {
            throw c.argumentError(1, "hyper-parameters are named (layers = {...}, v_lr = 0.5, ...); the table has \(table.array.count) unnamed value(s)")
        }
        func stringOption(_ k: String) throws -> String? {
            guard let v = table.fields[k] else { return nil }
            guard let s = v.stringValue else { throw c.argumentError(1, "'\(k)' must be a string, got \(v.typeName)") }
            return s
        }
        let preset = try stringOption("preset")
        let file = try stringOption("hparams")
        var h: EditHyperparameters
        if let preset {
            h = try HyperparameterPresets.preset(method: method, model: preset)
        } else if file == nil {
            h = try HyperparameterPresets.preset(method: method, model: "smollm2")
        } else {
            h = EditHyperparameters()
        }
        if let file { h = try EditHyperparameters.load(path: file, base: h, method: method) }
        for k in table.sortedKeys where !reservedKeys.contains(k) {
            try h.set(k, try hyperValue(table.fields[k] ?? .nilValue, key: k), method: method)
        }
        let stats: LuaStats
        switch table.fields["stats"] {
        case nil: stats = LuaStats(lazy: h)
        case .object(let s as LuaStats, _)?: stats = s
        case let v?: throw c.argumentError(1, "'stats' must be a Stats object (from editor.stats), got \(v.typeName)")
        }
        let editor: Editor
        if method == "rome" {
            editor = ROME(hparams: h, covariance: stats)
        } else {
            guard let m = MEMITFamily.Method(rawValue: method) else { throw c.error("unknown method '\(method)'") }
            editor = MEMITFamily(m, hparams: h, covariance: stats)
        }
        return LuaEditor(editor: editor, stats: stats, preset: preset ?? (file == nil ? "smollm2" : nil),
                         implicitPreset: preset == nil && file == nil, file: file)
    }

    /// A Lua value as a hyper-parameter value (numbers, booleans, strings and lists of them).
    static func hyperValue(_ v: LuaValue, key: String) throws -> HyperValue {
        switch v {
        case .boolean(let b): return .bool(b)
        case .integer(let i): return .int(i)
        case .number(let x): return .double(x)
        case .string(let s): return .string(s)
        case .table(let t):
            guard t.fields.isEmpty else {
                throw EditorError.invalidHyperparameter(key, detail: "a table with named fields (\(t.sortedKeys.joined(separator: ", "))) is not a valid value; use a list")
            }
            return .array(try t.array.map { try hyperValue($0, key: key) })
        case .nilValue: return .null
        default:
            throw EditorError.invalidHyperparameter(key, detail: "a \(v.typeName) is not a valid value")
        }
    }

    /// The hyper-parameters as a plain table under the reference names (every field), with the
    /// base they were built on (`preset` or `hparams`) so that editor.<method>(t) rebuilds
    /// exactly these (fields a preset leaves unset stay unset).
    static func hparamsTable(_ h: EditHyperparameters, preset: String? = nil, file: String? = nil) -> LuaValue {
        func ints(_ a: [Int]) -> LuaValue { .table(LuaTable(array: a.map { .integer($0) })) }
        var f: [String: LuaValue] = [
            "layers": ints(h.layers), "fact_token": .string(h.factToken), "v_num_grad_steps": .integer(h.vNumGradSteps),
            "v_lr": .number(h.vLR), "v_weight_decay": .number(h.vWeightDecay), "clamp_norm_factor": .number(h.clampNormFactor),
            "kl_factor": .number(h.klFactor), "mom2_adjustment": .boolean(h.mom2Adjustment),
            "mom2_update_weight": .number(h.mom2UpdateWeight), "mom2_dataset": .string(h.mom2Dataset),
            "mom2_n_samples": .integer(h.mom2NSamples), "mom2_dtype": .string(h.mom2Dtype),
            "context_template_length_params": .table(LuaTable(array: h.contextTemplateLengthParams.map(ints))),
            "update_norm_lambda": .number(h.updateNormLambda), "emmet_lambda": .number(h.emmetLambda),
            "prob_cutoff": .number(h.probCutoff), "add_prev_edits": .boolean(h.addPrevEdits),
            "nullspace_threshold": .number(h.nullspaceThreshold), "L2": .number(h.l2),
            "prompt_prefix": .string(h.promptPrefix.name), "template_seed": .integer(Int(clamping: h.templateSeed)),
            "early_stop_loss": .number(h.earlyStopLoss), "kl_prompt": .string(h.klPrompt),
            "rome_inverse_float32": .boolean(h.romeInverseFloat32),
        ]
        if let v = h.vLossLayer { f["v_loss_layer"] = .integer(v) }
        if let e = h.nullspaceEnergy { f["nullspace_energy"] = .number(e) }
        if let t = h.contextTemplates {
            f["context_templates"] = .table(LuaTable(array: t.map { .table(LuaTable(array: $0.map { .string($0) })) }))
        }
        if let preset { f["preset"] = .string(preset) }
        if let file { f["hparams"] = .string(file) }
        return .table(LuaTable(fields: f))
    }

    static func defineEditor(_ E: LuaClass<LuaEditor>) {
        E.describe { e in
            "Editor \(e.editor.name) (layers \(e.editor.hparams.layers.map(String.init).joined(separator: ",")); " +
                (e.preset.map { "preset \($0)" } ?? e.file.map { "hparams \($0)" } ?? "custom") + ")"
        }
        E.field("name", "The method: rome, memit, emmet, alphaedit or encore.") { c, e in c.push(e.editor.name) }
        E.field("hparams", "The hyper-parameters as a plain table under the reference names, with the preset or hparams file they started from (a copy; editor.<method>(t) rebuilds exactly these).") { c, e in
            try c.push(hparamsTable(e.editor.hparams, preset: e.implicitPreset ? nil : e.preset, file: e.file))
        }
        E.field("preset", "The preset the hyper-parameters started from, or nil (hparams file).") { c, e in e.preset.map { c.push($0) } ?? c.pushNil() }
        E.field("stats", "The Stats object the editor takes C0 from.") { c, e in try c.push(object: e.stats) }
        E.method("apply", "(model, requests) -> Delta",
                 "Edits model in place for requests (a Request, a Requests list, or a table of requests) and returns the Delta. On failure (NaN/Inf, a singular system, a bad request) the model is left exactly as it was.") { c, e in
            let model = try c.object(2, LanguageModel.self)
            let reqs = try DataModule.requests(c, 3)
            if e.implicitPreset && !isDefaultModel(model) {
                throw c.error("this editor has the smollm2 defaults (no preset or hparams was given), which only fit the default model; give preset = \"<model>\" (\(HyperparameterPresets.models.joined(separator: ", "))) or hparams = \"file.json|yaml\" with the layers for this model")
            }
            return try c.push(object: try e.editor.apply(model, reqs))
        }
        E.method("state", "() -> table",
                 "The state kept across edits as a table of tensors (AlphaEdit's and ENCORE's accumulated keys and projectors, by name; empty for ROME).") { c, e in
            var t = LuaTable()
            for (k, v) in e.editor.state() { t.fields[k] = .tensor(v.clone()) }
            return try c.push(.table(t))
        }
        E.method("restore", "(state)", "Restores a state saved by ed:state() (a table of tensors by name).") { c, e in
            try c.require(2, type: LUA_TTABLE, "table of tensors")
            guard let t = try c.value(2).tableValue, t.array.isEmpty else { throw c.argumentError(2, "a table of tensors by name expected") }
            var s: [String: Tensor] = [:]
            for k in t.sortedKeys {
                guard let x = t.fields[k]?.tensorValue else { throw c.argumentError(2, "state entry '\(k)' is a \(t.fields[k]?.typeName ?? "nil"), not a Tensor") }
                s[k] = x.clone()
            }
            try e.editor.restore(state: s)
            return 0
        }
    }

    // MARK: Delta

    static func defineDelta(_ D: LuaClass<Delta>) {
        D.describe { d in String(format: "Delta %@ (%d weights, norm %.6g, final loss %.4g)", d.method, d.parameters.count, d.norm(), d.trace.finalLoss) }
        D.field("method", "The editor's name.") { c, d in c.push(d.method) }
        D.field("params", "The names of the edited weights, in layer order.") { c, d in try c.push(d.parameters.map(\.name)) }
        D.field("layers", "Per edited weight, in layer order: {name=, norm=} with the Frobenius norm of its change as landed in float32.") { c, d in
            try c.push(.table(LuaTable(array: d.layerNorms.map { .table(LuaTable(fields: ["name": .string($0.0), "norm": .number($0.1)])) })))
        }
        D.field("trace", "The target optimisation: final_loss (mean over requests), notes (name = value diagnostics such as AlphaEdit's null-space dimension), and per request (t[i]) {loss=, steps=, stop=, init_norm=, delta_norm=, final_norm=, losses = Tensor [steps, 5] (total, nll, kl, weight decay, mean probability)}; stop is \"loss\", \"mpes\" or \"steps\".") { c, d in
            var t = LuaTable()
            t.fields["final_loss"] = .number(d.trace.finalLoss)
            var notes = LuaTable()
            for (k, v) in d.trace.notes { notes.fields[k] = .number(v) }
            t.fields["notes"] = .table(notes)
            for r in d.trace.targets {
                var e: [String: LuaValue] = [
                    "loss": .number(r.finalLoss), "steps": .integer(r.rows.count), "stop": .string(r.stopReason),
                    "init_norm": .number(r.initNorm), "delta_norm": .number(r.deltaNorm), "final_norm": .number(r.finalNorm),
                ]
                let w = r.rows.first?.count ?? 0
                if w > 0, r.rows.allSatisfy({ $0.count == w }) {
                    e["losses"] = .tensor(try Tensor(shape: [r.rows.count, w], values: r.rows.flatMap { $0 }, dtype: .float64))
                }
                t.array.append(.table(LuaTable(fields: e)))
            }
            return try c.push(.table(t))
        }
        D.field("timings", "Seconds spent: {statistics=, targets=, keys=, solve=} (statistics: collecting or loading C0 before the first change).") { c, d in
            var t = LuaTable()
            for (k, v) in d.timings { t.fields[k] = .number(v) }
            return try c.push(.table(t))
        }
        D.method("norm", "() -> number", "The Frobenius norm of the whole change (all edited weights, as landed in float32).") { c, d in c.push(d.norm()) }
        D.method("revert", "()", "Puts the edited weights back as they were before this edit, bit for bit.") { c, d in
            try d.revert()
            return 0
        }
        D.method("save", "(path)", "Writes the changes as safetensors: <name> = after - before (float32) and <name>.update = the exact update (float64).") { c, d in
            try d.save(to: try c.string(2))
            return 0
        }
        D.method("update", "(name) -> Tensor", "The exact update of one edited weight as the closed form produced it (float64 [out, in]; a copy).") { c, d in
            let n = try c.string(2)
            guard let p = d.parameters.first(where: { $0.name == n }) else {
                throw c.argumentError(2, "'\(n)' was not edited (edited: \(d.parameters.map(\.name).joined(separator: ", ")))")
            }
            return c.push(p.update.clone())
        }
    }

    // MARK: Stats

    static func makeStats(_ c: LuaCall) throws -> LuaStats {
        let model = try c.object(1, LanguageModel.self)
        let o = try c.options(2, known: ["file", "name", "count", "layers", "documents", "mom2_dataset", "mom2_n_samples", "mom2_dtype", "cache"])
        let n = model.config.layerCount
        var layers: [Int]? = nil
        if let v = try o.value("layers") {
            let list: [LuaValue]
            if v.intValue != nil { list = [v] } else if let t = v.tableValue, t.fields.isEmpty { list = t.array } else {
                throw c.argumentError(2, "option 'layers' must be a layer number or a table of them")
            }
            layers = try list.map {
                guard let l = $0.intValue else { throw c.argumentError(2, "option 'layers': \($0.typeName) is not a layer number") }
                guard l >= 0, l < n else { throw c.argumentError(2, "option 'layers': \(EditorError.layerOutOfRange(l, layers: n))") }
                return l
            }
        }
        let cacheDir = try o.boolean("cache") == false ? nil : CovarianceStatistics.defaultCacheDirectory
        if let file = try o.string("file") {
            for k in ["documents", "mom2_dataset", "mom2_n_samples", "mom2_dtype"] {
                if try o.value(k) != nil { throw c.argumentError(2, "option '\(k)' collects statistics; it cannot be combined with file (an import)") }
            }
            var m: [Int: Tensor] = [:]
            if file.hasSuffix(".npz") {
                if file.contains("{}") {
                    guard let ls = layers else { throw c.argumentError(2, "option 'layers' is required with a {} in the .npz path") }
                    for l in ls { m[l] = try StatisticsImport.npz(path: file.replacingOccurrences(of: "{}", with: String(l))) }
                } else {
                    guard let ls = layers, ls.count == 1 else { throw c.argumentError(2, "a .npz file holds one layer: give layers = {l} (or a {} in the path)") }
                    m[ls[0]] = try StatisticsImport.npz(path: file)
                }
            } else {
                let name = try o.string("name") ?? "C0.L{}"
                guard name.contains("{}") else { throw c.argumentError(2, "option 'name' must contain {} (replaced by the layer number), got \"\(name)\"") }
                let count = try o.string("count")
                let reader = try SafetensorsReader(path: file)
                let present = (0..<n).filter { reader.header.tensor(named: name.replacingOccurrences(of: "{}", with: String($0))) != nil }
                for l in layers ?? present {
                    m[l] = try StatisticsImport.safetensors(path: file, name: name.replacingOccurrences(of: "{}", with: String(l)), count: count)
                }
                guard !m.isEmpty else { throw c.error("\(file) has no tensor named \(name.replacingOccurrences(of: "{}", with: "<layer>")) for layers 0...\(n - 1)") }
            }
            return LuaStats(fixed: FixedCovariance(m), layers: m.keys.sorted(), source: file, model: model)
        }
        for k in ["name", "count"] {
            if try o.value(k) != nil { throw c.argumentError(2, "option '\(k)' only applies to an import (file =)") }
        }
        let stats: CovarianceStatistics
        let source: String
        if let dv = try o.value("documents") {
            for k in ["mom2_dataset", "mom2_n_samples"] {
                if try o.value(k) != nil { throw c.argumentError(2, "option '\(k)' names a corpus; it cannot be combined with documents") }
            }
            let vocab = model.config.vocabSize
            let docs: [[Int]]
            if case .object(let p as PackedCorpus, _) = dv {
                docs = p.documents
            } else {
                guard let t = dv.tableValue, t.fields.isEmpty, !t.array.isEmpty else { throw c.argumentError(2, "option 'documents' must be a Corpus or a non-empty table of token-id tables") }
                docs = try t.array.enumerated().map { i, d -> [Int] in
                    guard let a = d.tableValue, a.fields.isEmpty else { throw c.argumentError(2, "documents[\(i + 1)] is a \(d.typeName), not a table of token ids") }
                    return try a.array.enumerated().map { j, e in
                        guard let id = e.intValue, id >= 0, id < vocab else {
                            throw c.argumentError(2, "documents[\(i + 1)][\(j + 1)] is not a token id in 0...\(vocab - 1)")
                        }
                        return id
                    }
                }
            }
            guard !docs.isEmpty else { throw c.argumentError(2, "option 'documents' has no documents") }
            var dtype = DType.float32
            if let s = try o.string("mom2_dtype") {
                guard s == "float32" || s == "float64" else { throw c.argumentError(2, "option 'mom2_dtype' must be \"float32\" or \"float64\", got \"\(s)\"") }
                dtype = s == "float64" ? .float64 : .float32
            }
            stats = CovarianceStatistics(corpusName: "lua-documents", documents: docs, sampleCount: docs.count, dtype: dtype, cacheDirectory: cacheDir)
            source = "\(docs.count) documents"
        } else {
            var h = isDefaultModel(model) ? try HyperparameterPresets.preset(method: "memit", model: "smollm2") : EditHyperparameters()
            for k in ["mom2_dataset", "mom2_n_samples", "mom2_dtype"] {
                if let v = try o.value(k) { try h.set(k, try hyperValue(v, key: k), method: "stats") }
            }
            stats = try CovarianceStatistics.forModel(model, hparams: h, cacheDirectory: cacheDir)
            source = "\(h.mom2Dataset), \(h.mom2NSamples) documents"
        }
        if let ls = layers { try stats.prepare(layers: ls, model: model) }
        return LuaStats(collected: stats, source: source, model: model)
    }

    static func defineStats(_ S: LuaClass<LuaStats>) {
        S.describe { s in "Stats (\(s.kindName): \(s.source); layers \(s.layers.map(String.init).joined(separator: ",")))" }
        S.field("kind", "\"imported\" (from a file), \"collected\" (from a corpus) or \"lazy\" (an editor's, collected on its first apply).") { c, s in c.push(s.kindName) }
        S.field("source", "Where the statistics come from (a file, or the corpus and document count).") { c, s in c.push(s.source) }
        S.field("layers", "The layers (0-based) whose C0 is available now.") { c, s in try c.push(s.layers) }
        S.field("token_counts", "Tokens counted per collected layer: a list of {layer=, tokens=} (empty for imports).") { c, s in
            try c.push(.table(LuaTable(array: s.tokenCounts.map { .table(LuaTable(fields: ["layer": .integer($0.0), "tokens": .integer($0.1)])) })))
        }
        S.method("c0", "(layer[, model]) -> Tensor",
                 "C0 of layer (0-based) as a float64 [d_mlp, d_mlp] tensor (a copy), collected now if needed; model defaults to the one the statistics were made for.") { c, s in
            let model = try statsModel(c, s, 3)
            let l = try c.integer(2)
            guard l >= 0, l < model.config.layerCount else { throw c.argumentError(2, "\(EditorError.layerOutOfRange(l, layers: model.config.layerCount))") }
            return c.push(try s.c0(layer: l, model: model).clone())
        }
        S.method("prepare", "(layers[, model])",
                 "Makes C0 of these layers (a number or a table of numbers, 0-based) available, collecting the missing ones in one pass over the corpus.") { c, s in
            let model = try statsModel(c, s, 3)
            let ls: [Int]
            if c.type(2) == LUA_TNUMBER { ls = [try c.integer(2)] } else {
                let v = try c.value(2)
                guard let t = v.tableValue, t.fields.isEmpty else { throw c.typeError(2, expected: "layer number or table of them") }
                ls = try t.array.map { guard let l = $0.intValue else { throw c.argumentError(2, "layers are integers") }; return l }
            }
            for l in ls where l < 0 || l >= model.config.layerCount {
                throw c.argumentError(2, "\(EditorError.layerOutOfRange(l, layers: model.config.layerCount))")
            }
            try s.prepare(layers: ls, model: model)
            return 0
        }
    }

    static func statsModel(_ c: LuaCall, _ s: LuaStats, _ i: Int32) throws -> LanguageModel {
        if let m = try c.optionalObject(i, LanguageModel.self) { return m }
        if let m = s.model { return m }
        throw c.argumentError(i, "these statistics belong to an editor that has not been applied yet: pass the model")
    }
}

/// An editor as Lua holds it: the Swift editor, its statistics and where its
/// hyper-parameters came from.
public final class LuaEditor {
    public let editor: Editor
    public let stats: LuaStats
    /// The preset the hyper-parameters started from (nil for a file without a preset).
    public let preset: String?
    /// True when no preset or file was given (the smollm2 defaults, for the default model only).
    let implicitPreset: Bool
    /// The hyper-parameter file, if any.
    public let file: String?

    init(editor: Editor, stats: LuaStats, preset: String?, implicitPreset: Bool, file: String?) {
        self.editor = editor
        self.stats = stats
        self.preset = preset
        self.implicitPreset = implicitPreset
        self.file = file
    }
}

/// The covariance statistics behind a `Stats` object: imported matrices, statistics collected
/// over a corpus, or (an editor's default) statistics built by `CovarianceStatistics.forModel`
/// from the editor's hyper-parameters on its first apply — all its layers in one pass, before
/// any weight of that apply is written.
public final class LuaStats: CovarianceProvider {
    enum Kind {
        case fixed(FixedCovariance, layers: [Int])
        case collected(CovarianceStatistics)
        case lazy(EditHyperparameters)
    }

    let kind: Kind
    private let sourceText: String
    /// A description of the source.
    public var source: String {
        if case .lazy = kind, built == nil { return sourceText + " (collected on the first apply)" }
        return sourceText
    }
    /// The model the statistics were made for (for lazy ones: the model of the first apply).
    public private(set) var model: LanguageModel?
    private var built: CovarianceStatistics?

    init(fixed: FixedCovariance, layers: [Int], source: String, model: LanguageModel) {
        kind = .fixed(fixed, layers: layers)
        sourceText = source
        self.model = model
    }

    init(collected: CovarianceStatistics, source: String, model: LanguageModel) {
        kind = .collected(collected)
        sourceText = source
        self.model = model
        built = collected
    }

    init(lazy h: EditHyperparameters) {
        kind = .lazy(h)
        sourceText = "\(h.mom2Dataset), \(h.mom2NSamples) documents"
    }

    var kindName: String {
        switch kind {
        case .fixed: return "imported"
        case .collected: return "collected"
        case .lazy: return "lazy"
        }
    }

    var layers: [Int] {
        switch kind {
        case .fixed(_, let l): return l
        default: return built?.tokenCounts.keys.sorted() ?? []
        }
    }

    var tokenCounts: [(Int, Int)] { (built?.tokenCounts ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    /// The statistics to collect with (lazy ones built for `model` on first use).
    private func statistics(for model: LanguageModel, layers: [Int]) throws -> CovarianceStatistics? {
        switch kind {
        case .fixed: return nil
        case .collected(let s): return s
        case .lazy(let h):
            if let b = built, self.model === model { return b }
            let s = try CovarianceStatistics.forModel(model, hparams: h)
            try s.prepare(layers: Array(Set(h.layers.filter { $0 < model.config.layerCount } + layers)).sorted(), model: model)
            built = s
            self.model = model
            return s
        }
    }

    public func c0(layer: Int, model: LanguageModel) throws -> Tensor {
        if case .fixed(let f, _) = kind { return try f.c0(layer: layer, model: model) }
        guard let s = try statistics(for: model, layers: [layer]) else { throw EditorError.statistics("no statistics") }
        return try s.c0(layer: layer, model: model)
    }

    public func prepare(layers: [Int], model: LanguageModel) throws {
        if case .fixed(let f, _) = kind { return try f.prepare(layers: layers, model: model) }
        try statistics(for: model, layers: layers)?.prepare(layers: layers, model: model)
    }
}
