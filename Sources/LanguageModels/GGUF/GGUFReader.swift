import Tensors

/// Reads a GGUF v2/v3 file: its header, metadata and tensors dequantised to float32.
///
/// The file is memory-mapped read-only. Tensors are decoded into new tensor memory, so
/// nothing returned refers to the mapping; call `close()` (or drop the reader) to unmap it
/// once the weights are loaded. Each tensor is decoded according to its own ggml type,
/// never `general.file_type`.
public final class GGUFReader {
    /// The parsed header (metadata, tensor infos).
    public let header: GGUFHeader
    private let source: ByteSource

    /// The file's path (or the label of in-memory bytes).
    public var file: String { header.file }

    /// Maps and parses the GGUF file at `path`.
    public convenience init(path: String) throws {
        try self.init(source: ByteSource(mapping: path))
    }

    /// Parses GGUF bytes held in memory (copied); `label` names them in errors.
    public convenience init<C: Collection>(bytes: C, label: String = "<memory>") throws where C.Element == UInt8 {
        try self.init(source: ByteSource(copying: bytes, label: label))
    }

    /// Parses the GGUF bytes of `source`.
    public init(source: ByteSource) throws {
        self.source = source
        header = try GGUFHeader.parse(source.bytes, file: source.label)
    }

    /// Unmaps the file. Later tensor reads throw ``GGUFError/closed(file:)``.
    public func close() { source.release() }

    /// The tensor called `name`, dequantised to a float32 tensor of its row-major shape.
    public func tensor(named name: String) throws -> Tensor {
        guard let info = header.tensor(named: name) else { throw GGUFError.missingTensor(file: file, tensor: name) }
        return try tensors([info])[0]
    }

    /// The given tensors, dequantised to float32 (row-major shapes). With `threads` above 1
    /// the work is cut into chunks that libdispatch spreads over the cores; 1 decodes on the
    /// calling thread. The results are identical either way.
    ///
    /// With `releasingPages`, the pages of the mapping that were decoded are handed back to
    /// the kernel as the work proceeds (the reader stays usable: they are read again from the
    /// file if needed), which keeps peak resident memory close to the float32 size.
    public func tensors(_ infos: [GGUFTensorInfo], releasingPages: Bool = false, threads: Int = 2) throws -> [Tensor] {
        guard source.isOpen, source.count == header.fileSize else { throw GGUFError.closed(file: file) }
        for info in infos where !info.type.isDequantizable {
            throw GGUFError.unsupportedTensorType(file: file, tensor: info.name, type: info.type.name)
        }
        let bytes = source.bytes
        guard let base = bytes.baseAddress else { throw GGUFError.closed(file: file) }
        var out: [Tensor] = []
        var jobs: [ParallelDecoder.Job] = []
        out.reserveCapacity(infos.count)
        for info in infos {
            // Re-check against this reader's own header: an info from elsewhere could lie.
            guard info.byteRange.upperBound <= bytes.count,
                  info.elementCount / info.type.blockSize * info.type.blockBytes == info.byteCount else {
                throw GGUFError.invalidTensor(file: file, tensor: info.name, detail: "data range does not match this file")
            }
            var dst: UnsafeMutablePointer<Float>?
            let t = Tensor.build(info.shape, as: Float.self) { dst = $0.baseAddress }
            out.append(t)
            if let dst, info.elementCount > 0 {
                jobs.append(.init(type: info.type, src: base + info.absoluteOffset, sourceOffset: info.absoluteOffset,
                                  blocks: info.elementCount / info.type.blockSize, dst: dst))
            }
        }
        _ = ParallelDecoder.run(jobs, discardingFrom: releasingPages ? source : nil, threads: threads)
        return out
    }
}
