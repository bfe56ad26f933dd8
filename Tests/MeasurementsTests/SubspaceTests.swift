import Foundation
import Testing
import Tensors
import LanguageModels
@testable import Measurements

/// Subspace shift, CKA and paired cosines against closed forms and independent formulas.
@Suite("Subspace shift")
struct SubspaceTests {
    /// CKA through the centring matrix H = I − 11ᵀ/n: ⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖) with
    /// K = XXᵀ, L = YYᵀ (the HSIC form of Kornblith et al.; the implementation centres the
    /// features instead).
    static func ckaByHSIC(_ x: Tensor, _ y: Tensor) throws -> Double {
        let n = x.shape[0]
        let h = try Tensor.eye(n, dtype: .float64).sub(Tensor.full([n, n], 1 / Double(n), dtype: .float64))
        let xd = x.to(.float64), yd = y.to(.float64)
        let kc = try h.matmul(xd.matmul(xd.t())).matmul(h), lc = try h.matmul(yd.matmul(yd.t())).matmul(h)
        let dot = try kc.mul(lc).sum()
        return dot / (kc.norm() * lc.norm())
    }

    @Test(arguments: [(50, 20), (10, 30)])
    func ckaIsInvariantToOrthogonalTransformsAndIsotropicScaling(shape: (Int, Int)) throws {
        let (n, d) = shape
        var g = RandomGenerator(seed: UInt64(n))
        let x = Tensor.randn([n, d], dtype: .float64, generator: &g)
        let q = try randomOrthonormal(d, d, seed: 5)
        let offset = Tensor.randn([1, d], std: 10, dtype: .float64, generator: &g)
        let y = try x.matmul(q).mul(3.7).add(offset)
        #expect(close(try Subspace.linearCKA(x, y), 1, 1e-10))
        #expect(close(try Subspace.linearCKA(x, x), 1, 1e-12))
        let z = Tensor.randn([n, d + 3], dtype: .float64, generator: &g)
        let c = try Subspace.linearCKA(x, z)
        #expect(relClose(c, try Self.ckaByHSIC(x, z), 1e-10))
        #expect(c < 0.9 && c > 0)
        #expect(relClose(try Subspace.linearCKA(x, y), try Self.ckaByHSIC(x, y), 1e-10))
        // symmetric, and float32 input is accepted
        #expect(relClose(try Subspace.linearCKA(z, x), c, 1e-12))
        #expect(relClose(try Subspace.linearCKA(x.to(.float32), z.to(.float32)), c, 1e-5))
        #expect(throws: MeasurementError.self) { try Subspace.linearCKA(x, z.narrow(0, start: 0, length: n - 1)) }
    }

