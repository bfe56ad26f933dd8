import Foundation
import Scripting
import Testing

/// The Lua-level tests in Tests/ScriptingTests/lua, run through the host.
@Suite("Lua scripts through the host")
struct LuaScriptTests {
    @Test func tensorAPI() throws { try expectLuaTestsPass("tensor_api.lua") }

    @Test func errorPaths() throws { try expectLuaTestsPass("errors.lua") }

    @Test func modelAPIOnTinyLlama() throws { try expectLuaTestsPass("model_tiny.lua") }

    @Test func modelAPIOnDefaultModel() throws {
        let path = ScriptingFixtures.fixtures + "/smollm2/golden.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = ScriptingFixtures.luaValue(json: try JSONSerialization.jsonObject(with: data))
        try expectLuaTestsPass("model_smollm2.lua", globals: ["GOLDEN": golden])
    }
}
