import Foundation

/// Errors of the measurement functions. Every message says what was wrong and what is allowed.
public enum MeasurementError: Error, CustomStringConvertible, Equatable {
    /// A parameter or hook pattern matched no name of the model.
    case noMatch(kind: String, pattern: String)
    /// A parameter to compare is missing from the snapshot it is compared with.
    case notInSnapshot(String)
    /// Two tensors or two activation sets that must agree in shape do not.
    case shapeMismatch(String)
    /// Two activation sets were measured on different prompts or kept different tokens, so
    /// their vectors cannot be paired.
    case unpairedSets(String)
    /// An argument outside its allowed range.
    case invalidArgument(String)

    /// The message shown to the user (and raised as the Lua error).
    public var description: String {
        switch self {
        case .noMatch(let kind, let p): return "no \(kind) matches '\(p)'"
        case .notInSnapshot(let n): return "parameter '\(n)' is not in the snapshot it is compared with (snapshot it first)"
        case .shapeMismatch(let d): return "shape mismatch: \(d)"
        case .unpairedSets(let d): return "activation sets cannot be paired: \(d)"
        case .invalidArgument(let d): return d
        }
    }
}

/// Glob matching of dotted names, as `LanguageModel.parameterNames(matching:)`: `*` matches
/// any run of characters other than `.`; everything else matches literally.
enum DottedPattern {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8), n = Array(name.utf8)
        func go(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == n.count }
            if p[i] == UInt8(ascii: "*") {
                var k = j
                while true {
                    if go(i + 1, k) { return true }
                    if k == n.count || n[k] == UInt8(ascii: ".") { return false }
                    k += 1
                }
            }
            return j < n.count && p[i] == n[j] && go(i + 1, j + 1)
        }
        return go(0, 0)
    }

    /// The names matching any of `patterns`, in the order of `names`, each once; an error names
    /// the first pattern that matches nothing.
    static func select(_ patterns: [String], from names: [String], kind: String) throws -> [String] {
        var chosen = [Bool](repeating: false, count: names.count)
        for p in patterns {
            var any = false
            for (i, n) in names.enumerated() where matches(p, n) {
                chosen[i] = true
                any = true
            }
            if !any { throw MeasurementError.noMatch(kind: kind, pattern: p) }
        }
        return names.indices.filter { chosen[$0] }.map { names[$0] }
    }
}

/// The block index of a dotted name (`blocks.8.mlp.down` → 8), nil outside the blocks.
func blockIndex(_ name: String) -> Int? {
    guard name.hasPrefix("blocks.") else { return nil }
    let rest = name.dropFirst("blocks.".count)
    guard let dot = rest.firstIndex(of: ".") else { return nil }
    return Int(rest[rest.startIndex..<dot])
}

/// Mean of `xs` (NaN when empty).
func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

/// Median of `xs` (NaN when empty; the mean of the two middle values for an even count).
func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