    @Test func principalAnglesOfSubspacesRotatedByAKnownAngle() throws {
        let theta = 0.3
        let u = try Tensor(shape: [6, 2], values: [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        let v = try Tensor(shape: [6, 2], values: [1, 0, 0, Foundation.cos(theta), 0, Foundation.sin(theta), 0, 0, 0, 0, 0, 0])
        let angles = try Subspace.principalAngles(u, v)
        #expect(angles.count == 2 && close(angles[0], 0, 1e-7) && close(angles[1], theta, 1e-12))
        let cos2 = Foundation.cos(theta) * Foundation.cos(theta)
        #expect(close(try Subspace.projectionOverlap(u, v), (1 + cos2) / 2, 1e-12))
        // the same angles after rotating both by a random orthogonal matrix
        let q = try randomOrthonormal(6, 6, seed: 8)
        let rotated = try Subspace.principalAngles(q.matmul(u), q.matmul(v))
        #expect(close(rotated[0], 0, 1e-7) && close(rotated[1], theta, 1e-12))
        // orthogonal planes: both angles π/2, overlap 0
        let w = try Tensor(shape: [6, 2], values: [0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0])
        #expect(try Subspace.principalAngles(u, w).allSatisfy { close($0, Double.pi / 2, 1e-12) })
        #expect(close(try Subspace.projectionOverlap(u, w), 0, 1e-15))

        // through PCA: data lying exactly in span(u) and in span(v), with the same coordinates
        var g = RandomGenerator(seed: 2)
        let z = try Tensor.randn([40, 2], dtype: .float64, generator: &g).mul(Tensor(shape: [1, 2], values: [3, 1]))
        let xb = try z.matmul(u.t()), xa = try z.matmul(v.t())
        let s = try Subspace.shift(xb, xa, k: 2)
        #expect(s.k == 2 && close(s.principalAngles[0], 0, 1e-6) && close(s.principalAngles[1], theta, 1e-9))
        #expect(close(s.projectionOverlap, (1 + cos2) / 2, 1e-9) && close(s.maxAngle, theta, 1e-9))
        // CKA sees the same geometry (an isometric embedding of the same points): 1
        #expect(close(try #require(s.cka), 1, 1e-10))
    }

    @Test func pcaBasisIsCentredAndRecoversAPlantedSubspace() throws {
        let b = try randomOrthonormal(12, 3, seed: 11)
        var g = RandomGenerator(seed: 12)
        let z = try Tensor.randn([200, 3], dtype: .float64, generator: &g).mul(Tensor(shape: [1, 3], values: [5, 3, 2]))
        let noise = Tensor.randn([200, 12], std: 1e-4, dtype: .float64, generator: &g)
        // a large constant offset: without centring it would be the first component
        var offset = [Double](repeating: 0, count: 12)
        offset[0] = 100
        offset[5] = 50
        let x = try z.matmul(b.t()).add(noise).add(Tensor(shape: [1, 12], values: offset))
        let u = try Subspace.pcaBasis(x, k: 3)
        #expect(u.shape == [12, 3] && u.dtype == .float64)
        #expect(try u.t().matmul(u).maxAbsDifference(Tensor.eye(3, dtype: .float64)) < 1e-12)
        #expect(try Subspace.principalAngles(u, b).allSatisfy { $0 < 1e-3 })
        // float32 data give the same subspace
        #expect(try Subspace.principalAngles(Subspace.pcaBasis(x.to(.float32), k: 3), b).allSatisfy { $0 < 1e-3 })
        // k is capped at rows − 1 (the rank of centred data)
        #expect(try Subspace.pcaBasis(x.narrow(0, start: 0, length: 3), k: 10).shape == [12, 2])
        #expect(throws: MeasurementError.self) { try Subspace.pcaBasis(x.narrow(0, start: 0, length: 1), k: 1) }
        #expect(throws: MeasurementError.self) { try Subspace.pcaBasis(x, k: 0) }
    }

    @Test func identicalSetsHaveNoShift() throws {
        var g = RandomGenerator(seed: 21)
        let x = Tensor.randn([30, 8], generator: &g)
        let s = try Subspace.shift(x, x.clone(), k: 5)
        #expect(s.k == 5 && s.principalAngles.count == 5 && s.principalAngles.allSatisfy { $0 < 1e-6 })
        let cka = try #require(s.cka)
        #expect(close(s.projectionOverlap, 1, 1e-12) && close(cka, 1, 1e-12))
        #expect(try Subspace.pairedCosines(x, x).allSatisfy { close($0, 1, 1e-12) })
        // cosines by hand; a zero row has none
        let a = try Tensor(shape: [3, 2], values: [1, 0, 1, 1, 0, 0]), b = try Tensor(shape: [3, 2], values: [0, 2, 1, 0, 1, 1])
        let c = try Subspace.pairedCosines(a, b)
        #expect(c[0] == 0 && close(c[1], 1 / 2.0.squareRoot(), 1e-15) && c[2].isNaN)
        #expect(close(try Subspace.meanPairedCosine(a, b), 1 / 8.0.squareRoot(), 1e-15))
        // unpaired row counts: subspace measures without CKA
        let half = try Subspace.shift(x, x.narrow(0, start: 0, length: 20), k: 3)
        #expect(half.cka == nil && half.fields.map(\.name) == ["k", "projection_overlap", "mean_angle", "max_angle"])
    }

    /// Two measurements of the tiny model: identical sets compare as no change; doubling
    /// block 0's `mlp.down` doubles its MLP output exactly (ratio 2, cosine 1, CKA 1,
    /// overlap 1) and leaves everything before it unchanged.
    @Test func comparisonOfTwoMeasurements() throws {
        let m = try tinyLlama()
        var g = RandomGenerator(seed: 6)
        let prompts = (0..<6).map { i in ActivationPrompt(tokens: (0..<(5 + i)).map { _ in 3 + g.nextInt(below: 300) }, subjectTokens: 1..<3) }
        let o = ActivationOptions(hooks: ["blocks.*.hook_resid_pre", "blocks.*.hook_attn_out", "blocks.*.hook_mlp_out"], keep: .all)
        let before = try ActivationStatistics.measure(m, prompts, options: o)
        let same = try ActivationComparison(before: before, after: try ActivationStatistics.measure(m, prompts, options: o), k: 4)
        #expect(same.hooks.count == 6)
        for h in same.hooks {
            #expect(h.normRatio == 1 && h.lastNormRatio == 1 && h.subjectNormRatio == 1)
            #expect(close(try #require(h.pairedCosine), 1, 1e-12))
            let s = try #require(h.shift)
            let cka = try #require(s.cka)
            #expect(s.k == 4 && close(s.projectionOverlap, 1, 1e-9) && close(cka, 1, 1e-9) && s.maxAngle < 1e-4)
        }
        let snap = try m.snapshot(["blocks.0.mlp.down"])
        try m.parameter("blocks.0.mlp.down").mulInPlace(2)
        let after = try ActivationStatistics.measure(m, prompts, options: o)
        let c = try ActivationComparison(before: before, after: after, k: 4)
        let mo = try #require(c.hook("blocks.0.hook_mlp_out"))
        #expect(close(mo.normRatio, 2, 1e-6) && close(mo.subjectNormRatio, 2, 1e-6) && close(mo.otherNormRatio, 2, 1e-6))
        #expect(close(try #require(mo.pairedCosine), 1, 1e-6))
        let shift = try #require(mo.shift)
        #expect(close(try #require(shift.cka), 1, 1e-6))
        #expect(close(shift.projectionOverlap, 1, 1e-6))
        for n in ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out"] { #expect(c.hook(n)?.normRatio == 1) }
        #expect(c.hook("blocks.1.hook_resid_pre")?.normRatio != 1)
        #expect(c.byLayer("hook_mlp_out").map(\.layer) == [0, 1])
        #expect(close(c.byLayer("hook_mlp_out")[0].value, 2, 1e-6))
        try m.restore(snap)

        // sets that cannot be paired
        #expect(throws: MeasurementError.self) {
            try ActivationComparison(before: before, after: try ActivationStatistics.measure(m, Array(prompts.dropLast()), options: o))
        }
        var o2 = o
        o2.keep = .last
        #expect(throws: MeasurementError.self) {
            try ActivationComparison(before: before, after: try ActivationStatistics.measure(m, prompts, options: o2))
        }
        #expect(throws: MeasurementError.self) { try ActivationComparison(before: before, after: before, k: 0) }
    }
}
