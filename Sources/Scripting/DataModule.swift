import CLua
import Datasets
import Foundation
import LanguageModels
import LuaShim
import Tensors

/// The `data` module and the `Request`, `Requests` and `Corpus` classes: thin bridges over
/// `Datasets` (edit requests, the dataset loaders, the seeded sampler, the built-in facts, the
/// probe prompts and corpora). Token ids stay 0-based; positions in Lua lists are 1-based.
public enum DataModule {
    static let moduleDoc = """
    Edit requests and text data. A Request is one CounterFact-style edit (prompt with {} for \
    the subject, subject, target_new, target_true, evaluation prompts); a Requests list comes \
    from the loaders (CounterFact, EasyEdit, zsRE, JSONL), the built-in facts or \
    data.requests, and supports #, r[i], ipairs and :sample{n=, seed=} (one request per \
    subject). Loader options: {limit=, skip_malformed=}. Token ids are 0-based.
    """

    static let requestDoc = """
    One edit request (read-only): case_id, prompt (with {} where the subject goes), subject, \
    target_new, target_true (strings), target_new_id, target_true_id, relation_id, \
    paraphrase_prompts, neighborhood_prompts (strings, or {prompt=, target=} when the dataset \
    gives a target), attribute_prompts, generation_prompts, filled_prompt. r:totable() gives a \
    plain table that data.request accepts.
    """

    static let requestsDoc = """
    A list of edit requests in dataset order: #r, r[i] (1-based; nil past the end), \
    ipairs(r), r:sample{n=, seed=}, r:slice(i, j), r:save(path) (JSONL).
    """

    static let corpusDoc = """
    Token documents packed from texts (Datasets.Corpus): #c documents, c[i] the token ids \
    (0-based) of document i, c:split{held_out=, seed=} for perplexity.
    """

    public static func install(_ vm: LuaVM) throws {
        _ = try requestClasses(vm)
        let corpus = try vm.defineClass(PackedCorpus.self, name: "Corpus", doc: corpusDoc)
        try defineCorpus(corpus)
        try vm.defineModule("data", doc: moduleDoc) { m in try defineModule(m) }
    }

    // MARK: Module

    static let loaderOptions = ["limit", "skip_malformed"]

    static func loadOptions(_ c: LuaCall, _ i: Int32, extra: [String] = []) throws -> (LoadOptions, LuaOptions) {
        let o = try c.options(i, known: loaderOptions + extra)
        var l = LoadOptions()
        if let n = try o.integer("limit") {
            guard n >= 0 else { throw c.argumentError(i, "option 'limit' must be non-negative, got \(n)") }
            l.limit = n
        }
        l.skipMalformed = try o.boolean("skip_malformed") ?? false
        return (l, o)
    }

