import Foundation
import LanguageModels
import Tensors

/// The dataset layouts the loaders read.
public enum RequestFormat: String, Sendable, CaseIterable {
    /// CounterFact's original schema: a JSON array of records with `requested_rewrite`
    /// (`counterfact.json`, `multi_counterfact.json`).
    case counterFact = "counterfact"
    /// EasyEdit's flattened CounterFact schema: a JSON array of `{case_id, prompt (filled),
    /// subject, target_new, ground_truth, rephrase_prompt, locality_prompt,
    /// locality_ground_truth}`.
    case easyEdit = "easyedit"
    /// zsRE in MEND's schema: a JSON array of `{subject, src, pred, rephrase, alt, answers, loc,
    /// loc_ans, cond}` (`zsre_mend_eval.json`).
    case zsRE = "zsre"
    /// One CounterFact-schema record (an encoded `EditRequest`) per line.
    case jsonl = "jsonl"
}

/// Options shared by the loaders.
public struct LoadOptions: Sendable, Equatable {
    /// Skip malformed records (their errors are listed in `RequestSet.skipped`) instead of
    /// failing on the first one. A file that is not JSON at all still fails.
    public var skipMalformed: Bool
    /// Keep only the first `limit` records (nil: all).
    public var limit: Int?
    /// Files larger than this are refused (default 1 GiB).
    public var maximumFileBytes: Int

    /// Strict loading of every record of files up to 1 GiB.
    public init(skipMalformed: Bool = false, limit: Int? = nil, maximumFileBytes: Int = 1 << 30) {
        self.skipMalformed = skipMalformed
        self.limit = limit
        self.maximumFileBytes = maximumFileBytes
    }
}

/// Requests loaded from a dataset, in file order, with the records that were skipped.
public struct RequestSet: Sendable, Equatable {
    /// The requests, in file order.
    public var requests: [EditRequest]
    /// One message per skipped record (only with `LoadOptions.skipMalformed`).
    public var skipped: [String]
    /// Where the requests came from (a path or a name).
    public var source: String

    /// A set of requests.
    public init(requests: [EditRequest], skipped: [String] = [], source: String) {
        self.requests = requests
        self.skipped = skipped
        self.source = source
    }

    /// Number of requests.
    public var count: Int { requests.count }

    /// A seeded sample; see `RequestSampler.sample`.
    public func sample(n: Int?, seed: UInt64, uniqueSubjects: Bool = true) throws -> [EditRequest] {
        try RequestSampler.sample(requests, n: n, seed: seed, uniqueSubjects: uniqueSubjects)
    }
}

/// Seeded sampling of requests.
public enum RequestSampler {
    /// Shuffles the requests with a Fisher–Yates shuffle driven by `RandomGenerator(seed:)`
    /// (for i = count−1 down to 1: swap i with `nextInt(below: i + 1)`), then walks the
    /// shuffled order keeping, when `uniqueSubjects` is set, only the first request of each
    /// subject (exact string match), and returns the first `n` (all of them when `n` is nil).
    /// The same seed and input always give the same sample, on every machine.
    ///
    /// - Throws: `DatasetError.notEnoughRequests` when fewer than `n` requests (with distinct
    ///   subjects) exist; `invalidArgument` for a negative `n`.
    public static func sample(_ requests: [EditRequest], n: Int?, seed: UInt64, uniqueSubjects: Bool = true) throws -> [EditRequest] {
        if let n, n < 0 { throw DatasetError.invalidArgument("sample size must be non-negative, got \(n)") }
        var order = Array(requests.indices)
        var rng = RandomGenerator(seed: seed)
        if order.count > 1 {
            for i in stride(from: order.count - 1, through: 1, by: -1) {
                order.swapAt(i, rng.nextInt(below: i + 1))
            }
        }
        var seen = Set<String>()
        var out: [EditRequest] = []
        for i in order {
            if let n, out.count >= n { break }
            let r = requests[i]
            if uniqueSubjects {
                if seen.contains(r.subject) { continue }
                seen.insert(r.subject)
            }
            out.append(r)
        }
        if let n, out.count < n {
            throw DatasetError.notEnoughRequests(requested: n, available: out.count,
                                                 detail: uniqueSubjects ? "counting one request per subject" : "")
        }
        return out
    }
}

/// Loaders for the published edit datasets. Every loader bounds its input (file size, JSON
/// nesting) and reports a malformed record by index (0-based) or line (1-based), case id
/// when known, and field.
public enum RequestLoader {
    /// Loads `path` in `format` (nil: detected from the file name and first record, see
    /// `detectFormat`). zsRE needs the model's tokenizer (its neighbourhood prompts are built
    /// from tokens).
    public static func load(_ path: String, format: RequestFormat? = nil, tokenizer: Tokenizer? = nil,
                            options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try load(data: readFile(path, limit: options.maximumFileBytes), source: path, format: format, tokenizer: tokenizer, options: options)
    }

