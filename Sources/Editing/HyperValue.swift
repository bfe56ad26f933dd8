import LanguageModels

/// A hyper-parameter value as it comes from a JSON/YAML file or a Lua table.
public indirect enum HyperValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([HyperValue])
    case null

    /// As a number (ints and doubles).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// As an integer (ints, and doubles with no fractional part).
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .null: return "null"
        }
    }

    /// Converts a parsed JSON value (objects are not hyper-parameter values).
    public init(json: JSONValue, key: String) throws {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(try a.map { try HyperValue(json: $0, key: key) })
        case .object: throw EditorError.invalidHyperparameter(key, detail: "a table is not a valid value")
        }
    }
}
