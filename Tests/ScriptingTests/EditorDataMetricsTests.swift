import Editing
import Foundation
@testable import Scripting
import Testing

/// The `editor`, `data` and `metrics` modules: Lua scripts in Tests/ScriptingTests/lua run
/// through the host, plus the documentation and the hyper-parameter conversion.
@Suite("editor, data and metrics modules", .serialized)
struct EditorDataMetricsTests {
    /// Tests/Fixtures/editors/fixed_inputs.json as a Lua value (requests, templates, C0 texts).
    static func fixedInputs() throws -> LuaValue {
        let path = ScriptingFixtures.fixtures + "/editors/fixed_inputs.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return ScriptingFixtures.luaValue(json: try JSONSerialization.jsonObject(with: data))
    }

    @Test func editorsOnTheFixtureModel() throws {
        try expectLuaTestsPass("editor_tiny.lua", globals: ["FIXED": try Self.fixedInputs()])
    }

    @Test func editorErrorPaths() throws {
        try expectLuaTestsPass("editor_errors.lua", globals: ["FIXED": try Self.fixedInputs()])
    }

    @Test func requestsLoadersAndCorpora() throws {
        try expectLuaTestsPass("data_requests.lua")
    }

    @Test func metricsOnTheFixtureModel() throws {
        try expectLuaTestsPass("metrics_tiny.lua", globals: ["FIXED": try Self.fixedInputs()])
    }

    @Test func factsAndCounterFactOnTheDefaultModel() throws {
        try expectLuaTestsPass("metrics_smollm2.lua")
    }

    /// Every field of the hyper-parameters survives the trip to a Lua table and back: a value
    /// with every field changed from the defaults, converted to a table and applied to the
    /// defaults, is the same value.
    @Test func hyperparameterTablesAreLossless() throws {
        var h = EditHyperparameters()
        try h.apply([
            ("layers", .array([.int(2), .int(3)])), ("fact_token", .string("last")), ("v_num_grad_steps", .int(7)),
            ("v_lr", .double(0.25)), ("v_loss_layer", .int(9)), ("v_weight_decay", .double(0.125)),
            ("clamp_norm_factor", .double(3)), ("kl_factor", .double(0.5)), ("mom2_adjustment", .bool(false)),
            ("mom2_update_weight", .double(1234)), ("mom2_dataset", .string("corpus.txt")), ("mom2_n_samples", .int(11)),
            ("mom2_dtype", .string("float64")), ("context_template_length_params", .array([.array([.int(3), .int(2)])])),
            ("update_norm_lambda", .double(5)), ("emmet_lambda", .double(0.3)), ("prob_cutoff", .double(-3)),
            ("add_prev_edits", .bool(true)), ("nullspace_threshold", .double(0.05)), ("nullspace_energy", .double(0.01)),
            ("L2", .double(4)), ("prompt_prefix", .string("text:Hello.")), ("template_seed", .int(5)),
            ("context_templates", .array([.array([.string("{}")]), .array([.string("A. {}"), .string("B. {}")])])),
            ("early_stop_loss", .double(0.01)), ("kl_prompt", .string("{} was")), ("rome_inverse_float32", .bool(true)),
        ], method: "memit")
        let defaults = EditHyperparameters()
        let t = try #require(EditorModule.hparamsTable(h).tableValue)
        var back = EditHyperparameters()
        for k in t.sortedKeys { try back.set(k, try EditorModule.hyperValue(t.fields[k] ?? .nilValue, key: k), method: "memit") }
        #expect(back == h)
        // every stored field differs from its default, so the check covers each of them
        let dt = try #require(EditorModule.hparamsTable(defaults).tableValue)
        for k in t.sortedKeys where k != "v_loss_layer" && k != "nullspace_energy" && k != "context_templates" {
            #expect(t.fields[k] != dt.fields[k], "\(k) kept its default in the test value")
        }
    }

    /// Through Lua: an editor rebuilt from its own hparams table has the same Swift values, for
    /// every method and preset.
    @Test func editorsRebuildFromTheirHparams() throws {
        let vm = try LuaVM()
        defer { vm.close() }
        for method in HyperparameterPresets.methods {
            for preset in HyperparameterPresets.models where !(method == "encore" && preset == "gpt-j-6b") {
                let r = try vm.run("local e = editor[...]{ preset = select(2, ...) }; return e, editor[...](e.hparams)",
                                   args: [.string(method), .string(preset)])
                guard case .object(let a as LuaEditor, _)? = r.first, case .object(let b as LuaEditor, _)? = r.dropFirst().first else {
                    Issue.record("\(method)/\(preset): no editors")
                    continue
                }
                #expect(a.editor.hparams == b.editor.hparams, "\(method)/\(preset)")
                #expect(a.editor.hparams == (try HyperparameterPresets.preset(method: method, model: preset)))
            }
        }
    }

    /// help(editor), help(editor.rome), help("Delta") ... print useful text generated from the
    /// registrations, and every function of the three modules and their classes is documented.
    @Test func helpDocumentsTheModules() throws {
        let vm = try LuaVM()
        defer { vm.close() }
        var out = ""
        vm.output = { out += $0 }
        let expectations: [(String, [String])] = [
            ("help(editor)", ["editor: Knowledge editors", "editor.rome([{preset=, hparams=, stats=", "editor.stats(model", "editor.trace(model",
                              "help(\"Editor\")"]),
            ("help(editor.rome)", ["editor.rome([{preset=, hparams=, stats=, <hyper-parameter>=}]) -> Editor", "ROME"]),
            ("help(editor.memit{})", ["Editor: An editing method", "e:apply(model, requests) -> Delta", "e.hparams"]),
            ("help('Delta')", ["d:norm() -> number", "d:revert()", "d.trace", "d.layers"]),
            ("help('Stats')", ["s:c0(layer[, model]) -> Tensor"]),
            ("help(data)", ["data.facts() -> Requests", "data.counterfact(path", "data.request(", "data.probe_prompts"]),
            ("help(data.facts())", ["r:sample([{n=, seed=, unique_subjects=}]) -> Requests", "#r"]),
            ("help('Request')", ["r.target_new", "r:totable() -> table"]),
            ("help(metrics)", ["metrics.counterfact(model, requests", "metrics.frobenius(model, name)", "metrics.activations(model, prompts",
                               "metrics.subspace_shift(before, after"]),
            ("help(metrics.counterfact)", ["1 - es"]),
            ("help('Activations')", ["a:by_layer(point[, stat])"]),
            ("help()", ["editor", "data", "metrics"]),
        ]
        for (code, fragments) in expectations {
            out = ""
            try vm.run(code)
            for f in fragments { #expect(out.contains(f), "\(code) should mention \(f):\n\(out)") }
            #expect(!out.contains("no documentation"), "\(code)")
        }
        let mine = vm.documentedFunctions.filter {
            ["editor.", "data.", "metrics.", "Editor", "Delta", "Stats", "Request", "Corpus", "Activations", "NextTokenReference"]
                .contains(where: $0.qualifiedName.hasPrefix)
        }
        #expect(mine.count > 50)
        for e in mine {
            #expect(!e.doc.isEmpty && e.signature.hasPrefix("("), "\(e.qualifiedName)")
            out = ""
            try vm.run("help(...)", args: [.string(e.qualifiedName)])
            #expect(out.contains(e.signature), "help of \(e.qualifiedName): \(out)")
        }
    }
}
