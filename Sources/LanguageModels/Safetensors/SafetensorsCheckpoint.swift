import Foundation
import Tensors

/// The tensors of a checkpoint that may span several safetensors files (a single
/// `model.safetensors`, or the shards listed by `model.safetensors.index.json`), read as one.
public final class SafetensorsCheckpoint {
    /// The open shard readers, in file-name order.
    public let readers: [SafetensorsReader]
    private let owner: [String: Int]

    /// The files read, in order.
    public var files: [String] { readers.map(\.file) }

    /// Opens the single safetensors file at `path`.
    public convenience init(file path: String) throws {
        try self.init(readers: [SafetensorsReader(path: path)])
    }

    /// Opens the shards named by the index at `indexPath` (paths relative to its directory),
    /// checking that every tensor the index lists is in the shard it names.
    public convenience init(index indexPath: String) throws {
        let index = try SafetensorsIndex.load(path: indexPath)
        let dir = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        let readers = try index.shardFiles.map { try SafetensorsReader(path: dir.appendingPathComponent($0).path) }
        var byFile: [String: SafetensorsReader] = [:]
        for (name, r) in zip(index.shardFiles, readers) { byFile[name] = r }
        for name in index.weightMap.keys.sorted() {
            guard let shard = index.weightMap[name], let r = byFile[shard], r.header.tensor(named: name) != nil else {
                throw SafetensorsError.invalidIndex(file: indexPath, detail: "tensor '\(name)' is not in shard '\(index.weightMap[name] ?? "?")'")
            }
        }
        try self.init(readers: readers)
    }

    /// Combines already-open readers; a tensor name may appear in only one of them.
    public init(readers: [SafetensorsReader]) throws {
        self.readers = readers
        var owner: [String: Int] = [:]
        for (k, r) in readers.enumerated() {
            for t in r.tensorInfos {
                if let other = owner[t.name] {
                    throw SafetensorsError.invalidTensor(file: r.file, tensor: t.name, detail: "also present in \(readers[other].file)")
                }
                owner[t.name] = k
            }
        }
        self.owner = owner
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { owner.keys.sorted() }

    /// The reader and entry of the tensor called `name`, if present.
    public func locate(_ name: String) -> (reader: SafetensorsReader, info: SafetensorsTensorInfo)? {
        guard let k = owner[name], let info = readers[k].header.tensor(named: name) else { return nil }
        return (readers[k], info)
    }

    /// Unmaps every shard.
    public func close() { readers.forEach { $0.close() } }
}
