import CLua
import Datasets
import Foundation
import LanguageModels
import LuaShim
import Measurements
import Tensors

/// The `metrics` module and the `Activations` and `NextTokenReference` classes: thin bridges
/// over the edit metrics of `Datasets` (CounterFact, zsRE, perplexity, generation entropy, the
/// KL canary) and over `Measurements` (weight norms and spectra, activation statistics,
/// subspace shift, retention). Results are plain Lua tables under the Swift `fields` names.
public enum MetricsModule {
    static let moduleDoc = """
    Measurements of a model: edit metrics (CounterFact's es/ps/ns and magnitudes, zsRE token \
    accuracies, retention of sequential edits), perplexity, generation entropy, the KL canary \
    against a kept reference, weight norms and spectra, activation statistics and their \
    subspace shift. Results are plain tables. Scores put the prompt prefix (option prefix: \
    \"automatic\" (default), \"none\", \"bos\", \"text:...\", \"tokens:1,2\") in front of every \
    prompt, as the editors do: use the same prefix as the editor's prompt_prefix.
    """

    static let activationsDoc = """
    Activation statistics of a model over a prompt set (a value to keep: measure the unedited \
    model once and compare later measurements with metrics.subspace_shift). a.hooks lists per \
    hook {name=, layer=, mean_norm=, ...}; a:hook(name), a:kept(name), a:by_layer(point).
    """

    static let referenceDoc = """
    Next-token distributions of a model on fixed prompts, kept as plain values (no model copy): \
    ref:divergence(m) is KL(reference ‖ m) per prompt, the collapse canary of sequential editing.
    """

    public static func install(_ vm: LuaVM) throws {
        _ = try DataModule.requestClasses(vm)
        let A = try vm.defineClass(ActivationSet.self, name: "Activations", doc: activationsDoc)
        defineActivations(A)
        let R = try vm.defineClass(NextTokenReference.self, name: "NextTokenReference", doc: referenceDoc)
        defineReference(R)
        try vm.defineModule("metrics", doc: moduleDoc) { m in try defineModule(m) }
    }

    // MARK: Conversions

    /// An ordered name → value list as a table (NaN stays NaN).
    static func fieldsTable(_ f: [(name: String, value: Double)], extra: [String: LuaValue] = [:]) -> LuaValue {
        var t = LuaTable(fields: extra)
        for (n, v) in f { t.fields[n] = .number(v) }
        return .table(t)
    }

    static func numbers(_ xs: [Double]) -> LuaValue { .table(LuaTable(array: xs.map { .number($0) })) }
    static func booleans(_ xs: [Bool]) -> LuaValue { .table(LuaTable(array: xs.map { .boolean($0) })) }

    static func scoring(_ c: LuaCall, _ o: LuaOptions, _ arg: Int32) throws -> ScoringOptions {
        var s = ScoringOptions()
        if let p = try o.string("prefix") { s.prefix = try EditorModule.promptPrefix(c, p, arg) }
        return s
    }

    /// The snapshot option `key`, if given.
    static func snapshot(_ c: LuaCall, _ o: LuaOptions, _ key: String, _ arg: Int32) throws -> ModelSnapshot? {
        guard let v = try o.value(key) else { return nil }
        guard case .object(let s as ModelSnapshot, _) = v else { throw c.argumentError(arg, "option '\(key)' must be a Snapshot (m:snapshot()), got \(v.typeName)") }
        return s
    }

