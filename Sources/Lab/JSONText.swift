import Foundation
import LanguageModels

/// Deterministic JSON text: object keys sorted (byte order of their UTF-8), numbers in their
/// shortest round-trip form, strings escaped the same way every time. The same value always
/// gives the same bytes, whatever order a dictionary happens to iterate in.
public enum JSONText {
    /// `value` as JSON: compact on one line, or `pretty` with two-space indentation and a
    /// trailing newline (for files people read, such as the manifest).
    public static func encode(_ value: JSONValue, pretty: Bool = false) -> String {
        var out = ""
        write(value, into: &out, pretty: pretty, indent: 0)
        if pretty { out += "\n" }
        return out
    }

    private static func write(_ v: JSONValue, into out: inout String, pretty: Bool, indent: Int) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += number(d)
        case .string(let s): out += string(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            // arrays of scalars stay on one line even when pretty
            let flat = !pretty || a.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += flat ? (pretty ? ", " : ",") : "," }
                if !flat { out += "\n" + String(repeating: " ", count: indent + 2) }
                write(e, into: &out, pretty: pretty, indent: indent + 2)
            }
            if !flat { out += "\n" + String(repeating: " ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            for (i, k) in sortedKeys(o).enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: " ", count: indent + 2) }
                out += string(k) + (pretty ? ": " : ":")
                write(o[k] ?? .null, into: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { out += "\n" + String(repeating: " ", count: indent) }
            out += "}"
        }
    }

    /// Keys in byte order of their UTF-8 (not locale-dependent).
    static func sortedKeys(_ o: [String: JSONValue]) -> [String] {
        o.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// A finite double in its shortest round-trip form (`0.1`, `1e-05`, `2.0`); NaN and the
    /// infinities, which JSON cannot express, as `null`.
    public static func number(_ d: Double) -> String {
        d.isFinite ? String(describing: d) : "null"
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, `\r` or
    /// `\u00XX`; everything else as UTF-8.
    public static func string(_ s: String) -> String { JSONValue.stringLiteral(s) }
}
