@testable import Editing
import Testing

/// The length buckets of the target optimisation: contiguous, covering, and optimal.
struct LengthBucketTests {
    /// Padded cells of a split of sorted lengths.
    func cost(_ lengths: [Int], _ split: [Range<Int>]) -> Int {
        split.reduce(0) { $0 + $1.count * lengths[$1.upperBound - 1] }
    }

    /// Against brute force over every split into at most three groups, on seeded random lengths.
    @Test func optimalAgainstBruteForce() {
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        for trial in 0..<300 {
            let n = 1 + next(12)
            let lengths = (0..<n).map { _ in 1 + next(30) }.sorted()
            let groups = 1 + trial % 3
            let split = lengthBuckets(lengths, maxGroups: groups)
            #expect(split.first?.lowerBound == 0 && split.last?.upperBound == n)
            #expect(zip(split, split.dropFirst()).allSatisfy { $0.0.upperBound == $0.1.lowerBound && !$0.1.isEmpty })
            #expect(split.count <= groups)
            var best = n * lengths[n - 1]
            for a in 1...n {
                for b in a...n where groups >= 2 {
                    let s = groups == 2 || b == n ? [0..<a, a..<n] : [0..<a, a..<b, b..<n]
                    let valid = s.filter { !$0.isEmpty }
                    if groups == 2 && b != n { continue }
                    best = min(best, cost(lengths, valid))
                }
            }
            #expect(cost(lengths, split) == best, "\(lengths) in \(groups) groups: \(split)")
        }
    }

    @Test func edgeCases() {
        #expect(lengthBuckets([], maxGroups: 3).isEmpty)
        #expect(lengthBuckets([4], maxGroups: 3) == [0..<1])
        #expect(lengthBuckets([5, 5, 5, 5], maxGroups: 3) == [0..<4], "equal lengths: one group")
        #expect(lengthBuckets([1, 1, 9, 9], maxGroups: 3) == [0..<2, 2..<4])
        #expect(lengthBuckets([1, 1, 9, 9], maxGroups: 0) == [0..<4])
    }
}
