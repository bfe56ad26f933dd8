import Datasets
import Editing
import Foundation
@testable import Lab
import LanguageModels
import Tensors
import Testing

/// Runs in this process on the tiny editing model: the manifest, resume refusals, corrupted
/// checkpoints, and an interrupted run resumed to the same bytes.
@Suite("runs", .serialized)
struct RunTests {
    /// The manifest records everything a resume checks, in a stable text; the loop is added
    /// when it starts; checkpoints keep the newest two.
    @Test func manifestAndCheckpoints() throws {
        let dir = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try LabFixtures.model()
        let ed = try LabFixtures.memit()
        let messages = Messages()
        var o = LabFixtures.options(dir + "/r", messages: messages)
        o.seed = 42
        let run = try Run.open(o, model: model, editor: ed)
        let m = try RunManifest.read(path: dir + "/r/manifest.json")
        #expect(m.name == "r" && m.seed == 42 && m.checkpointEvery == 2 && m.blasThreads == BLASInfo.threadCount)
        #expect(m.editlabVersion == EditLabVersion.current && m.loop == nil)
        #expect(m.model?.name == model.config.name && m.model?.parameters == model.parameterCount)
        #expect(m.model?.weightsHash == String(format: "%016llx", try WeightHash.of(model, names: model.parameterNames)))
        #expect(m.editor?.name == "memit" && m.editor?.hparams["layers"] == .array([.int(1), .int(2)]))
        #expect(m.editor?.hparams["v_num_grad_steps"] == .int(5) && m.editor?.hparams["add_prev_edits"] == .bool(true))
        let text = String(decoding: LabFixtures.bytes(dir + "/r/manifest.json"), as: UTF8.self)
        #expect(text == m.text, "the file is the canonical text of what it holds")
        #expect(text.contains("\n  \"blas_threads\": ") && text.contains("\"mom2_update_weight\": 15000.0"))
        let loop = try run.loop(requests: LabFixtures.facts(5), batchSize: 2)
        #expect(loop.batchCount == 3)
        try LabFixtures.iterate(run, loop)
        #expect(try RunManifest.read(path: dir + "/r/manifest.json").loop?.batch == 2)
        #expect(run.checkpoints.batchesWithDescriptors() == [3, 2], "after the last batch, and the one before is kept")
        let c = try run.checkpoints.load(batch: 3)
        #expect(c.descriptor.weights == ["blocks.1.mlp.down", "blocks.2.mlp.down"], "exactly the parameters the editor changed")
        #expect(c.weights["blocks.2.mlp.down"].map { $0.floats() == (try? model.parameter("blocks.2.mlp.down").floats()) } == true)
        #expect(c.descriptor.editorState == ["previous_keys.L1", "previous_keys.L2"])
        #expect(c.editorState["previous_keys.L1"]?.dtype == .float64)
        #expect(c.descriptor.metrics.lines == 3 && c.descriptor.random == run.random.savedState)
        #expect(throws: LabError.self) { try run.loop(requests: LabFixtures.facts(5), batchSize: 2) }
        run.close()
        #expect(throws: LabError.self) { try run.log(try MetricRow(["x": .int(1)])) }
        // the directory now holds a run: opening it again needs resume or overwrite
        do {
            _ = try Run.open(LabFixtures.options(dir + "/r", messages: messages), model: model, editor: ed)
            Issue.record("a second run was opened over the first")
        } catch let e as LabError {
            #expect("\(e)".contains("already holds a run; pass resume = true"), "\(e)")
        }
        var over = LabFixtures.options(dir + "/r", messages: messages)
        over.overwrite = true
        let fresh = try Run.open(over, model: try LabFixtures.model(), editor: try LabFixtures.memit())
        #expect(fresh.checkpoints.batchesWithDescriptors().isEmpty && fresh.metrics.state == .empty)
        // two open runs cannot share a directory
        #expect(throws: LabError.locked(directory: fresh.directory)) {
            _ = try Run.open(LabFixtures.options(dir + "/r", messages: messages, resume: true), model: model, editor: ed)
        }
        fresh.close()
    }

    /// Resuming refuses, naming the difference, under other hyper-parameters, another BLAS
    /// thread count (recorded in the manifest), another model, other requests or batch size.
    @Test func resumeRefusesDifferences() throws {
        let dir = try LabFixtures.temporaryDirectory() + "/r"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let messages = Messages()
        let model = try LabFixtures.model()
        let run = try Run.open(LabFixtures.options(dir, messages: messages), model: model, editor: try LabFixtures.memit())
        try LabFixtures.runLoop(run, LabFixtures.facts(4), batchSize: 2, stopAfter: 1)
        run.close()
        func refusal(_ make: () throws -> Run) -> String {
            do {
                let r = try make()
                r.close()
                return "resumed"
            } catch { return "\(error)" }
        }
        let resume = LabFixtures.options(dir, messages: messages, resume: true)
        let hp = refusal { try Run.open(resume, model: try LabFixtures.model(), editor: try LabFixtures.memit(lambda: 20000)) }
        #expect(hp.contains("cannot resume the run in \(dir): hyper-parameter mom2_update_weight: 15000.0 in the run, 20000.0 now"), "\(hp)")
        let other = refusal { try Run.open(resume, model: try LabFixtures.model(), editor: try LabFixtures.memit(steps: 6)) }
        #expect(other.contains("hyper-parameter v_num_grad_steps: 5 in the run, 6 now"), "\(other)")
        let edited = try LabFixtures.model()
        try edited.parameter("blocks.0.mlp.up").mulInPlace(1.0001)
        let mo = refusal { try Run.open(resume, model: edited, editor: try LabFixtures.memit()) }
        #expect(mo.contains("the model differs: its weights hash was"), "\(mo)")
        // the BLAS thread count the manifest records
        let manifestPath = dir + "/manifest.json"
        var m = try RunManifest.read(path: manifestPath)
        let saved = m
        m.blasThreads = BLASInfo.threadCount + 3
        try AtomicFile.write(Data(m.text.utf8), to: manifestPath)
        let th = refusal { try Run.open(resume, model: try LabFixtures.model(), editor: try LabFixtures.memit()) }
        #expect(th.contains("the BLAS thread count was \(BLASInfo.threadCount + 3) and is \(BLASInfo.threadCount) now"), "\(th)")
        try AtomicFile.write(Data(saved.text.utf8), to: manifestPath)
        // the loop's requests and batch size
        for (reqs, batch, want) in [(LabFixtures.facts(4), 1, "the batch size was 2 and is 1 now"),
                                    (LabFixtures.facts(5), 2, "the run edits 4 requests and 5 are given now"),
                                    (Array(LabFixtures.facts(4).reversed()), 2, "the requests differ")] {
            let r = try Run.open(resume, model: try LabFixtures.model(), editor: try LabFixtures.memit())
            do {
                _ = try r.loop(requests: reqs, batchSize: batch)
                Issue.record("the loop resumed with \(want)")
            } catch {
                #expect("\(error)".contains(want), "\(error)")
            }
            r.close()
        }
        #expect(refusal { try Run.open(resume, model: try LabFixtures.model(), editor: try LabFixtures.memit()) } == "resumed")
    }

    /// An interrupted run (left inside its third batch, with a row logged after its last
    /// checkpoint) resumed with a fresh model and editor ends with the same bytes as an
    /// uninterrupted run: metric files, final checkpoint (weights, editor state, random
    /// state). C0 is collected lazily from the model, as editors do by default: only priming on
    /// the unedited model makes the resumed run use the same C0.
    @Test func interruptedRunResumesToTheSameBytes() throws {
        let root = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        func editor(_ model: LanguageModel) throws -> MEMITFamily {
            let texts = ["The capital of France is Paris.", "Water boils at one hundred degrees.", "The cat sat on the mat by the door.",
                         "Mount Everest is the highest mountain on Earth.", "Music and art are part of every culture."]
            let tok = try model.requireTokenizer()
            let stats = CovarianceStatistics(corpusName: "lab-test", documents: texts.map { tok.encode($0) }, sampleCount: texts.count,
                                             cacheDirectory: nil)
            stats.showProgress = false
            return try LabFixtures.memit(covariance: stats)
        }
        let facts = LabFixtures.facts(9)
        let messages = Messages()
        // uninterrupted
        let ma = try LabFixtures.model()
        let a = try Run.open(LabFixtures.options(root + "/a", messages: messages), model: ma, editor: try editor(ma))
        try a.log(try MetricRow(["batch": .int(0), "noise": .double(a.random.nextNormal())]))
        try LabFixtures.runLoop(a, facts, batchSize: 2)
        a.close()
        // interrupted inside batch 3, after its row was logged (checkpoint after batch 2)
        let mb = try LabFixtures.model()
        let b = try Run.open(LabFixtures.options(root + "/b", messages: messages), model: mb, editor: try editor(mb))
        try b.log(try MetricRow(["batch": .int(0), "noise": .double(b.random.nextNormal())]))
        try LabFixtures.runLoop(b, facts, batchSize: 2, stopAfter: 3)
        b.close()
        #expect(messages.text.contains("closed during batch 3 of 5: it keeps its checkpoint after batch 2"), "\(messages.text)")
        #expect(b.metrics.state.lines == 4, "the row of batch 3 was written after the checkpoint")
        // resumed with everything fresh
        let mc = try LabFixtures.model()
        let c = try Run.open(LabFixtures.options(root + "/b", messages: messages, resume: true), model: mc, editor: try editor(mc))
        try c.log(try MetricRow(["batch": .int(0), "noise": .double(c.random.nextNormal())]))
        #expect(c.metrics.state.lines == 3, "the pre-loop row is replayed, not written again")
        let loop = try c.loop(requests: facts, batchSize: 2)
        #expect(c.resumedFrom == 2 && loop.finished == 2)
        try LabFixtures.iterate(c, loop)
        c.close()
        #expect(messages.text.contains("resuming run 'b' after batch 2 of 5 (batch-000002)"), "\(messages.text)")
        for f in ["metrics.jsonl", "metrics.csv", "checkpoints/batch-000005.safetensors", "checkpoints/batch-000005.json",
                  "checkpoints/batch-000004.safetensors"] {
            let x = LabFixtures.bytes(root + "/a/" + f), y = LabFixtures.bytes(root + "/b/" + f)
            #expect(!x.isEmpty && x == y, "\(f) differs between the uninterrupted and the resumed run")
        }
        for n in ["blocks.1.mlp.down", "blocks.2.mlp.down"] {
            #expect(try ma.parameter(n).floats() == (try mc.parameter(n).floats()), "\(n)")
        }
    }

    /// A checkpoint whose payload is corrupted, one whose payload is cut short, and one without
    /// its descriptor (a crash before it was written) are passed over with a warning; the
    /// newest intact one is used. Once a run has resumed from an earlier checkpoint, its metric
    /// files no longer hold the later one's rows, and that one is refused too.
    @Test func damagedCheckpointsFallBack() throws {
        let dir = try LabFixtures.temporaryDirectory() + "/r"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let messages = Messages()
        let model = try LabFixtures.model()
        let run = try Run.open(LabFixtures.options(dir, messages: messages, every: 1), model: model, editor: try LabFixtures.memit())
        try LabFixtures.runLoop(run, LabFixtures.facts(6), batchSize: 2)
        run.close()
        let ck = dir + "/checkpoints/"
        #expect(run.checkpoints.batchesWithDescriptors() == [3, 2])
        func resumeFrom() throws -> (Int?, String) {
            messages.all = []
            let r = try Run.open(LabFixtures.options(dir, messages: messages, resume: true, every: 1), model: try LabFixtures.model(),
                                 editor: try LabFixtures.memit())
            _ = try r.loop(requests: LabFixtures.facts(6), batchSize: 2)
            defer { r.close() }
            return (r.resumedFrom, messages.text)
        }
        // intact: the newest, silently
        var (from, text) = try resumeFrom()
        #expect(from == 3 && !text.contains("unusable"), "\(text)")
        // one flipped byte in the newest payload's data
        var payload = LabFixtures.bytes(ck + "batch-000003.safetensors")
        let good = payload
        payload[payload.count - 5] ^= 0x40
        try payload.write(to: URL(fileURLWithPath: ck + "batch-000003.safetensors"))
        (from, text) = try resumeFrom()
        #expect(from == 2, "\(text)")
        #expect(text.contains("checkpoint batch-000003") && text.contains("SHA-256 mismatch (corrupted)") && text.contains("using checkpoint batch-000002 instead"), "\(text)")
        // half-written: the payload cut short
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: ck + "batch-000003.safetensors"))
        (from, text) = try resumeFrom()
        #expect(from == 2 && text.contains("(half-written?)"), "\(text)")
        // written but not yet described: the descriptor is missing, the checkpoint is ignored
        try good.write(to: URL(fileURLWithPath: ck + "batch-000003.safetensors"))
        let descriptor = LabFixtures.bytes(ck + "batch-000003.json")
        try FileManager.default.removeItem(atPath: ck + "batch-000003.json")
        (from, text) = try resumeFrom()
        #expect(from == 2 && !text.contains("unusable"), "\(text)")
        // intact again, but the resumes from batch 2 cut the metric files back to batch 2
        try descriptor.write(to: URL(fileURLWithPath: ck + "batch-000003.json"))
        (from, text) = try resumeFrom()
        #expect(from == 2 && text.contains("the metric files are shorter than it records"), "\(text)")
        // nothing usable: start again from the first batch
        for b in [2, 3] { try "{".write(toFile: ck + "batch-00000\(b).json", atomically: true, encoding: .utf8) }
        (from, text) = try resumeFrom()
        #expect(from == nil && text.contains("no usable checkpoint: the run starts again from its first batch"), "\(text)")
        #expect(try MetricsReader.rows(path: dir).isEmpty, "and its metrics with it")
    }

    /// The manifest's record of the hyper-parameters covers every field of
    /// EditHyperparameters (a field added later without a record would go unchecked).
    @Test func hyperparameterRecordIsComplete() throws {
        let fields = HyperparameterRecord.fields(EditHyperparameters())
        #expect(fields.count == Mirror(reflecting: EditHyperparameters()).children.count)
        // each field changes the record
        var h = EditHyperparameters()
        try h.apply([("layers", .array([.int(2), .int(3)])), ("v_lr", .double(0.25)), ("nullspace_energy", .double(0.1)),
                     ("context_templates", .array([.array([.string("{}")])])), ("template_seed", .int(9))], method: "memit")
        let d = HyperparameterRecord.differences(recorded: fields, current: HyperparameterRecord.fields(h))
        #expect(d.count == 5, "\(d)")
        #expect(d.contains("hyper-parameter nullspace_energy: null in the run, 0.1 now"))
    }
}
