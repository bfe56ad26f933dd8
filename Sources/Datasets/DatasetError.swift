import Foundation

/// Every error the Datasets module throws: each message names the file (or source), the record
/// and the field at fault, so a malformed dataset can be fixed without a debugger.
public enum DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file could not be read (missing, unreadable, too large).
    case unreadable(path: String, reason: String)
    /// The bytes are not valid JSON (truncated, syntax error); `detail` says where.
    case malformedJSON(source: String, detail: String)
    /// One record is malformed: `record` names it ("record 3 (case_id 17)", "line 12"),
    /// `field` is the dotted path of the offending field.
    case malformedRecord(source: String, record: String, field: String, problem: String)
    /// Fewer requests are available than were asked for.
    case notEnoughRequests(requested: Int, available: Int, detail: String)
    /// The WordNet database is not installed.
    case wordNetMissing(path: String)
    /// A corpus or prompt list has nothing to work with.
    case empty(String)
    /// An argument is out of range or inconsistent.
    case invalidArgument(String)
    /// The model cannot be used for this (no tokenizer, vocabulary mismatch, ...).
    case model(String)

    /// The message: source, record, field and problem.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let source, let detail):
            return "\(source): malformed JSON: \(detail)"
        case .malformedRecord(let source, let record, let field, let problem):
            return "\(source): \(record): field '\(field)': \(problem)"
        case .notEnoughRequests(let requested, let available, let detail):
            return "asked for \(requested) requests but only \(available) are available\(detail.isEmpty ? "" : " (\(detail))")"
        case .wordNetMissing(let path):
            return "WordNet glosses not found at \(path): install wordnet-base (scripts/setup)"
        case .empty(let what):
            return "nothing to work with: \(what)"
        case .invalidArgument(let what):
            return "invalid argument: \(what)"
        case .model(let what):
            return "model: \(what)"
        }
    }
}

/// Reads a whole file, refusing files larger than `limit` bytes (so a wrong path to a huge
/// file fails cleanly instead of exhausting memory).
func readFile(_ path: String, limit: Int) throws -> Data {
    let url = URL(fileURLWithPath: path)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw DatasetError.unreadable(path: path, reason: "no such file")
    }
    guard !isDir.boolValue else { throw DatasetError.unreadable(path: path, reason: "is a directory") }
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
       size.int64Value > Int64(limit) {
        throw DatasetError.unreadable(path: path, reason: "\(size.int64Value) bytes exceeds the limit of \(limit) bytes")
    }
    do {
        let data = try Data(contentsOf: url)
        guard data.count <= limit else {
            throw DatasetError.unreadable(path: path, reason: "\(data.count) bytes exceeds the limit of \(limit) bytes")
        }
        return data
    } catch let e as DatasetError {
        throw e
    } catch {
        throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
    }
}

/// Decodes UTF-8 text, naming the file when the bytes are not UTF-8.
func utf8Text(_ data: Data, source: String) throws -> String {
    guard let s = String(data: data, encoding: .utf8) else {
        throw DatasetError.unreadable(path: source, reason: "not valid UTF-8 text")
    }
    return s
}
