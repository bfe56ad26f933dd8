import Foundation
import Testing
import Tensors
import LanguageModels
@testable import Measurements

/// Weight norms and spectra against hand computations and independent routes.
@Suite("Weight norms")
struct WeightNormTests {
    /// σ₁ by power iteration on AᵀA, in double precision (an independent route to ‖A‖₂).
    static func powerIteration(_ a: Tensor, iterations: Int = 2000) throws -> Double {
        let ad = a.to(.float64)
        let n = ad.shape[1]
        var v = try Tensor(shape: [n], values: (0..<n).map { 1 + 0.01 * Double($0) })
        var sigma = 0.0
        for _ in 0..<iterations {
            let av = try ad.matmul(v)
            let w = try ad.t().matmul(av)
            let nw = w.norm()
            v = w / nw
            sigma = try ad.matmul(v).norm()
        }
        return sigma
    }

    @Test(arguments: [DType.float64, DType.float32])
    func spectralNormAgreesWithSVDAndPowerIteration(dtype: DType) throws {
        var g = RandomGenerator(seed: 3)
        let a = Tensor.randn([40, 30], dtype: dtype, generator: &g)
        let ours = try #require(try WeightNorms.norms(of: a).spectrum).spectralNorm
        let svd = try a.to(.float64).svd().s.value(at: [0])
        let power = try Self.powerIteration(a)
        #expect(relClose(ours, svd, 1e-12))
        #expect(relClose(ours, power, 1e-9))
        // the Tensors spectral norm (float32 LAPACK for float32) agrees to its precision
        #expect(relClose(ours, try a.spectralNorm(), dtype == .float32 ? 1e-5 : 1e-12))
        // Frobenius = ‖σ‖₂ = √Σ aᵢⱼ²
        let s = try a.to(.float64).svd().s.doubles()
        let direct = a.doubles().reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(relClose(try WeightNorms.norms(of: a).frobenius, direct, 1e-12))
        #expect(relClose(direct, s.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12))
    }

    @Test func frobeniusRowAndColumnNormsByHand() throws {
        let w = try Tensor(shape: [2, 3], floats: [1, 2, 2, 0, 3, 4])
        let n = try WeightNorms.norms(of: w, options: WeightNormOptions(spectra: false, rowsAndColumns: true))
        #expect(n.shape == [2, 3] && n.count == 6)
        #expect(close(n.frobenius, 34.0.squareRoot(), 1e-12))
        #expect(n.rowNorms == [3, 5])
        let cols = try #require(n.columnNorms)
        #expect(close(cols[0], 1, 1e-15) && close(cols[1], 13.0.squareRoot(), 1e-12) && close(cols[2], 20.0.squareRoot(), 1e-12))
        #expect(n.spectrum == nil)
        // a vector: Frobenius only
        let v = try WeightNorms.norms(of: Tensor(shape: [2], floats: [3, 4]), options: WeightNormOptions(rowsAndColumns: true))
        #expect(v.frobenius == 5 && v.spectrum == nil && v.rowNorms == nil)
    }

