import Foundation
import Datasets
import LanguageModels
import Tensors

/// One prompt for activation statistics: its text (or token ids) and, when known, which of its
/// tokens are the subject.
///
/// Token indices count the prompt's own tokens, 0-based, without the prompt prefix that is put
/// in front of every prompt (`ActivationOptions.prefix`).
public struct ActivationPrompt: Sendable, Equatable, Hashable {
    /// What the prompt is made of.
    public enum Content: Sendable, Equatable, Hashable {
        /// Text, tokenised with the model's tokenizer.
        case text(String)
        /// Token ids, used as given.
        case tokens([Int])
    }

    /// The prompt's text or token ids.
    public var content: Content
    /// The subject's tokens (indices into the prompt's own tokens, prefix not counted), or nil.
    public var subjectTokens: Range<Int>?

    /// A text prompt, with the subject's token range when known.
    public init(_ text: String, subjectTokens: Range<Int>? = nil) {
        content = .text(text)
        self.subjectTokens = subjectTokens
    }

    /// A prompt given as token ids, with the subject's token range when known.
    public init(tokens: [Int], subjectTokens: Range<Int>? = nil) {
        content = .tokens(tokens)
        self.subjectTokens = subjectTokens
    }

    /// `text` with the subject's tokens found by tokenising: the first occurrence of `subject`
    /// in `text`; a space just before it belongs to the subject (byte-level BPE puts the space
    /// in the subject's first token, as ROME's `get_words_idxs_in_templates`). Throws when the
    /// subject does not occur, or when its tokens are not a run of the prompt's tokens (a
    /// merge across its boundary).
    public static func locating(_ subject: String, in text: String, tokenizer: Tokenizer) throws -> ActivationPrompt {
        guard !subject.isEmpty, let r = text.range(of: subject) else {
            throw MeasurementError.invalidArgument("subject '\(subject)' does not occur in the prompt '\(text)'")
        }
        return try locating(r, in: text, tokenizer: tokenizer)
    }

    /// The filled rewrite prompt of an edit request, with its subject's tokens (the subject
    /// goes where the template's `{}` is).
    public static func rewrite(of request: EditRequest, tokenizer: Tokenizer) throws -> ActivationPrompt {
        guard let hole = request.prompt.range(of: "{}") else {
            throw MeasurementError.invalidArgument("case \(request.caseID): the prompt has no {} placeholder")
        }
        // the filled prompt is the template's bytes before {}, the subject's, then the rest
        let filled = request.filledPrompt
        let u = filled.utf8
        let start = u.index(u.startIndex, offsetBy: request.prompt[..<hole.lowerBound].utf8.count)
        let end = u.index(start, offsetBy: request.subject.utf8.count)
        return try locating(start..<end, in: filled, tokenizer: tokenizer)
    }

    static func locating(_ r: Range<String.Index>, in text: String, tokenizer: Tokenizer) throws -> ActivationPrompt {
        var before = text[..<r.lowerBound]
        if before.hasSuffix(" ") { before = before.dropLast() }
        let all = tokenizer.encode(text)
        let head = before.isEmpty ? [] : tokenizer.encode(String(before))
        let upTo = tokenizer.encode(String(text[..<r.upperBound]))
        guard all.starts(with: head), all.starts(with: upTo), upTo.count > head.count else {
            throw MeasurementError.invalidArgument("the subject's tokens in '\(text)' are not a run of the prompt's tokens")
        }
        return ActivationPrompt(text, subjectTokens: head.count..<upTo.count)
    }
}

/// The class of a token position in activation statistics. Classes are exclusive: the last
/// token of a prompt is `last` even when it belongs to the subject.
public enum PositionClass: String, Sendable, CaseIterable {
    /// The subject's tokens (given per prompt), except a subject token that is the last token.
    case subject
    /// The last token of each prompt.
    case last
    /// Every other token of the prompt.
    case other
    /// The prompt-prefix tokens put in front of every prompt (the attention-sink position on
    /// models without BOS): reported apart and left out of everything else.
    case prefix

    var index: Int {
        switch self {
        case .subject: return 0
        case .last: return 1
        case .other: return 2
        case .prefix: return 3
        }
    }
}