    /// Prompts at argument `i` for activation statistics: a string, a table of strings or of
    /// {text=, subject=} tables, a Request, or Requests (their filled rewrite prompts, with the
    /// subject's tokens).
    static func activationPrompts(_ c: LuaCall, _ i: Int32, _ m: LanguageModel) throws -> [ActivationPrompt] {
        let v = try c.value(i)
        func one(_ e: LuaValue, _ k: Int) throws -> ActivationPrompt {
            switch e {
            case .string(let s): return ActivationPrompt(s)
            case .object(let r as EditRequest, _): return try ActivationPrompt.rewrite(of: r, tokenizer: try m.requireTokenizer())
            case .table(let t) where t.array.isEmpty:
                guard Set(t.fields.keys).isSubset(of: ["text", "subject"]), let text = t.fields["text"]?.stringValue else {
                    throw c.argumentError(i, "prompt \(k) must be a string, a Request or {text=, subject=}")
                }
                guard let sv = t.fields["subject"] else { return ActivationPrompt(text) }
                guard let s = sv.stringValue else { throw c.argumentError(i, "prompt \(k): subject must be a string") }
                return try ActivationPrompt.locating(s, in: text, tokenizer: try m.requireTokenizer())
            default:
                throw c.argumentError(i, "prompt \(k) is a \(e.typeName); prompts are strings, Requests or {text=, subject=}")
            }
        }
        switch v {
        case .string, .object(_ as EditRequest, _): return [try one(v, 1)]
        case .object(let s as RequestSet, _): return try s.requests.enumerated().map { try one(.object($1, typeName: "Request"), $0 + 1) }
        case .table(let t) where t.fields.isEmpty:
            return try t.array.enumerated().map { try one($1, $0 + 1) }
        case .table: return [try one(v, 1)]
        default: throw c.typeError(i, expected: "prompts (strings, Requests or {text=, subject=} tables)")
        }
    }

    /// Strings at argument `i` (one string or a table of strings).
    static func texts(_ c: LuaCall, _ i: Int32) throws -> [String] {
        if c.type(i) == LUA_TSTRING { return [try c.string(i)] }
        return try DataModule.strings(c, i, what: "prompts")
    }

    // MARK: Module

