import ArgumentParser
import Foundation
import Tensors

/// `editlab bench`: the performance figures of scripts/bench, each printed as a ratio to a
/// limit measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance as ratios to limits measured in the same run.",
        discussion: "Run it from a release build (scripts/bench does). Groups: matmul, autograd, load, forward, activations."
    )

    @Option(name: .long, help: "Repetitions per measurement; the best is reported.")
    var repeats: Int = 5

    @Argument(help: "Groups to run (default: all).")
    var groups: [String] = []

    func run() throws {
        let all = ["matmul", "autograd", "load", "forward", "activations", "c0", "rome", "memit"]
        let chosen = groups.isEmpty ? all : groups
        for g in chosen where !all.contains(g) {
            throw ValidationError("unknown bench group '\(g)'; known: \(all.joined(separator: ", "))")
        }
        print("OpenBLAS kernel: \(BLASInfo.coreName), threads: \(BLASInfo.threadCount)")
        print("config: \(BLASInfo.configuration)")
        if chosen.contains("matmul") { try MatmulBench(repeats: repeats).run() }
        if chosen.contains("autograd") { try AutogradBench(repeats: repeats).run() }
        if chosen.contains("load") || chosen.contains("forward") { try ModelBench(repeats: repeats).run(groups: chosen) }
        if chosen.contains("c0") || chosen.contains("rome") || chosen.contains("memit") { try EditingBench(repeats: repeats).run(groups: chosen) }
        if chosen.contains("activations") { try MeasurementsBench(repeats: repeats).run() }
    }
}
