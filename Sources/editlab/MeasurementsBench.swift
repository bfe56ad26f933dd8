import Datasets
import Foundation
import LanguageModels
import Measurements
import Tensors

/// Activation statistics at every hook point of every block over 256 probe prompts, as a
/// ratio to the plain forward (no logits, no hooks) over the same batches, measured
/// interleaved in the same run.
struct MeasurementsBench {
    let repeats: Int

    func run() throws {
        print("\n== activations: statistics at every hook point of every block vs plain forward (256 probe prompts) ==")
        let m = try LanguageModel.load("smollm2")
        let prompts = try ProbePrompts.first(256).map { ActivationPrompt($0) }
        // every block point: one dotted component after blocks.{i} (hook_resid_pre, ...) and two (attn.hook_q, ...)
        let options = ActivationOptions(hooks: ["blocks.*.*", "blocks.*.*.*"])
        let batches = try ActivationStatistics.batches(m, prompts, options: options)
        let tokens = batches.reduce(0) { $0 + $1.sequences.reduce(0) { $0 + $1.count } }
        let padded = batches.reduce(0) { $0 + $1.batchSize * $1.length }
        let hookCount = m.hookNames.filter { $0.hasPrefix("blocks.") }.count
        print("\(prompts.count) prompts, \(tokens) tokens (\(padded) with padding) in \(batches.count) batches; \(hookCount) hook points")
        let rssBefore = ProcessMemory.resident
        var set: ActivationSet?
        func plainForward() throws {
            try Autograd.noGrad {
                for b in batches { _ = try m.forward(b, ForwardOptions(logits: .none)) }
            }
        }
        func statistics() throws {
            set = nil  // free the previous result first: memory stays one result's worth
            set = try ActivationStatistics.measure(m, prompts, options: options)
        }
        // peak memory of each alone (the kept vectors count: they are part of the result)
        ProcessMemory.resetPeak()
        try plainForward()
        let peakPlain = ProcessMemory.peak
        set = nil
        ProcessMemory.resetPeak()
        try statistics()
        let peakStats = ProcessMemory.peak
        let (plain, stats) = try Timing.interleavedBest(minRepeats: max(repeats, 3), minSeconds: 0, plainForward, statistics)
        let kept = set?.kept.reduce(0) { $0 + $1.matrix.count * 4 } ?? 0
        print(String(format: "plain forward (logits: none)      %8.2f s  (%.0f tokens/s)", plain, Double(tokens) / plain))
        print(String(format: "activation statistics             %8.2f s  (%d hooks measured, last-token vectors kept: %.1f MB)",
                     stats, set?.hooks.count ?? 0, Double(kept) / 1e6))
        print(String(format: "ratio                             %8.3f     target <= 1.3", stats / plain))
        print("resident before: \(ProcessMemory.mb(rssBefore)); peak resident: plain forward \(ProcessMemory.mb(peakPlain)), statistics \(ProcessMemory.mb(peakStats))")
    }
}
