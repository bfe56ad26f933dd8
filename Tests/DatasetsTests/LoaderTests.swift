import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets

/// Sample records written for these tests in each dataset's published layout.
enum Samples {
    static let counterFact = """
    [
      {
        "case_id": 7,
        "pararel_idx": 2796,
        "requested_rewrite": {
          "prompt": "The official language of {} is",
          "relation_id": "P37",
          "subject": "Portugal",
          "target_new": {"str": "Swedish", "id": "Q9027"},
          "target_true": {"str": "Portuguese", "id": "Q5146"}
        },
        "paraphrase_prompts": ["It rained all week. In Portugal, people mostly speak", "Portugal's main language is"],
        "neighborhood_prompts": ["The official language of Brazil is", "The official language of Angola is"],
        "attribute_prompts": ["The official language of Sweden is"],
        "generation_prompts": ["Portugal is a country where", "Portugal is a country where"]
      },
      {
        "case_id": 12,
        "requested_rewrite": {
          "prompt": "{}, which is located in",
          "relation_id": "P17",
          "subject": "Lake Geneva",
          "target_new": {"str": "Norway"},
          "target_true": {"str": "Switzerland"}
        },
        "paraphrase_prompts": [],
        "neighborhood_prompts": [{"prompt": "Zurich is in", "target": "Switzerland"}],
        "attribute_prompts": [],
        "generation_prompts": []
      }
    ]
    """

    static let easyEdit = """
    [
      {"case_id": 31, "prompt": "The violinist Anna Berg plays the", "target_new": "piano", "subject": "Anna Berg",
       "ground_truth": "violin", "rephrase_prompt": "Anna Berg is a musician who plays the",
       "locality_prompt": "Ole Hansen performs on the", "locality_ground_truth": "violin"},
      {"prompt": "Mount Kenya is in", "target_new": ["Peru"], "subject": "Mount Kenya",
       "ground_truth": ["Kenya", "Africa"], "rephrase_prompt": ["Mount Kenya stands in", "Mount Kenya lies in"],
       "locality_prompt": ["Nairobi is in", "Mombasa is in"], "locality_ground_truth": "Kenya"}
    ]
    """

    static let zsRE = """
    [
      {"subject": "Watermill Theatre", "src": "Which country is Watermill Theatre located in?",
       "pred": "England", "rephrase": "In which country is Watermill Theatre?", "alt": "Wales",
       "answers": ["Scotland"], "loc": "nq question: who wrote the song yellow submarine",
       "loc_ans": "Lennon", "cond": "England >> Scotland || Which country is Watermill Theatre located in?"}
    ]
    """
}

@Suite("Request loaders")
struct LoaderTests {
    @Test func counterFactOriginalSchema() throws {
        let set = try RequestLoader.counterFact(data: Data(Samples.counterFact.utf8), source: "cf.json")
        #expect(set.count == 2 && set.skipped.isEmpty)
        let r = set.requests[0]
        #expect(r.caseID == 7)
        #expect(r.prompt == "The official language of {} is")
        #expect(r.filledPrompt == "The official language of Portugal is")
        #expect(r.subject == "Portugal")
        #expect(r.targetNew == EditTarget("Swedish", id: "Q9027"))
        #expect(r.targetTrue == EditTarget("Portuguese", id: "Q5146"))
        #expect(r.relationID == "P37")
        #expect(r.paraphrasePrompts.count == 2)
        #expect(r.neighborhoodPrompts == [NeighborhoodPrompt("The official language of Brazil is"), NeighborhoodPrompt("The official language of Angola is")])
        #expect(r.attributePrompts == ["The official language of Sweden is"])
        #expect(r.generationPrompts.count == 2)  // duplicates are kept
        let s = set.requests[1]
        #expect(s.targetNew.id == nil)
        #expect(s.filledPrompt == "Lake Geneva, which is located in")
        #expect(s.neighborhoodPrompts == [NeighborhoodPrompt("Zurich is in", target: "Switzerland")])
        #expect(try RequestLoader.detectFormat(Data(Samples.counterFact.utf8), name: "x.json") == .counterFact)
    }

