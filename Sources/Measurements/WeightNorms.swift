import Foundation
import LanguageModels
import Tensors

/// Singular-value summaries of one matrix, as logged by the norm-growth studies
/// (EDITING.md §8.2; the reference `downstream_eval/spectral_analysis.py`).
///
/// With σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0 the singular values (k = min(rows, columns)):
/// - `spectralNorm` = σ₁, the largest singular value (‖W‖₂).
/// - `energyRatio` = σ₁ / ‖σ‖₂ = σ₁ / ‖W‖_F, in (0, 1]: 1 for a rank-one matrix, 1/√k for a
///   matrix with equal singular values (the reference's "energy ratio").
/// - `conditionNumber` = σ₁ / σ_k (the reference's `svd[0] / svd[-1]`); infinite when σ_k = 0.
/// - `softmaxEntropy` = −Σ pᵢ log pᵢ with p = softmax(σ) over the raw singular values, natural
///   log — the reference's "entropy". It depends on the scale of W (softmax is not scale
///   invariant): it tends to 0 when σ₁ dominates by many units and to log k when the σᵢ are
///   within a fraction of a unit of each other.
/// - `spectralEntropy` = −Σ pᵢ log pᵢ / log k with pᵢ = σᵢ² / Σⱼ σⱼ² (the share of the Frobenius
///   energy in each singular direction), normalised to [0, 1]: 0 for rank one, 1 for equal
///   singular values. Scale invariant. 0 when k = 1.
/// - `stableRank` = ‖W‖_F² / ‖W‖₂² = Σ σᵢ² / σ₁², in [1, k].
///
/// For an all-zero matrix `spectralNorm` is 0, `softmaxEntropy` is log k, and the ratios
/// (`energyRatio`, `conditionNumber`, `spectralEntropy`, `stableRank`) are NaN (undefined).
public struct SpectrumSummary: Sendable, Equatable {
    /// All singular values, descending.
    public var singularValues: [Double]
    /// σ₁.
    public var spectralNorm: Double
    /// σ₁ / ‖σ‖₂.
    public var energyRatio: Double
    /// σ₁ / σ_min.
    public var conditionNumber: Double
    /// Entropy of softmax(σ), natural log (the reference's spectral entropy).
    public var softmaxEntropy: Double
    /// Entropy of σᵢ²/Σσⱼ², divided by log k (in [0, 1]).
    public var spectralEntropy: Double
    /// Σσᵢ² / σ₁².
    public var stableRank: Double

    /// The summaries of the singular values `singularValues` (any order; stored descending).
    public init(singularValues: [Double]) {
        let s = singularValues.sorted(by: >)
        self.singularValues = s
        let k = s.count
        let s1 = s.first ?? 0
        let energy = s.reduce(0) { $0 + $1 * $1 }
        spectralNorm = s1
        if s1 > 0 {
            energyRatio = s1 / energy.squareRoot()
            conditionNumber = (s.last ?? 0) > 0 ? s1 / s[k - 1] : .infinity
            stableRank = energy / (s1 * s1)
            if k > 1 {
                var h = 0.0
                for x in s where x > 0 {
                    let p = x * x / energy
                    h -= p * Foundation.log(p)
                }
                spectralEntropy = h / Foundation.log(Double(k))
            } else {
                spectralEntropy = 0
            }
        } else {
            energyRatio = .nan
            conditionNumber = .nan
            stableRank = .nan
            spectralEntropy = .nan
        }
        softmaxEntropy = SpectrumSummary.softmaxEntropy(s)
    }

    /// −Σ pᵢ log pᵢ with p = softmax(x), computed stably: with m = max x and
    /// Z = Σ exp(xᵢ − m), H = log Z − Σ pᵢ (xᵢ − m).
    static func softmaxEntropy(_ x: [Double]) -> Double {
        guard let m = x.max() else { return .nan }
        var z = 0.0
        for v in x { z += Foundation.exp(v - m) }
        var weighted = 0.0
        for v in x { weighted += Foundation.exp(v - m) / z * (v - m) }
        return Foundation.log(z) - weighted
    }

    /// The summaries as an ordered name → value list (`spectral_norm`, `energy_ratio`,
    /// `condition_number`, `softmax_entropy`, `spectral_entropy`, `stable_rank`).
    public var fields: [(name: String, value: Double)] {
        [("spectral_norm", spectralNorm), ("energy_ratio", energyRatio), ("condition_number", conditionNumber),
         ("softmax_entropy", softmaxEntropy), ("spectral_entropy", spectralEntropy), ("stable_rank", stableRank)]
    }
}

