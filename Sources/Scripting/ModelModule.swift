import CLua
import Foundation
import LanguageModels
import LuaShim
import Tensors

/// The `model` module and the `Model`, `Tokenizer` and `Snapshot` classes.
///
/// Layer numbers and token ids stay 0-based, as in papers, GGUF (`blk.17`) and
/// TransformerLens (`blocks.17`); tensor dimensions and positions are 1-based as in Lua.
public enum ModelModule {
    static let moduleDoc = """
    Language models (Llama and GPT-2 families) with their tokenizer, weights, hook points and \
    forward pass. Layer numbers and token ids are 0-based (blocks.0 is the first block, as in \
    TransformerLens and papers); tensor dimensions and positions are 1-based as everywhere in \
    Lua. Prompts are a string, a table of strings, a table of token ids, or a table of such \
    tables; several prompts are padded on the right into one batch.
    """

    static let modelDoc = """
    A loaded model. Weights are named embed, blocks.{i}.ln1, blocks.{i}.attn.{q,k,v,o}, \
    blocks.{i}.ln2, blocks.{i}.mlp.{gate,up,down}, ln_final, unembed (biases: ...q.bias), in \
    nn.Linear orientation [out, in]. Activations use TransformerLens hook names: \
    blocks.{i}.hook_resid_pre, .attn.hook_z, .hook_attn_out, .hook_resid_mid, .mlp.hook_pre, \
    .mlp.hook_post, .hook_mlp_out, .hook_resid_post, ln_final.hook_normalized (m.hook_names lists them).
    """

    public static func install(_ vm: LuaVM) throws {
        let tok = try vm.defineClass(Tokenizer.self, name: "Tokenizer",
                                     doc: "A byte-level BPE tokenizer. Token ids are 0-based.")
        try defineTokenizer(tok)
        let snap = try vm.defineClass(ModelSnapshot.self, name: "Snapshot",
                                      doc: "Copies of some weights of a model, taken by m:snapshot() and put back by m:restore(s).")
        try defineSnapshot(snap)
        let M = try vm.defineClass(LanguageModel.self, name: "Model", doc: modelDoc)
        defineModel(M)
        try vm.defineModule("model", doc: moduleDoc) { m in
            m.function("load", "([spec]) -> Model",
                       "Loads a model: a .gguf file, a Hugging Face checkpoint directory or .safetensors file, or the default model's name (smollm2, the default when spec is nil).") { c in
                let spec = try c.optionalString(1)
                return try c.push(object: try LanguageModel.load(spec))
            }
        }
    }

    // MARK: Prompts

    /// Prompts at argument `i` as token ids; `single` when one prompt was given (a string or
    /// one table of ids), `text` when they were strings.
    static func prompts(_ c: LuaCall, _ i: Int32, _ m: LanguageModel) throws -> (ids: [[Int]], single: Bool, text: Bool) {
        if c.type(i) == LUA_TSTRING {
            return ([try m.requireTokenizer().encode(try c.string(i))], true, true)
        }
        guard c.type(i) == LUA_TTABLE else { throw c.typeError(i, expected: "prompt (a string or a table)") }
        let v = try c.value(i)
        guard let t = v.tableValue, t.fields.isEmpty, !t.array.isEmpty else {
            throw c.argumentError(i, "a prompt, or a non-empty sequence of prompts, expected")
        }
        func ids(_ a: [LuaValue], _ where_: String) throws -> [Int] {
            try a.enumerated().map { j, e in
                guard let n = e.intValue else { throw c.argumentError(i, "\(where_)token \(j + 1) is a \(e.typeName), not an integer id") }
                return n
            }
        }
        switch t.array[0] {
        case .string:
            let tok = try m.requireTokenizer()
            let texts = try t.array.enumerated().map { j, e -> String in
                guard let s = e.stringValue else { throw c.argumentError(i, "prompt \(j + 1) is a \(e.typeName), not a string") }
                return s
            }
            return (texts.map { tok.encode($0) }, false, true)
        case .integer, .number:
            return ([try ids(t.array, "")], true, false)
        case .table:
            let rows = try t.array.enumerated().map { j, e -> [Int] in
                guard let r = e.tableValue, r.fields.isEmpty else { throw c.argumentError(i, "prompt \(j + 1) is a \(e.typeName), not a table of ids") }
                return try ids(r.array, "prompt \(j + 1): ")
            }
            return (rows, false, false)
        default:
            throw c.argumentError(i, "prompts are strings or tables of token ids, got a table of \(t.array[0].typeName)s")
        }
    }