    static func defineModule(_ m: LuaModule) throws {
        m.function("counterfact", "(model, requests[, {prefix=}]) -> table",
                   "CounterFact's probability metrics: {summary = {count, es, em, ps, pm, ns, nm, es_acc, ps_acc, ns_acc, score}, records = per request {case_id, rewrite_success, rewrite_magnitude, paraphrase_success, ..., rewrite = {{prompt, new_nll, true_nll, new_correct, true_correct}, ...}, paraphrase = ..., neighborhood = ...}}. es is the fraction of rewrite prompts where the new object scores better (lower mean NLL) than the true one, so before an edit 1 - es is the fraction where the true object wins; score is the harmonic mean of es, ps, ns in %. Values missing for lack of prompts are nil.") { c in
            let model = try c.object(1, LanguageModel.self)
            let reqs = try DataModule.requests(c, 2)
            let o = try c.options(3, known: ["prefix"])
            let r = try CounterFactMetrics.evaluate(model, reqs, options: try scoring(c, o, 3))
            func pairs(_ ps: [TargetPairScore]) -> LuaValue {
                .table(LuaTable(array: ps.map {
                    .table(LuaTable(fields: ["prompt": .string($0.prompt), "new_nll": .number($0.newNLL), "true_nll": .number($0.trueNLL),
                                             "new_correct": .boolean($0.newCorrect), "true_correct": .boolean($0.trueCorrect)]))
                }))
            }
            let records: [LuaValue] = r.records.map { rec in
                var f: [String: LuaValue] = ["case_id": .integer(rec.caseID), "rewrite": pairs(rec.rewrite),
                                             "paraphrase": pairs(rec.paraphrase), "neighborhood": pairs(rec.neighborhood)]
                let means: [(String, Double?)] = [
                    ("rewrite_success", rec.rewriteSuccess), ("rewrite_magnitude", rec.rewriteMagnitude),
                    ("paraphrase_success", rec.paraphraseSuccess), ("paraphrase_magnitude", rec.paraphraseMagnitude),
                    ("neighborhood_success", rec.neighborhoodSuccess), ("neighborhood_magnitude", rec.neighborhoodMagnitude),
                    ("rewrite_accuracy", rec.rewriteAccuracy), ("paraphrase_accuracy", rec.paraphraseAccuracy),
                    ("neighborhood_accuracy", rec.neighborhoodAccuracy),
                ]
                for (k, v) in means { if let v { f[k] = .number(v) } }
                return .table(LuaTable(fields: f))
            }
            return try c.push(.table(LuaTable(fields: ["summary": fieldsTable(r.summary.fields), "records": .table(LuaTable(array: records))])))
        }
        m.function("zsre", "(model, requests[, {mode=, prefix=}]) -> table",
                   "zsRE's token accuracies (requests from data.zsre): {summary = {count, efficacy, paraphrase, specificity}, records = per request {case_id, efficacy, paraphrase, specificity, rewrite_correct = {...}, paraphrase_correct, neighborhood_correct}}. mode = \"reference\" (default: the reference's decode/re-encode per token) or \"teacher_forcing\".") { c in
            let model = try c.object(1, LanguageModel.self)
            let reqs = try DataModule.requests(c, 2)
            let o = try c.options(3, known: ["mode", "prefix"])
            var mode = ZsRETokenMode.reference
            if let s = try o.string("mode") {
                switch s {
                case "reference": mode = .reference
                case "teacher_forcing": mode = .teacherForcing
                default: throw c.argumentError(3, "option 'mode' must be \"reference\" or \"teacher_forcing\", got \"\(s)\"")
                }
            }
            let r = try ZsREMetrics.evaluate(model, reqs, mode: mode, options: try scoring(c, o, 3))
            let records: [LuaValue] = r.records.map { rec in
                var f: [String: LuaValue] = ["case_id": .integer(rec.caseID), "rewrite_correct": booleans(rec.rewriteCorrect),
                                             "paraphrase_correct": booleans(rec.paraphraseCorrect),
                                             "neighborhood_correct": booleans(rec.neighborhoodCorrect)]
                if let v = rec.efficacy { f["efficacy"] = .number(v) }
                if let v = rec.paraphrase { f["paraphrase"] = .number(v) }
                if let v = rec.specificity { f["specificity"] = .number(v) }
                return .table(LuaTable(fields: f))
            }
            return try c.push(.table(LuaTable(fields: ["summary": fieldsTable(r.summary.fields), "records": .table(LuaTable(array: records))])))
        }
        m.function("retention", "(model, requests[, {criterion=, initially_held=, batch_size=, prefix=}]) -> table",
                   "How many earlier edits still hold: each request's rewrite prompt scored on the current model. criterion = \"score\" (default: s(new) < s(true)) or \"accuracy\" (the new object is argmax at every token); initially_held = a table of booleans (did each edit hold right after it was made) adds retained_of_initial. Returns {count, held, fraction[, initially_held, retained_of_initial], flags = {...}, margins = {s(true) - s(new), ...}, case_ids = {...}}.") { c in
            let model = try c.object(1, LanguageModel.self)
            let reqs = try DataModule.requests(c, 2)
            let o = try c.options(3, known: ["criterion", "initially_held", "batch_size", "prefix"])
            var opts = RetentionOptions(scoring: try scoring(c, o, 3))
            if let s = try o.string("criterion") {
                guard let cr = RetentionCriterion(rawValue: s) else { throw c.argumentError(3, "option 'criterion' must be \"score\" or \"accuracy\", got \"\(s)\"") }
                opts.criterion = cr
            }
            if let b = try o.integer("batch_size") { opts.batchSize = b }
            var initially: [Bool]? = nil
            if let v = try o.value("initially_held") {
                guard let t = v.tableValue, t.fields.isEmpty else { throw c.argumentError(3, "option 'initially_held' must be a table of booleans") }
                initially = try t.array.map { guard let b = $0.boolValue else { throw c.argumentError(3, "option 'initially_held' must hold booleans, got a \($0.typeName)") }; return b }
            }
            let r = try Retention.evaluate(model, reqs, initiallyHeld: initially, options: opts)
            return try c.push(fieldsTable(r.fields, extra: ["flags": booleans(r.held), "margins": numbers(r.margins),
                                                            "case_ids": .table(LuaTable(array: r.caseIDs.map { .integer($0) }))]))
        }
        m.function("perplexity", "(model, documents[, {prefix=}]) -> table",
                   "Perplexity over token documents (a Corpus, e.g. the held-out part of data.corpus(...):split(), or a table of token-id tables): {perplexity, nll (mean per predicted token, nats), tokens, documents}.") { c in
            let model = try c.object(1, LanguageModel.self)
            let docs: [[Int]]
            if let p = c.vm.luaClass(PackedCorpus.self)?.value(c.L, 2) {
                docs = p.documents
            } else {
                let v = try c.value(2)
                guard let t = v.tableValue, t.fields.isEmpty else { throw c.typeError(2, expected: "Corpus or table of token-id tables") }
                docs = try t.array.enumerated().map { i, d in
                    guard let a = d.tableValue, a.fields.isEmpty else { throw c.argumentError(2, "document \(i + 1) is a \(d.typeName), not a table of token ids") }
                    return try a.array.map { guard let id = $0.intValue else { throw c.argumentError(2, "document \(i + 1) has a non-integer token id") }; return id }
                }
            }
            let o = try c.options(3, known: ["prefix"])
            let r = try Perplexity.evaluate(model, documents: docs, options: try scoring(c, o, 3))
            return try c.push(fieldsTable(r.fields))
        }
        m.function("generation_entropy", "(model, prompts[, {max_length=, top_k=, seed=, prefix=}]) -> table",
                   "Generates from each prompt as the reference generate_fast does (top-k sampling, k = top_k default 5, seeded by seed default 0, until max_length tokens counting the prompt, default 100) and returns the weighted bi/tri-gram entropy: {mean, entropies = {...}, texts = {...}} (fluency; it drops when generations become repetitive).") { c in
            let model = try c.object(1, LanguageModel.self)
            let prompts = try texts(c, 2)
            let o = try c.options(3, known: ["max_length", "top_k", "seed", "prefix"])
            var g = GenerationOptions()
            if let n = try o.integer("max_length") { g.maxLength = n }
            if let k = try o.integer("top_k") { g.topK = k }
            if let s = try o.integer("seed") {
                guard s >= 0 else { throw c.argumentError(3, "option 'seed' must be non-negative, got \(s)") }
                g.seed = UInt64(s)
            }
            if let p = try o.string("prefix") { g.prefix = try EditorModule.promptPrefix(c, p, 3) }
            let r = try GenerationMetrics.generationEntropy(model, prompts: prompts, options: g)
            return try c.push(.table(LuaTable(fields: ["mean": .number(r.mean), "entropies": numbers(r.entropies),
                                                       "texts": .table(LuaTable(array: r.texts.map { .string($0) }))])))
        }
        m.function("ngram_entropy", "(texts) -> number, table",
                   "The reference's n-gram entropy (2/3 · bigram + 4/3 · trigram entropy, in bits) of a text or a table of texts: the mean, then the per-text values.") { c in
            let r = try GenerationMetrics.ngramEntropy(texts: try texts(c, 1))
            c.push(r.mean)
            try c.push(numbers(r.entropies))
            return 2
        }
        m.function("next_token_reference", "(model, prompts[, {prefix=}]) -> NextTokenReference",
                   "Keeps the model's next-token distributions after each prompt (the KL canary's reference; data.probe_prompts(n) is a good choice) for later ref:divergence(m).") { c in
            let model = try c.object(1, LanguageModel.self)
            let prompts = try texts(c, 2)
            let o = try c.options(3, known: ["prefix"])
            return try c.push(object: try NextTokenReference.capture(model, prompts: prompts, options: try scoring(c, o, 3)))
        }

        // Weight norms
        m.function("frobenius", "(model, name) -> number|table",
                   "‖W‖_F of the weight called name (a number); for a pattern with * (\"blocks.*.mlp.down\") a table from each matching name to its norm.") { c in
            let model = try c.object(1, LanguageModel.self)
            let pattern = try c.string(2)
            return try pushNamed(c, pattern, try WeightNorms.frobenius(model, pattern))
        }
        m.function("delta_frobenius", "(model, name, snapshot) -> number|table",
                   "‖W - W0‖_F against a snapshot taken before editing (m:snapshot()), the difference taken exactly in float64; a table by name for a pattern.") { c in
            let model = try c.object(1, LanguageModel.self)
            let pattern = try c.string(2)
            let snap = try c.object(3, ModelSnapshot.self)
            return try pushNamed(c, pattern, try WeightNorms.deltaFrobenius(model, pattern, against: snap))
        }
        m.function("distance_from_original", "(model, name, snapshot) -> number|table",
                   "The reference's distance_from_original: ‖W - W0‖_F / numel(W) against a snapshot; a table by name for a pattern.") { c in
            let model = try c.object(1, LanguageModel.self)
            let pattern = try c.string(2)
            let snap = try c.object(3, ModelSnapshot.self)
            return try pushNamed(c, pattern, try WeightNorms.distanceFromOriginal(model, pattern, against: snap))
        }
        m.function("weight_norms", "(model, pattern[, {against=, spectra=, rows_and_columns=}]) -> table",
                   "Per-layer table of the weights matching pattern (\"blocks.*.mlp.down\", or one name), in layer order: {rows = {{name=, layer= (-1 outside the blocks), edited= (0/1), frobenius=, spectral_norm=, energy_ratio=, condition_number=, softmax_entropy=, spectral_entropy=, stable_rank=, [singular_values=, row_norms=, column_norms=], and against a snapshot original_frobenius=, delta_frobenius=, relative_change=, frobenius_ratio=, distance_from_original=, delta_spectral_norm=, ...}, ...}, summary = {edited_count=, unedited_count=, edited_mean_frobenius=, ...}}. spectra (default true) costs one SVD per matrix.") { c in
            let model = try c.object(1, LanguageModel.self)
            let pattern = try c.string(2)
            let o = try c.options(3, known: ["against", "spectra", "rows_and_columns"])
            let opts = WeightNormOptions(spectra: try o.boolean("spectra") ?? true, rowsAndColumns: try o.boolean("rows_and_columns") ?? false)
            let t = try WeightNorms.table(model, pattern, against: try snapshot(c, o, "against", 3), options: opts)
            let rows: [LuaValue] = t.rows.map { r in
                var extra: [String: LuaValue] = ["name": .string(r.name)]
                if let s = r.weight.spectrum { extra["singular_values"] = numbers(s.singularValues) }
                if let rn = r.weight.rowNorms { extra["row_norms"] = numbers(rn) }
                if let cn = r.weight.columnNorms { extra["column_norms"] = numbers(cn) }
                return fieldsTable(r.fields, extra: extra)
            }
            return try c.push(.table(LuaTable(fields: ["rows": .table(LuaTable(array: rows)), "summary": fieldsTable(t.summary)])))
        }
        m.function("matrix_norms", "(tensor[, {spectra=, rows_and_columns=}]) -> table",
                   "Norms of any tensor in float64: {frobenius=} and, for a matrix, the spectrum's summaries (spectral_norm, energy_ratio, condition_number, softmax_entropy, spectral_entropy, stable_rank, singular_values) and with rows_and_columns = true row_norms and column_norms.") { c in
            let t = try c.tensor(1)
            let o = try c.options(2, known: ["spectra", "rows_and_columns"])
            let n = try WeightNorms.norms(of: t, options: WeightNormOptions(spectra: try o.boolean("spectra") ?? true,
                                                                            rowsAndColumns: try o.boolean("rows_and_columns") ?? false))
            var extra: [String: LuaValue] = [:]
            if let s = n.spectrum { extra["singular_values"] = numbers(s.singularValues) }
            if let rn = n.rowNorms { extra["row_norms"] = numbers(rn) }
            if let cn = n.columnNorms { extra["column_norms"] = numbers(cn) }
            return try c.push(fieldsTable(n.fields, extra: extra))
        }

        // Activations and subspaces
        m.function("activations", "(model, prompts[, {hooks=, prefix=, keep=, keep_hooks=, massive_factor=, shares=, max_tokens=}]) -> Activations",
                   "Activation statistics over prompts (strings, {text=, subject=} tables, or Requests: their filled rewrite prompts with the subject's tokens): per hook the mean and RMS norms over all prompt tokens and per position class (subject, last, other, prefix), the massive-activation dimensions, the residual shares of every block, and the kept vectors (keep = \"last\" (default), \"subject_last\", \"all\" or \"none\") for metrics.subspace_shift. hooks: names or patterns (default blocks.*.hook_resid_pre, hook_attn_out, mlp.hook_post, hook_mlp_out, hook_resid_post).") { c in
            let model = try c.object(1, LanguageModel.self)
            let prompts = try activationPrompts(c, 2, model)
            let o = try c.options(3, known: ["hooks", "prefix", "keep", "keep_hooks", "massive_factor", "shares", "max_tokens"])
            var a = ActivationOptions()
            if let h = try o.strings("hooks") { a.hooks = h }
            if let p = try o.string("prefix") { a.prefix = try EditorModule.promptPrefix(c, p, 3) }
            if let k = try o.string("keep") {
                let map: [String: KeptTokens] = ["none": .none, "last": .last, "subject_last": .subjectLast, "all": .all]
                guard let kk = map[k] else { throw c.argumentError(3, "option 'keep' must be \"none\", \"last\", \"subject_last\" or \"all\", got \"\(k)\"") }
                a.keep = kk
            }
            if let kh = try o.strings("keep_hooks") { a.keepHooks = kh }
            if let f = try o.number("massive_factor") { a.massiveFactor = f }
            if let s = try o.boolean("shares") { a.residualShares = s }
            if let n = try o.integer("max_tokens") { a.maxTokensPerBatch = n }
            return try c.push(object: try ActivationStatistics.measure(model, prompts, options: a))
        }
        m.function("subspace_shift", "(before, after[, {k=}]) -> table",
                   "Compares two Activations of the same prompts hook by hook: {k=, hooks = {{name=, layer=, norm_ratio=, subject_norm_ratio=, last_norm_ratio=, other_norm_ratio=, rms_norm_without_massive_ratio=, paired_cosine=, projection_overlap=, mean_angle=, max_angle= (radians), cka=}, ...}, by_name = the same entries by hook name}. Ratios < 1: activations shrank; projection_overlap and cka 1: no shift. k: PCA dimension (default 10).") { c in
            guard let A = c.vm.luaClass(ActivationSet.self) else { throw c.error("no Activations class") }
            let before = try A.get(c, 1), after = try A.get(c, 2)
            let o = try c.options(3, known: ["k"])
            let r = try ActivationComparison(before: before, after: after, k: try o.integer("k") ?? 10)
            var byName = LuaTable()
            let list: [LuaValue] = r.hooks.map { h in
                let e = fieldsTable(h.fields, extra: ["name": .string(h.name)])
                byName.fields[h.name] = e
                return e
            }
            return try c.push(.table(LuaTable(fields: ["k": .integer(r.k), "hooks": .table(LuaTable(array: list)), "by_name": .table(byName)])))
        }
        m.function("subspace", "(before, after[, {k=, paired=}]) -> table",
                   "The shift between two activation matrices [n, d] (rows are samples): top-k PCA subspaces (centred) compared by principal angles and projection overlap, and linear CKA when the rows are paired (paired default true, same n): {k=, projection_overlap=, mean_angle=, max_angle=, cka=, principal_angles = {...}}.") { c in
            let x = try c.tensor(1), y = try c.tensor(2)
            let o = try c.options(3, known: ["k", "paired"])
            let s = try Subspace.shift(x, y, k: try o.integer("k") ?? 10, paired: try o.boolean("paired") ?? true)
            return try c.push(fieldsTable(s.fields, extra: ["principal_angles": numbers(s.principalAngles)]))
        }
        m.function("cka", "(x, y) -> number", "Linear CKA (centred; Kornblith et al. 2019) of two row-paired activation matrices [n, d1] and [n, d2], in [0, 1].") { c in
            c.push(try Subspace.linearCKA(try c.tensor(1), try c.tensor(2)))
        }
    }