/// What `WeightNorms` computes besides the Frobenius norm.
public struct WeightNormOptions: Sendable, Equatable {
    /// Singular values and their summaries (one SVD per matrix: of W, of W₀ and of W − W₀
    /// when compared with a snapshot). Off for a cheap per-edit log of Frobenius norms.
    public var spectra: Bool
    /// The norm of every row and every column.
    public var rowsAndColumns: Bool

    /// Defaults: spectra on, row and column norms off.
    public init(spectra: Bool = true, rowsAndColumns: Bool = false) {
        self.spectra = spectra
        self.rowsAndColumns = rowsAndColumns
    }
}

/// Norms of one tensor (a weight W, an original W₀ or a difference W − W₀). Computed in
/// double precision whatever the tensor's dtype.
public struct MatrixNorms: Sendable, Equatable {
    /// The tensor's shape (`[out, in]` for a weight).
    public var shape: [Int]
    /// Number of elements.
    public var count: Int
    /// ‖W‖_F: the L2 norm of all elements.
    public var frobenius: Double
    /// Singular-value summaries (nil unless asked for, and for tensors that are not matrices).
    public var spectrum: SpectrumSummary?
    /// ‖W[i, :]‖₂ for every row i (nil unless asked for, and for tensors that are not matrices).
    public var rowNorms: [Double]?
    /// ‖W[:, j]‖₂ for every column j (nil unless asked for, and for tensors that are not matrices).
    public var columnNorms: [Double]?

    /// Norms from their parts.
    public init(shape: [Int], count: Int, frobenius: Double, spectrum: SpectrumSummary? = nil,
                rowNorms: [Double]? = nil, columnNorms: [Double]? = nil) {
        self.shape = shape
        self.count = count
        self.frobenius = frobenius
        self.spectrum = spectrum
        self.rowNorms = rowNorms
        self.columnNorms = columnNorms
    }

    /// `frobenius`, then the spectrum's fields when present, as an ordered name → value list.
    public var fields: [(name: String, value: Double)] {
        [("frobenius", frobenius)] + (spectrum?.fields ?? [])
    }
}

/// One parameter's norms, and, against a snapshot W₀, the norms of its change.
public struct ParameterNorms: Sendable, Equatable {
    /// The parameter name (`blocks.8.mlp.down`).
    public var name: String
    /// Its block index (0-based), nil outside the blocks (`embed`, `ln_final`, `unembed`).
    public var layer: Int?
    /// Norms of the current weight W.
    public var weight: MatrixNorms
    /// Norms of the snapshot's W₀ (nil without a snapshot).
    public var original: MatrixNorms?
    /// Norms of W − W₀, the difference taken exactly in double precision (nil without a snapshot).
    public var delta: MatrixNorms?
    /// Whether W differs from W₀ in any element (false without a snapshot).
    public var edited: Bool

    /// A row from its parts.
    public init(name: String, layer: Int?, weight: MatrixNorms, original: MatrixNorms? = nil,
                delta: MatrixNorms? = nil, edited: Bool = false) {
        self.name = name
        self.layer = layer
        self.weight = weight
        self.original = original
        self.delta = delta
        self.edited = edited
    }

    /// ‖W − W₀‖_F / ‖W₀‖_F (nil without a snapshot; NaN when W₀ = 0).
    public var relativeChange: Double? {
        guard let d = delta, let o = original else { return nil }
        return d.frobenius / o.frobenius
    }

    /// ‖W − W₀‖₂ / ‖W₀‖₂, spectral norms (nil without a snapshot or without spectra).
    public var relativeSpectralChange: Double? {
        guard let d = delta?.spectrum, let o = original?.spectrum else { return nil }
        return d.spectralNorm / o.spectralNorm
    }

    /// ‖W‖_F / ‖W₀‖_F: 1 when the norm has not grown (nil without a snapshot).
    public var frobeniusRatio: Double? {
        guard let o = original else { return nil }
        return weight.frobenius / o.frobenius
    }

    /// The reference's `distance_from_original` (`get_model_distance`): ‖W − W₀‖_F / numel(W)
    /// (nil without a snapshot).
    public var distanceFromOriginal: Double? {
        guard let d = delta else { return nil }
        return d.frobenius / Double(Swift.max(d.count, 1))
    }

    /// An ordered name → value list: `layer` (−1 outside the blocks), `edited` (0/1),
    /// `frobenius` and the spectrum of W, then with a snapshot `original_frobenius`,
    /// `delta_frobenius`, `relative_change`, `frobenius_ratio`, `distance_from_original`, and
    /// with spectra `original_spectral_norm`, `delta_spectral_norm`, `relative_spectral_change`
    /// and the spectrum of W − W₀ prefixed `delta_`.
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("layer", Double(layer ?? -1)), ("edited", edited ? 1 : 0)]
        f += weight.fields
        if let o = original, let d = delta {
            f += [("original_frobenius", o.frobenius), ("delta_frobenius", d.frobenius),
                  ("relative_change", relativeChange ?? .nan), ("frobenius_ratio", frobeniusRatio ?? .nan),
                  ("distance_from_original", distanceFromOriginal ?? .nan)]
            if let os = o.spectrum, let ds = d.spectrum {
                f += [("original_spectral_norm", os.spectralNorm), ("relative_spectral_change", ds.spectralNorm / os.spectralNorm)]
                f += ds.fields.map { ("delta_" + $0.name, $0.value) }
            }
        }
        return f
    }
}

