import Foundation
import Lab
import Testing

/// The real thing: `editlab run` of a Lua script with a run, killed with SIGKILL in the middle
/// of a batch after its first checkpoint, then run again with resume = true, ends with the same
/// bytes as an uninterrupted run.
@Suite("kill and resume (processes)", .serialized)
struct KillResumeTests {
    /// The script: MEMIT on the tiny model with sampled context templates, five batches of two
    /// built-in facts, checkpoints every two batches, a random number from tensor.randn in every
    /// row (the random state must come back too). With "hang" it stops inside batch 3, after
    /// logging its row, and waits to be killed.
    static let script = """
    local root, dir, mode = ...
    local m = model.load(root)
    local stats = editor.stats(m, { file = root .. "/c0.safetensors" })
    local ed = editor.memit{ hparams = root .. "/hparams_memit.json", stats = stats, v_num_grad_steps = 6, add_prev_edits = true }
    local run = lab.run{ dir = dir, model = m, editor = ed, resume = true, checkpoint_every = 2, seed = 7, progress = false }
    local facts = data.facts():sample{ n = 10, seed = 3 }
    run:log{ edit = 0, noise = tensor.randn(1):item() }
    for i, batch in run:each(facts, { batch = 2 }) do
      local d = ed:apply(m, batch)
      run:log{ edit = i * 2, delta = d:norm(), loss = d.trace.final_loss, noise = tensor.randn(1):item(),
               w = { L1 = metrics.frobenius(m, "blocks.1.mlp.down"), L2 = metrics.frobenius(m, "blocks.2.mlp.down") } }
      if mode == "hang" and i == 3 then
        local f = assert(io.open(dir .. "/hanging", "w"))
        f:write("batch 3\\n")
        f:close()
        while true do end
      end
    end
    run:close()
    print("done", run.resumed_from)
    """

    /// Starts `editlab run script.lua <editors fixture> <dir> <mode>`.
    static func start(_ scriptPath: String, _ dir: String, _ mode: String) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try LabFixtures.editlabBinary())
        p.arguments = ["run", scriptPath, LabFixtures.editors, dir, mode]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs to the end; returns (status, stdout, stderr).
    static func run(_ scriptPath: String, _ dir: String) throws -> (Int32, String, String) {
        let (p, out, err) = try start(scriptPath, dir, "normal")
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func killedMidBatchAndResumedGivesTheSameBytes() throws {
        let root = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scriptPath = root + "/run.lua"
        try KillResumeTests.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)

        let (s1, o1, e1) = try KillResumeTests.run(scriptPath, root + "/whole")
        #expect(s1 == 0, "\(e1)")
        #expect(o1 == "done\tnil\n", "\(o1)")

        // killed inside batch 3
        let killed = root + "/killed"
        let (p, _, err) = try KillResumeTests.start(scriptPath, killed, "hang")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: killed + "/hanging") && p.isRunning && Date() < deadline { usleep(20_000) }
        let reachedBatch3 = FileManager.default.fileExists(atPath: killed + "/hanging")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let hangErr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(reachedBatch3, "the child did not reach batch 3: \(hangErr)")
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
        let ck = killed + "/checkpoints"
        #expect(FileManager.default.fileExists(atPath: ck + "/batch-000002.json"), "the first checkpoint was written")
        #expect(!FileManager.default.fileExists(atPath: ck + "/batch-000004.json"))
        let jsonl = String(decoding: LabFixtures.bytes(killed + "/metrics.jsonl"), as: UTF8.self)
        #expect(jsonl.split(separator: "\n").count == 4, "rows 0-3 on disk, row 3 after the checkpoint: \(jsonl)")

        // resumed: continues after batch 2 and ends as the uninterrupted run
        let (s2, o2, e2) = try KillResumeTests.run(scriptPath, killed)
        #expect(s2 == 0, "\(e2)")
        #expect(o2 == "done\t2\n", "\(o2)")
        #expect(e2.contains("lab: resuming run 'killed' after batch 2 of 5 (batch-000002)"), "\(e2)")
        for f in ["metrics.jsonl", "metrics.csv", "checkpoints/batch-000005.safetensors", "checkpoints/batch-000005.json",
                  "checkpoints/batch-000004.safetensors", "checkpoints/batch-000004.json"] {
            let a = LabFixtures.bytes(root + "/whole/" + f), b = LabFixtures.bytes(killed + "/" + f)
            #expect(!a.isEmpty && a == b, "\(f) differs after the resume")
        }
        let rows = try MetricsReader.rows(path: killed)
        #expect(rows.count == 6 && rows.last?["edit"] == .int(10))
        let final = try CheckpointStore(directory: ck).load(batch: 5)
        #expect(final.descriptor.weights == ["blocks.1.mlp.down", "blocks.2.mlp.down"])
        #expect(final.descriptor.editorState == ["previous_keys.L1", "previous_keys.L2"])
    }
}