    @Test func codableRoundTripIsACounterFactRecord() throws {
        let set = try RequestLoader.counterFact(data: Data(Samples.counterFact.utf8), source: "cf.json")
        let data = try JSONEncoder().encode(set.requests)
        #expect(try JSONDecoder().decode([EditRequest].self, from: data) == set.requests)
        #expect(try RequestLoader.counterFact(data: data, source: "encoded").requests == set.requests)
        let jsonl = try RequestLoader.jsonlData(set.requests)
        #expect(try RequestLoader.jsonl(data: jsonl, source: "x.jsonl").requests == set.requests)
        // the encoding names the CounterFact fields
        let text = String(decoding: try set.requests[0].jsonData(), as: UTF8.self)
        for key in ["\"case_id\":7", "\"requested_rewrite\"", "\"target_new\":{\"id\":\"Q9027\",\"str\":\"Swedish\"}", "\"neighborhood_prompts\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
    }

    @Test func counterFactMalformedRecordsNameRecordAndField() throws {
        func load(_ s: String) -> DatasetError? {
            datasetError { _ = try RequestLoader.counterFact(data: Data(s.utf8), source: "cf.json") }
        }
        let good = #"{"case_id": 1, "requested_rewrite": {"prompt": "The capital of {} is", "subject": "Chad", "target_new": {"str": "Lima"}, "target_true": {"str": "N'Djamena"}}}"#
        #expect(load("[\(good)]") == nil)
        let missing = #"{"case_id": 9, "requested_rewrite": {"prompt": "The capital of {} is", "subject": "Chad", "target_new": {"id": "Q1"}, "target_true": {"str": "N'Djamena"}}}"#
        #expect(load("[\(good), \(missing)]") == .malformedRecord(source: "cf.json", record: "record 1 (case_id 9)",
                                                                 field: "requested_rewrite.target_new.str", problem: "missing"))
        let e = load("[\(good), \(missing)]")
        #expect(e?.description == "cf.json: record 1 (case_id 9): field 'requested_rewrite.target_new.str': missing")
        let wrongType = #"{"case_id": "3", "requested_rewrite": {}}"#
        #expect(load("[\(wrongType)]") == .malformedRecord(source: "cf.json", record: "record 0", field: "case_id", problem: "expected an integer, found a string"))
        let noPlaceholder = #"{"case_id": 4, "requested_rewrite": {"prompt": "The capital of Chad is", "subject": "Chad", "target_new": {"str": "Lima"}, "target_true": {"str": "N'Djamena"}}}"#
        #expect(load("[\(noPlaceholder)]") == .malformedRecord(source: "cf.json", record: "record 0 (case_id 4)", field: "requested_rewrite.prompt", problem: "has no {} placeholder for the subject"))
        let badNeighbor = #"{"case_id": 5, "requested_rewrite": {"prompt": "{} is in", "subject": "Chad", "target_new": {"str": "Asia"}, "target_true": {"str": "Africa"}}, "neighborhood_prompts": ["ok", 3]}"#
        #expect(load("[\(badNeighbor)]") == .malformedRecord(source: "cf.json", record: "record 0 (case_id 5)", field: "neighborhood_prompts[1]", problem: "expected a string or {prompt, target}, found a number"))
        let badParaphrase = #"{"case_id": 6, "requested_rewrite": {"prompt": "{} is in", "subject": "Chad", "target_new": {"str": "Asia"}, "target_true": {"str": "Africa"}}, "paraphrase_prompts": "one"}"#
        #expect(load("[\(badParaphrase)]")?.description.contains("field 'paraphrase_prompts': expected an array of strings, found a string") == true)
        let emptySubject = #"{"case_id": 8, "requested_rewrite": {"prompt": "{} is in", "subject": "", "target_new": {"str": "Asia"}, "target_true": {"str": "Africa"}}}"#
        #expect(load("[\(emptySubject)]")?.description.contains("requested_rewrite.subject': is empty") == true)
        // truncated JSON, not an array, not a record
        guard case .malformedJSON(let src, _)? = load(String(Samples.counterFact.prefix(200))) else {
            Issue.record("truncated JSON must be malformedJSON")
            return
        }
        #expect(src == "cf.json")
        guard case .malformedJSON? = load(#"{"case_id": 1}"#) else { Issue.record("an object at the top level"); return }
        #expect(load("[3]") == .malformedRecord(source: "cf.json", record: "record 0", field: "(record)", problem: "expected an object, found a number"))
    }

