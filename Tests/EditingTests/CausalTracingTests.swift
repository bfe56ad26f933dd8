import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors
import Testing

@Suite("Causal tracing")
struct CausalTracingTests {
    @Test func restorationsBehaveAsTheDefinitionRequires() throws {
        let model = try EditorFixtures.model()
        var o = CausalTracing.Options()
        o.samples = 3
        o.prefix = .none
        let tr = try CausalTracing.trace(model, template: "The mother tongue of {} is", subject: "Danielle Darrieux",
                                         noise: 0.75, options: o)
        let t = tr.tokens.count, layers = model.config.layerCount
        #expect(tr.scores.count == layers && tr.scores.allSatisfy { $0.count == t })
        #expect(tr.subjectRange.lowerBound > 0)
        // Positions before the subject are not corrupted: restoring them changes nothing.
        for l in 0..<layers { for p in 0..<tr.subjectRange.lowerBound {
            #expect(abs(tr.scores[l][p] - tr.corrupted) < 1e-6, "layer \(l) position \(p)")
        } }
        // Restoring the last block's output at the last position restores the clean answer.
        #expect(abs(tr.scores[layers - 1][t - 1] - tr.clean) < 1e-6)
        // Restoring the first block's output at every subject token... at the last subject token
        // of the last layer changes nothing (later positions already saw the corruption).
        #expect(abs(tr.scores[layers - 1][tr.subjectRange.upperBound - 1] - tr.corrupted) < 1e-6)
        // The corruption matters for this random model: the clean and corrupted answers differ.
        #expect(tr.clean != tr.corrupted)
        // Window restorations run too.
        o.kind = .mlp
        o.window = 2
        let mlp = try CausalTracing.trace(model, template: "The mother tongue of {} is", subject: "Danielle Darrieux", noise: 0.75, options: o)
        #expect(mlp.scores.count == layers)
        for p in 0..<mlp.subjectRange.lowerBound { #expect(abs(mlp.scores[0][p] - mlp.corrupted) < 1e-6) }
        let avg = CausalTracing.averageByPositionClass([tr, mlp])
        #expect(avg.count == layers && avg[0].count == CausalTracing.positionClasses.count)
    }

    @Test func noiseLevelIsThreeStandardDeviationsOfSubjectEmbeddings() throws {
        let model = try EditorFixtures.model()
        let tok = try model.requireTokenizer()
        let ids = tok.encode(" Sweden") + tok.encode(" Microsoft")
        let e = try F.indexSelect(model.parameter("embed"), ids).doubles()
        let m = e.reduce(0, +) / Double(e.count)
        let sd = (e.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(e.count - 1)).squareRoot()
        #expect(abs(try CausalTracing.noiseLevel(model, subjects: ["Sweden", "Microsoft"]) - 3 * sd) < 1e-9)
    }
}
