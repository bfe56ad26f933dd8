import Foundation

/// A strict RFC 8259 JSON parser producing ``JSONValue``s, for the small JSON files of a
/// checkpoint (safetensors headers, `config.json`, sharded indexes).
///
/// It never trusts the input: nesting is limited, numbers that do not fit are refused, and
/// every error (a value type thrown with typed throws, so failing fast costs nothing) says
/// where parsing stopped. A repeated object key keeps its last value. Integers without fraction or exponent that fit in `Int` become
/// `.int`; every other number becomes `.double`.
struct JSONParser {
    private let b: UnsafeRawBufferPointer
    private var p = 0

    /// Deepest nesting of arrays and objects accepted.
    static let maximumDepth = 512

    /// Parses one JSON document from `bytes` (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONValueError) -> JSONValue {
        var parser = JSONParser(b: bytes)
        parser.skipWhitespace()
        let v = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.p == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return v
    }

    private init(b: UnsafeRawBufferPointer) { self.b = b }

    private func error(_ what: String) -> JSONValueError {
        JSONValueError(message: "\(what) at byte \(p)")
    }

    private var current: UInt8? { p < b.count ? b[p] : nil }

    private mutating func skipWhitespace() {
        while p < b.count, b[p] == 0x20 || b[p] == 0x0A || b[p] == 0x0D || b[p] == 0x09 { p += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ v: JSONValue) throws(JSONValueError) -> JSONValue {
        let n = literal.utf8CodeUnitCount
        guard p + n <= b.count else { throw error("truncated literal") }
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: n)
        for k in 0..<n where b[p + k] != bytes[k] { throw error("invalid literal") }
        p += n
        return v
    }

    private mutating func value(depth: Int) throws(JSONValueError) -> JSONValue {
        guard let c = current else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character '\(Unicode.Scalar(c))'")
        }
    }

    private mutating func object(depth: Int) throws(JSONValueError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        p += 1
        var out: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { p += 1; return .object(out) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            p += 1
            skipWhitespace()
            let v = try value(depth: depth)
            out[key] = v  // a repeated key: the last value wins, as in Python's json

            skipWhitespace()
            guard let c = current else { throw error("unexpected end of input in an object") }
            p += 1
            if c == UInt8(ascii: "}") { return .object(out) }
            guard c == UInt8(ascii: ",") else { p -= 1; throw error("expected ',' or '}'") }
        }
    }

    private mutating func array(depth: Int) throws(JSONValueError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        p += 1
        var out: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { p += 1; return .array(out) }
        while true {
            skipWhitespace()
            out.append(try value(depth: depth))
            skipWhitespace()
            guard let c = current else { throw error("unexpected end of input in an array") }
            p += 1
            if c == UInt8(ascii: "]") { return .array(out) }
            guard c == UInt8(ascii: ",") else { p -= 1; throw error("expected ',' or ']'") }
        }
    }

    private mutating func hex4() throws(JSONValueError) -> UInt32 {
        guard p + 4 <= b.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[p]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            p += 1
        }
        return v
    }

    private mutating func string() throws(JSONValueError) -> String {
        p += 1  // opening quote
        var bytes: [UInt8] = []
        var start = p
        while true {
            guard p < b.count else { throw error("unterminated string") }
            let c = b[p]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw error("control character in a string") }
            if c != UInt8(ascii: "\\") { p += 1; continue }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[start..<p]))
            p += 1
            guard p < b.count else { throw error("unterminated escape") }
            let e = b[p]
            p += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar), p + 1 < b.count, b[p] == UInt8(ascii: "\\"), b[p + 1] == UInt8(ascii: "u") {
                    p += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        bytes.append(contentsOf: Array("\u{FFFD}".utf8))
                        scalar = low
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(e))'")
            }
            start = p
        }
        let s: String
        if bytes.isEmpty {
            s = UTF8Decoding.string(UnsafeRawBufferPointer(rebasing: b[start..<p]))
        } else {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[start..<p]))
            s = UTF8Decoding.string(bytes)
        }
        p += 1  // closing quote
        return s
    }

    private mutating func number() throws(JSONValueError) -> JSONValue {
        let start = p
        var integral = true
        if current == UInt8(ascii: "-") { p += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw error("invalid number") }
        if first == UInt8(ascii: "0") {
            p += 1
        } else {
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { p += 1 }
        }
        if current == UInt8(ascii: ".") {
            integral = false
            p += 1
            guard let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { throw error("invalid number") }
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { p += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            p += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { p += 1 }
            guard let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { throw error("invalid number") }
            while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { p += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<p]), as: UTF8.self)
        if integral, let i = Int(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw error("number \(text) is out of range") }
        return .double(d)
    }
}