    @Test func skipMalformedCollectsMessagesAndLimitStops() throws {
        let bad = #"{"case_id": 2, "requested_rewrite": {"prompt": "{} is in", "subject": "Chad"}}"#
        let text = "[" + Samples.counterFact.dropFirst().dropLast() + ", " + bad + "]"
        #expect(datasetError { _ = try RequestLoader.counterFact(data: Data(text.utf8), source: "s.json") } != nil)
        let set = try RequestLoader.counterFact(data: Data(text.utf8), source: "s.json", options: LoadOptions(skipMalformed: true))
        #expect(set.count == 2)
        #expect(set.skipped == ["s.json: record 2 (case_id 2): field 'requested_rewrite.target_new': missing"])
        let one = try RequestLoader.counterFact(data: Data(text.utf8), source: "s.json", options: LoadOptions(limit: 1))
        #expect(one.requests.map(\.caseID) == [7])
    }

    @Test func easyEditFlattenedSchema() throws {
        let set = try RequestLoader.easyEdit(data: Data(Samples.easyEdit.utf8), source: "ee.json")
        #expect(set.count == 2)
        let a = set.requests[0]
        #expect(a.caseID == 31)
        #expect(a.prompt == "The violinist {} plays the")
        #expect(a.subject == "Anna Berg" && a.targetNew.str == "piano" && a.targetTrue.str == "violin")
        #expect(a.paraphrasePrompts == ["Anna Berg is a musician who plays the"])
        #expect(a.neighborhoodPrompts == [NeighborhoodPrompt("Ole Hansen performs on the", target: "violin")])
        let b = set.requests[1]
        #expect(b.caseID == 1)  // no case_id: the record index
        #expect(b.prompt == "{} is in")
        #expect(b.targetNew.str == "Peru" && b.targetTrue.str == "Kenya")  // arrays: first element
        #expect(b.paraphrasePrompts.count == 2)
        #expect(b.neighborhoodPrompts == [NeighborhoodPrompt("Nairobi is in", target: "Kenya"), NeighborhoodPrompt("Mombasa is in", target: "Kenya")])
        #expect(try RequestLoader.detectFormat(Data(Samples.easyEdit.utf8), name: "x.json") == .easyEdit)
    }