    static func defineModule(_ m: LuaModule) throws {
        m.function("facts", "() -> Requests",
                   "EditLab's built-in facts as edit requests (authored CounterFact-style requests with paraphrase and neighbourhood prompts, checked on the default model).") { c in
            try c.push(object: RequestSet(requests: BuiltinFacts.requests, source: "built-in facts"))
        }
        m.function("counterfact", "(path[, {limit=, skip_malformed=}]) -> Requests",
                   "Loads CounterFact's JSON (counterfact.json, multi_counterfact.json: records with requested_rewrite).") { c in
            let path = try c.string(1)
            let (o, _) = try loadOptions(c, 2)
            return try c.push(object: try RequestLoader.counterFact(path, options: o))
        }
        m.function("easyedit", "(path[, {limit=, skip_malformed=}]) -> Requests",
                   "Loads EasyEdit's flattened CounterFact JSON (prompt, subject, target_new, ground_truth, rephrase_prompt, locality_prompt, locality_ground_truth).") { c in
            let path = try c.string(1)
            let (o, _) = try loadOptions(c, 2)
            return try c.push(object: try RequestLoader.easyEdit(path, options: o))
        }
        m.function("zsre", "(path, model[, {limit=, skip_malformed=}]) -> Requests",
                   "Loads zsRE in MEND's schema (zsre_mend_eval.json); the model's tokenizer builds the neighbourhood prompts from the NQ answers' tokens, as the reference loader does.") { c in
            let path = try c.string(1)
            let model = try c.object(2, LanguageModel.self)
            let (o, _) = try loadOptions(c, 3)
            return try c.push(object: try RequestLoader.zsRE(path, tokenizer: try model.requireTokenizer(), options: o))
        }
        m.function("jsonl", "(path[, {limit=, skip_malformed=}]) -> Requests",
                   "Loads one CounterFact-schema record per line (what r:save writes).") { c in
            let path = try c.string(1)
            let (o, _) = try loadOptions(c, 2)
            return try c.push(object: try RequestLoader.jsonl(path, options: o))
        }
        m.function("load", "(path[, {format=, model=, limit=, skip_malformed=}]) -> Requests",
                   "Loads requests in format (counterfact, easyedit, zsre, jsonl; default: detected from the file name and first record). zsRE needs model = the model whose tokenizer builds its neighbourhood prompts.") { c in
            let path = try c.string(1)
            let (o, opts) = try loadOptions(c, 2, extra: ["format", "model"])
            var format: RequestFormat? = nil
            if let f = try opts.string("format") {
                guard let v = RequestFormat(rawValue: f) else {
                    throw c.argumentError(2, "option 'format': unknown format '\(f)' (\(RequestFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                format = v
            }
            var tok: Tokenizer? = nil
            if let mv = try opts.value("model") {
                guard case .object(let model as LanguageModel, _) = mv else { throw c.argumentError(2, "option 'model' must be a Model, got \(mv.typeName)") }
                tok = try model.requireTokenizer()
            }
            return try c.push(object: try RequestLoader.load(path, format: format, tokenizer: tok, options: o))
        }
        m.function("request", "({prompt=, subject=, target_new=, target_true=[, <field>=]}) -> Request",
                   "Builds a request from a table: prompt (with one {} where the subject goes), subject, target_new and target_true (strings, or {str=, id=}) are required; case_id (default 0), relation_id, paraphrase_prompts, neighborhood_prompts (strings or {prompt=, target=}), attribute_prompts, generation_prompts are optional.") { c in
            try c.require(1, type: LUA_TTABLE, "table")
            return try c.push(object: try request(fromTable: try c.value(1), c, 1))
        }
        m.function("requests", "(list) -> Requests",
                   "A Requests list from a table of Requests or request tables (as data.request takes), or from another Requests list (a copy).") { c in
            let list = try requests(c, 1)
            return try c.push(object: RequestSet(requests: list, source: "data.requests"))
        }
        m.function("probe_prompts", "([n]) -> table",
                   "EditLab's probe sentences (287 short, varied English sentences for activation statistics and the KL canary), or the first n.") { c in
            guard let n = try c.optionalInteger(1) else { return try c.push(ProbePrompts.all) }
            return try c.push(try ProbePrompts.first(n))
        }
        m.function("corpus", "(model, source[, {document_tokens=, max_tokens=, separator=, keep_remainder=, field=}]) -> Corpus",
                   "Reads, tokenises (with the model's tokenizer) and packs texts into documents of document_tokens tokens (default 512): source is \"wordnet\" (WordNet glosses from Debian's wordnet-base), a text file (paragraphs), a .jsonl file (string field field, default \"text\") or a table of strings. max_tokens stops early; keep_remainder keeps the last, shorter document.") { c in
            let model = try c.object(1, LanguageModel.self)
            let o = try c.options(3, known: ["document_tokens", "max_tokens", "separator", "keep_remainder", "field"])
            let source: CorpusSource
            switch c.type(2) {
            case LUA_TSTRING:
                let s = try c.string(2)
                if s == "wordnet" { source = .wordNetDefault }
                else if s.hasSuffix(".jsonl") { source = .jsonlFile(s, field: try o.string("field") ?? "text") }
                else { source = .textFile(s) }
            case LUA_TTABLE:
                source = .texts(try strings(c, 2, what: "texts"))
            default:
                throw c.typeError(2, expected: "\"wordnet\", a path or a table of strings")
            }
            var p = PackingOptions()
            if let n = try o.integer("document_tokens") {
                guard n > 0 else { throw c.argumentError(3, "option 'document_tokens' must be positive, got \(n)") }
                p.documentTokens = n
            }
            if let n = try o.integer("max_tokens") {
                guard n >= 0 else { throw c.argumentError(3, "option 'max_tokens' must be non-negative, got \(n)") }
                p.maximumTokens = n
            }
            if let s = try o.string("separator") { p.separator = s }
            p.keepRemainder = try o.boolean("keep_remainder") ?? false
            return try c.push(object: try Corpus.load(source, tokenizer: try model.requireTokenizer(), options: p))
        }
    }

    // MARK: Request classes

    /// The `Request` and `Requests` classes, defined on first use (the editor and metrics
    /// modules need them too, whatever the order modules are installed in).
    static func requestClasses(_ vm: LuaVM) throws -> (LuaClass<EditRequest>, LuaClass<RequestSet>) {
        if let a = vm.luaClass(EditRequest.self), let b = vm.luaClass(RequestSet.self) { return (a, b) }
        let r = try vm.defineClass(EditRequest.self, name: "Request", doc: requestDoc)
        try defineRequest(r)
        let s = try vm.defineClass(RequestSet.self, name: "Requests", doc: requestsDoc)
        try defineRequests(s)
        return (r, s)
    }

    static func defineRequest(_ R: LuaClass<EditRequest>) throws {
        R.describe { r in "Request \(r.caseID): \(r.filledPrompt) [\(r.targetTrue.str) -> \(r.targetNew.str)]" }
        R.equal { $0 == $1 }
        R.field("case_id", "The case id (CounterFact's case_id; the record index for zsRE).") { c, r in c.push(r.caseID) }
        R.field("prompt", "The rewrite prompt with {} where the subject goes.") { c, r in c.push(r.prompt) }
        R.field("subject", "The subject.") { c, r in c.push(r.subject) }
        R.field("filled_prompt", "The rewrite prompt with the subject filled in.") { c, r in c.push(r.filledPrompt) }
        R.field("target_new", "The object the edit should make the model produce (no leading space).") { c, r in c.push(r.targetNew.str) }
        R.field("target_true", "The object the model produces before the edit.") { c, r in c.push(r.targetTrue.str) }
        R.field("target_new_id", "The new object's entity id (Wikidata), or nil.") { c, r in r.targetNew.id.map { c.push($0) } ?? c.pushNil() }
        R.field("target_true_id", "The true object's entity id (Wikidata), or nil.") { c, r in r.targetTrue.id.map { c.push($0) } ?? c.pushNil() }
        R.field("relation_id", "The relation (a Wikidata property such as P103), or nil.") { c, r in r.relationID.map { c.push($0) } ?? c.pushNil() }
        R.field("paraphrase_prompts", "Prompts asking for the same fact in other words (filled).") { c, r in try c.push(r.paraphrasePrompts) }
        R.field("neighborhood_prompts", "Prompts about other subjects that must keep their answers: strings, or {prompt=, target=} when the dataset gives a target.") { c, r in
            try c.push(neighborhoodValue(r.neighborhoodPrompts))
        }
        R.field("attribute_prompts", "Prompts about other subjects whose true object is target_new.") { c, r in try c.push(r.attributePrompts) }
        R.field("generation_prompts", "Open prompts about the subject for generation tests.") { c, r in try c.push(r.generationPrompts) }
        R.method("totable", "() -> table", "The request as a plain table (the fields above), which data.request turns back into the same request.") { c, r in
            try c.push(requestTable(r))
        }
    }

    static func defineRequests(_ S: LuaClass<RequestSet>) throws {
        S.describe { s in "Requests (\(s.count) from \(s.source))" + (s.skipped.isEmpty ? "" : ", \(s.skipped.count) skipped") }
        S.equal { $0 == $1 }
        S.field("source", "Where the requests came from (a path or a name).") { c, s in c.push(s.source) }
        S.field("skipped", "One message per malformed record skipped (loaders with skip_malformed = true).") { c, s in try c.push(s.skipped) }
        S.indexing("The i-th request (1-based), nil outside 1..#r (so ipairs works).", get: { c, s, i in
            guard i >= 1, i <= s.count else { return c.pushNil() }
            return try c.push(object: s.requests[i - 1])
        })
        try S.metamethod("__len", "(r) -> number", "#r: the number of requests.") { c in
            guard let s = c.vm.luaClass(RequestSet.self)?.value(c.L, 1) else { throw c.typeError(1, expected: "Requests") }
            return c.push(s.count)
        }
        S.method("sample", "([{n=, seed=, unique_subjects=}]) -> Requests",
                 "A seeded sample: the requests shuffled (Fisher-Yates driven by seed, default 0), keeping only the first request of each subject unless unique_subjects = false, then the first n (all when n is nil). The same seed gives the same sample on every machine; fewer than n requests is an error.") { c, s in
            let o = try c.options(2, known: ["n", "seed", "unique_subjects"])
            let n = try o.integer("n")
            let seed = try o.integer("seed") ?? 0
            guard seed >= 0 else { throw c.argumentError(2, "option 'seed' must be non-negative, got \(seed)") }
            let unique = try o.boolean("unique_subjects") ?? true
            let picked = try s.sample(n: n, seed: UInt64(seed), uniqueSubjects: unique)
            return try c.push(object: RequestSet(requests: picked, source: "\(s.source) (sample n=\(n.map(String.init) ?? "all"), seed=\(seed))"))
        }
        S.method("slice", "(i[, j]) -> Requests",
                 "Requests i to j inclusive (1-based; negative counts from the end; j defaults to the last), as string.sub does.") { c, s in
            let n = s.count
            func pos(_ k: Int) -> Int { k < 0 ? n + k + 1 : k }
            let i = max(pos(try c.integer(2)), 1)
            let j = min(pos(try c.integer(3, default: -1)), n)
            let part = i <= j ? Array(s.requests[(i - 1)..<j]) : []
            return try c.push(object: RequestSet(requests: part, source: s.source))
        }
        S.method("save", "(path)", "Writes the requests as JSONL (one CounterFact record per line, keys sorted), which data.jsonl reads back.") { c, s in
            let path = try c.string(2)
            let d = try RequestLoader.jsonlData(s.requests)
            do { try d.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw c.error("cannot write \(path): \(error.localizedDescription)")
            }
            return 0
        }
        S.method("totable", "() -> table", "A plain Lua table (sequence) of the Request objects.") { c, s in
            try c.push(.table(LuaTable(array: s.requests.map { .object($0, typeName: "Request") })))
        }
    }

    // MARK: Corpus

    static func defineCorpus(_ C: LuaClass<PackedCorpus>) throws {
        C.describe { p in "Corpus (\(p.documents.count) documents of \(p.documentTokens) tokens, \(p.tokenCount) tokens)" }
        C.field("tokens", "The total number of tokens in the documents.") { c, p in c.push(p.tokenCount) }
        C.field("texts", "The number of texts that went into the stream.") { c, p in c.push(p.textCount) }
        C.field("dropped", "Tokens at the end of the stream that did not fill a document.") { c, p in c.push(p.droppedTokens) }
        C.field("document_tokens", "Tokens per document.") { c, p in c.push(p.documentTokens) }
        C.indexing("The token ids (0-based) of document i (1-based), nil outside 1..#c.", get: { c, p, i in
            guard i >= 1, i <= p.documents.count else { return c.pushNil() }
            return try c.push(p.documents[i - 1])
        })
        try C.metamethod("__len", "(c) -> number", "#c: the number of documents.") { c in
            guard let p = c.vm.luaClass(PackedCorpus.self)?.value(c.L, 1) else { throw c.typeError(1, expected: "Corpus") }
            return c.push(p.documents.count)
        }
        C.method("split", "([{held_out=, seed=}]) -> Corpus, Corpus",
                 "Splits off ceil(held_out * #c) documents (default 0.1; at least one and at most #c - 1) chosen by a seeded shuffle (seed default 0); returns the training part and the held-out part, both in corpus order.") { c, p in
            let o = try c.options(2, known: ["held_out", "seed"])
            let seed = try o.integer("seed") ?? 0
            guard seed >= 0 else { throw c.argumentError(2, "option 'seed' must be non-negative, got \(seed)") }
            let s = try p.split(heldOutFraction: try o.number("held_out") ?? 0.1, seed: UInt64(seed))
            try c.push(object: s.train)
            try c.push(object: s.heldOut)
            return 2
        }
    }

    // MARK: Conversions

    /// A string list at argument `i` (a table of strings).
    static func strings(_ c: LuaCall, _ i: Int32, what: String) throws -> [String] {
        let v = try c.value(i)
        guard let t = v.tableValue, t.fields.isEmpty else { throw c.typeError(i, expected: "table of \(what)") }
        return try t.array.enumerated().map { k, e in
            guard let s = e.stringValue else { throw c.argumentError(i, "\(what) \(k + 1) is a \(e.typeName), not a string") }
            return s
        }
    }

    static func neighborhoodValue(_ ns: [NeighborhoodPrompt]) -> LuaValue {
        .table(LuaTable(array: ns.map { n in
            guard let t = n.target else { return .string(n.prompt) }
            return .table(LuaTable(fields: ["prompt": .string(n.prompt), "target": .string(t)]))
        }))
    }

    /// The request as the plain table `data.request` accepts.
    static func requestTable(_ r: EditRequest) -> LuaValue {
        func target(_ t: EditTarget) -> LuaValue {
            guard let id = t.id else { return .string(t.str) }
            return .table(LuaTable(fields: ["str": .string(t.str), "id": .string(id)]))
        }
        var f: [String: LuaValue] = [
            "case_id": .integer(r.caseID), "prompt": .string(r.prompt), "subject": .string(r.subject),
            "target_new": target(r.targetNew), "target_true": target(r.targetTrue),
            "paraphrase_prompts": .table(LuaTable(array: r.paraphrasePrompts.map { .string($0) })),
            "neighborhood_prompts": neighborhoodValue(r.neighborhoodPrompts),
            "attribute_prompts": .table(LuaTable(array: r.attributePrompts.map { .string($0) })),
            "generation_prompts": .table(LuaTable(array: r.generationPrompts.map { .string($0) })),
        ]
        if let rel = r.relationID { f["relation_id"] = .string(rel) }
        return .table(LuaTable(fields: f))
    }

    static let requestKeys = ["case_id", "prompt", "subject", "target_new", "target_true", "relation_id", "paraphrase_prompts",
                              "neighborhood_prompts", "attribute_prompts", "generation_prompts"]

    /// A request from a Lua table (argument `arg` of the call, for messages); `label` names it
    /// inside a list.
    static func request(fromTable v: LuaValue, _ c: LuaCall, _ arg: Int32, label: String = "request") throws -> EditRequest {
        guard let t = v.tableValue else { throw c.argumentError(arg, "\(label) is a \(v.typeName), not a Request or a table") }
        func bad(_ s: String) -> LuaArgumentError { c.argumentError(arg, "\(label): \(s)") }
        guard t.array.isEmpty else { throw bad("a request table has named fields only (prompt=, subject=, ...)") }
        for k in t.sortedKeys where !requestKeys.contains(k) {
            throw bad("unknown field '\(k)' (fields: \(requestKeys.joined(separator: ", ")))")
        }
        func string(_ k: String, required: Bool) throws -> String? {
            guard let x = t.fields[k] else {
                if required { throw bad("field '\(k)' is missing") }
                return nil
            }
            guard let s = x.stringValue else { throw bad("field '\(k)' must be a string, got \(x.typeName)") }
            return s
        }
        func target(_ k: String) throws -> EditTarget {
            guard let x = t.fields[k] else { throw bad("field '\(k)' is missing") }
            if let s = x.stringValue {
                guard !s.isEmpty else { throw bad("field '\(k)' is empty") }
                return EditTarget(s)
            }
            guard let tt = x.tableValue, tt.array.isEmpty, let s = tt.fields["str"]?.stringValue, !s.isEmpty,
                  Set(tt.fields.keys).isSubset(of: ["str", "id"]) else {
                throw bad("field '\(k)' must be a string or {str=, id=}, got \(x.typeName)")
            }
            var id: String? = nil
            if let iv = tt.fields["id"] {
                guard let s = iv.stringValue else { throw bad("field '\(k).id' must be a string, got \(iv.typeName)") }
                id = s
            }
            return EditTarget(s, id: id)
        }
        func list(_ k: String) throws -> [String] {
            guard let x = t.fields[k] else { return [] }
            guard let a = x.tableValue, a.fields.isEmpty else { throw bad("field '\(k)' must be a table of strings, got \(x.typeName)") }
            return try a.array.enumerated().map { i, e in
                guard let s = e.stringValue else { throw bad("\(k)[\(i + 1)] is a \(e.typeName), not a string") }
                return s
            }
        }
        let prompt = try string("prompt", required: true) ?? ""
        guard EditRequest.placeholderCount(prompt) == 1 else {
            throw bad("field 'prompt' must contain {} exactly once (where the subject goes), got \"\(prompt)\"")
        }
        let subject = try string("subject", required: true) ?? ""
        guard !subject.isEmpty else { throw bad("field 'subject' is empty") }
        var caseID = 0
        if let x = t.fields["case_id"] {
            guard let i = x.intValue else { throw bad("field 'case_id' must be an integer, got \(x.typeName)") }
            caseID = i
        }
        var neighborhood: [NeighborhoodPrompt] = []
        if let x = t.fields["neighborhood_prompts"] {
            guard let a = x.tableValue, a.fields.isEmpty else { throw bad("field 'neighborhood_prompts' must be a table, got \(x.typeName)") }
            for (i, e) in a.array.enumerated() {
                if let s = e.stringValue { neighborhood.append(NeighborhoodPrompt(s)); continue }
                guard let n = e.tableValue, n.array.isEmpty, let p = n.fields["prompt"]?.stringValue,
                      Set(n.fields.keys).isSubset(of: ["prompt", "target"]) else {
                    throw bad("neighborhood_prompts[\(i + 1)] must be a string or {prompt=, target=}")
                }
                var target: String? = nil
                if let tv = n.fields["target"] {
                    guard let s = tv.stringValue else { throw bad("neighborhood_prompts[\(i + 1)].target must be a string") }
                    target = s
                }
                neighborhood.append(NeighborhoodPrompt(p, target: target))
            }
        }
        return EditRequest(caseID: caseID, prompt: prompt, subject: subject, targetNew: try target("target_new"),
                           targetTrue: try target("target_true"), relationID: try string("relation_id", required: false),
                           paraphrasePrompts: try list("paraphrase_prompts"), neighborhoodPrompts: neighborhood,
                           attributePrompts: try list("attribute_prompts"), generationPrompts: try list("generation_prompts"))
    }

    /// Requests at argument `i`: a Request, a Requests list, a request table, or a sequence of
    /// Requests and request tables.
    static func requests(_ c: LuaCall, _ i: Int32) throws -> [EditRequest] {
        let v = try c.value(i)
        switch v {
        case .object(let r as EditRequest, _): return [r]
        case .object(let s as RequestSet, _): return s.requests
        case .table(let t):
            if !t.fields.isEmpty && t.array.isEmpty { return [try request(fromTable: v, c, i)] }
            guard t.fields.isEmpty else { throw c.argumentError(i, "a list of requests has no named fields") }
            return try t.array.enumerated().map { k, e in
                if case .object(let r as EditRequest, _) = e { return r }
                return try request(fromTable: e, c, i, label: "request \(k + 1)")
            }
        default:
            throw c.typeError(i, expected: "Request, Requests or table of requests")
        }
    }
}
