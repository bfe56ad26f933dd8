import Foundation
import LanguageModels
import Tensors

/// A relation of the built-in facts: its rewrite template and the templates its requests'
/// paraphrase and generation prompts are made from (all authored for EditLab).
public struct BuiltinRelation: Sendable, Equatable {
    /// Wikidata property id (`"P36"`), used as the requests' `relation_id`.
    public var id: String
    /// A unique short name (`"capital"`, `"city-country"`).
    public var name: String
    /// The rewrite template with `{}` for the subject.
    public var prompt: String
    /// Paraphrase templates; each request uses two of them.
    public var paraphrases: [String]
    /// Generation templates.
    public var generation: [String]
}

/// One candidate fact of the built-in set.
public struct FactCandidate: Sendable, Equatable {
    /// Stable id: the candidate's position in the data (also the request's case id).
    public var id: Int
    /// The relation's short name.
    public var relation: String
    /// The subject.
    public var subject: String
    /// The true object.
    public var object: String
    /// Whether the check on the default model kept it (the `+` mark in the data).
    public var kept: Bool
}

/// The check of one candidate against a model.
public struct FactCheck: Sendable, Equatable {
    /// The candidate.
    public var candidate: FactCandidate
    /// The filled rewrite prompt.
    public var prompt: String
    /// Rank of each token of `" " + object` under teacher forcing (0 = top-1).
    public var ranks: [Int]
    /// s(prompt, object): mean NLL per token.
    public var nll: Double
    /// Whether the candidate meets the criterion: every token of the object is the model's
    /// top-1 under teacher forcing (the greedy continuation starts with the object).
    public var passes: Bool
}

/// The result of `BuiltinFacts.verify`.
public struct BuiltinFactsReport: Sendable, Equatable {
    /// One check per candidate, in data order.
    public var checks: [FactCheck]
    /// The prompt prefix used.
    public var prefix: PromptPrefix

    /// Number of candidates checked.
    public var checked: Int { checks.count }
    /// Number meeting the top-1 criterion.
    public var passed: Int { checks.filter(\.passes).count }
    /// Number whose first object token is within the model's top 3.
    public var top3: Int { checks.filter { ($0.ranks.first ?? .max) < 3 }.count }
    /// Candidates marked kept that no longer pass (should be empty on the default model).
    public var keptButFailing: [FactCheck] { checks.filter { $0.candidate.kept && !$0.passes } }
    /// Candidates not marked kept that pass now.
    public var passingButNotKept: [FactCheck] { checks.filter { !$0.candidate.kept && $0.passes } }

    /// `checked`, `passed`, `top3`, `kept_but_failing`, `passing_but_not_kept` in this order.
    public var fields: [(name: String, value: Double)] {
        [("checked", Double(checked)), ("passed", Double(passed)), ("top3", Double(top3)),
         ("kept_but_failing", Double(keptButFailing.count)), ("passing_but_not_kept", Double(passingButNotKept.count))]
    }
}

/// Built-in counterfactual requests in CounterFact's schema about facts the default model
/// (SmolLM2-135M-Instruct) gets right, so the default experience works offline. Every
/// sentence and template was written for EditLab (DESIGN.md rule 7). How the set was built
/// and checked, with the numbers: `Sources/Datasets/Datasets.docc/BuiltinData.md`.
public enum BuiltinFacts {
    /// The relations, in data order.
    public static var relations: [BuiltinRelation] { parsed.relations }

    /// Every candidate fact written, in data order (kept or not).
    public static var candidates: [FactCandidate] { parsed.candidates }

    /// The built-in requests: one per kept candidate that has at least
    /// `minimumNeighbors` neighbourhood prompts, in data order.
    public static var requests: [EditRequest] { built }

    /// Neighbourhood prompts required for a kept fact to become a request.
    public static let minimumNeighbors = 3
    /// At most this many neighbourhood (and attribute) prompts per request (CounterFact has 10).
    public static let maximumNeighbors = 10

    private static let parsed: (relations: [BuiltinRelation], candidates: [FactCandidate]) = parse(BuiltinFactsData.text)
    private static let built: [EditRequest] = makeRequests(relations: parsed.relations, candidates: parsed.candidates)

