import Tensors

/// A transformer language model (Llama or GPT-2 family) with its weights, tokenizer, hook
/// points and forward pass.
///
/// Weights are float32 tensors under EditLab names (`blocks.3.mlp.down`, ...) in nn.Linear
/// `[out, in]` orientation. `parameter(_:)` returns a live view: an in-place edit through it
/// changes the model. There is one forward pass per family, written on the differentiable
/// `F` operations: it records a tape only when something requires a gradient.
public final class LanguageModel {
    /// The hyper-parameters.
    public let config: ModelConfig
    /// The tokenizer, if the checkpoint had a usable one.
    public let tokenizer: Tokenizer?
    /// Why there is no tokenizer (nil when there is one).
    public let tokenizerIssue: String?
    /// Parameter names in model order.
    public let parameterNames: [String]
    /// The loaded checkpoint's description (format, files, stored types).
    public let source: LoadedModel
    var weights: [String: Tensor]
    var permanentHooks: [String: [(id: Int, fn: HookFunction)]] = [:]
    private var nextHookID = 1
    /// Every hook name of this model.
    public let hookNames: [String]
    private let hookNameSet: Set<String>

    /// Wraps loaded weights.
    public init(_ loaded: LoadedModel) {
        config = loaded.config
        tokenizer = loaded.tokenizer
        tokenizerIssue = loaded.tokenizerIssue
        parameterNames = loaded.names
        weights = loaded.weights
        source = loaded
        hookNames = HookPoints.all(layers: loaded.config.layerCount, family: loaded.config.family)
        hookNameSet = Set(hookNames)
    }

    /// Loads a model by path or by the default model's name (`smollm2`); nil loads the default.
    public static func load(_ spec: String? = nil) throws -> LanguageModel {
        LanguageModel(try ModelLoader.load(spec))
    }

    // MARK: Parameters

    /// The parameter called `name`: a live view of the model's weight.
    public func parameter(_ name: String) throws -> Tensor {
        guard let t = weights[name] else {
            throw ModelError.unknownParameter(name, known: "embed, blocks.0.attn.q, blocks.0.mlp.down, ...")
        }
        return t
    }

    /// Copies `value` into the parameter `name` in place (shapes must match); every view of
    /// the parameter sees the new values.
    public func setParameter(_ name: String, _ value: Tensor) throws {
        let p = try parameter(name)
        guard p.shape == value.shape else { throw ModelError.parameterShape(name: name, expected: p.shape, got: value.shape) }
        try p.copy(from: value)
    }

    /// Replaces the parameter tensor object itself (used to make a weight a gradient leaf:
    /// `model.replaceParameter(name, p.requiringGrad())`). The new tensor must have the same shape.
    public func replaceParameter(_ name: String, _ value: Tensor) throws {
        let p = try parameter(name)
        guard p.shape == value.shape, value.dtype == .float32 else {
            throw ModelError.parameterShape(name: name, expected: p.shape, got: value.shape)
        }
        weights[name] = value
    }

    /// Names matching a pattern where `*` matches one name component or a run of characters
    /// without dots (`blocks.*.mlp.down`).
    public func parameterNames(matching pattern: String) -> [String] {
        parameterNames.filter { NamePattern.matches(pattern, $0) }
    }

    /// Total number of parameters (a tensor shared by two names counted once).
    public var parameterCount: Int { source.parameterCount }

    // MARK: Hooks

    /// Registers a permanent hook at `name`; returns an id for `removeHook`.
    @discardableResult
    public func addHook(_ name: String, _ fn: @escaping HookFunction) throws -> Int {
        guard hookNameSet.contains(name) else { throw ModelError.unknownHook(name) }
        let id = nextHookID
        nextHookID += 1
        permanentHooks[name, default: []].append((id, fn))
        return id
    }

    /// Removes a hook by id (no-op for unknown ids).
    public func removeHook(_ id: Int) {
        for k in permanentHooks.keys { permanentHooks[k]?.removeAll { $0.id == id } }
        permanentHooks = permanentHooks.filter { !$0.value.isEmpty }
    }

    /// Removes every permanent hook.
    public func removeAllHooks() { permanentHooks = [:] }

    /// Checks that every name is a hook point.
    func validateHookNames<S: Sequence>(_ names: S) throws where S.Element == String {
        for n in names where !hookNameSet.contains(n) { throw ModelError.unknownHook(n) }
    }

    // MARK: Tokens

    /// The tokenizer, or an error saying why there is none.
    public func requireTokenizer() throws -> Tokenizer {
        guard let tokenizer else { throw ModelError.noTokenizer(tokenizerIssue ?? "none in the checkpoint") }
        return tokenizer
    }

    /// Tokenises texts into a padded batch (pad id: the tokenizer's, else EOS, else 0).
    public func batch(_ texts: [String], padding: PaddingSide = .right) throws -> TokenBatch {
        let tok = try requireTokenizer()
        return try TokenBatch(texts.map { tok.encode($0) }, padding: padding, padID: tok.padID ?? tok.eosID ?? 0)
    }

    /// Checks ids and lengths against the model.
    func validate(_ batch: TokenBatch, extraColumns: Int = 0) throws {
        for id in batch.ids where id < 0 || id >= config.vocabSize {
            throw ModelError.tokenOutOfRange(id: id, vocabularySize: config.vocabSize)
        }
        if batch.longestSequence + extraColumns > config.contextLength {
            throw ModelError.sequenceTooLong(length: batch.longestSequence + extraColumns, context: config.contextLength)
        }
    }
}

/// Glob-style matching of dotted names.
enum NamePattern {
    /// `*` matches any run of characters other than `.`; everything else literally.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        func go(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == n.count }
            if p[i] == "*" {
                var k = j
                while true {
                    if go(i + 1, k) { return true }
                    if k == n.count || n[k] == "." { return false }
                    k += 1
                }
            }
            return j < n.count && p[i] == n[j] && go(i + 1, j + 1)
        }
        return go(0, 0)
    }
}
