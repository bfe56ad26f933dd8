import Foundation
import Datasets
import LanguageModels
import Tensors

/// When an earlier edit counts as still holding.
public enum RetentionCriterion: String, Sendable, Equatable {
    /// CounterFact's efficacy: the rewrite prompt scores the new object above the true one,
    /// s(new) < s(true) (mean NLL per token; EDITING.md §7.1).
    case score
    /// The efficacy accuracy: every token of the new object is the argmax under teacher forcing.
    case accuracy
}

/// Options of `Retention.evaluate`.
public struct RetentionOptions: Sendable, Equatable {
    /// When an edit holds.
    public var criterion: RetentionCriterion
    /// Requests scored per call of the scorer (each call batches its prompts into forward
    /// passes of at most `scoring.maxTokensPerBatch` tokens).
    public var batchSize: Int
    /// Prompt prefix and batching of the scorer (use the same prefix as when editing).
    public var scoring: ScoringOptions

    /// Defaults: the score criterion, 256 requests per call, the default scoring options.
    public init(criterion: RetentionCriterion = .score, batchSize: Int = 256, scoring: ScoringOptions = ScoringOptions()) {
        self.criterion = criterion
        self.batchSize = batchSize
        self.scoring = scoring
    }
}

/// How many of the earlier edits of a sequence still hold: the efficacy of each past request
/// on the current model.
public struct RetentionResult: Sendable, Equatable {
    /// The requests' case ids, in the order given (the edit order).
    public var caseIDs: [Int]
    /// Whether each edit still holds.
    public var held: [Bool]
    /// s(true) − s(new) per request on its rewrite prompt (> 0 when the new object wins; NaN
    /// when the efficacy came from a custom function).
    public var margins: [Double]
    /// Whether each edit held right after it was made, when the caller recorded it.
    public var initiallyHeld: [Bool]?

    /// A result from its parts.
    public init(caseIDs: [Int], held: [Bool], margins: [Double], initiallyHeld: [Bool]? = nil) {
        self.caseIDs = caseIDs
        self.held = held
        self.margins = margins
        self.initiallyHeld = initiallyHeld
    }

    /// Number of requests checked.
    public var count: Int { held.count }
    /// Number that still hold.
    public var heldCount: Int { held.filter { $0 }.count }
    /// heldCount / count (NaN for none).
    public var fraction: Double { count == 0 ? .nan : Double(heldCount) / Double(count) }
    /// Among the edits that held right after they were made, the fraction that still holds
    /// (nil without `initiallyHeld`; NaN when none held initially).
    public var retainedOfInitial: Double? {
        guard let initiallyHeld else { return nil }
        let base = zip(initiallyHeld, held).filter { $0.0 }
        return base.isEmpty ? .nan : Double(base.filter { $0.1 }.count) / Double(base.count)
    }

    /// The fraction still holding among the most recent `n` requests (the last `n` given).
    public func recentFraction(_ n: Int) -> Double {
        let tail = held.suffix(Swift.max(n, 0))
        return tail.isEmpty ? .nan : Double(tail.filter { $0 }.count) / Double(tail.count)
    }

    /// `count`, `held`, `fraction`, then `retained_of_initial` and `initially_held` with
    /// `initiallyHeld`.
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("count", Double(count)), ("held", Double(heldCount)), ("fraction", fraction)]
        if let initiallyHeld, let r = retainedOfInitial {
            f += [("initially_held", Double(initiallyHeld.filter { $0 }.count)), ("retained_of_initial", r)]
        }
        return f
    }
}

/// Retention of sequential edits: which earlier requests the current model still gets right.
public enum Retention {
    /// Scores each request's rewrite prompt (subject filled in) on `model` with CounterFact's
    /// scorer, `options.batchSize` requests per call, in batched forward passes. Paraphrase and
    /// neighbourhood prompts are not scored. `initiallyHeld` (one flag per request: did the edit
    /// hold right after it was made) enables `retainedOfInitial`.
    public static func evaluate(_ model: LanguageModel, _ requests: [EditRequest], initiallyHeld: [Bool]? = nil,
                                options: RetentionOptions = RetentionOptions()) throws -> RetentionResult {
        try check(requests.count, initiallyHeld, options.batchSize)
        var held: [Bool] = [], margins: [Double] = []
        var start = 0
        while start < requests.count {
            let chunk = requests[start..<Swift.min(start + options.batchSize, requests.count)].map {
                EditRequest(caseID: $0.caseID, prompt: $0.prompt, subject: $0.subject, targetNew: $0.targetNew,
                            targetTrue: $0.targetTrue, relationID: $0.relationID)
            }
            let r = try CounterFactMetrics.evaluate(model, chunk, options: options.scoring)
            for rec in r.records {
                guard let s = rec.rewrite.first else {
                    throw MeasurementError.invalidArgument("case \(rec.caseID): no rewrite prompt was scored")
                }
                held.append(options.criterion == .score ? s.newWins : s.newCorrect)
                margins.append(s.trueNLL - s.newNLL)
            }
            start += options.batchSize
        }
        return RetentionResult(caseIDs: requests.map(\.caseID), held: held, margins: margins, initiallyHeld: initiallyHeld)
    }

    /// The same with any efficacy function (another metric, another model, a stub): called
    /// with consecutive chunks of at most `batchSize` requests, in order, it returns one flag
    /// per request of the chunk.
    public static func evaluate(_ requests: [EditRequest], initiallyHeld: [Bool]? = nil, batchSize: Int = 256,
                                efficacy: ([EditRequest]) throws -> [Bool]) throws -> RetentionResult {
        try check(requests.count, initiallyHeld, batchSize)
        var held: [Bool] = []
        var start = 0
        while start < requests.count {
            let chunk = Array(requests[start..<Swift.min(start + batchSize, requests.count)])
            let flags = try efficacy(chunk)
            guard flags.count == chunk.count else {
                throw MeasurementError.invalidArgument("the efficacy function returned \(flags.count) flags for \(chunk.count) requests")
            }
            held += flags
            start += batchSize
        }
        return RetentionResult(caseIDs: requests.map(\.caseID), held: held,
                               margins: [Double](repeating: .nan, count: held.count), initiallyHeld: initiallyHeld)
    }

    static func check(_ n: Int, _ initiallyHeld: [Bool]?, _ batchSize: Int) throws {
        guard batchSize > 0 else { throw MeasurementError.invalidArgument("batchSize must be positive, got \(batchSize)") }
        if let i = initiallyHeld, i.count != n {
            throw MeasurementError.invalidArgument("initiallyHeld has \(i.count) flags for \(n) requests")
        }
    }
}