    static func batch(_ m: LanguageModel, _ ids: [[Int]]) throws -> TokenBatch {
        let pad = m.tokenizer?.padID ?? m.tokenizer?.eosID ?? m.config.eosTokenId ?? 0
        return try TokenBatch(ids, padding: .right, padID: pad)
    }

    /// Hook names matching a name or a pattern (`*` matches within one dotted component).
    static func hookNames(_ m: LanguageModel, matching patterns: [String], _ c: LuaCall, _ arg: Int32) throws -> [String] {
        var out: [String] = []
        for p in patterns {
            if p.contains("*") {
                let matched = m.hookNames.filter { glob(p, $0) }
                guard !matched.isEmpty else { throw c.argumentError(arg, "no hook point matches '\(p)' (see m.hook_names)") }
                out += matched
            } else {
                guard m.hookNames.contains(p) else { throw c.argumentError(arg, "unknown hook point '\(p)' (see m.hook_names)") }
                out.append(p)
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// `*` matches any run of characters other than `.`.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8), n = Array(name.utf8)
        func go(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == n.count }
            if p[i] == UInt8(ascii: "*") {
                var k = j
                while true {
                    if go(i + 1, k) { return true }
                    if k == n.count || n[k] == UInt8(ascii: ".") { return false }
                    k += 1
                }
            }
            return j < n.count && p[i] == n[j] && go(i + 1, j + 1)
        }
        return go(0, 0)
    }

    static func configTable(_ cfg: ModelConfig) -> LuaValue {
        var f: [String: LuaValue] = [
            "family": .string(cfg.family.rawValue), "name": .string(cfg.name),
            "d_model": .integer(cfg.dModel), "n_layers": .integer(cfg.layerCount),
            "n_heads": .integer(cfg.headCount), "n_kv_heads": .integer(cfg.kvHeadCount),
            "d_head": .integer(cfg.headDim), "d_mlp": .integer(cfg.mlpDim), "d_vocab": .integer(cfg.vocabSize),
            "n_ctx": .integer(cfg.contextLength), "norm_eps": .number(cfg.normEpsilon),
            "rope_theta": .number(cfg.ropeTheta), "tied_embeddings": .boolean(cfg.tiedEmbeddings),
        ]
        if let b = cfg.bosTokenId { f["bos_token_id"] = .integer(b) }
        if let e = cfg.eosTokenId { f["eos_token_id"] = .integer(e) }
        return .table(LuaTable(fields: f))
    }

    // MARK: Model

    static func defineModel(_ M: LuaClass<LanguageModel>) {
        M.describe { m in
            let c = m.config
            return String(format: "Model %@ (%@, %d layers, d_model %d, vocab %d, %.1fM parameters)",
                          c.name, c.family.rawValue, c.layerCount, c.dModel, c.vocabSize, Double(m.parameterCount) / 1e6)
        }
        M.field("config", "The hyper-parameters (TransformerLens names): family, name, d_model, n_layers, n_heads, n_kv_heads, d_head, d_mlp, d_vocab, n_ctx, norm_eps, rope_theta, tied_embeddings, bos_token_id, eos_token_id.") { c, m in
            try c.push(configTable(m.config))
        }
        M.field("hook_names", "Every hook point name, in forward order.") { c, m in try c.push(m.hookNames) }
        M.field("param_names", "Every parameter name, in model order.") { c, m in try c.push(m.parameterNames) }
        M.field("tokenizer", "The Tokenizer, or nil when the checkpoint has no usable one.") { c, m in
            guard let t = m.tokenizer else { return c.pushNil() }
            return try c.push(object: t)
        }
        M.field("n_params", "The number of parameters (tied tensors counted once).") { c, m in c.push(m.parameterCount) }

        // Tokens
        M.method("tokenize", "(text[, {bos=}]) -> table", "The token ids (0-based) of text; bos = true puts the beginning-of-sequence token first.") { c, m in
            let text = try c.string(2)
            let o = try c.options(3, known: ["bos"])
            return try c.push(try m.requireTokenizer().encode(text, addBOS: try o.boolean("bos") ?? false))
        }
        M.method("decode", "(ids) -> string", "The text of token ids (a table of ids or one id).") { c, m in
            let tok = try m.requireTokenizer()
            if c.type(2) == LUA_TNUMBER { return c.push(try tok.decode([try c.integer(2)])) }
            return c.push(try tok.decode(try idList(c, 2)))
        }

        // Running
        M.method("logits", "(prompts) -> Tensor", "Logits at every position, [batch, length, vocab] (float32); rows are padded on the right, so a row's positions past its own length are padding.") { c, m in
            let p = try prompts(c, 2, m)
            return c.push(try m.logits(try batch(m, p.ids)))
        }
        M.method("next_token_distribution", "(prompt[, k]) -> table, Tensor",
                 "The k most probable next tokens (default 10) after one prompt, most probable first: a table of {id=, token=, prob=, logit=} (token is nil without a tokenizer); then the probabilities of the whole vocabulary ([vocab]).") { c, m in
            let p = try prompts(c, 2, m)
            guard p.single else { throw c.argumentError(1, "one prompt expected (a string or a table of ids)") }
            let k = try c.integer(3, default: 10)
            guard k >= 0 else { throw c.argumentError(2, "k must be non-negative") }
            let result = try m.forward(try batch(m, p.ids), ForwardOptions(logits: .last))
            guard let lg = result.logits else { throw c.error("no logits were computed") }
            let row = try lg.select(0, 0)
            let probs = try row.softmax(dim: 0)
            let pv = probs.doubles(), lv = row.doubles()
            let order = Array(pv.indices).sorted { pv[$0] != pv[$1] ? pv[$0] > pv[$1] : $0 < $1 }.prefix(k)
            var entries: [LuaValue] = []
            for id in order {
                var f: [String: LuaValue] = ["id": .integer(id), "prob": .number(pv[id]), "logit": .number(lv[id])]
                if let tok = m.tokenizer { f["token"] = .string(try tok.decode([id])) }
                entries.append(.table(LuaTable(fields: f)))
            }
            try c.push(.table(LuaTable(array: entries)))
            c.push(probs)
            return 2
        }
        M.method("generate", "(prompt[, {max_tokens=, temperature=, top_k=, top_p=, seed=, stop_at_eos=}]) -> string, table",
                 "Continues the prompt: greedy unless temperature > 0, then sampled from the top_k most probable tokens (0: all) within top_p probability mass (1: all) with a generator seeded by seed, so a seed reproduces a continuation. Stops at the end-of-sequence token (unless stop_at_eos = false) or after max_tokens (default 20). A string prompt gives the prompt followed by the continuation, and the new token ids; a table of strings gives a table of texts; token ids give the new ids.") { c, m in
            let p = try prompts(c, 2, m)
            let o = try c.options(3, known: ["max_tokens", "temperature", "top_k", "top_p", "seed", "stop_at_eos"])
            let maxTokens = try o.integer("max_tokens") ?? 20
            guard maxTokens >= 0 else { throw c.argumentError(2, "option 'max_tokens' must be non-negative") }
            let temperature = try o.number("temperature") ?? 0
            let sampling: Sampling
            if temperature > 0 {
                let seed = try o.integer("seed") ?? 0
                guard seed >= 0 else { throw c.argumentError(2, "option 'seed' must be non-negative") }
                sampling = .sample(temperature: temperature, topK: try o.integer("top_k") ?? 0,
                                   topP: try o.number("top_p") ?? 1, seed: UInt64(seed))
            } else {
                guard temperature == 0 else { throw c.argumentError(2, "option 'temperature' must be non-negative") }
                sampling = .greedy
            }
            let g = try m.generate(p.ids, maxTokens: maxTokens, sampling: sampling, stopAtEOS: try o.boolean("stop_at_eos") ?? true)
            if !p.text {
                if p.single { return try c.push(g.newIDs[0]) }
                try c.vm.ensureStack(c.L, 3)
                lua_createtable(c.L, Int32(g.newIDs.count), 0)
                for (j, ids) in g.newIDs.enumerated() {
                    try c.push(ids)
                    lua_rawseti(c.L, -2, lua_Integer(j + 1))
                }
                return 1
            }
            let tok = try m.requireTokenizer()
            let texts = try zip(p.ids, g.newIDs).map { try tok.decode($0 + $1) }
            if p.single {
                c.push(texts[0])
                try c.push(g.newIDs[0])
                return 2
            }
            return try c.push(texts)
        }
        M.method("run_with_cache", "(prompts[, {names=, logits=}]) -> Tensor|nil, table",
                 "Runs the prompts and keeps the activations at names (a hook name, a pattern such as \"blocks.*.hook_resid_post\" where * matches one name component, or a table of them): returns the logits (logits = \"all\" (default): [batch, length, vocab]; \"last\": each row's last real token, [batch, vocab]; \"none\": nil) and a table from hook names to activations ([batch, length, ...]).") { c, m in
            let p = try prompts(c, 2, m)
            let o = try c.options(3, known: ["names", "logits"])
            let names = try hookNames(m, matching: try o.strings("names") ?? [], c, 2)
            let sel: LogitSelection
            switch try o.string("logits") ?? "all" {
            case "all": sel = .all
            case "last": sel = .last
            case "none": sel = .none
            case let s: throw c.argumentError(2, "option 'logits' must be \"all\", \"last\" or \"none\", got \"\(s)\"")
            }
            let r = try m.runWithCache(try batch(m, p.ids), names: names, logits: sel)
            if let l = r.logits { c.push(l) } else { c.pushNil() }
            var cache = LuaTable()
            for n in names { if let t = r.cache[n] { cache.fields[n] = .tensor(t) } }
            try c.push(.table(cache))
            return 2
        }

        // Hooks
        M.method("add_hook", "(name, fn) -> number",
                 "Calls fn(activation, name) at hook point name during every forward pass until removed; fn may return a tensor of the same shape to replace the activation (nil keeps it; in-place changes to it also act). An error in fn becomes an error of the forward call. Returns an id for m:remove_hook.") { c, m in
            let name = try c.string(2)
            try c.require(3, type: LUA_TFUNCTION, "function")
            guard m.hookNames.contains(name) else { throw c.argumentError(1, "unknown hook point '\(name)' (see m.hook_names)") }
            return c.push(try c.vm.addLuaHook(m, name: name, functionAt: 3, on: c.L))
        }
        M.method("remove_hook", "(id)", "Removes the hook with this id (from m:add_hook).") { c, m in
            c.vm.removeLuaHook(m, id: try c.integer(2))
            return 0
        }
        M.method("remove_hooks", "()", "Removes every hook of the model.") { c, m in
            c.vm.removeLuaHooks(m)
            return 0
        }

        // Weights
        M.method("param", "(name) -> Tensor", "The weight called name: a live view (in-place changes edit the model).") { c, m in
            c.push(try m.parameter(try c.string(2)))
        }
        M.method("set_param", "(name, tensor)", "Copies tensor (same shape) into the weight called name, in place.") { c, m in
            let name = try c.string(2)
            try m.setParameter(name, try c.tensor(3))
            return 0
        }
        M.method("params", "([pattern]) -> table", "Parameter names matching pattern (* matches one name component, as in \"blocks.*.mlp.down\"), in model order; all names without a pattern.") { c, m in
            guard let p = try c.optionalString(2) else { return try c.push(m.parameterNames) }
            return try c.push(m.parameterNames(matching: p))
        }
        M.method("snapshot", "([names]) -> Snapshot", "Copies the weights called names (a table; default all) so m:restore can put them back.") { c, m in
            var names: [String]? = nil
            if !c.isNoneOrNil(2) {
                let v = try c.value(2)
                guard let a = v.tableValue?.array, v.tableValue?.fields.isEmpty == true else { throw c.typeError(2, expected: "table of names") }
                names = try a.map { guard let s = $0.stringValue else { throw c.argumentError(1, "names are strings") }; return s }
            }
            return try c.push(object: try m.snapshot(names))
        }
        M.method("restore", "(snapshot) -> table", "Puts back the weights of a snapshot that changed since it was taken (bit for bit); returns their names.") { c, m in
            try c.push(try m.restore(try c.object(2, ModelSnapshot.self)))
        }
        M.method("changed_params", "(snapshot) -> table", "Names of the snapshot's weights written since it was taken.") { c, m in
            try c.push(try m.changedParameters(since: try c.object(2, ModelSnapshot.self)))
        }
        M.method("save", "(path[, {changed_since=}]) -> nil", "Writes the weights as safetensors under EditLab names: all of them, or those changed since a snapshot.") { c, m in
            let path = try c.string(2)
            let o = try c.options(3, known: ["changed_since"])
            var since: ModelSnapshot? = nil
            if let v = try o.value("changed_since") {
                guard case .object(let s as ModelSnapshot, _) = v else { throw c.argumentError(2, "option 'changed_since' must be a Snapshot") }
                since = s
            }
            try m.save(to: path, changedSince: since)
            return 0
        }
    }

    /// A table of integers (or one integer) at argument `i`.
    static func idList(_ c: LuaCall, _ i: Int32) throws -> [Int] {
        let v = try c.value(i)
        guard let t = v.tableValue, t.fields.isEmpty else { throw c.typeError(i, expected: "table of token ids") }
        return try t.array.enumerated().map { j, e in
            guard let n = e.intValue else { throw c.argumentError(i, "token \(j + 1) is a \(e.typeName), not an integer id") }
            return n
        }
    }

    // MARK: Tokenizer and Snapshot

    static func defineTokenizer(_ T: LuaClass<Tokenizer>) throws {
        T.describe { t in "Tokenizer (byte-level BPE, \(t.vocabularySize) tokens, pre-tokenizer \(t.preTokenizer.name))" }
        T.field("vocab_size", "The number of tokens.") { c, t in c.push(t.vocabularySize) }
        T.field("bos_id", "The beginning-of-sequence id, or nil.") { c, t in t.bosID.map { c.push($0) } ?? c.pushNil() }
        T.field("eos_id", "The end-of-sequence id, or nil.") { c, t in t.eosID.map { c.push($0) } ?? c.pushNil() }
        T.field("pad_id", "The padding id, or nil.") { c, t in t.padID.map { c.push($0) } ?? c.pushNil() }
        T.method("encode", "(text[, {bos=}]) -> table", "The token ids of text (bos = true puts the beginning-of-sequence token first).") { c, t in
            let text = try c.string(2)
            let o = try c.options(3, known: ["bos"])
            return try c.push(t.encode(text, addBOS: try o.boolean("bos") ?? false))
        }
        T.method("decode", "(ids[, {skip_special=}]) -> string", "The text of token ids (a table or one id); skip_special = true leaves out special tokens.") { c, t in
            let ids = c.type(2) == LUA_TNUMBER ? [try c.integer(2)] : try idList(c, 2)
            let o = try c.options(3, known: ["skip_special"])
            return c.push(try t.decode(ids, skipSpecialTokens: try o.boolean("skip_special") ?? false))
        }
        T.method("token", "(id) -> string", "The vocabulary's spelling of token id (byte-alphabet form, \"Ġthe\" for \" the\").") { c, t in
            c.push(try t.tokenString(try c.integer(2)))
        }
        T.method("id", "(token) -> number|nil", "The id of the token spelled exactly token (as tok:token returns it), or nil.") { c, t in
            guard let id = t.id(ofToken: try c.string(2)) else { return c.pushNil() }
            return c.push(id)
        }
        try T.metamethod("__len", "(tok) -> number", "#tok: the vocabulary size.") { c in
            guard let t = c.vm.luaClass(Tokenizer.self)?.value(c.L, 1) else { throw c.typeError(1, expected: "Tokenizer") }
            return c.push(t.vocabularySize)
        }
    }

    static func defineSnapshot(_ S: LuaClass<ModelSnapshot>) throws {
        S.describe { s in "Snapshot of \(s.names.count) weights" }
        S.field("names", "The names of the copied weights.") { c, s in try c.push(s.names) }
        S.method("get", "(name) -> Tensor", "The saved copy of weight name (a copy: changing it changes neither the snapshot's restore nor the model).") { c, s in
            let n = try c.string(2)
            guard let t = s.tensors[n] else { throw c.argumentError(1, "the snapshot has no weight '\(n)'") }
            return c.push(t.clone())
        }
        try S.metamethod("__len", "(s) -> number", "#s: the number of copied weights.") { c in
            guard let s = c.vm.luaClass(ModelSnapshot.self)?.value(c.L, 1) else { throw c.typeError(1, expected: "Snapshot") }
            return c.push(s.names.count)
        }
    }
}

/// A Lua function added as a model hook by a VM.
final class HookRegistration {
    weak var model: LanguageModel?
    let id: Int
    let ref: Int32