    /// Pushes a number for an exact name, else a table from name to value.
    static func pushNamed(_ c: LuaCall, _ pattern: String, _ values: [(name: String, value: Double)]) throws -> Int32 {
        if !pattern.contains("*"), values.count == 1 { return c.push(values[0].value) }
        var t = LuaTable()
        for (n, v) in values { t.fields[n] = .number(v) }
        return try c.push(.table(t))
    }

    // MARK: Classes

    static func hookTable(_ h: HookStatistics) -> LuaValue {
        fieldsTable(h.fields, extra: ["name": .string(h.name),
                                      "massive_dims": .table(LuaTable(array: h.massive.indices.map { .integer($0) }))])
    }

    static func defineActivations(_ A: LuaClass<ActivationSet>) {
        A.describe { a in "Activations (\(a.promptCount) prompts, \(a.hooks.count) hooks, keep \(a.keep.rawValue))" }
        A.field("prompt_count", "The number of prompts.") { c, a in c.push(a.promptCount) }
        A.field("keep", "Which tokens' vectors are kept: none, last, subjectLast or all.") { c, a in c.push(a.keep.rawValue) }
        A.field("hooks", "Per hook, in the model's hook order: {name=, layer=, width=, count=, mean_norm=, rms_norm=, rms_norm_without_massive=, subject_mean_norm=, last_mean_norm=, other_mean_norm=, prefix_mean_norm=, ..., massive_count=, massive_energy_share=, massive_dims = {...} (0-based)}.") { c, a in
            try c.push(.table(LuaTable(array: a.hooks.map(hookTable))))
        }
        A.field("shares", "Per block, the residual-stream shares ‖h‖, ‖attn‖, ‖mlp‖ / their sum averaged over tokens: {layer=, residual=, attention=, mlp=, subject_mlp=, ...}.") { c, a in
            try c.push(.table(LuaTable(array: a.shares.map { fieldsTable($0.fields) })))
        }
        A.method("hook", "(name) -> table|nil", "The statistics of one hook (as in a.hooks), or nil when it was not measured.") { c, a in
            guard let h = a.statistics(try c.string(2)) else { return c.pushNil() }
            return try c.push(hookTable(h))
        }
        A.method("kept", "(name) -> Tensor|nil", "The kept vectors of one hook, [rows, width] float32 (a copy), or nil.") { c, a in
            guard let t = a.keptMatrix(try c.string(2)) else { return c.pushNil() }
            return c.push(t.clone())
        }
        A.method("by_layer", "(point[, stat]) -> table, table",
                 "One value per block for a hook point (\"hook_resid_post\", \"mlp.hook_post\", ...), in block order: the statistic stat (a field name of a.hooks entries, default \"mean_norm\"); then the block numbers (0-based).") { c, a in
            let point = try c.string(2)
            let stat = try c.optionalString(3) ?? "mean_norm"
            if let h = a.hooks.first, !h.fields.contains(where: { $0.name == stat }) {
                throw c.argumentError(3, "unknown statistic '\(stat)' (\(h.fields.map(\.name).joined(separator: ", ")))")
            }
            let rows = a.byLayer(point) { h in h.fields.first(where: { $0.name == stat })?.value ?? .nan }
            try c.push(numbers(rows.map(\.value)))
            try c.push(rows.map(\.layer))
            return 2
        }
    }

    static func defineReference(_ R: LuaClass<NextTokenReference>) {
        R.describe { r in "NextTokenReference (\(r.prompts.count) prompts, prefix \(r.prefix.name))" }
        R.field("prompts", "The prompts.") { c, r in try c.push(r.prompts) }
        R.field("prefix", "The prompt prefix used (the same is used when comparing).") { c, r in c.push(r.prefix.name) }
        R.method("divergence", "(model) -> table",
                 "KL(reference ‖ model) of the next-token distributions, in nats: {mean=, max=, per_prompt = {...}} (0 for the unchanged model; a climbing value during sequential editing means the model's general predictions drift).") { c, r in
            let d = try r.divergence(try c.object(2, LanguageModel.self))
            return try c.push(.table(LuaTable(fields: ["mean": .number(d.mean), "max": .number(d.max), "per_prompt": numbers(d.perPrompt)])))
        }
    }
}
