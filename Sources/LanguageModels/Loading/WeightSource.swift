import Tensors

/// A checkpoint's tensors as the loader sees them, whatever the file format.
protocol WeightSource: AnyObject {
    /// Whether names follow GGUF's scheme (else HF's).
    var isGGUF: Bool { get }
    /// The file(s) read.
    var files: [String] { get }
    /// Every tensor name, in file order.
    var tensorNames: [String] { get }
    /// The row-major shape of `name`, if present.
    func shape(of name: String) -> [Int]?
    /// The stored type of `name` (`Q4_1`, `BF16`, ...), if present.
    func storedType(of name: String) -> String?
    /// The file holding `name`.
    func file(of name: String) -> String
    /// The named tensors decoded to float32 in their stored row-major shape.
    func decode(_ names: [String]) throws -> [Tensor]
    /// Releases the file mapping(s).
    func close()
}

/// A GGUF file as a ``WeightSource``.
final class GGUFWeightSource: WeightSource {
    let reader: GGUFReader
    init(_ reader: GGUFReader) { self.reader = reader }

    var isGGUF: Bool { true }
    var files: [String] { [reader.file] }
    var tensorNames: [String] { reader.header.tensors.map(\.name) }
    func shape(of name: String) -> [Int]? { reader.header.tensor(named: name)?.shape }
    func storedType(of name: String) -> String? { reader.header.tensor(named: name)?.type.name }
    func file(of name: String) -> String { reader.file }

    func decode(_ names: [String]) throws -> [Tensor] {
        let infos = try names.map { n -> GGUFTensorInfo in
            guard let i = reader.header.tensor(named: n) else { throw GGUFError.missingTensor(file: reader.file, tensor: n) }
            return i
        }
        return try reader.tensors(infos, releasingPages: true)
    }

    func close() { reader.close() }
}

/// A (possibly sharded) safetensors checkpoint as a ``WeightSource``.
final class SafetensorsWeightSource: WeightSource {
    let checkpoint: SafetensorsCheckpoint
    init(_ checkpoint: SafetensorsCheckpoint) { self.checkpoint = checkpoint }

    var isGGUF: Bool { false }
    var files: [String] { checkpoint.files }
    var tensorNames: [String] { checkpoint.readers.flatMap { $0.tensorInfos.map(\.name) } }
    func shape(of name: String) -> [Int]? { checkpoint.locate(name)?.info.shape }
    func storedType(of name: String) -> String? { checkpoint.locate(name)?.info.dtype.rawValue }
    func file(of name: String) -> String { checkpoint.locate(name)?.reader.file ?? checkpoint.files.first ?? "" }

    func decode(_ names: [String]) throws -> [Tensor] {
        var out = [Tensor?](repeating: nil, count: names.count)
        for reader in checkpoint.readers {
            let mine = names.indices.filter { checkpoint.locate(names[$0])?.reader === reader }
            guard !mine.isEmpty else { continue }
            let infos = mine.compactMap { reader.header.tensor(named: names[$0]) }
            let tensors = try reader.tensors(infos, releasingPages: true)
            for (k, t) in zip(mine, tensors) { out[k] = t }
        }
        return try names.indices.map { k in
            guard let t = out[k] else {
                throw SafetensorsError.missingTensor(file: checkpoint.files.first ?? "", tensor: names[k])
            }
            return t
        }
    }

    func close() { checkpoint.close() }
}
