import Foundation

/// A parsed JSON value, for reading files whose keys are data (safetensors headers,
/// `config.json`, sharded-checkpoint indexes) without trusting their shape.
public indirect enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// An integer that fits in `Int` (written without a fraction or exponent).
    case int(Int)
    /// Any other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data` as JSON; the error message says what is wrong and where.
    public static func parse(_ data: Data) throws(JSONValueError) -> JSONValue {
        let result: Result<JSONValue, JSONValueError> = data.withUnsafeBytes { raw in
            do throws(JSONValueError) { return .success(try JSONParser.parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The value as compact JSON (long values shortened), for error messages.
    public var description: String {
        let s: String
        switch self {
        case .null: s = "null"
        case .bool(let b): s = b ? "true" : "false"
        case .int(let i): s = String(i)
        case .double(let d): s = String(d)
        case .string(let t): s = JSONValue.stringLiteral(t)
        case .array(let a): s = "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o): s = "{" + o.keys.sorted().map { "\(JSONValue.stringLiteral($0)):\(o[$0]?.description ?? "")" }.joined(separator: ",") + "}"
        }
        return s.count > 80 ? String(s.prefix(77)) + "..." : s
    }

    /// The integer value (also of a double with no fraction that fits in `Int`).
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }

    /// The numeric value.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The string value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean value.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements of an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members of an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Whether the value is JSON `null`.
    public var isNull: Bool { self == .null }

    /// The member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}

/// A JSON syntax error, with where it was found.
public struct JSONValueError: Error, CustomStringConvertible, Sendable {
    /// What the parser reported.
    public let message: String
    /// The parser's message.
    public var description: String { message }
}

extension JSONValue {
    /// A JSON string literal for `s`: `"` and `\` escaped, control characters and DEL as `\n`,
    /// `\t`, `\r` or `\u00XX`; everything else as UTF-8. The one escaper of every JSON EditLab
    /// writes (safetensors headers, configs, run manifests and metric lines).
    public static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
