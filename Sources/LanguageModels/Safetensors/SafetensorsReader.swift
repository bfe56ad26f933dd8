import Tensors

/// Reads tensors from a safetensors file (memory-mapped) or from bytes in memory.
///
/// F32, F16, BF16 and F64 tensors convert to float32 (`tensor(named:)`) or to float64
/// (`tensor(named:as: .float64)`, exact for F64); integer tensors (I64, I32, ...) come back as
/// `[Int]`. Returned tensors own their memory: `close()` unmaps the file.
public final class SafetensorsReader {
    /// The parsed header.
    public let header: SafetensorsHeader
    private let source: ByteSource

    /// The file's path (or the label of in-memory bytes).
    public var file: String { header.file }
    /// Tensor entries sorted by name.
    public var tensorInfos: [SafetensorsTensorInfo] { header.tensors }
    /// The `__metadata__` map.
    public var metadata: [String: String] { header.metadata }

    /// Maps and parses the safetensors file at `path`.
    public convenience init(path: String) throws {
        try self.init(source: ByteSource(mapping: path))
    }

    /// Parses safetensors bytes held in memory (copied); `label` names them in errors.
    public convenience init<C: Collection>(bytes: C, label: String = "<memory>") throws where C.Element == UInt8 {
        try self.init(source: ByteSource(copying: bytes, label: label))
    }

    /// Parses the safetensors bytes of `source`.
    public init(source: ByteSource) throws {
        self.source = source
        header = try SafetensorsHeader.parse(source.bytes, file: source.label)
    }

    /// Unmaps the file; later reads throw ``SafetensorsError/closed(file:)``.
    public func close() { source.release() }

    private func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let i = header.tensor(named: name) else { throw SafetensorsError.missingTensor(file: file, tensor: name) }
        return i
    }

    private func rawBase(for infos: [SafetensorsTensorInfo]) throws -> UnsafeRawPointer {
        let bytes = source.bytes
        guard source.isOpen, let base = bytes.baseAddress else { throw SafetensorsError.closed(file: file) }
        for i in infos where i.byteRange.upperBound > bytes.count {
            throw SafetensorsError.invalidTensor(file: file, tensor: i.name, detail: "data range does not match this file")
        }
        return base
    }

    /// The tensor called `name` converted to `dtype` (float32 by default).
    public func tensor(named name: String, as dtype: DType = .float32) throws -> Tensor {
        let i = try info(name)
        switch dtype {
        case .float32: return try tensors([i])[0]
        case .float64: return try float64Tensor(i)
        }
    }

    /// Several float tensors as float32, decoded in parallel when `threads` is above 1.
    /// `releasingPages` hands decoded pages of the mapping back to the kernel as it goes.
    public func tensors(_ infos: [SafetensorsTensorInfo], releasingPages: Bool = false, threads: Int = 2) throws -> [Tensor] {
        var jobs: [ParallelDecoder.Job] = []
        var out: [Tensor] = []
        let base = try rawBase(for: infos)
        for i in infos {
            guard let g = i.dtype.ggmlType else {
                throw SafetensorsError.wrongDType(file: file, tensor: i.name, dtype: i.dtype.rawValue, wanted: "a float tensor")
            }
            var dst: UnsafeMutablePointer<Float>?
            out.append(Tensor.build(i.shape, as: Float.self) { dst = $0.baseAddress })
            if let dst, i.elementCount > 0 {
                jobs.append(.init(type: g, src: base + i.absoluteOffset, sourceOffset: i.absoluteOffset,
                                  blocks: i.elementCount, dst: dst))
            }
        }
        _ = ParallelDecoder.run(jobs, discardingFrom: releasingPages ? source : nil, threads: threads)
        return out
    }

    private func float64Tensor(_ i: SafetensorsTensorInfo) throws -> Tensor {
        let base = try rawBase(for: [i]) + i.absoluteOffset
        switch i.dtype {
        case .f64:
            return Tensor.build(i.shape, as: Double.self) { buf in
                if let p = buf.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: i.byteCount) }
            }
        case .f32, .f16, .bf16:
            return try tensors([i])[0].to(.float64)
        default:
            throw SafetensorsError.wrongDType(file: file, tensor: i.name, dtype: i.dtype.rawValue, wanted: "float64")
        }
    }

    /// The integer (or boolean) tensor called `name`, flattened in row-major order.
    public func integers(named name: String) throws -> [Int] {
        let i = try info(name)
        let p = try rawBase(for: [i]) + i.absoluteOffset
        let n = i.elementCount
        func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
            (0..<n).map { T(littleEndian: p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch i.dtype {
        case .i64: return load(Int64.self).map { Int($0) }
        case .i32: return load(Int32.self).map { Int($0) }
        case .i16: return load(Int16.self).map { Int($0) }
        case .i8: return load(Int8.self).map { Int($0) }
        case .u32: return load(UInt32.self).map { Int($0) }
        case .u16: return load(UInt16.self).map { Int($0) }
        case .u8, .bool: return load(UInt8.self).map { Int($0) }
        case .u64:
            let v = load(UInt64.self)
            guard let big = v.first(where: { $0 > UInt64(Int.max) }) else { return v.map { Int($0) } }
            throw SafetensorsError.invalidTensor(file: file, tensor: name, detail: "value \(big) does not fit in Int")
        default:
            throw SafetensorsError.wrongDType(file: file, tensor: name, dtype: i.dtype.rawValue, wanted: "integers")
        }
    }
}
