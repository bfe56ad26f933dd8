import Foundation
import Scripting
import Testing

/// Paths and helpers shared by the Scripting tests.
enum ScriptingFixtures {
    /// …/Tests/ScriptingTests
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// …/Tests/ScriptingTests/lua
    static let luaDir = testsDir.appendingPathComponent("lua").path
    /// …/Tests/Fixtures
    static let fixtures = testsDir.deletingLastPathComponent().appendingPathComponent("Fixtures").path
    /// The package root.
    static let packageRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent().path

    /// The built `editlab` binary: $EDITLAB_BIN, or next to the test bundle (same build
    /// directory), or the package's usual build directories.
    static func editlabBinary() throws -> String {
        let fm = FileManager.default
        if let p = ProcessInfo.processInfo.environment["EDITLAB_BIN"], fm.isExecutableFile(atPath: p) { return p }
        var candidates: [String] = []
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = (exe as NSString).deletingLastPathComponent
            candidates.append(dir + "/editlab")
            candidates.append((dir as NSString).deletingLastPathComponent + "/editlab")
        }
        for b in [".build-lua", ".build"] {
            for c in ["release", "debug"] { candidates.append("\(packageRoot)/\(b)/\(c)/editlab") }
        }
        for c in candidates where fm.isExecutableFile(atPath: c) { return c }
        throw FixtureMissing(message: "the editlab binary was not found (build it first: swift build); looked in \(candidates)")
    }

    /// The Lua test prelude: `test`, `check`, `eq`, `near`, `raises`.
    static let prelude = """
    __tests = {}
    function test(name, fn) __tests[#__tests + 1] = { name = name, fn = fn } end
    function check(cond, msg) if not cond then error(msg or "check failed", 2) end return cond end
    function eq(got, want, msg)
      if got ~= want then
        error(string.format("%s: expected %s, got %s", msg or "eq", tostring(want), tostring(got)), 2)
      end
    end
    function near(got, want, tol, msg)
      tol = tol or 1e-6
      if type(got) ~= "number" or math.abs(got - want) > tol then
        error(string.format("%s: expected %s within %g, got %s", msg or "near", tostring(want), tol, tostring(got)), 2)
      end
    end
    -- Calls fn(...) and requires an error whose message contains `fragment` (plain text).
    function raises(fragment, fn, ...)
      local ok, err = pcall(fn, ...)
      if ok then error("expected an error containing '" .. fragment .. "', but the call succeeded", 2) end
      local msg = tostring(err)
      if not msg:find(fragment, 1, true) then
        error("expected an error containing '" .. fragment .. "', got: " .. msg, 2)
      end
      return msg
    end
    """

    /// Runs a Lua test file in a fresh VM: loads the prelude and the file, then runs every
    /// `test(name, fn)` it declared; returns the failures as (name, message).
    static func runLuaTests(_ file: String, globals: [String: LuaValue] = [:]) throws -> (count: Int, failures: [(String, String)]) {
        let vm = try LuaVM()
        defer { vm.close() }
        vm.output = { _ in }
        try vm.setGlobal("FIXTURES", .string(fixtures))
        try vm.setGlobal("TMPDIR", .string(NSTemporaryDirectory()))
        for (k, v) in globals { try vm.setGlobal(k, v) }
        try vm.run(prelude, chunkName: "=prelude")
        let path = luaDir + "/" + file
        let code = try String(contentsOfFile: path, encoding: .utf8)
        try vm.run(code, chunkName: "@" + path)
        let results = try vm.run("""
            local failures = {}
            for _, t in ipairs(__tests) do
              local ok, err = xpcall(t.fn, debug.traceback)
              if not ok then failures[#failures + 1] = { name = t.name, message = tostring(err) } end
            end
            return #__tests, failures
            """, chunkName: "=runner")
        let count = results.first?.intValue ?? 0
        let failures = (results.dropFirst().first?.tableValue?.array ?? []).map {
            ($0["name"]?.stringValue ?? "?", $0["message"]?.stringValue ?? "?")
        }
        return (count, failures)
    }

    /// Converts parsed JSON to a Lua value (objects to tables with string keys, arrays to sequences).
    static func luaValue(json: Any) -> LuaValue {
        switch json {
        case let s as String: return .string(s)
        case let n as NSNumber:
            let d = n.doubleValue
            return d == d.rounded() && abs(d) < 1e15 ? .integer(Int(d)) : .number(d)
        case let a as [Any]: return .table(LuaTable(array: a.map { luaValue(json: $0) }))
        case let o as [String: Any]: return .table(LuaTable(fields: o.mapValues { luaValue(json: $0) }))
        default: return .nilValue
        }
    }
}

struct FixtureMissing: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a Lua test file and records one issue per failing test; requires at least one test.
func expectLuaTestsPass(_ file: String, globals: [String: LuaValue] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try ScriptingFixtures.runLuaTests(file, globals: globals)
    #expect(r.count > 0, "\(file) declared no tests", sourceLocation: sourceLocation)
    for (name, message) in r.failures {
        Issue.record("\(file): \(name): \(message)", sourceLocation: sourceLocation)
    }
}
