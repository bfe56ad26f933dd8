import Foundation
import Testing

/// The `lab` module through `editlab run`: options, errors with clear messages, log values,
/// plots, help, and a run without a model.
@Suite("lab module (processes)", .serialized)
struct LuaBridgeTests {
    static let script = #"""
    local dir = ...
    local failures = 0
    local function raises(fragment, fn, ...)
      local ok, err = pcall(fn, ...)
      if ok then print("FAIL: expected an error containing: " .. fragment); failures = failures + 1; return end
      if not tostring(err):find(fragment, 1, true) then
        print("FAIL: expected '" .. fragment .. "', got: " .. tostring(err)); failures = failures + 1
      end
    end
    local function check(cond, what) if not cond then print("FAIL: " .. what); failures = failures + 1 end end

    raises("a run needs a name", lab.run, {})
    raises("unknown option 'batch'", lab.run, { name = "x", batch = 3 })
    raises("option 'model' must be a Model, got number", lab.run, { dir = dir .. "/bad", model = 3 })
    raises("checkpoint_every must be at least 1", lab.run, { dir = dir .. "/bad", checkpoint_every = 0 })
    raises("not usable as a directory name", lab.run, { name = "a/b" })

    local run = lab.run{ dir = dir .. "/r", seed = 5, progress = false }
    check(run.dir == dir .. "/r" and run.name == "r", "dir and name: " .. tostring(run.dir))
    check(run.manifest.seed == 5 and run.manifest.model == nil and run.manifest.format == "editlab-run-1", "manifest table")
    check(tostring(run):find("Run 'r'", 1, true), "tostring")
    -- tensor.randn is seeded by the run
    local a = tensor.randn(3)
    tensor.manual_seed(5)
    check(a == tensor.randn(3), "lab.run seeds tensor.randn with its seed")
    raises("metric 'w' is a Tensor: log a number", run.log, run, { w = tensor.ones(2) })
    raises("metrics are named", run.log, run, { 1, 2 })
    raises("metric 'f' is a function", run.log, run, { f = print })
    run:log{ edit = 0, ok = true, label = "a,b", shift = { cka = 0.5, list = { 1, 2 } } }
    for i, batch in run:each(data.facts():slice(1, 5), { batch = 2 }) do
      check(#batch == (i < 3 and 2 or 1) and tostring(batch[1]):find("Request", 1, true), "batch " .. i)
      run:log{ edit = i, x = i * 0.5, nan = 0 / 0, inf = 1 / 0 }
    end
    check(run.batches_done == 3, "batches_done " .. run.batches_done)
    raises("already has its batch loop", run.each, run, data.facts():slice(1, 2))
    local path = run:plot{ x = "edit", y = "x", file = "x.svg" }
    check(path == dir .. "/r/x.svg", "plot path " .. path)
    raises("no numeric values of 'nope'", run.plot, run, { x = "edit", y = { "nope" }, file = "n.svg" })
    raises("option 'file'", run.plot, run, { x = "edit", y = "x" })
    local rows = lab.metrics(run.dir)
    check(#rows == 4 and rows[1]["shift.list.2"] == 2 and rows[1].label == "a,b" and rows[1].ok == true, "rows read back")
    check(math.type(rows[1].edit) == "integer" and rows[4].x == 1.5, "types read back")
    check(rows[2].nan ~= rows[2].nan and rows[2].inf == math.huge, "NaN and inf read back")
    run:close()
    raises("is closed", run.log, run, { x = 1 })
    raises("already holds a run; pass resume = true", lab.run, { dir = dir .. "/r" })
    -- an unreferenced open run is collected to free its directory
    lab.run{ dir = dir .. "/g" }
    local again = lab.run{ dir = dir .. "/g", resume = true }
    again:close()
    help(lab)
    print(failures == 0 and "all passed" or (failures .. " failed"))
    """#

    @Test func luaSurface() throws {
        let root = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try LuaBridgeTests.script.write(toFile: root + "/t.lua", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try LabFixtures.editlabBinary())
        p.arguments = ["run", root + "/t.lua", root]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(e)")
        #expect(o.hasSuffix("all passed\n") && !o.contains("FAIL"), "\(o)\n\(e)")
        #expect(o.contains("lab: Experiment runs."), "help(lab) prints the module's documentation")
        #expect(o.contains("lab.run({name=, dir=, model=, editor=, resume=, overwrite=, checkpoint_every=, seed=, progress=}) -> Run"), "\(o)")
        let csv = String(decoding: LabFixtures.bytes(root + "/r/metrics.csv"), as: UTF8.self)
        #expect(csv.hasPrefix("edit,inf,label,nan,ok,shift.cka,shift.list.1,shift.list.2,x\n0,,\"a,b\",,true,0.5,1,2,\n1,inf,,nan,,,,,0.5\n"), "\(csv)")
    }
}