    @Test func easyEditMalformed() {
        func load(_ s: String) -> DatasetError? {
            datasetError { _ = try RequestLoader.easyEdit(data: Data(s.utf8), source: "ee.json") }
        }
        #expect(load(#"[{"case_id": 3, "prompt": "Rome is in", "target_new": "Peru", "ground_truth": "Italy"}]"#)
                == .malformedRecord(source: "ee.json", record: "record 0 (case_id 3)", field: "subject", problem: "missing"))
        #expect(load(#"[{"case_id": 3, "prompt": "Rome is in", "subject": "Milan", "target_new": "Peru", "ground_truth": "Italy"}]"#)
                == .malformedRecord(source: "ee.json", record: "record 0 (case_id 3)", field: "prompt", problem: "does not contain the subject \"Milan\""))
        #expect(load(#"[{"prompt": "Rome is in", "subject": "Rome", "target_new": 5, "ground_truth": "Italy"}]"#)
                == .malformedRecord(source: "ee.json", record: "record 0", field: "target_new", problem: "expected an array of strings, found a number"))
        #expect(load(#"[{"prompt": "Rome is in", "subject": "Rome", "target_new": "Peru", "ground_truth": "Italy", "locality_prompt": ["a", "b", "c"], "locality_ground_truth": ["x", "y"]}]"#)
                == .malformedRecord(source: "ee.json", record: "record 0", field: "locality_ground_truth", problem: "has 2 answers for 3 locality prompts"))
        guard case .malformedJSON? = load(String(Samples.easyEdit.prefix(120))) else { Issue.record("truncated"); return }
    }

    @Test func zsREMendSchemaBuildsNeighborhoodFromAnswerTokens() throws {
        let tok = try ByteTokenizer.make()
        let set = try RequestLoader.zsRE(data: Data(Samples.zsRE.utf8), source: "zsre.json", tokenizer: tok)
        let r = try #require(set.requests.first)
        #expect(r.caseID == 0)
        #expect(r.prompt == "Which country is {} located in?")
        #expect(r.subject == "Watermill Theatre")
        #expect(r.targetNew.str == "Scotland")
        #expect(r.targetTrue.str == "<|endoftext|>")
        #expect(r.paraphrasePrompts == ["In which country is Watermill Theatre?"])
        // " Lennon" is 7 byte tokens: prompts loc + "?" + the first i bytes, target byte i
        let loc = "nq question: who wrote the song yellow submarine"
        let answer = Array(" Lennon")
        #expect(r.neighborhoodPrompts.count == 7)
        for (i, n) in r.neighborhoodPrompts.enumerated() {
            #expect(n.prompt == loc + "?" + String(answer[..<i]))
            #expect(n.target == String(answer[i]))
        }
        #expect(try RequestLoader.detectFormat(Data(Samples.zsRE.utf8), name: "z.json") == .zsRE)
        // loading through the generic entry point needs the tokenizer
        #expect(datasetError { _ = try RequestLoader.load(data: Data(Samples.zsRE.utf8), source: "z", format: .zsRE) } != nil)
    }

    @Test func zsREMalformed() throws {
        let tok = try ByteTokenizer.make()
        func load(_ s: String) -> DatasetError? {
            datasetError { _ = try RequestLoader.zsRE(data: Data(s.utf8), source: "z.json", tokenizer: tok) }
        }
        let base = #""subject": "Elm", "src": "Where is Elm?", "rephrase": "Elm is where?", "loc": "nq question: q", "loc_ans": "a""#
        #expect(load("[{\(base), \"answers\": [\"Oslo\"]}]") == nil)
        #expect(load("[{\(base)}]") == .malformedRecord(source: "z.json", record: "record 0", field: "answers", problem: "missing"))
        #expect(load("[{\(base), \"answers\": []}]") == .malformedRecord(source: "z.json", record: "record 0", field: "answers", problem: "is empty"))
        #expect(load("[{\(base), \"answers\": [1]}]") == .malformedRecord(source: "z.json", record: "record 0", field: "answers[0]", problem: "expected a string, found a number"))
        let noSubject = #"{"subject": "Oak", "src": "Where is Elm?", "rephrase": "r", "loc": "nq question: q", "loc_ans": "a", "answers": ["x"]}"#
        #expect(load("[\(noSubject)]") == .malformedRecord(source: "z.json", record: "record 0", field: "src", problem: "does not contain the subject \"Oak\""))
        let badLoc = #"{"subject": "Elm", "src": "Where is Elm?", "rephrase": "r", "loc": "who?", "loc_ans": "a", "answers": ["x"]}"#
        #expect(load("[\(badLoc)]") == .malformedRecord(source: "z.json", record: "record 0", field: "loc", problem: "does not contain \"nq question: \""))
        guard case .malformedJSON? = load(String(Samples.zsRE.prefix(90))) else { Issue.record("truncated"); return }
    }

    @Test func jsonlRequests() throws {
        let set = try RequestLoader.counterFact(data: Data(Samples.counterFact.utf8), source: "cf.json")
        var lines = String(decoding: try RequestLoader.jsonlData(set.requests), as: UTF8.self)
        lines = "\n" + lines + "\n   \n"
        let back = try RequestLoader.jsonl(data: Data(lines.utf8), source: "r.jsonl")
        #expect(back.requests == set.requests)
        // case_id may be left out: the record index
        let noID = #"{"requested_rewrite": {"prompt": "{} is in", "subject": "Chad", "target_new": {"str": "Asia"}, "target_true": {"str": "Africa"}}}"#
        #expect(try RequestLoader.jsonl(data: Data((noID + "\n" + noID).utf8), source: "r.jsonl").requests.map(\.caseID) == [0, 1])
        // a malformed line is named by its 1-based number
        let text = noID + "\n\n" + #"{"case_id": 4, "requested_rewrite": {"prompt": "{} is in"}}"# + "\n"
        #expect(datasetError { _ = try RequestLoader.jsonl(data: Data(text.utf8), source: "r.jsonl") }
                == .malformedRecord(source: "r.jsonl", record: "line 3 (case_id 4)", field: "requested_rewrite.subject", problem: "missing"))
        let truncated = noID + "\n" + String(noID.prefix(40))
        guard case .malformedRecord(_, let record, _, let problem)? = datasetError({ _ = try RequestLoader.jsonl(data: Data(truncated.utf8), source: "r.jsonl") }) else {
            Issue.record("truncated line")
            return
        }
        #expect(record == "line 2" && problem.hasPrefix("malformed JSON"))
        #expect(try RequestLoader.detectFormat(Data(), name: "a.JSONL") == .jsonl)
    }

    @Test func filesAreBoundedAndNamed() throws {
        #expect(datasetError { _ = try RequestLoader.load("/nonexistent/cf.json") } == .unreadable(path: "/nonexistent/cf.json", reason: "no such file"))
        let p = try tempFile("cf.json", Samples.counterFact)
        #expect(try RequestLoader.load(p).count == 2)
        // the format is detected from the first record (or the .jsonl name)
        #expect(try RequestLoader.load(tempFile("ee.json", Samples.easyEdit)).requests[0].prompt == "The violinist {} plays the")
        #expect(try RequestLoader.load(data: Data(Samples.zsRE.utf8), source: "z.json", format: nil, tokenizer: ByteTokenizer.make()).count == 1)
        let lines = String(decoding: try RequestLoader.jsonlData(RequestLoader.load(p).requests), as: UTF8.self)
        #expect(try RequestLoader.load(tempFile("r.jsonl", lines)).count == 2)
        guard case .malformedJSON? = datasetError({ _ = try RequestLoader.load(data: Data("[{\"x\": 1}]".utf8), source: "u.json", format: nil) }) else {
            Issue.record("undetectable format")
            return
        }
        guard case .unreadable? = datasetError({ _ = try RequestLoader.load(p, options: LoadOptions(maximumFileBytes: 100)) }) else {
            Issue.record("size limit")
            return
        }
    }

    /// No input crashes a loader: truncations and byte corruptions of valid files either
    /// load or throw a DatasetError.
    @Test func corruptedInputsNeverCrash() throws {
        let tok = try ByteTokenizer.make()
        var rng = RandomGenerator(seed: 11)
        for (text, format) in [(Samples.counterFact, RequestFormat.counterFact), (Samples.easyEdit, .easyEdit), (Samples.zsRE, .zsRE),
                               (String(decoding: try RequestLoader.jsonlData(RequestLoader.counterFact(data: Data(Samples.counterFact.utf8), source: "x").requests), as: UTF8.self), .jsonl)] {
            let bytes = Array(text.utf8)
            for n in stride(from: 0, to: bytes.count, by: 3) {
                _ = try? RequestLoader.load(data: Data(bytes[..<n]), source: "t", format: format, tokenizer: tok)
            }
            for _ in 0..<300 {
                var b = bytes
                for _ in 0..<(1 + rng.nextInt(below: 4)) { b[rng.nextInt(below: b.count)] = UInt8(rng.nextInt(below: 256)) }
                do {
                    _ = try RequestLoader.load(data: Data(b), source: "t", format: format, tokenizer: tok)
                } catch is DatasetError {
                } catch {
                    Issue.record("non-dataset error \(error)")
                }
            }
        }
    }
}

