import Foundation
import LanguageModels

/// Typed access to one JSON record with errors that name the source, the record and the
/// field (`counterfact.json: record 3 (case_id 17): field 'requested_rewrite.target_new.str':
/// missing`).
struct RecordReader {
    let source: String
    let record: String

    func fail(_ field: String, _ problem: String) -> DatasetError {
        .malformedRecord(source: source, record: record, field: field, problem: problem)
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    func object(_ v: JSONValue?, _ field: String) throws -> [String: JSONValue] {
        guard let v else { throw fail(field, "missing") }
        guard let o = v.objectValue else { throw fail(field, "expected an object, found \(Self.kind(v))") }
        return o
    }

    func string(_ o: [String: JSONValue], _ key: String, at path: String = "") throws -> String {
        let field = path.isEmpty ? key : path + "." + key
        guard let v = o[key] else { throw fail(field, "missing") }
        guard let s = v.stringValue else { throw fail(field, "expected a string, found \(Self.kind(v))") }
        return s
    }

    func optionalString(_ o: [String: JSONValue], _ key: String, at path: String = "") throws -> String? {
        let field = path.isEmpty ? key : path + "." + key
        guard let v = o[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw fail(field, "expected a string, found \(Self.kind(v))") }
        return s
    }

    /// A string id that some files write as a number.
    func optionalID(_ o: [String: JSONValue], _ key: String, at path: String) throws -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        if let s = v.stringValue { return s }
        if let i = v.intValue { return String(i) }
        throw fail(path + "." + key, "expected a string, found \(Self.kind(v))")
    }

    func int(_ o: [String: JSONValue], _ key: String) throws -> Int {
        guard let v = o[key] else { throw fail(key, "missing") }
        guard let i = v.intValue else { throw fail(key, "expected an integer, found \(Self.kind(v))") }
        return i
    }

    func stringArray(_ o: [String: JSONValue], _ key: String, required: Bool = false) throws -> [String] {
        guard let v = o[key], !v.isNull else {
            if required { throw fail(key, "missing") }
            return []
        }
        guard let a = v.arrayValue else { throw fail(key, "expected an array of strings, found \(Self.kind(v))") }
        return try a.enumerated().map { i, e in
            guard let s = e.stringValue else { throw fail("\(key)[\(i)]", "expected a string, found \(Self.kind(e))") }
            return s
        }
    }

    /// A string, or an array of strings (EasyEdit writes both), as an array.
    func stringOrArray(_ o: [String: JSONValue], _ key: String, required: Bool) throws -> [String] {
        guard let v = o[key], !v.isNull else {
            if required { throw fail(key, "missing") }
            return []
        }
        if let s = v.stringValue { return [s] }
        return try stringArray(o, key, required: required)
    }

    /// Checks a rewrite template: exactly one `{}`.
    func template(_ prompt: String, field: String) throws {
        let n = EditRequest.placeholderCount(prompt)
        guard n == 1 else { throw fail(field, n == 0 ? "has no {} placeholder for the subject" : "has \(n) {} placeholders, expected one") }
    }

    func nonEmpty(_ s: String, field: String) throws {
        guard !s.isEmpty else { throw fail(field, "is empty") }
    }
}

/// Parses JSON bytes, naming the source in the error.
func parseJSON(_ data: Data, source: String) throws -> JSONValue {
    do {
        return try JSONValue.parse(data)
    } catch {
        throw DatasetError.malformedJSON(source: source, detail: error.description)
    }
}

/// Splits JSONL text into (1-based line number, line) pairs, skipping blank lines.
func jsonLines(_ data: Data) -> [(line: Int, bytes: Data)] {
    var out: [(Int, Data)] = []
    var lineNo = 1
    var start = data.startIndex
    func flush(_ end: Data.Index) {
        var s = start, e = end
        while s < e, data[s] == 0x20 || data[s] == 0x09 || data[s] == 0x0D { s += 1 }
        while e > s, data[e - 1] == 0x20 || data[e - 1] == 0x09 || data[e - 1] == 0x0D { e -= 1 }
        if s < e { out.append((lineNo, data.subdata(in: s..<e))) }
    }
    var i = data.startIndex
    while i < data.endIndex {
        if data[i] == 0x0A {
            flush(i)
            lineNo += 1
            start = i + 1
        }
        i += 1
    }
    flush(data.endIndex)
    return out
}
