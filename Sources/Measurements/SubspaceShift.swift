import Foundation
import Tensors

/// How far one set of activation vectors has moved from another (EDITING.md §8.2 (b), (c)).
public struct SubspaceShift: Sendable, Equatable {
    /// The dimension of the PCA subspaces compared (the k asked for, capped at
    /// min(rows − 1, width) of either set).
    public var k: Int
    /// Principal angles between the top-k PCA subspaces, in radians, ascending: θᵢ = arccos σᵢ
    /// with σᵢ the singular values of U_beforeᵀ U_after. All 0 for the same subspace.
    public var principalAngles: [Double]
    /// ‖U_beforeᵀ U_after‖_F² / k = mean cos² θᵢ, in [0, 1]: 1 for the same subspace, 0 for
    /// orthogonal ones (k/width expected for random subspaces).
    public var projectionOverlap: Double
    /// Linear CKA of the paired (row-aligned) sets, centred (Kornblith et al. 2019), in [0, 1];
    /// nil when the sets do not have the same rows.
    public var cka: Double?

    /// A shift from its parts.
    public init(k: Int, principalAngles: [Double], projectionOverlap: Double, cka: Double?) {
        self.k = k
        self.principalAngles = principalAngles
        self.projectionOverlap = projectionOverlap
        self.cka = cka
    }

    /// The largest principal angle, in radians.
    public var maxAngle: Double { principalAngles.last ?? 0 }
    /// The mean principal angle, in radians.
    public var meanAngle: Double { principalAngles.isEmpty ? 0 : principalAngles.reduce(0, +) / Double(principalAngles.count) }

    /// `k`, `projection_overlap`, `mean_angle`, `max_angle` (radians), `cka` (when paired).
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("k", Double(k)), ("projection_overlap", projectionOverlap),
                                                  ("mean_angle", meanAngle), ("max_angle", maxAngle)]
        if let cka { f.append(("cka", cka)) }
        return f
    }
}

/// Subspace and similarity measures on activation matrices (rows are samples, columns are
/// dimensions). Computed in double precision.
public enum Subspace {
    /// The top-k PCA basis of the rows of `x` (`[n, d]`): the rows are **centred** (the column
    /// mean subtracted) and the basis is the k leading right singular vectors of the centred
    /// matrix, returned as the orthonormal columns of a float64 `[d, k]` matrix. k is capped at
    /// min(n − 1, d) (the rank of centred data); at least two rows are needed.
    public static func pcaBasis(_ x: Tensor, k: Int) throws -> Tensor {
        let c = try centred(x)
        let n = c.shape[0], d = c.shape[1]
        guard n >= 2 else { throw MeasurementError.invalidArgument("PCA needs at least 2 rows, got \(n)") }
        guard k >= 1 else { throw MeasurementError.invalidArgument("PCA dimension k must be at least 1, got \(k)") }
        let kk = Swift.min(k, n - 1, d)
        let (_, _, vt) = try c.svd()
        return try vt.narrow(0, start: 0, length: kk).t().contiguous()
    }

    /// The principal angles (radians, ascending) between the column spaces of `u` and `v`,
    /// both with orthonormal columns (`[d, k₁]`, `[d, k₂]`): arccos of the singular values of
    /// uᵀv (clamped to [0, 1]); min(k₁, k₂) angles.
    public static func principalAngles(_ u: Tensor, _ v: Tensor) throws -> [Double] {
        let m = try cross(u, v)
        return try m.singularValues().doubles().map { Foundation.acos(Swift.min(1, Swift.max(0, $0))) }.sorted()
    }

    /// ‖uᵀv‖_F² / k with k = min(k₁, k₂), for orthonormal columns `u` `[d, k₁]`, `v` `[d, k₂]`:
    /// the mean squared cosine of the principal angles.
    public static func projectionOverlap(_ u: Tensor, _ v: Tensor) throws -> Double {
        let m = try cross(u, v)
        let f = m.norm()
        return f * f / Double(Swift.max(Swift.min(u.shape[1], v.shape[1]), 1))
    }