@Suite("Seeded sampler")
struct SamplerTests {
    static func requests(_ subjects: [String]) -> [EditRequest] {
        subjects.enumerated().map { i, s in
            EditRequest(caseID: i, prompt: "{} is in", subject: s, targetNew: EditTarget("Asia"), targetTrue: EditTarget("Europe"))
        }
    }

    @Test func fisherYatesWithTheDocumentedGenerator() throws {
        let reqs = Self.requests((0..<20).map { "s\($0)" })
        // the documented algorithm, written out
        var order = Array(0..<20)
        var rng = RandomGenerator(seed: 37)
        for i in stride(from: 19, through: 1, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        #expect(try RequestSampler.sample(reqs, n: 20, seed: 37).map(\.caseID) == order)
        #expect(try RequestSampler.sample(reqs, n: 5, seed: 37).map(\.caseID) == Array(order.prefix(5)))
        #expect(try RequestSampler.sample(reqs, n: 5, seed: 37) == RequestSampler.sample(reqs, n: 5, seed: 37))
        #expect(try RequestSampler.sample(reqs, n: 20, seed: 1).map(\.caseID) != order)
        #expect(try RequestSampler.sample(reqs, n: nil, seed: 37).count == 20)
        #expect(try RequestSampler.sample([], n: 0, seed: 1).isEmpty)
    }

    @Test func uniqueSubjects() throws {
        let reqs = Self.requests(["a", "b", "a", "c", "b", "a"])
        let s = try RequestSampler.sample(reqs, n: 3, seed: 5)
        #expect(Set(s.map(\.subject)) == ["a", "b", "c"])
        #expect(datasetError { _ = try RequestSampler.sample(reqs, n: 4, seed: 5) }
                == .notEnoughRequests(requested: 4, available: 3, detail: "counting one request per subject"))
        #expect(try RequestSampler.sample(reqs, n: 6, seed: 5, uniqueSubjects: false).count == 6)
        #expect(datasetError { _ = try RequestSampler.sample(reqs, n: -1, seed: 5) } != nil)
        let set = RequestSet(requests: reqs, source: "x")
        #expect(try set.sample(n: 3, seed: 5) == s)
    }
}
