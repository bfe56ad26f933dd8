import Foundation
import LanguageModels
import Tensors

/// The second moment C0 = E[k kᵀ] of the keys entering `blocks.{l}.mlp.down` (the
/// `mlp.hook_post` activation), over every non-pad token of a corpus of token documents.
///
/// - Streaming: documents run in batches of at most `batchTokens` tokens; the forward stops
///   after the last block needed; several layers are collected in one pass; memory bounded
///   by one batch.
/// - Precision: `Σ k kᵀ` is a symmetric rank-k update (`syrk`, upper triangle, half the work
///   of a GEMM) in the keys' precision (float32) over runs of at most 512 tokens
///   (`chunkTokens`), each added into a float64 accumulator, so the sum across the corpus is
///   double precision and only one run's products are summed in float32 (the reference
///   implementation accumulates everything in float32). The accumulator is symmetrised
///   from its upper triangle before it is stored or returned.
/// - Cached under `${EDITLAB_HOME}/stats/` in a safetensors file keyed by the weights'
///   content (embedding and the blocks up to the layer), the layer, the corpus (name and
///   content hash), the document count and the dtype; an interrupted collection resumes from
///   its last checkpoint (`*.partial.safetensors`, written every `checkpointEvery` batches).
/// - A progress line with rate and ETA on a terminal (stderr), silent otherwise.
public final class CovarianceStatistics: CovarianceProvider {
    /// The corpus: a name (part of the cache key) and token documents.
    public let corpusName: String
    /// The documents used (at most `sampleCount`, in order).
    public let documents: [[Int]]
    /// Stored dtype of C0 (`float32` as the reference, or `float64`).
    public let dtype: DType
    /// Cache directory (nil: no disk cache).
    public let cacheDirectory: String?
    /// Tokens per forward batch.
    public var batchTokens: Int = 2048
    /// Batches between resumable checkpoints.
    public var checkpointEvery: Int = 16
    /// Checked before every batch (besides `Cancellation`): returning true interrupts the
    /// collection with `InterruptedError`, keeping the last checkpoint for a resume.
    public var shouldStop: (() -> Bool)? = nil
    /// Progress reporting (rate and ETA); default: only when stderr is a terminal.
    public var showProgress: Bool = isatty(2) != 0
    private var memory: [Int: Tensor] = [:]
    /// Tokens counted per layer (after collection or loading).
    public private(set) var tokenCounts: [Int: Int] = [:]

    /// Statistics over the first `sampleCount` documents of `documents`.
    public init(corpusName: String, documents: [[Int]], sampleCount: Int, dtype: DType = .float32,
                cacheDirectory: String? = CovarianceStatistics.defaultCacheDirectory) {
        self.corpusName = corpusName
        self.documents = Array(documents.prefix(max(sampleCount, 0)))
        self.dtype = dtype
        self.cacheDirectory = cacheDirectory
    }