/// Which activation vectors an `ActivationSet` keeps (for subspace shift, CKA and paired
/// cosines). Statistics never need them; kept vectors cost rows × width floats per hook.
public enum KeptTokens: String, Sendable, Equatable {
    /// None (statistics only).
    case none
    /// The last token of each prompt: one row per prompt, in prompt order.
    case last
    /// The last subject token of each prompt that has a subject: one row per such prompt, in
    /// prompt order (the position ROME and MEMIT edit at).
    case subjectLast
    /// Every prompt token (prefix excluded): rows in prompt order, then token order.
    case all
}

/// Options of `ActivationStatistics.measure`.
public struct ActivationOptions: Sendable, Equatable {
    /// Hook names or patterns (`*` matches one dotted component: `blocks.*.hook_resid_post`)
    /// to measure; each must match at least one hook point of the model.
    public var hooks: [String]
    /// Put in front of every prompt (as every score does); its tokens form the `prefix` class.
    /// Without a tokenizer (token prompts), `.automatic` means no prefix.
    public var prefix: PromptPrefix
    /// Upper bound on rows × padded length per forward pass.
    public var maxTokensPerBatch: Int
    /// Which vectors to keep for subspace comparisons.
    public var keep: KeptTokens
    /// Hook names or patterns whose vectors are kept (nil: every measured hook).
    public var keepHooks: [String]?
    /// A dimension is a massive-activation dimension when its mean |activation| over the
    /// prompt tokens (prefix excluded) exceeds `massiveFactor` × the median over dimensions of
    /// that mean. Default 20: on SmolLM2 the residual stream's two outlier dimensions (507 and
    /// 247) reach 30–55× the median and carry about a third of its energy, while the
    /// factor of 100 quoted for massive activations (Sun et al. 2024) describes the
    /// attention-sink token, which here is the prefix token (norm ≈ 20,000 against ≈ 150–700
    /// for prompt tokens) and is reported as its own class.
    public var massiveFactor: Double
    /// Whether to compute the residual-stream shares of every block up to the last one needed.
    public var residualShares: Bool

    /// The default hooks: for every block the residual stream entering it, the attention and
    /// MLP outputs, the MLP keys (`mlp.hook_post`, the vectors entering `down`) and the
    /// residual stream leaving it.
    public static let defaultHooks = ["blocks.*.hook_resid_pre", "blocks.*.hook_attn_out", "blocks.*.mlp.hook_post",
                                      "blocks.*.hook_mlp_out", "blocks.*.hook_resid_post"]

    /// Options; the defaults measure `defaultHooks` with the automatic prompt prefix, 4096
    /// tokens per pass, keep the last token's vectors, use a massive factor of 20 and compute
    /// the shares.
    public init(hooks: [String] = ActivationOptions.defaultHooks, prefix: PromptPrefix = .automatic,
                maxTokensPerBatch: Int = 4096, keep: KeptTokens = .last, keepHooks: [String]? = nil,
                massiveFactor: Double = 20, residualShares: Bool = true) {
        self.hooks = hooks
        self.prefix = prefix
        self.maxTokensPerBatch = maxTokensPerBatch
        self.keep = keep
        self.keepHooks = keepHooks
        self.massiveFactor = massiveFactor
        self.residualShares = residualShares
    }
}

/// Norm statistics of one hook's activation vectors over the tokens of one position class.
public struct NormStatistics: Sendable, Equatable {
    /// Number of token vectors.
    public var count: Int
    /// Mean over tokens of ‖x‖₂ (NaN without tokens).
    public var meanNorm: Double
    /// √(mean over tokens of ‖x‖₂²) (NaN without tokens).
    public var rmsNorm: Double
    /// √(mean over tokens of ‖x₋M‖₂²), x₋M being x without the massive-activation dimensions
    /// M of the hook (NaN without tokens). A root mean square rather than a mean of norms
    /// because it can be accumulated exactly before M is known.
    public var rmsNormWithoutMassive: Double

    /// Statistics from their parts.
    public init(count: Int, meanNorm: Double, rmsNorm: Double, rmsNormWithoutMassive: Double) {
        self.count = count
        self.meanNorm = meanNorm
        self.rmsNorm = rmsNorm
        self.rmsNormWithoutMassive = rmsNormWithoutMassive
    }

