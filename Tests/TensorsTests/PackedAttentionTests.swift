import Testing
import Tensors

/// Attention over sequences packed along the position axis (`segments`) against the same
/// sequences run one per call, and its gradients against finite differences.
@Suite("Packed attention segments")
struct PackedAttentionTests {
    @Test("each packed segment equals its own attention call, values and gradients")
    func segmentsMatchSeparateCalls() throws {
        var g = RandomGenerator(seed: 31)
        let lengths = [3, 1, 5, 2]
        let (t, hq, hkv, d) = (lengths.reduce(0, +), 4, 2, 3)
        let q = GradCheck.rand([1, t, hq, d], &g), k = GradCheck.rand([1, t, hkv, d], &g), v = GradCheck.rand([1, t, hkv, d], &g)
        let packed = try F.attention(q: q, k: k, v: v, segments: lengths)
        var start = 0
        for n in lengths {
            let alone = try F.attention(q: q.narrow(1, start: start, length: n).contiguous(),
                                        k: k.narrow(1, start: start, length: n).contiguous(),
                                        v: v.narrow(1, start: start, length: n).contiguous())
            #expect(try packed.narrow(1, start: start, length: n).maxAbsDifference(alone) < 1e-12)
            start += n
        }
        try GradCheck.check([q, k, v]) { try F.attention(q: $0[0], k: $0[1], v: $0[2], segments: lengths) }
        try GradCheck.check([q, k, v]) { try F.attention(q: $0[0], k: $0[1], v: $0[2], causal: false, segments: lengths) }
    }

    @Test("float32 packed attention agrees with float64, long segments included")
    func float32AgreesWithFloat64() throws {
        var g = RandomGenerator(seed: 32)
        let lengths = [150, 7, 40]
        let t = lengths.reduce(0, +)
        let q = GradCheck.rand([1, t, 6, 8], &g), k = GradCheck.rand([1, t, 2, 8], &g), v = GradCheck.rand([1, t, 2, 8], &g)
        let exact = try F.attention(q: q, k: k, v: v, segments: lengths)
        let single = try F.attention(q: q.to(.float32), k: k.to(.float32), v: v.to(.float32), segments: lengths)
        #expect(try single.to(.float64).maxAbsDifference(exact) < 1e-5)
    }

    @Test("segments that do not cover the queries, or a KV cache, are refused")
    func badSegmentsAreRefused() throws {
        var g = RandomGenerator(seed: 33)
        let q = GradCheck.rand([1, 4, 2, 2], &g), k = GradCheck.rand([1, 4, 2, 2], &g)
        #expect(throws: TensorError.self) { try F.attention(q: q, k: k, v: k, segments: [2, 1]) }
        #expect(throws: TensorError.self) { try F.attention(q: q, k: k, v: k, segments: [4, 0]) }
        let longer = GradCheck.rand([1, 5, 2, 2], &g)
        #expect(throws: TensorError.self) { try F.attention(q: q, k: longer, v: longer, segments: [4]) }
    }
}
