import Testing
import Tensors
@testable import LanguageModels

/// Top-k sampling keeps the k largest logits without sorting the vocabulary: the selection
/// must be exactly the first k of the full sort (values descending, ties by index).
@Suite("Top-k selection (property tests)")
struct TopKSelectionTests {
    func fullSortPrefix(_ v: [Double], _ k: Int) -> [Int] {
        Array(v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }.prefix(k))
    }

    @Test("the one-pass selection equals the prefix of a full sort, ties and all", arguments: [1, 2, 5, 50, 999, 1000])
    func equalsFullSort(k: Int) {
        var g = RandomGenerator(seed: UInt64(k))
        for trial in 0..<40 {
            let n = 1000
            // Few distinct values in half the trials, so ties are everywhere.
            let v: [Double] = (0..<n).map { _ in
                trial % 2 == 0 ? Double(g.nextInt(below: 7)) : g.nextDouble() * 20 - 10
            }
            #expect(LanguageModel.largest(k, of: v) == fullSortPrefix(v, k), "trial \(trial)")
        }
    }

    @Test("edge sizes: nothing asked, more asked than there are, a single value")
    func edges() {
        #expect(LanguageModel.largest(0, of: [1, 2, 3]).isEmpty)
        #expect(LanguageModel.largest(5, of: [1, 3, 2]) == [1, 2, 0])
        #expect(LanguageModel.largest(1, of: [4]) == [0])
        #expect(LanguageModel.largest(3, of: []).isEmpty)
    }
}
