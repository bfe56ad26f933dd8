import Foundation

/// One logged value: an integer, a float, a boolean or a string.
public enum MetricValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    /// The value as a number for plots (integers and floats; nil otherwise or when not finite).
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d.isFinite ? d : nil
        default: return nil
        }
    }

    /// The value in a JSON line: integers as integers, floats in their shortest round-trip form
    /// (JSON has no NaN or infinity: NaN is written null, ±infinity as `1e999` and `-1e999`,
    /// which JSON readers parse as the largest float or as infinity), strings escaped.
    public var json: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "null" }
            if d.isInfinite { return d > 0 ? "1e999" : "-1e999" }
            return String(describing: d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return JSONText.string(s)
        }
    }

    /// The value in a CSV cell: as in JSON, except non-finite floats (`nan`, `inf`, `-inf`) and
    /// strings, quoted only when they need it (RFC 4180).
    public var csv: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d > 0 ? "inf" : "-inf" }
            return String(describing: d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return CSV.cell(s)
        }
    }
}

/// A value to log before flattening: scalars, or a table whose named fields become dotted keys
/// (`shift = {cka = 0.9}` → `shift.cka`) and whose sequence becomes 1-based keys (`flags.1`).
public indirect enum MetricInput: Equatable {
    case value(MetricValue)
    case table(fields: [String: MetricInput], array: [MetricInput])
}

/// A flat row of metrics in a fixed key order (see `MetricKey`), as one line of
/// `metrics.jsonl` and one row of `metrics.csv`.
public struct MetricRow: Equatable {
    /// Keys and values in `MetricKey` order.
    public let fields: [(key: String, value: MetricValue)]

    /// A row from flat key/value pairs (any order; keys must be distinct and non-empty).
    public init(_ values: [String: MetricValue]) throws {
        try self.init(flattening: values.mapValues { .value($0) })
    }

    /// A row from nested values: named fields of tables join their parent's key with a dot,
    /// sequence elements add their 1-based position. Two paths giving the same key, an empty
    /// key or an empty row are errors.
    public init(flattening values: [String: MetricInput]) throws {
        var flat: [String: MetricValue] = [:]
        func add(_ key: String, _ v: MetricInput) throws {
            switch v {
            case .value(let x):
                guard flat[key] == nil else { throw LabError.badMetric("the metric '\(key)' is given twice (a nested table flattens to the same dotted key)") }
                flat[key] = x
            case .table(let fields, let array):
                guard !fields.isEmpty || !array.isEmpty else { throw LabError.badMetric("the metric '\(key)' is an empty table") }
                for (i, e) in array.enumerated() { try add("\(key).\(i + 1)", e) }
                for k in fields.keys.sorted() {
                    guard !k.isEmpty else { throw LabError.badMetric("the metric '\(key)' has a field with an empty name") }
                    try add("\(key).\(k)", fields[k] ?? .value(.int(0)))
                }
            }
        }
        for k in values.keys.sorted() {
            guard !k.isEmpty else { throw LabError.badMetric("a metric has an empty name") }
            try add(k, values[k] ?? .value(.int(0)))
        }
        guard !flat.isEmpty else { throw LabError.badMetric("nothing to log: the row is empty") }
        fields = flat.keys.sorted(by: MetricKey.precedes).map { ($0, flat[$0] ?? .int(0)) }
    }

    /// The value of `key`, if logged.
    public subscript(key: String) -> MetricValue? { fields.first { $0.key == key }?.value }

    /// The keys in order.
    public var keys: [String] { fields.map(\.key) }

    /// The row as one JSON object on one line, keys in order, with the newline.
    public var jsonLine: String {
        "{" + fields.map { JSONText.string($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}\n"
    }

    /// The row as a CSV record for `columns` (empty cells for keys not in this row), with the
    /// newline.
    public func csvLine(columns: [String]) -> String {
        var byKey: [String: MetricValue] = [:]
        for f in fields { byKey[f.key] = f.value }
        return columns.map { byKey[$0]?.csv ?? "" }.joined(separator: ",") + "\n"
    }

    /// Rows are equal when they have the same keys with the same values.
    public static func == (a: MetricRow, b: MetricRow) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// The order of metric keys: dotted components compared one by one, numbers numerically
/// (`flags.2` before `flags.10`), other components by their UTF-8 bytes; a key before its
/// extensions (`shift` before `shift.cka`).
public enum MetricKey {
    /// Whether `a` sorts before `b`.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ".", omittingEmptySubsequences: false)
        let y = b.split(separator: ".", omittingEmptySubsequences: false)
        for (p, q) in zip(x, y) where p != q {
            if let i = Int(p), let j = Int(q), i >= 0, j >= 0 { return i < j }
            return Array(p.utf8).lexicographicallyPrecedes(Array(q.utf8))
        }
        return x.count < y.count
    }
}

/// CSV cells (RFC 4180).
public enum CSV {
    /// `s` as a cell: quoted, with quotes doubled, when it holds a comma, a quote, a line break
    /// or leading/trailing white space; otherwise as it is.
    public static func cell(_ s: String) -> String {
        let needs = s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || s.first?.isWhitespace == true || s.last?.isWhitespace == true
        guard needs else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