    /// Loads in-memory bytes in `format` (nil: detected as by `detectFormat`, with `source` as
    /// the name); `source` names them in errors. The JSON is parsed once.
    public static func load(data: Data, source: String, format: RequestFormat?, tokenizer: Tokenizer? = nil,
                            options: LoadOptions = LoadOptions()) throws -> RequestSet {
        if format == .jsonl || (format == nil && isJSONLName(source)) {
            return try jsonl(data: data, source: source, options: options)
        }
        let root = try parseJSON(data, source: source)
        switch try format ?? detectFormat(root: root, name: source) {
        case .counterFact: return try counterFact(root: root, source: source, options: options)
        case .easyEdit: return try easyEdit(root: root, source: source, options: options)
        case .zsRE:
            guard let tokenizer else {
                throw DatasetError.invalidArgument("zsRE loading needs the model's tokenizer (neighbourhood prompts are built from answer tokens)")
            }
            return try zsRE(root: root, source: source, tokenizer: tokenizer, options: options)
        case .jsonl: return try jsonl(data: data, source: source, options: options)
        }
    }

    static func isJSONLName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
    }

    /// Guesses the layout: `.jsonl` / `.ndjson` names are JSONL; otherwise the first record of
    /// the JSON array decides (`requested_rewrite` → CounterFact, `src` and `loc` → zsRE,
    /// `ground_truth` or a string `target_new` → EasyEdit).
    public static func detectFormat(_ data: Data, name: String) throws -> RequestFormat {
        if isJSONLName(name) { return .jsonl }
        return try detectFormat(root: parseJSON(data, source: name), name: name)
    }

    static func detectFormat(root: JSONValue, name: String) throws -> RequestFormat {
        guard let first = root.arrayValue?.first?.objectValue else {
            throw DatasetError.malformedJSON(source: name, detail: "expected a non-empty JSON array of records to detect the format; pass the format explicitly")
        }
        if first["requested_rewrite"] != nil { return .counterFact }
        if first["src"] != nil && first["loc"] != nil { return .zsRE }
        if first["ground_truth"] != nil || first["target_new"]?.stringValue != nil { return .easyEdit }
        throw DatasetError.malformedJSON(source: name, detail: "cannot tell the format from the first record (keys: \(first.keys.sorted().joined(separator: ", "))); pass the format explicitly")
    }

    // MARK: CounterFact

    /// CounterFact's original schema (a JSON array of records).
    public static func counterFact(_ path: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try counterFact(data: readFile(path, limit: options.maximumFileBytes), source: path, options: options)
    }

    /// CounterFact's original schema from bytes.
    public static func counterFact(data: Data, source: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try counterFact(root: parseJSON(data, source: source), source: source, options: options)
    }

    static func counterFact(root: JSONValue, source: String, options: LoadOptions) throws -> RequestSet {
        try array(root, source: source, options: options) { i, v in
            let label = "record \(i)" + (v["case_id"]?.intValue.map { " (case_id \($0))" } ?? "")
            let r = RecordReader(source: source, record: label)
            return try counterFactRecord(v, reader: r, defaultCaseID: nil)
        }
    }

    /// One CounterFact record (also a JSONL line); `defaultCaseID` is used when `case_id` is
    /// absent (nil: the field is required).
    static func counterFactRecord(_ v: JSONValue, reader r: RecordReader, defaultCaseID: Int?) throws -> EditRequest {
        let o = try r.object(v, "(record)")
        let caseID: Int
        if o["case_id"] == nil, let d = defaultCaseID { caseID = d } else { caseID = try r.int(o, "case_id") }
        let rw = try r.object(o["requested_rewrite"], "requested_rewrite")
        let p = "requested_rewrite"
        let prompt = try r.string(rw, "prompt", at: p)
        try r.template(prompt, field: p + ".prompt")
        let subject = try r.string(rw, "subject", at: p)
        try r.nonEmpty(subject, field: p + ".subject")
        func target(_ key: String) throws -> EditTarget {
            let t = try r.object(rw[key], p + "." + key)
            let s = try r.string(t, "str", at: p + "." + key)
            try r.nonEmpty(s, field: p + "." + key + ".str")
            return EditTarget(s, id: try r.optionalID(t, "id", at: p + "." + key))
        }
        let targetNew = try target("target_new")
        let targetTrue = try target("target_true")
        let relation = try r.optionalString(rw, "relation_id", at: p)
        var neighborhood: [NeighborhoodPrompt] = []
        if let nv = o["neighborhood_prompts"], !nv.isNull {
            guard let arr = nv.arrayValue else {
                throw r.fail("neighborhood_prompts", "expected an array, found \(RecordReader.kind(nv))")
            }
            for (k, e) in arr.enumerated() {
                let f = "neighborhood_prompts[\(k)]"
                if let s = e.stringValue {
                    neighborhood.append(NeighborhoodPrompt(s))
                } else if let eo = e.objectValue {
                    neighborhood.append(NeighborhoodPrompt(try r.string(eo, "prompt", at: f),
                                                           target: try r.optionalString(eo, "target", at: f)))
                } else {
                    throw r.fail(f, "expected a string or {prompt, target}, found \(RecordReader.kind(e))")
                }
            }
        }
        return EditRequest(caseID: caseID, prompt: prompt, subject: subject, targetNew: targetNew, targetTrue: targetTrue,
                           relationID: relation,
                           paraphrasePrompts: try r.stringArray(o, "paraphrase_prompts"),
                           neighborhoodPrompts: neighborhood,
                           attributePrompts: try r.stringArray(o, "attribute_prompts"),
                           generationPrompts: try r.stringArray(o, "generation_prompts"))
    }

    // MARK: EasyEdit

    /// EasyEdit's flattened CounterFact schema (a JSON array).
    public static func easyEdit(_ path: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try easyEdit(data: readFile(path, limit: options.maximumFileBytes), source: path, options: options)
    }

    /// EasyEdit's flattened schema from bytes. The filled `prompt` becomes a template by
    /// replacing the first occurrence of `subject` with `{}` (a prompt that already has `{}`
    /// is kept). `target_new` and `ground_truth` may be strings or arrays (the first element is
    /// used); `rephrase_prompt`, `locality_prompt` and `locality_ground_truth` may be strings
    /// or arrays (one locality answer is shared by every locality prompt). Each locality
    /// prompt becomes a neighbourhood prompt whose `target` is its ground truth.
    public static func easyEdit(data: Data, source: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try easyEdit(root: parseJSON(data, source: source), source: source, options: options)
    }

    static func easyEdit(root: JSONValue, source: String, options: LoadOptions) throws -> RequestSet {
        try array(root, source: source, options: options) { i, v in
            let label = "record \(i)" + (v["case_id"]?.intValue.map { " (case_id \($0))" } ?? "")
            let r = RecordReader(source: source, record: label)
            let o = try r.object(v, "(record)")
            let caseID = o["case_id"] == nil ? i : try r.int(o, "case_id")
            let subject = try r.string(o, "subject")
            try r.nonEmpty(subject, field: "subject")
            let filled = try r.string(o, "prompt")
            let prompt: String
            if EditRequest.placeholderCount(filled) == 1 {
                prompt = filled
            } else if let range = filled.range(of: subject) {
                prompt = filled.replacingCharacters(in: range, with: "{}")
            } else {
                throw r.fail("prompt", "does not contain the subject \"\(subject)\"")
            }
            func first(_ key: String) throws -> String {
                let a = try r.stringOrArray(o, key, required: true)
                guard let s = a.first, !s.isEmpty else { throw r.fail(key, "is empty") }
                return s
            }
            let targetNew = try first("target_new")
            let truth = try first("ground_truth")
            let rephrase = try r.stringOrArray(o, "rephrase_prompt", required: false)
            let loc = try r.stringOrArray(o, "locality_prompt", required: false)
            let locTruth = try r.stringOrArray(o, "locality_ground_truth", required: false)
            var neighborhood: [NeighborhoodPrompt] = []
            if !loc.isEmpty {
                guard locTruth.count == loc.count || locTruth.count == 1 else {
                    throw r.fail("locality_ground_truth", "has \(locTruth.count) answers for \(loc.count) locality prompts")
                }
                neighborhood = loc.enumerated().map { k, p in NeighborhoodPrompt(p, target: locTruth.count == 1 ? locTruth[0] : locTruth[k]) }
            }
            return EditRequest(caseID: caseID, prompt: prompt, subject: subject, targetNew: EditTarget(targetNew),
                               targetTrue: EditTarget(truth), relationID: try r.optionalString(o, "relation_id"),
                               paraphrasePrompts: rephrase, neighborhoodPrompts: neighborhood)
        }
    }

    // MARK: zsRE

    /// zsRE in MEND's schema (a JSON array), mapped as the reference loader does:
    /// `prompt` = `src` with the subject replaced by `{}`; `target_new` = `answers[0]`;
    /// `target_true` = `<|endoftext|>`; paraphrase = `[rephrase]`; and one neighbourhood prompt
    /// per token tᵢ of `tokenizer.encode(" " + loc_ans)`: prompt `loc + "?" + decode(t₀..<tᵢ)`,
    /// target `decode(tᵢ)`. `loc` must contain `"nq question: "` (the reference asserts it).
    /// The case id is the record index.
    public static func zsRE(_ path: String, tokenizer: Tokenizer, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try zsRE(data: readFile(path, limit: options.maximumFileBytes), source: path, tokenizer: tokenizer, options: options)
    }

    /// zsRE from bytes.
    public static func zsRE(data: Data, source: String, tokenizer: Tokenizer, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try zsRE(root: parseJSON(data, source: source), source: source, tokenizer: tokenizer, options: options)
    }

    static func zsRE(root: JSONValue, source: String, tokenizer: Tokenizer, options: LoadOptions) throws -> RequestSet {
        try array(root, source: source, options: options) { i, v in
            let r = RecordReader(source: source, record: "record \(i)")
            let o = try r.object(v, "(record)")
            let subject = try r.string(o, "subject")
            try r.nonEmpty(subject, field: "subject")
            let src = try r.string(o, "src")
            let prompt = src.replacingOccurrences(of: subject, with: "{}")
            let n = EditRequest.placeholderCount(prompt)
            guard n == 1 else {
                throw r.fail("src", n == 0 ? "does not contain the subject \"\(subject)\"" : "contains the subject \(n) times (or already contains {})")
            }
            let answers = try r.stringArray(o, "answers", required: true)
            guard let answer = answers.first, !answer.isEmpty else { throw r.fail("answers", "is empty") }
            let rephrase = try r.string(o, "rephrase")
            let loc = try r.string(o, "loc")
            guard loc.contains("nq question: ") else { throw r.fail("loc", "does not contain \"nq question: \"") }
            let locAns = try r.string(o, "loc_ans")
            let ansTokens = tokenizer.encode(" " + locAns)
            var neighborhood: [NeighborhoodPrompt] = []
            for k in 0..<ansTokens.count {
                neighborhood.append(NeighborhoodPrompt(loc + "?" + (try tokenizer.decode(Array(ansTokens[..<k]))),
                                                       target: try tokenizer.decode([ansTokens[k]])))
            }
            return EditRequest(caseID: i, prompt: prompt, subject: subject, targetNew: EditTarget(answer),
                               targetTrue: EditTarget("<|endoftext|>"), relationID: nil,
                               paraphrasePrompts: [rephrase], neighborhoodPrompts: neighborhood)
        }
    }

    // MARK: JSONL

    /// One CounterFact-schema record per line (blank lines skipped; `case_id` defaults to the
    /// 0-based index of the record).
    public static func jsonl(_ path: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        try jsonl(data: readFile(path, limit: options.maximumFileBytes), source: path, options: options)
    }

    /// JSONL requests from bytes.
    public static func jsonl(data: Data, source: String, options: LoadOptions = LoadOptions()) throws -> RequestSet {
        var out: [EditRequest] = []
        var skipped: [String] = []
        for (k, line) in jsonLines(data).enumerated() {
            if let limit = options.limit, out.count >= limit { break }
            do {
                let v: JSONValue
                do { v = try JSONValue.parse(line.bytes) } catch {
                    throw DatasetError.malformedRecord(source: source, record: "line \(line.line)", field: "(record)",
                                                       problem: "malformed JSON: \(error.description)")
                }
                let label = "line \(line.line)" + (v["case_id"]?.intValue.map { " (case_id \($0))" } ?? "")
                out.append(try counterFactRecord(v, reader: RecordReader(source: source, record: label), defaultCaseID: k))
            } catch let e as DatasetError {
                guard options.skipMalformed else { throw e }
                skipped.append(e.description)
            }
        }
        return RequestSet(requests: out, skipped: skipped, source: source)
    }

    /// Writes requests as JSONL (one CounterFact record per line, keys sorted).
    public static func jsonlData(_ requests: [EditRequest]) throws -> Data {
        var d = Data()
        for r in requests {
            d.append(try r.jsonData())
            d.append(0x0A)
        }
        return d
    }

    // MARK: Shared

    static func array(_ root: JSONValue, source: String, options: LoadOptions,
                      _ record: (Int, JSONValue) throws -> EditRequest) throws -> RequestSet {
        guard let items = root.arrayValue else {
            throw DatasetError.malformedJSON(source: source, detail: "expected a JSON array of records, found \(RecordReader.kind(root))")
        }
        var out: [EditRequest] = []
        var skipped: [String] = []
        for (i, v) in items.enumerated() {
            if let limit = options.limit, out.count >= limit { break }
            do {
                out.append(try record(i, v))
            } catch let e as DatasetError {
                guard options.skipMalformed else { throw e }
                skipped.append(e.description)
            }
        }
        return RequestSet(requests: out, skipped: skipped, source: source)
    }
}
