import CBLAS
import Foundation
import LanguageModels
import Tensors

/// Load time and memory of the default model, prefill throughput as a ratio to raw sgemm
/// measured in the same run, and generation speed.
struct ModelBench {
    let repeats: Int

    /// The prefill's dominant shape (1024 tokens × 576 → 1536) and its FLOPs per product.
    static let limitShape = (n: 1024, k: 576, m: 1536)
    static var limitFlops: Double { 2 * Double(limitShape.n * limitShape.k * limitShape.m) }

    /// Calls `body` with one raw sgemm at the limit shape into a fresh output (as the model's
    /// products get theirs), over fixed random operands.
    func withLimitProduct<R>(_ body: (() -> Void) -> R) -> R {
        var gen = RandomGenerator(seed: 5)
        let (n, k, m) = ModelBench.limitShape
        let a = Tensor.randn([n, k], generator: &gen), b = Tensor.randn([m, k], generator: &gen)
        let pa = a.pointer(as: Float.self), pb = b.pointer(as: Float.self)
        return body {
            let c = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(m), Int32(k), 1, pa, Int32(k), pb, Int32(k), 0, c, Int32(m))
            c.deallocate()
        }
    }

    /// Raw sgemm at the limit shape, `calls` products back to back: the GFLOP/s of the block.
    func sgemmBlock(calls: Int) -> Double {
        let calls = Swift.max(calls, 1)
        let t = withLimitProduct { product in Timing.seconds { for _ in 0..<calls { product() } } }
        return ModelBench.limitFlops * Double(calls) / t / 1e9
    }

    /// Raw sgemm at the limit shape over as many products as make `flops` (a workload's own
    /// FLOPs, so the block lasts about as long as the workload): the GFLOP/s of the block.
    func sgemmBlock(flops: Double) -> Double {
        sgemmBlock(calls: Int((flops / ModelBench.limitFlops).rounded()))
    }

    /// Raw sgemm sustained over about `seconds` of back-to-back products (set against whole
    /// workloads, which also average over seconds on a machine whose speed drifts).
    func sustainedSgemm(seconds: Double) -> Double {
        let probe = sgemmBlock(calls: 3)
        return sgemmBlock(calls: Int(seconds * probe * 1e9 / ModelBench.limitFlops))
    }

    /// Raw sgemm GFLOP/s at the limit shape, the best single product (a burst figure, printed
    /// beside the sustained one).
    func sgemmLimit() -> Double {
        let (t, _) = withLimitProduct { product in Timing.interleavedBest(minRepeats: repeats, product, {}) }
        return ModelBench.limitFlops / t / 1e9
    }

    func run(groups: [String]) throws {
        print("\n== model: load, prefill, generation (default model) ==")
        let t0 = DispatchTime.now().uptimeNanoseconds
        let m = try LanguageModel.load("smollm2")
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let rssAfterLoad = ProcessMemory.resident
        print(String(format: "load to float32        %8.2f s      target <= 2 s    (ratio %.2f)", loadSeconds, loadSeconds / 2))
        print("resident after load    \(ProcessMemory.mb(rssAfterLoad))   target <= 650 MB" +
              (rssAfterLoad.map { String(format: "  (ratio %.2f)", Double($0) / 650e6) } ?? ""))
        guard groups.contains("forward") else { return }

        let tok = try m.requireTokenizer()
        var gen = RandomGenerator(seed: 11)
        let (b, t) = (8, 128)
        let rows = (0..<b).map { _ in (0..<t).map { _ in gen.nextInt(below: m.config.vocabSize) } }
        let batch = try TokenBatch(rows)
        let flops = 2 * Double(m.parameterCount) * Double(b * t)
        // Rounds of one prefill then a block of raw sgemm products of the same FLOPs.
        _ = try Autograd.noGrad { try m.logits(batch) }
        ProcessMemory.resetPeak()
        var paired = PairedRounds()
        for _ in 0..<max(repeats, 3) {
            let s = try Timing.seconds { _ = try Autograd.noGrad { try m.logits(batch) } }
            paired.add(flops: flops, seconds: s, limit: sgemmBlock(flops: flops))
        }
        let peak = ProcessMemory.peak
        let burst = sgemmLimit()
        print(String(format: "prefill 8x128, all logits  %.3f s  %.1f GFLOP/s  (2·%.1fM params·tokens)", paired.seconds.min() ?? 0, paired.bestRate,
                     Double(m.parameterCount) / 1e6))
        print(String(format: "raw sgemm (1024x576·576x1536), %.0f products back to back  %.1f GFLOP/s  (best single product %.1f)",
                     (flops / ModelBench.limitFlops).rounded(), paired.bestLimit, burst))
        print(paired.pairsLine("prefill"))
        print(String(format: "ratio                  %8.3f     target >= 0.75   (means: %.3f)", paired.ratio, paired.meansRatio))
        print("peak resident during prefill  \(ProcessMemory.mb(peak))   target <= 900 MB" +
              (peak.map { String(format: "  (ratio %.2f)", Double($0) / 900e6) } ?? ""))

        let prompt = Array(tok.encode("The history of the Roman Empire begins with the founding of the city, which according to").prefix(16))
        let maxNew = 32
        let g0 = DispatchTime.now().uptimeNanoseconds
        let out = try m.generate([prompt], maxTokens: maxNew, sampling: .greedy, stopAtEOS: false)
        let gs = Double(DispatchTime.now().uptimeNanoseconds - g0) / 1e9
        print(String(format: "generation: %d tokens after a %d-token prompt in %.2f s = %.1f tokens/s",
                     out.newIDs[0].count, prompt.count, gs, Double(out.newIDs[0].count) / gs))
    }
}