    /// `${EDITLAB_HOME:-~/.cache/editlab}/stats`.
    public static var defaultCacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let home = env["EDITLAB_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache/editlab")
        return home + "/stats"
    }

    public func c0(layer: Int, model: LanguageModel) throws -> Tensor {
        if let m = memory[layer] { return m }
        try prepare(layers: [layer], model: model)
        guard let m = memory[layer] else { throw EditorError.statistics("layer \(layer) was not collected") }
        return m
    }

    /// Makes C0 of every layer available, collecting the missing ones in one pass.
    public func prepare(layers: [Int], model: LanguageModel) throws {
        for l in layers where l < 0 || l >= model.config.layerCount { throw EditorError.layerOutOfRange(l, layers: model.config.layerCount) }
        guard !documents.isEmpty else { throw EditorError.statistics("the corpus '\(corpusName)' has no documents") }
        var missing: [Int] = []
        var keys: [Int: String] = [:]
        for l in Set(layers).sorted() where memory[l] == nil {
            // The key hashes the weights below the layer: only worth it with a cache to look in.
            guard cacheDirectory != nil else {
                missing.append(l)
                continue
            }
            let key = try cacheKey(layer: l, model: model)
            keys[l] = key
            if let (m, n) = try loadCached(key) {
                memory[l] = m
                tokenCounts[l] = n
            } else {
                missing.append(l)
            }
        }
        guard !missing.isEmpty else { return }
        let sums = try collect(model: model, layers: missing, keys: keys)
        for l in missing {
            guard let (sum, n) = sums[l], n > 0 else { throw EditorError.statistics("no tokens for layer \(l)") }
            let c = sum.mul(1 / Double(n))
            let stored = c.to(dtype).to(.float64)
            memory[l] = stored
            tokenCounts[l] = n
            if let key = keys[l] { try store(key, sum: sum, count: n, layer: l, model: model) }
        }
    }

    /// Cache key of one layer's statistics.
    func cacheKey(layer: Int, model: LanguageModel) throws -> String {
        var names = ["embed"] + (model.config.family == .gpt2 ? ["pos_embed"] : [])
        names += model.parameterNames.filter { n in
            guard let l = HookPoints.layer(of: n) else { return false }
            return l < layer || (l == layer && !n.hasPrefix("blocks.\(layer).mlp.down"))
        }
        let w = try WeightHash.of(model, names: names)
        let c = WeightHash.of(documents: documents)
        return String(format: "c0-%@-L%d-%@-%016llx-n%d-%@-w%016llx", sanitize(model.config.name), layer, sanitize(corpusName), c,
                      documents.count, dtype.rawValue, w)
    }

    private func sanitize(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(40))
    }

    private func path(_ key: String, partial: Bool = false) -> String? {
        cacheDirectory.map { $0 + "/" + key + (partial ? ".partial" : "") + ".safetensors" }
    }

    private func loadCached(_ key: String) throws -> (Tensor, Int)? {
        guard let p = path(key), FileManager.default.fileExists(atPath: p) else { return nil }
        do {
            let r = try SafetensorsReader(path: p)
            let sum = try r.tensor(named: "sum", as: .float64)
            let n = try r.integers(named: "count").first ?? 0
            guard n > 0 else { return nil }
            return (sum.mul(1 / Double(n)).to(dtype).to(.float64), n)
        } catch {
            return nil   // unreadable cache entries are recomputed
        }
    }

    private func store(_ key: String, sum: Tensor, count: Int, layer: Int, model: LanguageModel, done: Int? = nil) throws {
        guard let dir = cacheDirectory, let p = path(key, partial: done != nil) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var tensors = ["sum": sum, "count": try Tensor(shape: [1], values: [Double(count)])]
        if let done { tensors["documents_done"] = try Tensor(shape: [1], values: [Double(done)]) }
        try SafetensorsWriter.write(tensors, metadata: ["layer": String(layer), "corpus": corpusName, "model": model.config.name,
                                                       "documents": String(documents.count)], to: p)
        if done == nil, let partial = path(key, partial: true) { try? FileManager.default.removeItem(atPath: partial) }
    }

    /// Σ k kᵀ and token counts for `layers`, resuming from partial checkpoints when they agree.
    func collect(model: LanguageModel, layers: [Int], keys: [Int: String]) throws -> [Int: (Tensor, Int)] {
        let d = model.config.mlpDim
        var sums: [Int: Tensor] = [:], counts: [Int: Int] = [:]
        var start = 0
        // Resume: every layer's partial file must record the same number of documents done.
        var partialDone: [Int] = []
        for l in layers {
            guard let key = keys[l], let p = path(key, partial: true), FileManager.default.fileExists(atPath: p),
                  let r = try? SafetensorsReader(path: p), let s = try? r.tensor(named: "sum", as: .float64),
                  let n = try? r.tensor(named: "count", as: .float64).item(), let done = try? r.tensor(named: "documents_done", as: .float64).item()
            else { partialDone.append(-1); continue }
            sums[l] = s
            counts[l] = Int(n)
            partialDone.append(Int(done))
        }
        if let first = partialDone.first, first > 0, partialDone.allSatisfy({ $0 == first }) {
            start = first
        } else {
            for l in layers { sums[l] = Tensor.zeros([d, d], dtype: .float64); counts[l] = 0 }
        }
        let last = layers.max() ?? 0
        let names = layers.map { "blocks.\($0).mlp.hook_post" }
        let totalTokens = documents.dropFirst(start).reduce(0) { $0 + $1.count }
        var seen = 0, batches = 0
        var scratch: Tensor? = nil
        let t0 = Date()
        var i = start
        while i < documents.count {
            try Cancellation.check()
            if shouldStop?() == true { throw InterruptedError() }
            var batchDocs: [[Int]] = []
            var tokens = 0
            while i < documents.count && (batchDocs.isEmpty || tokens + documents[i].count <= batchTokens) {
                let doc = Array(documents[i].prefix(model.config.contextLength))
                if !doc.isEmpty { batchDocs.append(doc); tokens += doc.count }
                i += 1
            }
            if batchDocs.isEmpty { continue }
            let batch = try TokenBatch(batchDocs, padding: .right, padID: 0)
            let r = try Autograd.noGrad {
                try model.forward(batch, ForwardOptions(logits: .none, cacheNames: Set(names), stopAfterLayer: last))
            }
            let runs = CovarianceStatistics.tokenRuns(mask: batch.mask, limit: CovarianceStatistics.chunkTokens)
            let tokensInBatch = runs.reduce(0) { $0 + $1.count }
            for (l, name) in zip(layers, names) {
                guard let act = r.cache[name], let sum = sums[l] else { continue }
                let flat = try act.contiguous().reshaped([-1, d])
                let gram = scratch ?? Tensor.zeros([d, d], dtype: flat.dtype)
                scratch = gram
                for run in runs {
                    try flat.narrow(0, start: run.start, length: run.count).gram(into: gram)
                    try sum.addUpperTriangle(of: gram)
                }
                counts[l, default: 0] += tokensInBatch
            }
            seen += tokens
            batches += 1
            if showProgress {
                let el = Date().timeIntervalSince(t0)
                let rate = Double(seen) / max(el, 1e-9)
                let eta = Double(totalTokens - seen) / max(rate, 1e-9)
                FileHandle.standardError.write(Data(String(format: "\rC0 layers %@: %d/%d tokens  %.0f tok/s  ETA %.0fs   ",
                                                           layers.map(String.init).joined(separator: ",") as NSString, seen, totalTokens, rate, eta).utf8))
            }
            if batches % checkpointEvery == 0 && i < documents.count {
                for l in layers {
                    if let key = keys[l], let s = sums[l] {
                        try store(key, sum: s.symmetrizeFromUpper(), count: counts[l] ?? 0, layer: l, model: model, done: i)
                    }
                }
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        var out: [Int: (Tensor, Int)] = [:]
        for l in layers { if let s = sums[l] { out[l] = (try s.symmetrizeFromUpper(), counts[l] ?? 0) } }
        return out
    }

    /// Tokens per Gram update: each run of real tokens is cut into pieces of at most this many.
    static let chunkTokens = 512

    /// The runs of consecutive real tokens of a flattened batch mask, cut into pieces of at
    /// most `limit` tokens, as (first flat row, row count).
    static func tokenRuns(mask: [Bool], limit: Int) -> [(start: Int, count: Int)] {
        var runs: [(start: Int, count: Int)] = []
        var i = 0
        while i < mask.count {
            guard mask[i] else { i += 1; continue }
            var j = i
            while j < mask.count && mask[j] && j - i < limit { j += 1 }
            runs.append((i, j - i))
            i = j
        }
        return runs
    }
}
