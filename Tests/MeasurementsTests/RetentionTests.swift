import Foundation
import Testing
import Datasets
@testable import Measurements

/// Retention through a custom efficacy function (batching, order, counts).
@Suite("Retention")
struct RetentionTests {
    static func requests(_ n: Int) -> [EditRequest] {
        (0..<n).map {
            EditRequest(caseID: 100 + $0, prompt: "The capital of {} is", subject: "Place \($0)",
                        targetNew: EditTarget("New"), targetTrue: EditTarget("Old"))
        }
    }

    @Test func chunksInOrderAndCounts() throws {
        let reqs = Self.requests(10)
        var chunks: [[Int]] = []
        let r = try Retention.evaluate(reqs, initiallyHeld: (0..<10).map { $0 < 8 }, batchSize: 3) { chunk in
            chunks.append(chunk.map(\.caseID))
            return chunk.map { $0.caseID % 2 == 0 }
        }
        #expect(chunks == [[100, 101, 102], [103, 104, 105], [106, 107, 108], [109]])
        #expect(r.caseIDs == Array(100..<110) && r.count == 10 && r.heldCount == 5 && r.fraction == 0.5)
        #expect(r.held == (0..<10).map { $0 % 2 == 0 })
        #expect(r.margins.allSatisfy { $0.isNaN })
        // among the 8 that held initially (cases 100...107), 4 still hold
        #expect(r.retainedOfInitial == 0.5)
        #expect(r.recentFraction(3) == 1.0 / 3 && r.recentFraction(1) == 0)
        #expect(r.fields.map(\.name) == ["count", "held", "fraction", "initially_held", "retained_of_initial"])
        #expect(r.fields.last?.value == 0.5 && r.fields[3].value == 8)
        let none = try Retention.evaluate([], batchSize: 4) { _ in [] }
        #expect(none.count == 0 && none.fraction.isNaN && none.retainedOfInitial == nil)
    }

    @Test func badInputGetsClearErrors() {
        let reqs = Self.requests(4)
        #expect(throws: MeasurementError.self) { try Retention.evaluate(reqs, batchSize: 0) { $0.map { _ in true } } }
        #expect(throws: MeasurementError.self) { try Retention.evaluate(reqs, initiallyHeld: [true]) { $0.map { _ in true } } }
        #expect(throws: MeasurementError.self) { try Retention.evaluate(reqs) { _ in [true] } }
    }
}