    /// Re-runs the check on `model`: for each candidate (default: the kept ones), the filled
    /// rewrite prompt is scored against `" " + object` in batched passes with `options.prefix`
    /// in front; a candidate passes when every object token is the top-1 under teacher
    /// forcing.
    public static func verify(_ model: LanguageModel, candidates: [FactCandidate]? = nil,
                              options: ScoringOptions = ScoringOptions()) throws -> BuiltinFactsReport {
        let list = candidates ?? self.candidates.filter(\.kept)
        let tok = try model.requireTokenizer()
        let byName = Dictionary(relations.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var prompts: [String] = []
        var queries: [ContinuationQuery] = []
        for c in list {
            guard let r = byName[c.relation] else { throw DatasetError.invalidArgument("candidate \(c.id): unknown relation \(c.relation)") }
            let p = EditRequest.fill(r.prompt, c.subject)
            prompts.append(p)
            queries.append(ContinuationQuery(context: tok.encode(p), continuation: tok.encode(" " + c.object)))
        }
        let scores = try ContinuationScorer.score(model, queries, options: options)
        let checks = zip(list, zip(prompts, scores)).map { c, ps in
            FactCheck(candidate: c, prompt: ps.0, ranks: ps.1.tokenRanks, nll: ps.1.meanNLL, passes: ps.1.allCorrect)
        }
        return BuiltinFactsReport(checks: checks, prefix: options.prefix)
    }

    // MARK: Building requests

    /// Builds requests from relations and candidates (only the kept candidates are used):
    /// - prompt: the relation's template; paraphrases: templates `i mod P` and `(i+1) mod P`
    ///   of the relation (i = the fact's index among the relation's kept facts);
    /// - target_new: the kept objects of the relation other than the true one, in order of
    ///   first appearance, entry `i mod count`;
    /// - neighbourhood: the rewrite prompts of other kept facts with the same object — same
    ///   relation first (in data order, starting after the fact), then other relations —
    ///   at most `maximumNeighbors`; facts with fewer than `minimumNeighbors` are left out;
    /// - attribute prompts: the same for facts whose object is target_new;
    /// - generation prompts: the relation's generation templates.
    public static func makeRequests(relations: [BuiltinRelation], candidates: [FactCandidate]) -> [EditRequest] {
        let kept = candidates.filter(\.kept)
        var relIndex: [String: Int] = [:]
        for (i, r) in relations.enumerated() where relIndex[r.name] == nil { relIndex[r.name] = i }
        func filled(_ c: FactCandidate) -> String? {
            relIndex[c.relation].map { EditRequest.fill(relations[$0].prompt, c.subject) }
        }
        func others(of c: FactCandidate, object: String) -> [String] {
            let same = kept.filter { $0.relation == c.relation && $0.object == object && $0.subject != c.subject }
            let after = same.filter { $0.id > c.id } + same.filter { $0.id < c.id }
            let rest = kept.filter { $0.relation != c.relation && $0.object == object && $0.subject != c.subject }
            var out: [String] = []
            for f in after + rest {
                guard let p = filled(f), !out.contains(p) else { continue }
                out.append(p)
                if out.count == maximumNeighbors { break }
            }
            return out
        }
        var requests: [EditRequest] = []
        var indexInRelation: [String: Int] = [:]
        for c in kept {
            guard let ri = relIndex[c.relation] else { continue }
            let rel = relations[ri]
            let i = indexInRelation[c.relation, default: 0]
            indexInRelation[c.relation] = i + 1
            var objects: [String] = []
            for f in kept where f.relation == c.relation && f.object != c.object && !objects.contains(f.object) { objects.append(f.object) }
            guard !objects.isEmpty else { continue }
            let newObject = objects[i % objects.count]
            let neighbors = others(of: c, object: c.object)
            guard neighbors.count >= minimumNeighbors else { continue }
            let p = rel.paraphrases
            let paraphrases = p.isEmpty ? [] : [EditRequest.fill(p[i % p.count], c.subject), EditRequest.fill(p[(i + 1) % p.count], c.subject)]
            requests.append(EditRequest(caseID: c.id, prompt: rel.prompt, subject: c.subject,
                                        targetNew: EditTarget(newObject), targetTrue: EditTarget(c.object), relationID: rel.id,
                                        paraphrasePrompts: paraphrases, neighborhoodPrompts: neighbors.map { NeighborhoodPrompt($0) },
                                        attributePrompts: others(of: c, object: newObject),
                                        generationPrompts: rel.generation.map { EditRequest.fill($0, c.subject) }))
        }
        return requests
    }

    // MARK: Parsing the data

    /// Parses the data format: `relation <Pid> <name> | <template>` opens a relation;
    /// `paraphrase | <template>` and `generation | <template>` add templates; any other line
    /// `subject | object` is a candidate, kept when marked with a leading `+ `; `#` starts a
    /// comment line.
    static func parse(_ text: String) -> (relations: [BuiltinRelation], candidates: [FactCandidate]) {
        var relations: [BuiltinRelation] = []
        var candidates: [FactCandidate] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let bar = line.range(of: " | ") else { continue }
            let head = String(line[..<bar.lowerBound])
            let tail = String(line[bar.upperBound...])
            if head.hasPrefix("relation ") {
                let parts = head.split(separator: " ")
                guard parts.count == 3 else { continue }
                relations.append(BuiltinRelation(id: String(parts[1]), name: String(parts[2]), prompt: tail, paraphrases: [], generation: []))
            } else if head == "paraphrase", !relations.isEmpty {
                relations[relations.count - 1].paraphrases.append(tail)
            } else if head == "generation", !relations.isEmpty {
                relations[relations.count - 1].generation.append(tail)
            } else if let rel = relations.last {
                let kept = head.hasPrefix("+ ")
                let subject = kept ? String(head.dropFirst(2)) : head
                candidates.append(FactCandidate(id: candidates.count, relation: rel.name, subject: subject, object: tail, kept: kept))
            }
        }
        return (relations, candidates)
    }
}