    /// `count`, `mean_norm`, `rms_norm`, `rms_norm_without_massive`.
    public var fields: [(name: String, value: Double)] {
        [("count", Double(count)), ("mean_norm", meanNorm), ("rms_norm", rmsNorm), ("rms_norm_without_massive", rmsNormWithoutMassive)]
    }
}

/// The massive-activation dimensions of one hook (a few dimensions whose magnitude dwarfs
/// the rest — Sun et al. 2024), found over the prompt tokens (prefix excluded): dimension j is
/// massive when mean_t |x_tj| > factor × median_j′(mean_t |x_tj′|).
public struct MassiveDimensions: Sendable, Equatable {
    /// The massive dimensions (0-based), by decreasing mean |activation|.
    public var indices: [Int]
    /// Their mean |activation| over the prompt tokens, in the same order.
    public var meanAbs: [Double]
    /// The median over all dimensions of the mean |activation|.
    public var medianMeanAbs: Double
    /// The factor of the rule.
    public var factor: Double
    /// Σ_t Σ_{j∈M} x_tj² / Σ_t ‖x_t‖²: the share of the activations' energy in the massive
    /// dimensions (0 when there are none).
    public var energyShare: Double

    /// Dimensions from their parts.
    public init(indices: [Int], meanAbs: [Double], medianMeanAbs: Double, factor: Double, energyShare: Double) {
        self.indices = indices
        self.meanAbs = meanAbs
        self.medianMeanAbs = medianMeanAbs
        self.factor = factor
        self.energyShare = energyShare
    }
}

/// Activation statistics of one hook point over a prompt set.
public struct HookStatistics: Sendable, Equatable {
    /// The hook name (`blocks.8.hook_mlp_out`).
    public var name: String
    /// Its block (0-based), nil outside the blocks.
    public var layer: Int?
    /// The width of one token's vector (the product of the dimensions after batch and position).
    public var width: Int
    /// Over every prompt token: subject, last and other together (the prefix excluded).
    public var all: NormStatistics
    /// Over the subject tokens.
    public var subject: NormStatistics
    /// Over the last token of each prompt.
    public var last: NormStatistics
    /// Over the other prompt tokens.
    public var other: NormStatistics
    /// Over the prompt-prefix tokens.
    public var prefix: NormStatistics
    /// The massive-activation dimensions.
    public var massive: MassiveDimensions
    /// Mean |x_j| over the prompt tokens for every dimension j.
    public var meanAbs: [Double]

    /// The statistics of one position class.
    public func statistics(_ c: PositionClass) -> NormStatistics {
        switch c {
        case .subject: return subject
        case .last: return last
        case .other: return other
        case .prefix: return prefix
        }
    }

    /// An ordered name → value list: `layer` (−1 outside the blocks), `width`, the `all`
    /// statistics unprefixed (`count`, `mean_norm`, `rms_norm`, `rms_norm_without_massive`),
    /// the same per class prefixed `subject_`, `last_`, `other_`, `prefix_`, then
    /// `massive_count`, `massive_energy_share`, `massive_max_mean_abs`, `median_mean_abs`.
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("layer", Double(layer ?? -1)), ("width", Double(width))]
        f += all.fields
        for c in PositionClass.allCases { f += statistics(c).fields.map { (c.rawValue + "_" + $0.name, $0.value) } }
        f += [("massive_count", Double(massive.indices.count)), ("massive_energy_share", massive.energyShare),
              ("massive_max_mean_abs", massive.meanAbs.first ?? 0), ("median_mean_abs", massive.medianMeanAbs)]
        return f
    }
}

/// Shares of the three terms of a block's residual update in one position class: per token
/// ‖h‖/(‖h‖+‖a‖+‖m‖), ‖a‖/(…) and ‖m‖/(…) with h the residual stream entering the block
/// (`hook_resid_pre`), a the attention output (`hook_attn_out`) and m the MLP output
/// (`hook_mlp_out`), averaged over tokens (EDITING.md §8.2, ENCORE Fig. 5). The three add up
/// to 1. Tokens whose three norms are all 0 are skipped.
public struct ResidualShares: Sendable, Equatable {
    /// Tokens averaged over.
    public var count: Int
    /// Mean share of the residual input.
    public var residual: Double
    /// Mean share of the attention output.
    public var attention: Double
    /// Mean share of the MLP output.
    public var mlp: Double

