import Foundation
import Lab
import LanguageModels
import Testing

/// The metric files' formats: JSONL lines and CSV records, reproducible to the byte.
@Suite("metric formats")
struct FormatTests {
    /// Doubles are written in their shortest round-trip form and read back to the same bits,
    /// for awkward values as well as random ones.
    @Test func doublesRoundTripBitForBit() throws {
        var values: [Double] = [0.1, 0.2 + 0.1, 1.0 / 3, -0.0, 0, 1e-320, 5e-324, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                -.greatestFiniteMagnitude, 123456789012345678, 1e16, 1e-7, 2.5e-5, .pi, -1.5, 100]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Double(bitPattern: g.next() & ~(UInt64(0x7ff) << 52) | (UInt64.random(in: 1...0x7fe, using: &g) << 52))) }
        for v in values {
            let row = try MetricRow(["x": .double(v)])
            let back = try MetricLineParser.fields(Substring(row.jsonLine.dropLast()).utf8)
            guard case .double(let d)? = back["x"] else { Issue.record("\(v) did not read back as a double"); continue }
            #expect(d.bitPattern == v.bitPattern, "\(v) wrote \(row.jsonLine) and read back \(d)")
            #expect(Double(MetricValue.double(v).csv)?.bitPattern == v.bitPattern, "csv of \(v)")
        }
        #expect(MetricValue.double(0.1).json == "0.1")
        #expect(MetricValue.double(2).json == "2.0", "a float stays a float")
        #expect(MetricValue.int(2).json == "2")
        #expect(MetricValue.double(1e-5).json == "1e-05")
    }

    /// JSON has no NaN or infinity: NaN is null, ±inf is ±1e999; they read back as NaN and ±inf,
    /// and the CSV spells them nan, inf, -inf.
    @Test func nonFiniteValues() throws {
        let row = try MetricRow(["a": .double(.nan), "b": .double(.infinity), "c": .double(-.infinity)])
        #expect(row.jsonLine == "{\"a\":null,\"b\":1e999,\"c\":-1e999}\n")
        #expect(row.csvLine(columns: ["a", "b", "c"]) == "nan,inf,-inf\n")
        let back = try MetricsReader.rows(text: row.jsonLine, source: "test")
        #expect(back.count == 1)
        guard case .double(let a)? = back[0]["a"], case .double(let b)? = back[0]["b"], case .double(let c)? = back[0]["c"] else {
            Issue.record("non-finite values did not read back as doubles")
            return
        }
        #expect(a.isNaN && b == .infinity && c == -.infinity)
        // null is valid JSON for other readers
        let parsed = try JSONSerialization.jsonObject(with: Data(try MetricRow(["a": .double(.nan)]).jsonLine.utf8)) as? [String: Any]
        #expect(parsed?["a"] is NSNull)
    }

    /// Strings with quotes, backslashes, control characters, commas, line breaks and non-ASCII
    /// text survive JSON and are quoted in CSV only when needed.
    @Test func stringEscaping() throws {
        let s = "a \"quoted\", back\\slash\ttab\nline\r\u{1}\u{7f} é ☃ 𝄞"
        let row = try MetricRow(["s": .string(s), "plain": .string("simple_text")])
        #expect(row.jsonLine == "{\"plain\":\"simple_text\",\"s\":\"a \\\"quoted\\\", back\\\\slash\\ttab\\nline\\r\\u0001\\u007f é ☃ 𝄞\"}\n")
        let back = try MetricLineParser.fields(Substring(row.jsonLine.dropLast()).utf8)
        #expect(back["s"] == .string(s))
        let other = try JSONSerialization.jsonObject(with: Data(row.jsonLine.utf8)) as? [String: Any]
        #expect(other?["s"] as? String == s, "Foundation's JSON reader agrees")
        #expect(CSV.cell("simple_text") == "simple_text")
        #expect(CSV.cell("a,b") == "\"a,b\"")
        #expect(CSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.cell("two\nlines") == "\"two\nlines\"")
        #expect(CSV.cell("crlf\r\nend") == "\"crlf\r\nend\"")
        #expect(CSV.cell(" padded") == "\" padded\"")
        #expect(row.csvLine(columns: ["plain", "s", "missing"]) == "simple_text,\"a \"\"quoted\"\", back\\slash\ttab\nline\r\u{1}\u{7f} é ☃ 𝄞\",\n")
        // \u escapes from other writers, including surrogate pairs
        let foreign = try MetricLineParser.fields(Substring("{\"k\": \"\\u00e9\\ud834\\udd1e\\/\"}").utf8)
        #expect(foreign["k"] == .string("é𝄞/"))
    }

    /// Keys are ordered component by component, numbers numerically; nested tables flatten to
    /// dotted keys; integers, booleans and strings keep their types.
    @Test func keyOrderAndFlattening() throws {
        let row = try MetricRow(flattening: [
            "shift": .table(fields: ["cka": .value(.double(0.5)), "norm_ratio": .value(.double(0.9))], array: []),
            "flags": .table(fields: [:], array: (1...11).map { .value(.bool($0 % 2 == 0)) }),
            "edit": .value(.int(10)), "Zeta": .value(.string("z")), "e": .value(.int(1)),
        ])
        #expect(row.keys == ["Zeta", "e", "edit", "flags.1", "flags.2", "flags.3", "flags.4", "flags.5", "flags.6", "flags.7",
                             "flags.8", "flags.9", "flags.10", "flags.11", "shift.cka", "shift.norm_ratio"])
        #expect(row.jsonLine.hasPrefix("{\"Zeta\":\"z\",\"e\":1,\"edit\":10,\"flags.1\":false,\"flags.2\":true,"))
        #expect(MetricKey.precedes("a", "a.b") && !MetricKey.precedes("a.b", "a"))
        #expect(MetricKey.precedes("x.9", "x.10") && MetricKey.precedes("x.10", "x.a"))
        // the same flat key twice, empty names and empty rows are refused
        #expect(throws: LabError.self) {
            try MetricRow(flattening: ["a.b": .value(.int(1)), "a": .table(fields: ["b": .value(.int(2))], array: [])])
        }
        #expect(throws: LabError.self) { try MetricRow(["": .int(1)]) }
        #expect(throws: LabError.self) { try MetricRow([:]) }
        #expect(throws: LabError.self) { try MetricRow(flattening: ["t": .table(fields: [:], array: [])]) }
    }

    /// The parser refuses what the log never writes, with the position.
    @Test func malformedLinesAreRefused() throws {
        for bad in ["", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":[1]}", "{\"a\":{\"b\":1}}", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"a\":01x}", "{\"a\":\"\\q\"}"] {
            #expect(throws: LabError.self, "\(bad)") { try MetricLineParser.fields(Substring(bad).utf8) }
        }
        #expect(throws: LabError.self) { try MetricsReader.rows(text: "{\"a\":1}\nnot json\n", source: "t") }
        #expect(try MetricsReader.rows(text: "{\"a\":1}\n\n{\"a\":2}\r\n", source: "t").count == 2)
    }

    /// Deterministic JSON: sorted keys whatever the dictionary's order, stable layout.
    @Test func jsonTextIsDeterministic() {
        var o: [String: JSONValue] = [:]
        for i in (0..<50).shuffled() { o["k\(i)"] = .int(i) }
        o["nested"] = .object(["b": .array([.int(1), .double(0.5)]), "a": .null])
        let a = JSONText.encode(.object(o)), b = JSONText.encode(.object(o.merging([:]) { x, _ in x }))
        #expect(a == b)
        #expect(a.hasPrefix("{\"k0\":0,\"k1\":1,\"k10\":10,"))
        #expect(a.hasSuffix("\"nested\":{\"a\":null,\"b\":[1,0.5]}}"))
        #expect(JSONText.encode(.object(["x": .array([.array([.int(1)])])]), pretty: true) == "{\n  \"x\": [\n    [1]\n  ]\n}\n")
    }
}
