import Foundation

/// An object of a fact: its text and, when the dataset gives one, its Wikidata id.
public struct EditTarget: Codable, Sendable, Equatable, Hashable {
    /// The object as text, without a leading space (`"English"`); scores prepend the space.
    public var str: String
    /// The entity id (`"Q1860"`), when known.
    public var id: String?

    /// A target with an optional id.
    public init(_ str: String, id: String? = nil) {
        self.str = str
        self.id = id
    }

    enum CodingKeys: String, CodingKey { case str, id }

    /// Encodes `{str, id}` (id omitted when nil).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(str, forKey: .str)
        try c.encodeIfPresent(id, forKey: .id)
    }
}

/// A neighbourhood (locality) prompt: a prompt about another subject. CounterFact's prompts
/// have no target of their own (their true object is the request's `target_true`); zsRE's and
/// EasyEdit's carry one (`target`). Encoded as a plain string when there is no target, else as
/// `{"prompt": ..., "target": ...}` (the reference zsRE loader's layout).
public struct NeighborhoodPrompt: Codable, Sendable, Equatable, Hashable {
    /// The prompt, filled (no `{}`).
    public var prompt: String
    /// The expected continuation, when the dataset gives one.
    public var target: String?

    /// A neighbourhood prompt with an optional target.
    public init(_ prompt: String, target: String? = nil) {
        self.prompt = prompt
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case prompt, target }

    /// Decodes a string or a `{prompt, target}` object.
    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            prompt = s
            target = nil
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try c.decode(String.self, forKey: .prompt)
        target = try c.decodeIfPresent(String.self, forKey: .target)
    }

    /// Encodes a string, or `{prompt, target}` when there is a target.
    public func encode(to encoder: Encoder) throws {
        if let target {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(prompt, forKey: .prompt)
            try c.encode(target, forKey: .target)
        } else {
            var c = encoder.singleValueContainer()
            try c.encode(prompt)
        }
    }
}

/// One requested edit in CounterFact's shape: the rewrite (`prompt` with a `{}` placeholder
/// for `subject`, the new and the true object, the relation), plus the evaluation prompts.
///
/// `Codable` as a CounterFact record (`case_id`, `requested_rewrite{prompt, relation_id,
/// subject, target_new{str,id}, target_true{str,id}}`, `paraphrase_prompts`,
/// `neighborhood_prompts`, `attribute_prompts`, `generation_prompts`), so a JSON array of
/// requests is a CounterFact file and a JSONL file of requests has one record per line.
public struct EditRequest: Codable, Sendable, Equatable, Hashable {
    /// The case id (CounterFact's `case_id`; the record index for zsRE).
    public var caseID: Int
    /// The rewrite prompt with exactly one `{}` where the subject goes
    /// (`"The mother tongue of {} is"`).
    public var prompt: String
    /// The subject (`"Danielle Darrieux"`).
    public var subject: String
    /// The object the edit should make the model produce.
    public var targetNew: EditTarget
    /// The object the model produces before the edit (zsRE: `<|endoftext|>`).
    public var targetTrue: EditTarget
    /// The relation (Wikidata property id such as `"P103"`), when known.
    public var relationID: String?
    /// Prompts that ask for the same fact in other words (filled).
    public var paraphrasePrompts: [String]
    /// Prompts about other subjects that must keep their answers.
    public var neighborhoodPrompts: [NeighborhoodPrompt]
    /// Prompts about other subjects whose true object is `targetNew` (filled).
    public var attributePrompts: [String]
    /// Open prompts about the subject for generation tests (filled; may repeat).
    public var generationPrompts: [String]

    /// A request; the prompt must contain `{}` once (checked by `validated()`, not here).
    public init(caseID: Int, prompt: String, subject: String, targetNew: EditTarget, targetTrue: EditTarget,
                relationID: String? = nil, paraphrasePrompts: [String] = [], neighborhoodPrompts: [NeighborhoodPrompt] = [],
                attributePrompts: [String] = [], generationPrompts: [String] = []) {
        self.caseID = caseID
        self.prompt = prompt
        self.subject = subject
        self.targetNew = targetNew
        self.targetTrue = targetTrue
        self.relationID = relationID
        self.paraphrasePrompts = paraphrasePrompts
        self.neighborhoodPrompts = neighborhoodPrompts
        self.attributePrompts = attributePrompts
        self.generationPrompts = generationPrompts
    }

    /// The rewrite prompt with the subject filled in (the first `{}` replaced; Python's
    /// `prompt.format(subject)` for the one-placeholder prompts every dataset uses).
    public var filledPrompt: String { EditRequest.fill(prompt, subject) }

    /// Replaces the first `{}` of `template` by `subject`.
    public static func fill(_ template: String, _ subject: String) -> String {
        guard let r = template.range(of: "{}") else { return template }
        return template.replacingCharacters(in: r, with: subject)
    }

    /// Number of `{}` placeholders in `template`.
    public static func placeholderCount(_ template: String) -> Int {
        template.components(separatedBy: "{}").count - 1
    }

    // MARK: Codable (CounterFact record layout)

    enum CodingKeys: String, CodingKey {
        case caseID = "case_id", requestedRewrite = "requested_rewrite"
        case paraphrasePrompts = "paraphrase_prompts", neighborhoodPrompts = "neighborhood_prompts"
        case attributePrompts = "attribute_prompts", generationPrompts = "generation_prompts"
    }

    enum RewriteKeys: String, CodingKey {
        case prompt, relationID = "relation_id", subject, targetNew = "target_new", targetTrue = "target_true"
    }

    /// Decodes a CounterFact record (the prompt lists may be absent).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        caseID = try c.decode(Int.self, forKey: .caseID)
        let r = try c.nestedContainer(keyedBy: RewriteKeys.self, forKey: .requestedRewrite)
        prompt = try r.decode(String.self, forKey: .prompt)
        relationID = try r.decodeIfPresent(String.self, forKey: .relationID)
        subject = try r.decode(String.self, forKey: .subject)
        targetNew = try r.decode(EditTarget.self, forKey: .targetNew)
        targetTrue = try r.decode(EditTarget.self, forKey: .targetTrue)
        paraphrasePrompts = try c.decodeIfPresent([String].self, forKey: .paraphrasePrompts) ?? []
        neighborhoodPrompts = try c.decodeIfPresent([NeighborhoodPrompt].self, forKey: .neighborhoodPrompts) ?? []
        attributePrompts = try c.decodeIfPresent([String].self, forKey: .attributePrompts) ?? []
        generationPrompts = try c.decodeIfPresent([String].self, forKey: .generationPrompts) ?? []
    }

    /// Encodes a CounterFact record.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(caseID, forKey: .caseID)
        var r = c.nestedContainer(keyedBy: RewriteKeys.self, forKey: .requestedRewrite)
        try r.encode(prompt, forKey: .prompt)
        try r.encodeIfPresent(relationID, forKey: .relationID)
        try r.encode(subject, forKey: .subject)
        try r.encode(targetNew, forKey: .targetNew)
        try r.encode(targetTrue, forKey: .targetTrue)
        try c.encode(paraphrasePrompts, forKey: .paraphrasePrompts)
        try c.encode(neighborhoodPrompts, forKey: .neighborhoodPrompts)
        try c.encode(attributePrompts, forKey: .attributePrompts)
        try c.encode(generationPrompts, forKey: .generationPrompts)
    }

    /// The request as a CounterFact JSON record (keys sorted, so the bytes are stable).
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}