    /// Linear CKA between paired samples `x` `[n, d₁]` and `y` `[n, d₂]` (row i of each is the
    /// same input): with both centred, ‖yᵀx‖_F² / (‖xᵀx‖_F ‖yᵀy‖_F) (Kornblith et al. 2019).
    /// Invariant to orthogonal transforms and isotropic scaling of either side; 1 for the same
    /// set. NaN when either set is constant.
    public static func linearCKA(_ x: Tensor, _ y: Tensor) throws -> Double {
        guard x.rank == 2, y.rank == 2, x.shape[0] == y.shape[0] else {
            throw MeasurementError.shapeMismatch("CKA needs paired matrices with the same rows, got \(shapeString(x.shape)) and \(shapeString(y.shape))")
        }
        let a = try centred(x), b = try centred(y)
        let n = a.shape[0]
        let cross: Double, xx: Double, yy: Double
        if n < Swift.max(a.shape[1], b.shape[1]) {
            // Gram form: ‖yᵀx‖_F² = ⟨x xᵀ, y yᵀ⟩_F, ‖xᵀx‖_F = ‖x xᵀ‖_F
            let k = try a.matmul(a.t()), l = try b.matmul(b.t())
            let kv = k.doubles(), lv = l.doubles()
            var s = 0.0
            for i in 0..<kv.count { s += kv[i] * lv[i] }
            cross = s
            xx = k.norm()
            yy = l.norm()
        } else {
            let c = try b.t().matmul(a).norm()
            cross = c * c
            xx = try a.t().matmul(a).norm()
            yy = try b.t().matmul(b).norm()
        }
        return cross / (xx * yy)
    }

    /// The cosine between paired rows of `x` and `y` (both `[n, d]`), one per row; NaN for a
    /// row where either vector is zero.
    public static func pairedCosines(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        guard x.rank == 2, x.shape == y.shape else {
            throw MeasurementError.shapeMismatch("paired cosines need matrices of one shape, got \(shapeString(x.shape)) and \(shapeString(y.shape))")
        }
        let a = x.doubles(), b = y.doubles()
        let (n, d) = (x.shape[0], x.shape[1])
        return (0..<n).map { i in
            var ab = 0.0, aa = 0.0, bb = 0.0
            for j in 0..<d {
                let p = a[i * d + j], q = b[i * d + j]
                ab += p * q
                aa += p * p
                bb += q * q
            }
            return aa > 0 && bb > 0 ? ab / (aa.squareRoot() * bb.squareRoot()) : .nan
        }
    }

    /// The mean of the finite paired cosines (NaN when there is none).
    public static func meanPairedCosine(_ x: Tensor, _ y: Tensor) throws -> Double {
        mean(try pairedCosines(x, y).filter { $0.isFinite })
    }

    /// The shift from `before` to `after` (`[n₁, d]`, `[n₂, d]`): top-k PCA subspaces of each
    /// (centred), their principal angles and projection overlap, and linear CKA when the rows
    /// are paired (`n₁ = n₂`; the caller guarantees row i is the same input in both).
    public static func shift(_ before: Tensor, _ after: Tensor, k: Int = 10, paired: Bool = true) throws -> SubspaceShift {
        guard before.rank == 2, after.rank == 2, before.shape[1] == after.shape[1] else {
            throw MeasurementError.shapeMismatch("subspace shift needs matrices of one width, got \(shapeString(before.shape)) and \(shapeString(after.shape))")
        }
        let u = try pcaBasis(before, k: k), v = try pcaBasis(after, k: k)
        let kk = Swift.min(u.shape[1], v.shape[1])
        let u2 = try u.narrow(1, start: 0, length: kk), v2 = try v.narrow(1, start: 0, length: kk)
        let cka = paired && before.shape[0] == after.shape[0] ? try linearCKA(before, after) : nil
        return SubspaceShift(k: kk, principalAngles: try principalAngles(u2, v2), projectionOverlap: try projectionOverlap(u2, v2), cka: cka)
    }

    /// `x` as float64 with the column mean subtracted from every row.
    static func centred(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 else { throw MeasurementError.shapeMismatch("expected a matrix [samples, dimensions], got \(shapeString(x.shape))") }
        guard x.isFinite else { throw TensorError.nonFinite(op: "Subspace") }
        let d = x.to(.float64).contiguous()
        guard d.shape[0] > 0 else { return d.clone() }
        return try d.sub(d.mean(dim: 0, keepDim: true))
    }

    static func cross(_ u: Tensor, _ v: Tensor) throws -> Tensor {
        guard u.rank == 2, v.rank == 2, u.shape[0] == v.shape[0] else {
            throw MeasurementError.shapeMismatch("bases must be [d, k] matrices of one d, got \(shapeString(u.shape)) and \(shapeString(v.shape))")
        }
        return try u.to(.float64).t().matmul(v.to(.float64))
    }
}