    init(model: LanguageModel, id: Int, ref: Int32) {
        self.model = model
        self.id = id
        self.ref = ref
    }

    func remove() { model?.removeHook(id) }
}

extension LuaVM {
    /// Adds the Lua function at `idx` of `L` as a hook of `m` at `name`; returns the hook id.
    func addLuaHook(_ m: LanguageModel, name: String, functionAt idx: Int32, on L: LuaState) throws -> Int {
        lua_pushvalue(L, idx)
        let ref = luaL_ref(L, luashim_registryindex())
        let id = try m.addHook(name) { [weak self] x, ctx in
            guard let self, !self.isClosed else { throw LuaRaise("the Lua state that added the hook at '\(ctx.name)' is closed") }
            return try self.runLuaHook(ref: ref, x, ctx)
        }
        hookRegistrations.append(HookRegistration(model: m, id: id, ref: ref))
        return id
    }

    func removeLuaHook(_ m: LanguageModel, id: Int) {
        m.removeHook(id)
        for r in hookRegistrations where r.model === m && r.id == id { luaL_unref(L, luashim_registryindex(), r.ref) }
        hookRegistrations.removeAll { $0.model === m && $0.id == id }
    }

    func removeLuaHooks(_ m: LanguageModel) {
        m.removeAllHooks()
        for r in hookRegistrations where r.model === m || r.model == nil { luaL_unref(L, luashim_registryindex(), r.ref) }
        hookRegistrations.removeAll { $0.model === m || $0.model == nil }
    }

    /// Calls a Lua hook function under pcall on the thread that is running Swift.
    func runLuaHook(ref: Int32, _ x: Tensor, _ ctx: HookContext) throws -> Tensor? {
        let L = currentThread
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try ensureStack(L, 6)
        lua_rawgeti(L, luashim_registryindex(), lua_Integer(ref))
        pushTensor(x, on: L)
        LuaVM.pushString(L, ctx.name)
        let status = luashim_pcall(L, 2, 1, 0)
        if status != LUA_OK {
            throw LuaRaise("hook at '\(ctx.name)' failed: \(popError(status, on: L).message)")
        }
        if lua_type(L, -1) == LUA_TNIL { return nil }
        guard let t = tensorClass?.value(L, -1) else {
            throw LuaRaise("hook at '\(ctx.name)' must return a Tensor or nil, got \(typeName(L, -1))")
        }
        return t
    }
}
