/// The parsed header of a GGUF v2/v3 file: metadata, tensor infos and where the data starts.
///
/// Parsing never trusts a count: every metadata count, string and array length, number of
/// dimensions, dimension and tensor data range is checked against the bytes that remain
/// (with overflow-checked arithmetic) before anything is allocated or read.
public struct GGUFHeader: Sendable {
    /// The file's path (or a label for in-memory bytes), used in error messages.
    public let file: String
    /// The GGUF version (2 or 3).
    public let version: Int
    /// Metadata in file order.
    public let metadata: [GGUFMetadataEntry]
    /// Metadata by key.
    public let metadataByKey: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the data section and of each tensor's data (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public let fileSize: Int
    private let tensorIndex: [String: Int]

    /// The default value of `general.alignment`.
    public static let defaultAlignment = 32
    /// The most dimensions a ggml tensor can have.
    public static let maximumDimensions = 4

    /// The metadata value for `key`, if present.
    public subscript(key: String) -> GGUFValue? { metadataByKey[key] }

    /// The info of the tensor called `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Parses the header of the GGUF file whose bytes are `bytes`; `file` names it in errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(GGUFError) -> GGUFHeader {
        var r = GGUFByteReader(bytes: bytes, file: file)
        let magic = try r.u32("the magic number")
        guard magic == 0x4655_4747 else { throw GGUFError.notGGUF(file: file) }  // "GGUF"
        let version = try r.u32("the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(file: file, version: version) }
        let tensorCount = try r.count("the tensor count", minimumItemBytes: 24)
        let kvCount = try r.count("the metadata count", minimumItemBytes: 13)

        var metadata: [GGUFMetadataEntry] = []
        metadata.reserveCapacity(kvCount)
        var byKey: [String: GGUFValue] = [:]
        for i in 0..<kvCount {
            let key = try r.string("the key of metadata entry \(i)")
            let value = try GGUFValueParser.readValue(&r, key: key)
            guard byKey.updateValue(value, forKey: key) == nil else {
                throw GGUFError.duplicateKey(file: file, key: key)
            }
            metadata.append(GGUFMetadataEntry(key: key, value: value))
        }
        let alignment = try readAlignment(byKey["general.alignment"], file: file)

        var raw: [(name: String, dims: [Int], type: GGMLType, offset: Int)] = []
        raw.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try r.string("the name of tensor \(i)")
            let nDims = try r.u32("the dimension count of tensor '\(name)'")
            guard nDims <= UInt32(maximumDimensions) else {
                throw GGUFError.invalidTensor(file: file, tensor: name, detail: "\(nDims) dimensions (ggml allows at most \(maximumDimensions))")
            }
            var dims: [Int] = []
            for d in 0..<Int(nDims) {
                let v = try r.u64("dimension \(d) of tensor '\(name)'")
                guard v <= UInt64(Int.max) else {
                    throw GGUFError.invalidTensor(file: file, tensor: name, detail: "dimension \(d) is \(v)")
                }
                dims.append(Int(v))
            }
            let typeRaw = try r.u32("the type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeRaw) else {
                throw GGUFError.unknownTensorType(file: file, tensor: name, type: typeRaw)
            }
            let offset = try r.u64("the data offset of tensor '\(name)'")
            guard offset <= UInt64(Int.max) else {
                throw GGUFError.invalidTensor(file: file, tensor: name, detail: "data offset \(offset) is beyond any file")
            }
            guard index.updateValue(i, forKey: name) == nil else {
                throw GGUFError.duplicateTensor(file: file, tensor: name)
            }
            raw.append((name, dims, type, Int(offset)))
        }
        let dataOffset = r.aligned(to: alignment)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for t in raw {
            tensors.append(try tensorInfo(name: t.name, dims: t.dims, type: t.type, offset: t.offset,
                                          dataOffset: dataOffset, alignment: alignment, fileSize: bytes.count, file: file))
        }
        return GGUFHeader(file: file, version: Int(version), metadata: metadata, metadataByKey: byKey,
                          tensors: tensors, alignment: alignment, dataOffset: dataOffset,
                          fileSize: bytes.count, tensorIndex: index)
    }

    private static func readAlignment(_ value: GGUFValue?, file: String) throws(GGUFError) -> Int {
        guard let value else { return defaultAlignment }
        var integer = value.intValue
        if case .bool = value { integer = nil }
        guard let a = integer else {
            throw GGUFError.invalidMetadata(file: file, key: "general.alignment", detail: "must be an integer")
        }
        guard a > 0, a & (a - 1) == 0, a <= 1 << 30 else {
            throw GGUFError.invalidMetadata(file: file, key: "general.alignment", detail: "\(a) is not a power of two between 1 and 2^30")
        }
        return a
    }

    /// Validates one tensor's dimensions, block layout and data range.
    private static func tensorInfo(name: String, dims: [Int], type: GGMLType, offset: Int, dataOffset: Int,
                                   alignment: Int, fileSize: Int, file: String) throws(GGUFError) -> GGUFTensorInfo {
        func bad(_ detail: String) -> GGUFError { .invalidTensor(file: file, tensor: name, detail: detail) }
        var count = 1
        for d in dims {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw bad("dimensions \(dims) overflow the element count") }
            count = p
        }
        let inner = dims.first ?? 1
        guard inner % type.blockSize == 0 else {
            throw bad("innermost dimension \(inner) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let (bytes, o1) = (count / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
        guard !o1 else { throw bad("dimensions \(dims) overflow the data size") }
        guard offset % alignment == 0 else {
            throw bad("data offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        let (start, o2) = dataOffset.addingReportingOverflow(offset)
        let (end, o3) = start.addingReportingOverflow(bytes)
        guard !o2, !o3, end <= fileSize else {
            throw bad("its \(bytes) bytes of \(type.name) data at offset \(offset) extend past the end of the file (\(fileSize) bytes, data section at \(dataOffset))")
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: offset, absoluteOffset: start,
                              elementCount: count, byteCount: bytes)
    }
}
