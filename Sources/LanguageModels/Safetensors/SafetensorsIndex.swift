import Foundation

/// The `model.safetensors.index.json` of a sharded checkpoint: which shard file holds each
/// tensor (`weight_map`), plus its optional `metadata`.
public struct SafetensorsIndex: Sendable, Equatable {
    /// Tensor name → shard file name (relative to the index's directory).
    public let weightMap: [String: String]
    /// The shard file names, sorted.
    public var shardFiles: [String] { Array(Set(weightMap.values)).sorted() }

    /// Parses an index file's bytes; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws(SafetensorsError) -> SafetensorsIndex {
        let json: JSONValue
        do throws(JSONValueError) { json = try JSONValue.parse(data) } catch {
            throw SafetensorsError.invalidIndex(file: file, detail: "not valid JSON: \(error)")
        }
        guard let map = json["weight_map"]?.objectValue else {
            throw SafetensorsError.invalidIndex(file: file, detail: "no 'weight_map' object")
        }
        var out: [String: String] = [:]
        for name in map.keys.sorted() {
            guard let shard = map[name]?.stringValue else {
                throw SafetensorsError.invalidIndex(file: file, detail: "the shard of '\(name)' is not a string")
            }
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains(".."),
                  shard.hasSuffix(".safetensors") else {
                throw SafetensorsError.invalidIndex(file: file, detail: "shard '\(shard)' of '\(name)' is not a .safetensors file name inside the checkpoint directory")
            }
            out[name] = shard
        }
        return SafetensorsIndex(weightMap: out)
    }

    /// Reads and parses the index file at `path`.
    public static func load(path: String) throws -> SafetensorsIndex {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError.unreadable(file: path, reason: "no such file or not readable")
        }
        return try parse(data, file: path)
    }
}
