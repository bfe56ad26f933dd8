import Datasets
import Editing
import Foundation
import Lab
import LanguageModels
import Tensors

/// The tiny editing model (Tests/Fixtures/editors: a 4-layer Llama with SmolLM2's tokenizer)
/// and helpers shared by the Lab tests.
enum LabFixtures {
    /// …/Tests/LabTests
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// …/Tests/Fixtures/editors
    static let editors = testsDir.deletingLastPathComponent().appendingPathComponent("Fixtures/editors").path
    /// The package root.
    static let packageRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh copy of the tiny editing model.
    static func model() throws -> LanguageModel { try LanguageModel.load(editors) }

    /// MEMIT on layers 1 and 2 of the tiny model (the reference hyper-parameters, few steps),
    /// keeping earlier batches' keys (so it has state); C0 from `covariance` (default: the
    /// fixture's imported C0).
    static func memit(steps: Int = 5, covariance: CovarianceProvider? = nil, lambda: Double? = nil) throws -> MEMITFamily {
        var h = try EditHyperparameters.load(path: editors + "/hparams_memit.json", base: EditHyperparameters(), method: "memit")
        h.vNumGradSteps = steps
        h.addPrevEdits = true
        if let lambda { h.mom2UpdateWeight = lambda }
        return MEMITFamily(.memit, hparams: h, covariance: try covariance ?? fixedC0())
    }

    /// C0 of every layer from the fixture's c0.safetensors.
    static func fixedC0() throws -> FixedCovariance {
        let r = try SafetensorsReader(path: editors + "/c0.safetensors")
        var m: [Int: Tensor] = [:]
        for l in 0..<4 { m[l] = try r.tensor(named: "C0.L\(l)") }
        return FixedCovariance(m)
    }

    /// The first `n` built-in facts.
    static func facts(_ n: Int) -> [EditRequest] { Array(BuiltinFacts.requests.prefix(n)) }

    /// A new empty directory.
    static func temporaryDirectory() throws -> String {
        let d = NSTemporaryDirectory() + "editlab-lab-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The built `editlab` binary: $EDITLAB_BIN, next to the test bundle, or the package's
    /// build directories.
    static func editlabBinary() throws -> String {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["EDITLAB_BIN"], fm.isExecutableFile(atPath: p) { return p }
        var candidates: [String] = []
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = (exe as NSString).deletingLastPathComponent
            candidates.append(dir + "/editlab")
            candidates.append((dir as NSString).deletingLastPathComponent + "/editlab")
        }
        for c in ["release", "debug"] { candidates.append("\(packageRoot)/.build/\(c)/editlab") }
        for c in candidates where fm.isExecutableFile(atPath: c) { return c }
        throw LabTestError("the editlab binary was not found (build it first: swift build); looked in \(candidates)")
    }

    /// Options for a run in `dir` that reports into `messages` and shows no progress.
    static func options(_ dir: String, messages: Messages, resume: Bool = false, every: Int = 2) -> RunOptions {
        var o = RunOptions(directory: dir)
        o.resume = resume
        o.checkpointEvery = every
        o.showProgress = false
        o.report = { messages.all.append($0) }
        return o
    }

    /// Runs the run's loop over `requests` in batches of `batchSize` with its editor on its
    /// model: each batch is applied and logged with its delta norm and a number from the run's
    /// random generator; `stopAfter` leaves the loop inside that batch, after its row.
    static func runLoop(_ run: Run, _ requests: [EditRequest], batchSize: Int, stopAfter: Int? = nil) throws {
        try iterate(run, try run.loop(requests: requests, batchSize: batchSize), stopAfter: stopAfter)
    }

    /// Iterates a started loop as `runLoop` does.
    static func iterate(_ run: Run, _ loop: BatchLoop, stopAfter: Int? = nil) throws {
        guard let editor = run.editor, let model = run.model else { throw LabTestError("the run has no editor or model") }
        while let (i, batch) = try loop.next() {
            let d = try editor.apply(model, batch)
            try run.log(try MetricRow(["batch": .int(i), "norm": .double(d.norm()), "noise": .double(run.random.nextNormal())]))
            if let s = stopAfter, i == s { return }
        }
    }

    /// The bytes of a file (empty when missing).
    static func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }
}

/// Messages a run reported.
final class Messages {
    var all: [String] = []
    var text: String { all.joined(separator: "\n") }
}

struct LabTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
