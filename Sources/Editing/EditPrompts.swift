import Foundation
import Datasets
import LanguageModels

/// Tokenisation as the reference editing code does it, with EditLab's prompt prefix in front
/// of every prompt.
///
/// The subject's token index follows `repr_tools.get_words_idxs_in_templates`: the template is
/// split at `{}`; when the part before is not empty its trailing space is removed and the
/// subject is tokenised as `" " + subject`; the index is then
/// `len(tok(prefix)) + len(tok(subject)) − 1` for `subject_last` (the pieces tokenised
/// separately, which can differ from the joint tokenisation — the reference's behaviour).
struct EditPrompts {
    let tokenizer: Tokenizer
    /// Token ids put in front of every prompt.
    let prefix: [Int]

    init(model: LanguageModel, prefix: PromptPrefix) throws {
        let tok = try model.requireTokenizer()
        self.init(tokenizer: tok, prefix: try prefix.ids(for: tok))
    }

    /// Ids of a full prompt text (prefix included).
    func encode(_ text: String) -> [Int] { prefix + tokenizer.encode(text) }

    /// Ids of a target string: a leading space is added when missing (reference rule).
    func targetIDs(_ target: String) throws -> [Int] {
        let t = target.hasPrefix(" ") ? target : " " + target
        let ids = tokenizer.encode(t)
        guard !ids.isEmpty else { throw EditorError.invalidHyperparameter("target", detail: "the target '\(target)' has no tokens") }
        return ids
    }

    /// Index (prefix included) of the fact token of `subject` in `template` (one `{}`),
    /// for the whole filled template text `template.format(subject)`.
    func lookupIndex(template: String, subject: String, factToken: String, caseID: Int) throws -> Int {
        guard let r = template.range(of: "{}") else {
            throw EditorError.badRequest(caseID: caseID, detail: "the prompt '\(template)' has no {} for the subject")
        }
        if factToken == "last" {
            return encode(EditRequest.fill(template, subject)).count - 1
        }
        var before = String(template[template.startIndex..<r.lowerBound])
        var word = subject
        if !before.isEmpty {
            if before.hasSuffix(" ") { before.removeLast() }
            word = " " + subject.trimmingCharacters(in: .whitespaces)
        }
        let prefixLen = before.isEmpty ? 0 : tokenizer.encode(before).count
        let wordLen = tokenizer.encode(word).count
        guard wordLen > 0 else { throw EditorError.badRequest(caseID: caseID, detail: "the subject has no tokens") }
        let idx = factToken == "subject_first" ? prefixLen : prefixLen + wordLen - 1
        return prefix.count + idx
    }
}