/// A per-layer table of parameter norms over the whole model: one row per parameter matching
/// a pattern, ordered by layer (then by model order within a layer; parameters before the
/// blocks first, after them last), edited and unedited layers side by side.
public struct WeightNormTable: Sendable, Equatable {
    /// The pattern the rows match (`blocks.*.mlp.down`).
    public var pattern: String
    /// One row per matching parameter, in layer order.
    public var rows: [ParameterNorms]

    /// A table from its parts.
    public init(pattern: String, rows: [ParameterNorms]) {
        self.pattern = pattern
        self.rows = rows
    }

    /// The rows whose weights differ from the snapshot.
    public var editedRows: [ParameterNorms] { rows.filter(\.edited) }
    /// The rows whose weights equal the snapshot (all rows without a snapshot).
    public var uneditedRows: [ParameterNorms] { rows.filter { !$0.edited } }

    /// The table as columns (for plots and Lua): `name` is implicit in row order (see `rows`);
    /// each column is one of `ParameterNorms.fields`, with one value per row (NaN where a row
    /// lacks it).
    public var columns: [(name: String, values: [Double])] {
        var names: [String] = []
        var seen = Set<String>()
        let perRow = rows.map(\.fields)
        for f in perRow { for (n, _) in f where !seen.contains(n) { seen.insert(n); names.append(n) } }
        return names.map { n in (n, perRow.map { r in r.first(where: { $0.name == n })?.value ?? .nan }) }
    }

    /// Edited and unedited layers side by side: counts and the means over each group of
    /// ‖W‖_F, ‖W₀‖_F, ‖W − W₀‖_F, ‖W‖_F/‖W₀‖_F and ‖W − W₀‖_F/‖W₀‖_F (`edited_count`,
    /// `unedited_count`, `edited_mean_frobenius`, `unedited_mean_frobenius`, ...; NaN for an
    /// empty group or a missing snapshot).
    public var summary: [(name: String, value: Double)] {
        let e = editedRows, u = uneditedRows
        var f: [(name: String, value: Double)] = [("edited_count", Double(e.count)), ("unedited_count", Double(u.count))]
        let stats: [(String, (ParameterNorms) -> Double?)] = [
            ("mean_frobenius", { $0.weight.frobenius }),
            ("mean_original_frobenius", { $0.original?.frobenius }),
            ("mean_delta_frobenius", { $0.delta?.frobenius }),
            ("mean_frobenius_ratio", { $0.frobeniusRatio }),
            ("mean_relative_change", { $0.relativeChange }),
        ]
        for (n, g) in stats {
            for (group, rs) in [("edited_", e), ("unedited_", u)] {
                let vs = rs.map { g($0) ?? .nan }
                f.append((group + n, mean(vs)))
            }
        }
        return f
    }
}

/// Weight norms and spectra of a model's parameters, alone or against a snapshot W₀
/// (EDITING.md §8.2): Frobenius and spectral norms, row and column norms, singular-value
/// summaries, of W, of W₀ and of W − W₀, and per-layer tables over the whole model.
public enum WeightNorms {
    /// Norms of any tensor (a weight, a delta's tensor, ...), in double precision. Spectra and
    /// row/column norms only for matrices.
    public static func norms(of t: Tensor, options: WeightNormOptions = WeightNormOptions()) throws -> MatrixNorms {
        guard t.isFinite else { throw TensorError.nonFinite(op: "WeightNorms.norms") }
        let d = t.to(.float64)
        return try norms(double: d, options: options)
    }

    /// Norms of W − W₀, the difference taken in double precision so that it is exactly the
    /// difference of the stored values (no float32 rounding of the subtraction).
    public static func difference(_ w: Tensor, _ w0: Tensor, options: WeightNormOptions = WeightNormOptions()) throws -> MatrixNorms {
        guard w.shape == w0.shape else {
            throw MeasurementError.shapeMismatch("W is \(shapeString(w.shape)) but W0 is \(shapeString(w0.shape))")
        }
        guard w.isFinite, w0.isFinite else { throw TensorError.nonFinite(op: "WeightNorms.difference") }
        return try norms(double: try w.to(.float64).sub(w0.to(.float64)), options: options)
    }

