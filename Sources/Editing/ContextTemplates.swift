import Foundation
import LanguageModels

/// Context templates (prefix augmentation, EDITING.md §0 and §11): sampled from the model with
/// a seeded top-k = 5 sampler by the reference rules, or given.
public enum ContextTemplates {
    /// ROME's templates: `"{}"` plus, for each `[length, count]`, `count` texts of at most
    /// `length` tokens (the start token counted) sampled after `<|endoftext|>`, each cleaned
    /// and followed by `". {}"`.
    public static func rome(_ model: LanguageModel, lengthParams: [[Int]], seed: UInt64) throws -> [String] {
        let tok = try model.requireTokenizer()
        let start = tok.id(ofToken: "<|endoftext|>").map { [$0] } ?? tok.bosID.map { [$0] } ?? []
        var out = ["{}"]
        var s = seed
        for p in lengthParams where p.count == 2 && p[1] > 0 {
            let prompts = [[Int]](repeating: start.isEmpty ? tok.encode("The") : start, count: p[1])
            let g = try model.generate(prompts, maxTokens: max(p[0] - prompts[0].count, 1),
                                       sampling: .sample(temperature: 1, topK: 5, topP: 1, seed: s), stopAtEOS: false)
            s &+= 1
            for ids in g.newIDs {
                out.append(clean(try tok.decode(ids, skipSpecialTokens: true), braces: "") + ". {}")
            }
        }
        return out
    }

    /// The MEMIT family's template groups: `[["{}"], five texts of at most 10 tokens sampled
    /// after "The", "Therefore", "Because", "I", "You", each followed by ". {}"]`.
    public static func memit(_ model: LanguageModel, seed: UInt64) throws -> [[String]] {
        let tok = try model.requireTokenizer()
        let starts = ["The", "Therefore", "Because", "I", "You"]
        var group: [String] = []
        for (i, w) in starts.enumerated() {
            let ids = tok.encode(w)
            let g = try model.generate([ids], maxTokens: max(10 - ids.count, 1),
                                       sampling: .sample(temperature: 1, topK: 5, topP: 1, seed: seed &+ UInt64(i)), stopAtEOS: false)
            let text = w + (try tok.decode(g.newIDs[0], skipSpecialTokens: true))
            group.append(clean(text, braces: " ") + ". {}")
        }
        return [["{}"], group]
    }

    /// The reference's cleaning: NFKD, "\n\n" → " ", `<|endoftext|>` removed, braces replaced.
    static func clean(_ text: String, braces: String) -> String {
        text.decomposedStringWithCompatibilityMapping
            .replacingOccurrences(of: "\n\n", with: " ")
            .replacingOccurrences(of: "<|endoftext|>", with: "")
            .replacingOccurrences(of: "{", with: braces)
            .replacingOccurrences(of: "}", with: braces)
    }
}