/// One hook compared between two activation sets of the same prompts.
public struct HookComparison: Sendable, Equatable {
    /// The hook name.
    public var name: String
    /// Its block, nil outside the blocks.
    public var layer: Int?
    /// Mean norm after / mean norm before, over all prompt tokens (< 1: activations shrank).
    public var normRatio: Double
    /// The same ratio for the subject tokens (NaN without subject tokens).
    public var subjectNormRatio: Double
    /// The same ratio for the last tokens.
    public var lastNormRatio: Double
    /// The same ratio for the other prompt tokens (NaN without such tokens).
    public var otherNormRatio: Double
    /// RMS norm without the massive dimensions, after / before (each set's own massive dimensions).
    public var rmsNormWithoutMassiveRatio: Double
    /// Mean cosine between the kept vectors of the same tokens before and after (nil when
    /// no vectors were kept at this hook).
    public var pairedCosine: Double?
    /// Subspace shift of the kept vectors (nil when no vectors were kept at this hook or there
    /// are fewer than two rows).
    public var shift: SubspaceShift?

    /// `layer` (−1 outside the blocks), `norm_ratio`, `subject_norm_ratio`, `last_norm_ratio`,
    /// `other_norm_ratio`, `rms_norm_without_massive_ratio`, then `paired_cosine` and the
    /// shift's fields when present.
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("layer", Double(layer ?? -1)), ("norm_ratio", normRatio),
                                                  ("subject_norm_ratio", subjectNormRatio), ("last_norm_ratio", lastNormRatio),
                                                  ("other_norm_ratio", otherNormRatio),
                                                  ("rms_norm_without_massive_ratio", rmsNormWithoutMassiveRatio)]
        if let pairedCosine { f.append(("paired_cosine", pairedCosine)) }
        if let shift { f += shift.fields }
        return f
    }
}

/// Two activation sets of the same prompts compared hook by hook (EDITING.md §8.2): norm
/// ratios, paired cosines, and the subspace shift of the kept vectors. Typical use: measure
/// the unedited model once, keep the set, and compare every later measurement with it.
public struct ActivationComparison: Sendable, Equatable {
    /// The PCA dimension asked for.
    public var k: Int
    /// One entry per hook measured in both sets, in the first set's order.
    public var hooks: [HookComparison]

    /// Compares `after` with `before`. Both must have been measured on the same token ids
    /// with the same kept tokens; hooks measured in only one set are skipped.
    public init(before: ActivationSet, after: ActivationSet, k: Int = 10) throws {
        guard k >= 1 else { throw MeasurementError.invalidArgument("PCA dimension k must be at least 1, got \(k)") }
        guard before.promptTokens == after.promptTokens else {
            throw MeasurementError.unpairedSets("they were measured on different prompts (or prompt prefixes): \(before.promptCount) and \(after.promptCount) prompts")
        }
        guard before.keep == after.keep else {
            throw MeasurementError.unpairedSets("one kept '\(before.keep.rawValue)' tokens, the other '\(after.keep.rawValue)'")
        }
        self.k = k
        var out: [HookComparison] = []
        for b in before.hooks {
            guard let a = after.statistics(b.name) else { continue }
            var c = HookComparison(name: b.name, layer: b.layer, normRatio: a.all.meanNorm / b.all.meanNorm,
                                   subjectNormRatio: a.subject.meanNorm / b.subject.meanNorm,
                                   lastNormRatio: a.last.meanNorm / b.last.meanNorm,
                                   otherNormRatio: a.other.meanNorm / b.other.meanNorm,
                                   rmsNormWithoutMassiveRatio: a.all.rmsNormWithoutMassive / b.all.rmsNormWithoutMassive,
                                   pairedCosine: nil, shift: nil)
            if let xb = before.keptMatrix(b.name), let xa = after.keptMatrix(b.name), xb.shape == xa.shape, xb.shape[0] > 0 {
                c.pairedCosine = try Subspace.meanPairedCosine(xb, xa)
                if xb.shape[0] >= 2 { c.shift = try Subspace.shift(xb, xa, k: k) }
            }
            out.append(c)
        }
        hooks = out
    }

    /// The comparison of one hook.
    public func hook(_ name: String) -> HookComparison? { hooks.first { $0.name == name } }

    /// One value per block for a hook point (`hook_resid_post`, ...), in block order: by
    /// default the norm ratio; `of` picks another (e.g. `{ $0.shift?.cka ?? .nan }`).
    public func byLayer(_ point: String, of value: (HookComparison) -> Double = { $0.normRatio }) -> [(layer: Int, value: Double)] {
        hooks.compactMap { h in
            guard let l = h.layer, h.name == "blocks.\(l).\(point)" else { return nil }
            return (l, value(h))
        }
    }
}