    /// W = U diag(4, 2, 1) Vᵀ (5×3): every summary against its defining formula.
    @Test func spectrumSummariesOfKnownSingularValues() throws {
        let u = try randomOrthonormal(5, 3, seed: 1), v = try randomOrthonormal(3, 3, seed: 2)
        let d = try Tensor(shape: [1, 3], values: [4, 2, 1])
        let w = try u.mul(d).matmul(v.t())
        let s = try #require(try WeightNorms.norms(of: w).spectrum)
        #expect(s.singularValues.count == 3)
        for (a, b) in zip(s.singularValues, [4.0, 2, 1]) { #expect(close(a, b, 1e-12)) }
        #expect(close(s.spectralNorm, 4, 1e-12))
        #expect(close(s.energyRatio, 4 / 21.0.squareRoot(), 1e-12))
        #expect(close(s.conditionNumber, 4, 1e-11))
        #expect(close(s.stableRank, 21.0 / 16, 1e-12))
        let z = Foundation.exp(4.0) + Foundation.exp(2.0) + Foundation.exp(1.0)
        let soft = [4.0, 2, 1].map { Foundation.exp($0) / z }
        #expect(close(s.softmaxEntropy, -soft.reduce(0) { $0 + $1 * Foundation.log($1) }, 1e-12))
        let p = [16.0 / 21, 4.0 / 21, 1.0 / 21]
        #expect(close(s.spectralEntropy, -p.reduce(0) { $0 + $1 * Foundation.log($1) } / Foundation.log(3.0), 1e-12))
    }

    @Test func spectrumSummaryEdgeCases() {
        let rankOne = SpectrumSummary(singularValues: [0, 5, 0])
        #expect(rankOne.singularValues == [5, 0, 0])
        #expect(rankOne.energyRatio == 1 && rankOne.conditionNumber == .infinity)
        #expect(rankOne.spectralEntropy == 0 && rankOne.stableRank == 1)
        let flat = SpectrumSummary(singularValues: [2, 2, 2, 2])
        #expect(close(flat.energyRatio, 0.5, 1e-15) && flat.conditionNumber == 1)
        #expect(close(flat.spectralEntropy, 1, 1e-15) && close(flat.softmaxEntropy, Foundation.log(4.0), 1e-15))
        #expect(close(flat.stableRank, 4, 1e-15))
        // the softmax entropy is not scale invariant: far-apart values give ≈ 0
        #expect(SpectrumSummary(singularValues: [100, 1]).softmaxEntropy < 1e-40)
        let zero = SpectrumSummary(singularValues: [0, 0, 0])
        #expect(zero.spectralNorm == 0 && zero.energyRatio.isNaN && zero.conditionNumber.isNaN)
        #expect(zero.spectralEntropy.isNaN && zero.stableRank.isNaN)
        #expect(close(zero.softmaxEntropy, Foundation.log(3.0), 1e-15))
        #expect(zero.fields.map(\.name) == ["spectral_norm", "energy_ratio", "condition_number", "softmax_entropy",
                                            "spectral_entropy", "stable_rank"])
    }

    /// W = W₀ + s·u vᵀ in float32: ‖W − W₀‖_F is s up to the rounding of the stored sums
    /// (each element off by at most half an ulp: ‖error‖_F ≤ 2⁻²⁴ ‖W‖_F), and W − W₀ has rank one.
    @Test func differenceOfARankOneChange() throws {
        var g = RandomGenerator(seed: 9)
        let w0 = Tensor.randn([64, 160], std: 0.05, generator: &g)
        let u = Tensor.randn([64, 1], generator: &g), v = Tensor.randn([1, 160], generator: &g)
        let uu = u / u.norm(), vv = v / v.norm()
        let s = 0.37
        let w = try w0.add(uu.matmul(vv) * s)
        let d = try WeightNorms.difference(w, w0)
        let expected = s * uu.norm() * vv.norm()
        let bound = Foundation.pow(2.0, -24) * w.norm() + Foundation.pow(2.0, -22) * s
        #expect(Swift.abs(d.frobenius - expected) <= bound, "‖ΔW‖_F = \(d.frobenius), s = \(expected), bound \(bound)")
        let spec = try #require(d.spectrum)
        #expect(Swift.abs(spec.spectralNorm - expected) <= bound)
        #expect(spec.energyRatio > 1 - 1e-9)
        #expect(WeightNorms.identical(w0, w0.clone()) && !WeightNorms.identical(w, w0))
        #expect(throws: MeasurementError.self) { try WeightNorms.difference(w, w0.narrow(0, start: 0, length: 3)) }
    }

    @Test func tableOnTheTinyModel() throws {
        let m = try tinyLlama()
        let before = try m.snapshot()
        let p = try m.parameter("blocks.1.mlp.down")
        try p.addInPlace(Tensor.full(p.shape, 0.01))
        let t = try WeightNorms.table(m, "blocks.*.mlp.down", against: before,
                                      options: WeightNormOptions(rowsAndColumns: true))
        #expect(t.rows.map(\.name) == ["blocks.0.mlp.down", "blocks.1.mlp.down"])
        #expect(t.rows.map(\.layer) == [0, 1])
        #expect(t.rows.map(\.edited) == [false, true])
        let r0 = t.rows[0], r1 = t.rows[1]
        #expect(r0.delta?.frobenius == 0 && r0.relativeChange == 0 && r0.distanceFromOriginal == 0 && r0.frobeniusRatio == 1)
        let numel = Double(64 * 160)
        let dn = try #require(r1.delta?.frobenius)
        #expect(close(dn, 0.01 * numel.squareRoot(), 1e-6))
        #expect(close(try #require(r1.distanceFromOriginal), dn / numel, 1e-15))
        #expect(close(try #require(r1.relativeChange), dn / before.tensors["blocks.1.mlp.down"]!.norm(), 1e-12))
        #expect(close(r1.weight.frobenius, p.norm(), 1e-12))
        #expect(r1.weight.rowNorms?.count == 64 && r1.weight.columnNorms?.count == 160)
        // a constant shift is rank one: the delta's spectrum has one non-zero singular value
        #expect(close(try #require(r1.delta?.spectrum?.spectralNorm), dn, 1e-6))
        // columns and summary: one value per row, edited and unedited side by side
        let cols = t.columns
        #expect(cols.first { $0.name == "edited" }?.values == [0, 1])
        #expect(cols.allSatisfy { $0.values.count == 2 })
        let summary = Dictionary(uniqueKeysWithValues: t.summary.map { ($0.name, $0.value) })
        #expect(summary["edited_count"] == 1 && summary["unedited_count"] == 1)
        #expect(summary["edited_mean_delta_frobenius"] == dn && summary["unedited_mean_delta_frobenius"] == 0)
        // the cheap logs agree with the table
        #expect(try WeightNorms.frobenius(m, "blocks.*.mlp.down").map(\.value) == t.rows.map(\.weight.frobenius))
        #expect(try WeightNorms.deltaFrobenius(m, "blocks.*.mlp.down", against: before).map(\.value) == [0, dn])
        #expect(try WeightNorms.distanceFromOriginal(m, "blocks.*.mlp.down", against: before).map(\.value) == [0, dn / numel])
    }

    @Test func layerOrderAndErrors() throws {
        let m = try tinyLlama()
        let all = try WeightNorms.orderedNames(m, matching: "*")
        #expect(all == ["embed", "ln_final", "unembed"])
        let mlp = try WeightNorms.orderedNames(m, matching: "blocks.*.mlp.*")
        #expect(mlp.map { blockIndex($0) } == [0, 0, 0, 1, 1, 1])
        let linear = try WeightNorms.orderedNames(m, matching: "blocks.*.*.*")
        #expect(linear == (0..<2).flatMap { i in ["attn.q", "attn.k", "attn.v", "attn.o", "mlp.gate", "mlp.up", "mlp.down"].map { "blocks.\(i).\($0)" } })
        #expect(try WeightNorms.orderedNames(m, matching: "blocks.1.ln2") == ["blocks.1.ln2"])
        #expect(throws: MeasurementError.noMatch(kind: "parameter", pattern: "blocks.*.mlp.nope")) {
            try WeightNorms.table(m, "blocks.*.mlp.nope")
        }
        let partial = try m.snapshot(["blocks.0.mlp.down"])
        #expect(throws: MeasurementError.notInSnapshot("blocks.1.mlp.down")) {
            try WeightNorms.table(m, "blocks.*.mlp.down", against: partial)
        }
        // without a snapshot nothing is edited and there are no deltas
        let plain = try WeightNorms.table(m, "blocks.*.attn.q", options: WeightNormOptions(spectra: false))
        #expect(plain.rows.allSatisfy { !$0.edited && $0.delta == nil && $0.relativeChange == nil && $0.weight.spectrum == nil })
    }
}
