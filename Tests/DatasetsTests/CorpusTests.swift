import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets

@Suite("Corpora")
struct CorpusTests {
    /// One token per character: ids are Unicode scalar values.
    static func chars(_ s: String) -> [Int] { s.unicodeScalars.map { Int($0.value) } }

    @Test func plainTextParagraphs() throws {
        let text = "First line\nstill first.\n\n\n  Second paragraph.  \n \t \nThird."
        #expect(Corpus.paragraphs(text) == ["First line\nstill first.", "Second paragraph.", "Third."])
        let p = try tempFile("corpus.txt", text)
        #expect(try Corpus.texts(.textFile(p)) == ["First line\nstill first.", "Second paragraph.", "Third."])
    }

    @Test func jsonlTexts() throws {
        let good = "{\"text\": \"alpha\", \"id\": 1}\n\n{\"body\": \"x\", \"text\": \"beta\"}\n{\"text\": \"\"}\n"
        #expect(try Corpus.jsonlTexts(data: Data(good.utf8), source: "c.jsonl", field: "text") == ["alpha", "beta"])
        let p = try tempFile("c.jsonl", "{\"content\": \"gamma\"}\n")
        #expect(try Corpus.texts(.jsonlFile(p, field: "content")) == ["gamma"])
        #expect(datasetError { _ = try Corpus.jsonlTexts(data: Data("{\"text\": \"a\"}\n{\"txt\": \"b\"}".utf8), source: "c.jsonl", field: "text") }
                == .malformedRecord(source: "c.jsonl", record: "line 2", field: "text", problem: "missing"))
        #expect(datasetError { _ = try Corpus.jsonlTexts(data: Data("{\"text\": 4}".utf8), source: "c.jsonl", field: "text") }
                == .malformedRecord(source: "c.jsonl", record: "line 1", field: "text", problem: "expected a string, found a number"))
        guard case .malformedRecord(_, "line 1", _, let problem)? = datasetError({ _ = try Corpus.jsonlTexts(data: Data("{\"text\": \"a".utf8), source: "c.jsonl", field: "text") }) else {
            Issue.record("truncated line")
            return
        }
        #expect(problem.hasPrefix("malformed JSON"))
    }

    @Test func wordNetGlossesFromTheInstalledDatabase() throws {
        let adv = try Corpus.wordNetGlosses(parts: [.adv])
        #expect(adv.count > 3000)
        #expect(adv[0] == "without musical accompaniment; \"they performed a cappella\"")
        let again = try Corpus.texts(.wordNet(directory: Corpus.defaultWordNetDirectory, parts: [.adv]))
        #expect(again == adv)
    }

    @Test func wordNetFormatAndMissingDatabase() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wn-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = [
            "  1 This software and database is being provided to you, the LICENSEE, by  ",
            "  2 Princeton University under the following license. |  ",
            "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived or known or inferred to have its own distinct existence  ",
            "00002098 02 v 01 breathe 0 001 @ 00001740 n 0000 02 + 08 00 | draw air into, and expel out of, the lungs; \"I can breathe better now\"  ",
        ].joined(separator: "\n") + "\n"
        try data.write(to: dir.appendingPathComponent("data.noun"), atomically: true, encoding: .utf8)
        #expect(try Corpus.wordNetGlosses(directory: dir.path, parts: [.noun]) == [
            "that which is perceived or known or inferred to have its own distinct existence",
            "draw air into, and expel out of, the lungs; \"I can breathe better now\"",
        ])
        let e = datasetError { _ = try Corpus.wordNetGlosses(directory: dir.path, parts: [.noun, .verb]) }
        #expect(e == .wordNetMissing(path: dir.path + "/data.verb"))
        #expect(e?.description.contains("install wordnet-base (scripts/setup)") == true)
    }

    @Test func packingIntoFixedDocuments() throws {
        let opts = PackingOptions(documentTokens: 4, separator: "|")
        let c = try Corpus.pack(["ab", "cde", "", "fgh"], encode: Self.chars, options: opts)
        // stream: a b | c d e | f g h  (10 tokens) -> 2 documents of 4, 2 dropped
        #expect(c.documents == [Self.chars("ab|c"), Self.chars("de|f")])
        #expect(c.textCount == 3 && c.droppedTokens == 2 && c.tokenCount == 8)
        let keep = try Corpus.pack(["ab", "cde", "fgh"], encode: Self.chars, options: PackingOptions(documentTokens: 4, separator: "|", keepRemainder: true))
        #expect(keep.documents.last == Self.chars("gh"))
        let capped = try Corpus.pack(["ab", "cde", "fgh"], encode: Self.chars, options: PackingOptions(documentTokens: 2, separator: "", maximumTokens: 5, keepRemainder: true))
        #expect(capped.documents == [Self.chars("ab"), Self.chars("cd"), Self.chars("e")])
        #expect(datasetError { _ = try Corpus.pack(["ab"], encode: Self.chars, options: opts) } != nil)
        #expect(datasetError { _ = try Corpus.pack(["ab"], encode: Self.chars, options: PackingOptions(documentTokens: 0)) } != nil)
        // the default is 512-token documents
        #expect(PackingOptions().documentTokens == 512)
    }

    @Test func heldOutSplitIsSeededAndDisjoint() throws {
        let docs = (0..<20).map { [$0, $0 + 1] }
        let c = PackedCorpus(documents: docs, documentTokens: 2, textCount: 20, droppedTokens: 0)
        let s = try c.split(heldOutFraction: 0.25, seed: 3)
        #expect(s.heldOut.documents.count == 5 && s.train.documents.count == 15)
        #expect(Set(s.heldOut.documents + s.train.documents) == Set(docs))
        // both parts keep corpus order
        #expect(s.train.documents == s.train.documents.sorted { $0[0] < $1[0] })
        // the documented selection: the first 5 of a seeded Fisher-Yates shuffle
        var order = Array(0..<20)
        var rng = RandomGenerator(seed: 3)
        for i in stride(from: 19, through: 1, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        #expect(Set(s.heldOut.documents.map { $0[0] }) == Set(order.prefix(5)))
        #expect(try c.split(heldOutFraction: 0.25, seed: 3) == s)
        #expect(try c.split(heldOutFraction: 0.25, seed: 4) != s)
        #expect(try c.split(heldOutFraction: 0.01, seed: 3).heldOut.documents.count == 1)
        #expect(datasetError { _ = try c.split(heldOutFraction: 1) } != nil)
    }

    @Test func wordNetCorpusPackedWithTheRealTokenizerIsDeterministic() throws {
        let tok = try DefaultModel.shared().requireTokenizer()
        let opts = PackingOptions(maximumTokens: 3000)
        let a = try Corpus.load(.wordNet(directory: Corpus.defaultWordNetDirectory, parts: [.adv]), tokenizer: tok, options: opts)
        let b = try Corpus.load(.wordNet(directory: Corpus.defaultWordNetDirectory, parts: [.adv]), tokenizer: tok, options: opts)
        #expect(a == b)
        #expect(a.documents.count == 5 && a.documents.allSatisfy { $0.count == 512 })
        #expect(try tok.decode(Array(a.documents[0].prefix(6))).hasPrefix("without musical accompaniment"))
    }
}
