import Foundation
import Tensors

/// Loads models: resolves the argument, reads the configuration and the weights, fixes
/// their orientation, and builds the tokenizer when it can (a model loads without one).
public enum ModelLoader {
    /// Loads `spec`: a `.gguf` file, an HF checkpoint directory or `.safetensors` file, or the
    /// default model's name (nil means the default model).
    public static func load(_ spec: String? = nil) throws -> LoadedModel {
        try load(ModelResolver.resolve(spec))
    }

    /// Loads a resolved location. The decoding buffers the load leaves free in the heap are
    /// returned to the system (the heap keeps freed memory otherwise: `Heap`).
    public static func load(_ location: ModelLocation) throws -> LoadedModel {
        defer { Heap.releaseFreeMemory() }
        switch location {
        case .gguf(let path): return try loadGGUF(path: path)
        case .safetensors(let config, let weights): return try loadSafetensors(config: config, weights: weights)
        }
    }

    /// Loads a GGUF file. The file is unmapped before returning.
    public static func loadGGUF(path: String) throws -> LoadedModel {
        let reader = try GGUFReader(path: path)
        defer { reader.close() }
        return try loadGGUF(reader)
    }

    /// Loads a model from an open GGUF reader (for example over bytes in memory). With
    /// `buildTokenizer` false the tokenizer is not built (`tokenizerIssue` says so).
    public static func loadGGUF(_ reader: GGUFReader, buildTokenizer: Bool = true) throws -> LoadedModel {
        let header = reader.header
        var config = try ModelConfig.fromGGUF(header)
        if config.name == "llama" || config.name == "gpt2" {
            config.name = URL(fileURLWithPath: reader.file).deletingPathExtension().lastPathComponent
        }
        let source = GGUFWeightSource(reader)
        let assembled = try WeightAssembler(config: config, map: .forFamily(config.family), source: source).assemble()
        reader.close()
        var tokenizer: Tokenizer?
        var issue: String? = "not requested"
        if buildTokenizer {
            do {
                tokenizer = try Tokenizer(ggufMetadata: header.metadataByKey)
                issue = nil
            } catch {
                issue = "\(error)"
            }
        }
        return LoadedModel(config: config, names: assembled.names, weights: assembled.weights, tokenizer: tokenizer,
                           tokenizerIssue: issue, format: .gguf(version: header.version), files: [reader.file],
                           sourceTensors: assembled.sourceTensors, ggufMetadata: header.metadata)
    }

    /// Loads an HF checkpoint: `config.json` and a `.safetensors` file or a sharded index.
    /// The tokenizer comes from `tokenizer.json` next to `config.json`, when present and usable.
    public static func loadSafetensors(config configPath: String, weights: String) throws -> LoadedModel {
        let config = try ModelConfig.fromHuggingFace(path: configPath)
        let checkpoint = weights.hasSuffix(".index.json")
            ? try SafetensorsCheckpoint(index: weights)
            : try SafetensorsCheckpoint(file: weights)
        defer { checkpoint.close() }
        let source = SafetensorsWeightSource(checkpoint)
        let assembled = try WeightAssembler(config: config, map: .forFamily(config.family), source: source).assemble()
        checkpoint.close()
        let dir = URL(fileURLWithPath: configPath).deletingLastPathComponent()
        let tokenizerURL = dir.appendingPathComponent("tokenizer.json")
        var tokenizer: Tokenizer?
        var issue: String?
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            do {
                tokenizer = try Tokenizer(tokenizerJSONAt: tokenizerURL)
            } catch {
                issue = "\(error)"
            }
        } else {
            issue = "no tokenizer.json next to \(configPath)"
        }
        return LoadedModel(config: config, names: assembled.names, weights: assembled.weights, tokenizer: tokenizer,
                           tokenizerIssue: issue, format: .safetensors, files: checkpoint.files,
                           sourceTensors: assembled.sourceTensors, ggufMetadata: [])
    }
}

extension ModelLoader {
    /// Builds only the tokenizer of a model (GGUF metadata, or `tokenizer.json` next to an HF
    /// checkpoint's `config.json`), without decoding any weights.
    public static func loadTokenizer(_ location: ModelLocation) throws -> Tokenizer {
        switch location {
        case .gguf(let path):
            let reader = try GGUFReader(path: path)
            defer { reader.close() }
            return try Tokenizer(ggufMetadata: reader.header.metadataByKey)
        case .safetensors(let config, _):
            let url = URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ModelFileError.unreadable(file: url.path, reason: "the checkpoint has no tokenizer.json next to config.json")
            }
            return try Tokenizer(tokenizerJSONAt: url)
        }
    }
}