    /// Shares from their parts.
    public init(count: Int, residual: Double, attention: Double, mlp: Double) {
        self.count = count
        self.residual = residual
        self.attention = attention
        self.mlp = mlp
    }

    /// `count`, `residual`, `attention`, `mlp`.
    public var fields: [(name: String, value: Double)] {
        [("count", Double(count)), ("residual", residual), ("attention", attention), ("mlp", mlp)]
    }
}

/// The residual-stream shares of one block, over all prompt tokens and per position class.
public struct LayerShares: Sendable, Equatable {
    /// The block (0-based).
    public var layer: Int
    /// Over every prompt token (prefix excluded).
    public var all: ResidualShares
    /// Over the subject tokens.
    public var subject: ResidualShares
    /// Over the last tokens.
    public var last: ResidualShares
    /// Over the other prompt tokens.
    public var other: ResidualShares
    /// Over the prompt-prefix tokens.
    public var prefix: ResidualShares

    /// `layer`, then `all`'s fields unprefixed and each class's prefixed (`subject_mlp`, ...).
    public var fields: [(name: String, value: Double)] {
        var f: [(name: String, value: Double)] = [("layer", Double(layer))] + all.fields
        for (n, s) in [("subject", subject), ("last", last), ("other", other), ("prefix", prefix)] {
            f += s.fields.map { (n + "_" + $0.name, $0.value) }
        }
        return f
    }
}

/// The vectors kept at one hook: a float32 matrix `[rows, width]` whose rows are the kept
/// tokens (see `KeptTokens`). The matrices of one set are views of one storage block.
public struct KeptActivations {
    /// The hook name.
    public var name: String
    /// `[rows, width]`, float32.
    public var matrix: Tensor

    /// Kept vectors from their parts.
    public init(name: String, matrix: Tensor) {
        self.name = name
        self.matrix = matrix
    }
}

/// Activation statistics of a model over a prompt set: a value to keep — the unedited
/// model's reference — and compare with a later measurement (`ActivationComparison`),
/// without keeping a second model.
public struct ActivationSet {
    /// The token ids every prompt was run with (prefix + prompt), in prompt order: two sets
    /// are paired only when these agree.
    public var promptTokens: [[Int]]
    /// Number of prefix tokens in front of every prompt.
    public var prefixLength: Int
    /// Per hook, in the model's hook order.
    public var hooks: [HookStatistics]
    /// Per block, in block order (empty when shares were not asked for).
    public var shares: [LayerShares]
    /// Which tokens' vectors are kept.
    public var keep: KeptTokens
    /// The kept vectors, in hook order.
    public var kept: [KeptActivations]

    /// A set from its parts.
    public init(promptTokens: [[Int]], prefixLength: Int, hooks: [HookStatistics], shares: [LayerShares],
                keep: KeptTokens, kept: [KeptActivations]) {
        self.promptTokens = promptTokens
        self.prefixLength = prefixLength
        self.hooks = hooks
        self.shares = shares
        self.keep = keep
        self.kept = kept
    }

    /// Number of prompts.
    public var promptCount: Int { promptTokens.count }

    /// The statistics of one hook.
    public func statistics(_ hook: String) -> HookStatistics? { hooks.first { $0.name == hook } }

    /// The kept vectors of one hook, `[rows, width]`.
    public func keptMatrix(_ hook: String) -> Tensor? { kept.first { $0.name == hook }?.matrix }

    /// The shares of one block.
    public func shares(layer: Int) -> LayerShares? { shares.first { $0.layer == layer } }

    /// One value per block for a hook point (`hook_resid_post`, `mlp.hook_post`, ...), in block
    /// order: by default the mean norm over all prompt tokens; `of` picks another statistic.
    public func byLayer(_ point: String, of value: (HookStatistics) -> Double = { $0.all.meanNorm }) -> [(layer: Int, value: Double)] {
        hooks.compactMap { h in
            guard let l = h.layer, h.name == "blocks.\(l).\(point)" else { return nil }
            return (l, value(h))
        }
    }
}