    static func norms(double d: Tensor, options: WeightNormOptions) throws -> MatrixNorms {
        var r = MatrixNorms(shape: d.shape, count: d.count, frobenius: d.norm())
        if d.rank == 2 {
            if options.spectra { r.spectrum = SpectrumSummary(singularValues: try d.singularValues().doubles()) }
            if options.rowsAndColumns {
                r.rowNorms = try d.norm(dim: 1).doubles()
                r.columnNorms = try d.norm(dim: 0).doubles()
            }
        }
        return r
    }

    /// Whether two tensors of one shape hold identical values (compared element by element).
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        if a.dtype == .float32 && b.dtype == .float32 {
            let ac = a.contiguous(), bc = b.contiguous()
            let pa = ac.pointer(as: Float.self), pb = bc.pointer(as: Float.self)
            for i in 0..<ac.count where pa[i] != pb[i] { return false }
            return true
        }
        return a.doubles() == b.doubles()
    }

    /// The parameters matching `pattern` (`*` matches one dotted component), in layer order:
    /// block parameters by block index, then model order within a block; parameters before
    /// the blocks (`embed`) first and after them (`ln_final`, `unembed`) last.
    public static func orderedNames(_ model: LanguageModel, matching pattern: String) throws -> [String] {
        let names = model.parameterNames
        let firstBlock = names.firstIndex { blockIndex($0) != nil } ?? names.count
        let matched = names.enumerated().filter { DottedPattern.matches(pattern, $0.element) }
        guard !matched.isEmpty else { throw MeasurementError.noMatch(kind: "parameter", pattern: pattern) }
        func key(_ e: (offset: Int, element: String)) -> (Int, Int) {
            (blockIndex(e.element) ?? (e.offset < firstBlock ? -1 : Int.max), e.offset)
        }
        return matched.sorted { key($0) < key($1) }.map(\.element)
    }

    /// One parameter's norms; against `original` also those of W₀ and W − W₀.
    public static func measure(_ model: LanguageModel, parameter name: String, against original: ModelSnapshot? = nil,
                               options: WeightNormOptions = WeightNormOptions()) throws -> ParameterNorms {
        let w = try model.parameter(name)
        var row = ParameterNorms(name: name, layer: blockIndex(name), weight: try norms(of: w, options: options))
        if let original {
            guard let w0 = original.tensors[name] else { throw MeasurementError.notInSnapshot(name) }
            row.original = try norms(of: w0, options: options)
            row.delta = try difference(w, w0, options: options)
            row.edited = !identical(w, w0)
        }
        return row
    }

    /// The per-layer table of every parameter matching `pattern` (`blocks.*.mlp.down`,
    /// `blocks.*.attn.*`, or one name), in layer order; against `original` (a snapshot taken
    /// before editing, W₀) each row also has the norms of W₀ and W − W₀ and says whether the
    /// layer was edited.
    public static func table(_ model: LanguageModel, _ pattern: String, against original: ModelSnapshot? = nil,
                             options: WeightNormOptions = WeightNormOptions()) throws -> WeightNormTable {
        let names = try orderedNames(model, matching: pattern)
        return WeightNormTable(pattern: pattern, rows: try names.map {
            try measure(model, parameter: $0, against: original, options: options)
        })
    }

    /// ‖W‖_F of every parameter matching `pattern`, in layer order (the cheap per-edit log,
    /// `new_weights_norm` of the reference).
    public static func frobenius(_ model: LanguageModel, _ pattern: String) throws -> [(name: String, value: Double)] {
        try orderedNames(model, matching: pattern).map { ($0, try model.parameter($0).norm()) }
    }

    /// ‖W − W₀‖_F of every parameter matching `pattern` against the snapshot, in layer order,
    /// the difference taken exactly in double precision.
    public static func deltaFrobenius(_ model: LanguageModel, _ pattern: String, against original: ModelSnapshot) throws
        -> [(name: String, value: Double)] {
        try orderedNames(model, matching: pattern).map { n in
            guard let w0 = original.tensors[n] else { throw MeasurementError.notInSnapshot(n) }
            return (n, try difference(model.parameter(n), w0, options: WeightNormOptions(spectra: false)).frobenius)
        }
    }

    /// The reference's `distance_from_original` (‖W − W₀‖_F / numel(W)) of every parameter
    /// matching `pattern`, in layer order.
    public static func distanceFromOriginal(_ model: LanguageModel, _ pattern: String, against original: ModelSnapshot) throws
        -> [(name: String, value: Double)] {
        try deltaFrobenius(model, pattern, against: original).map { n, v in
            (n, v / Double(Swift.max(try model.parameter(n).count, 1)))
        }
    }
}
