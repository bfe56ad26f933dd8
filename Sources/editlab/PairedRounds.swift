import Foundation

/// Rounds of a workload, each followed by a block of raw sgemm of the same FLOPs, so both are
/// timed over the same kind of window under the same drift: the best of each side gives the
/// ratio (DESIGN: best of N on both sides), and the means and every round's pair are printed
/// beside it so the machine's phase is visible.
struct PairedRounds {
    private(set) var flops: [Double] = [], seconds: [Double] = [], limits: [Double] = []

    /// Records one round: the workload's FLOPs and seconds, and the GFLOP/s of the sgemm block
    /// after it.
    mutating func add(flops f: Double, seconds s: Double, limit: Double) {
        flops.append(f)
        seconds.append(s)
        limits.append(limit)
    }

    /// GFLOP/s of each round.
    var rates: [Double] { zip(flops, seconds).map { $0 / $1 / 1e9 } }
    /// The best round's GFLOP/s.
    var bestRate: Double { rates.max() ?? 0 }
    /// The best sgemm block's GFLOP/s.
    var bestLimit: Double { limits.max() ?? .infinity }
    /// GFLOP/s over all rounds' time (total FLOPs over total seconds).
    var meanRate: Double { flops.reduce(0, +) / seconds.reduce(0, +) / 1e9 }
    /// The sgemm blocks' mean GFLOP/s.
    var meanLimit: Double { limits.reduce(0, +) / Double(Swift.max(limits.count, 1)) }
    /// Best rate over best limit: the benchmark's figure.
    var ratio: Double { bestRate / bestLimit }
    /// Mean rate over mean limit.
    var meansRatio: Double { meanRate / meanLimit }

    /// `label` followed by each round's `rate/limit` pair.
    func pairsLine(_ label: String) -> String {
        "  rounds, \(label) / sgemm GFLOP/s: " + zip(rates, limits).map { String(format: "%.0f/%.0f", $0, $1) }.joined(separator: "  ")
    }
}
