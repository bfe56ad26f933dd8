import ArgumentParser
import Foundation
import LanguageModels

/// `editlab info <model>`: what a model file holds — format, family and sizes, parameter
/// count, stored types, tokenizer, and for GGUF the metadata and the tensor table.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model: format, sizes, parameters, stored types, tokenizer, tensors.",
        discussion: "MODEL is a .gguf file, a directory with config.json and safetensors, or smollm2 (the default model)."
    )

    @Argument(help: "The model: a path or the default model's name.")
    var model: String = ModelResolver.defaultModelName

    @Flag(name: .long, help: "Only the summary: no metadata and no tensor table.")
    var brief = false

    func run() throws {
        let location = try ModelResolver.resolve(model)
        let start = Date()
        let m = try ModelLoader.load(location)
        let seconds = Date().timeIntervalSince(start)
        print(InfoReport(model: m, loadSeconds: seconds).summary())
        if !brief {
            if !m.ggufMetadata.isEmpty { print(InfoReport(model: m, loadSeconds: seconds).metadataTable()) }
            print(InfoReport(model: m, loadSeconds: seconds).tensorTable())
        }
    }
}

/// The text `editlab info` prints for a loaded model.
struct InfoReport {
    let model: LoadedModel
    let loadSeconds: Double

    func summary() -> String {
        let c = model.config
        var lines: [String] = []
        lines.append("model:        \(c.name)")
        lines.append("files:        \(model.files.joined(separator: ", "))")
        lines.append("format:       \(model.format)")
        lines.append("family:       \(c.family)")
        lines.append("layers:       \(c.layerCount)")
        lines.append("d_model:      \(c.dModel)")
        lines.append("heads:        \(c.headCount) (kv heads \(c.kvHeadCount), head dim \(c.headDim))")
        lines.append("d_mlp:        \(c.mlpDim)")
        lines.append("context:      \(c.contextLength)")
        lines.append("vocab:        \(c.vocabSize)")
        if c.family == .llama { lines.append("rope theta:   \(Self.formatNumber(c.ropeTheta))") }
        lines.append("norm eps:     \(Self.formatNumber(c.normEpsilon))")
        lines.append("tied embed:   \(c.tiedEmbeddings ? "yes (unembed shares embed's storage)" : "no")")
        lines.append("parameters:   \(Self.grouped(model.parameterCount)) (\(String(format: "%.1f", Double(model.parameterCount) / 1e6))M, float32 in memory)")
        let types = model.storedTypeBreakdown.map { "\($0.type): \($0.tensors) tensor\($0.tensors == 1 ? "" : "s"), \(Self.grouped($0.elements)) elements" }
        lines.append("stored types: \(types.joined(separator: "; "))")
        lines.append("tokenizer:    \(tokenizerSummary())")
        lines.append("load time:    \(String(format: "%.3f", loadSeconds)) s (dequantised to float32)")
        return lines.joined(separator: "\n")
    }

    func tokenizerSummary() -> String {
        guard let t = model.tokenizer else { return "none (\(model.tokenizerIssue ?? "unknown reason"))" }
        func tok(_ id: Int?) -> String {
            guard let id else { return "none" }
            return "\(id) \(Self.quoted((try? t.tokenString(id)) ?? "?"))"
        }
        return "byte-level BPE, pre-tokenizer \(t.preTokenizer.name), \(t.vocabularySize) tokens, \(t.mergeCount) merges, bos \(tok(t.bosID)), eos \(tok(t.eosID))"
    }

    func metadataTable() -> String {
        var lines = ["", "metadata (\(model.ggufMetadata.count) keys):"]
        let width = model.ggufMetadata.map(\.key.count).max() ?? 0
        for e in model.ggufMetadata {
            lines.append("  \(e.key.padding(toLength: width, withPad: " ", startingAt: 0))  \(describe(e.value))")
        }
        return lines.joined(separator: "\n")
    }

    func tensorTable() -> String {
        let rows = model.sourceTensors.map { s in
            [s.name, s.editLabNames.joined(separator: ", "), s.storedType, "[" + s.shape.map(String.init).joined(separator: ", ") + "]"]
        }
        let header = ["name", "editlab", "type", "shape"]
        var widths = header.map(\.count)
        for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { $0.offset == r.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        var out = ["", "tensors (\(rows.count)):", "  " + line(header)]
        out += rows.map { "  " + line($0) }
        if model.config.tiedEmbeddings {
            out.append("  (unembed is tied to embed: no separate output tensor)")
        }
        return out.joined(separator: "\n")
    }

    /// A metadata value on one line; long arrays summarised as `[49152 strings]`.
    func describe(_ v: GGUFValue) -> String {
        switch v {
        case .string(let s): return Self.quoted(s.count > 80 ? String(s.prefix(77)) + "..." : s)
        case .array(let a):
            if a.count <= 8, !a.contains(where: { if case .array = $0 { return true } else { return false } }) {
                return "[" + a.map(describe).joined(separator: ", ") + "]"
            }
            return "[\(a.count) \(a.first.map(typeName) ?? "value")s]"
        case .float32(let f): return Self.formatNumber(Double(f))
        case .float64(let d): return Self.formatNumber(d)
        case .bool(let b): return b ? "true" : "false"
        default: return v.intValue.map(String.init) ?? "?"
        }
    }

    private func typeName(_ v: GGUFValue) -> String {
        switch v {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        }
    }

    /// `s` in double quotes with control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// An integer with thousands separators (`134,515,008`).
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, ch) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A number in its shortest faithful form (`100000`, `1e-05`).
    static func formatNumber(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }
}
