import Foundation
import Yams

/// Reads EasyEdit-style YAML hyper-parameter files into ordered key/value entries.
enum YAMLHyperparameters {
    static func entries(_ data: Data, file: String) throws -> [(String, HyperValue)] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw EditorError.invalidHyperparameter(file, detail: "not UTF-8 text")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw EditorError.invalidHyperparameter(file, detail: "not valid YAML: \(error)")
        }
        guard let mapping = root?.mapping else { throw EditorError.invalidHyperparameter(file, detail: "expected a mapping at the top level") }
        return try mapping.map { k, v in
            guard let key = k.string else { throw EditorError.invalidHyperparameter(file, detail: "a key is not a string") }
            return (key, try value(v, key: key))
        }
    }

    static func value(_ node: Node, key: String) throws -> HyperValue {
        switch node {
        case .scalar(let s):
            // Quoted scalars are strings; plain ones resolve as YAML 1.1 core types.
            if s.style == .singleQuoted || s.style == .doubleQuoted { return .string(s.string) }
            if ["~", "null", "Null", "NULL", ""].contains(s.string) { return .null }
            if ["true", "True", "TRUE", "false", "False", "FALSE"].contains(s.string) { return .bool(s.string.lowercased() == "true") }
            if let i = Int(s.string) { return .int(i) }
            if let f = node.float, Double(s.string.replacingOccurrences(of: "_", with: "")) != nil || s.string.contains("e") { return .double(f) }
            return .string(s.string)
        case .sequence(let seq):
            return .array(try seq.map { try value($0, key: key) })
        case .mapping:
            throw EditorError.invalidHyperparameter(key, detail: "a mapping is not a valid value")
        }
    }
}
