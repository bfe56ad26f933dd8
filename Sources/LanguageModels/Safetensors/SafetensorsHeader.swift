import Foundation

/// The parsed header of a safetensors file: `u64` little-endian header length N, N bytes of
/// JSON (`{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}`), then data.
///
/// Every entry is validated: known dtype, non-negative shape whose element count does not
/// overflow, `data_offsets` inside the data section, a byte length equal to elements times
/// dtype size, and no two tensors overlapping.
public struct SafetensorsHeader: Sendable {
    /// The file's path (or a label for in-memory bytes), used in error messages.
    public let file: String
    /// Tensor entries sorted by name.
    public let tensors: [SafetensorsTensorInfo]
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Offset of the data section from the start of the file (8 + N).
    public let dataOffset: Int
    private let index: [String: Int]

    /// Largest header accepted (the reference implementation's limit).
    public static let maximumHeaderBytes = 100_000_000

    /// The entry of the tensor called `name`, if present.
    public func tensor(named name: String) -> SafetensorsTensorInfo? { index[name].map { tensors[$0] } }

    /// Parses the header of the safetensors file whose bytes are `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(SafetensorsError) -> SafetensorsHeader {
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(file: file, detail: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let n = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard n <= UInt64(min(bytes.count - 8, maximumHeaderBytes)) else {
            throw SafetensorsError.truncated(file: file, detail: "the header length is \(n) bytes but only \(bytes.count - 8) bytes follow")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(n))])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(file: file, detail: "the header does not start with '{'")
        }
        let json: JSONValue
        do throws(JSONValueError) { json = try JSONParser.parse(headerBytes) } catch {
            throw SafetensorsError.invalidHeader(file: file, detail: "not valid JSON: \(error)")
        }
        guard let object = json.objectValue else {
            throw SafetensorsError.invalidHeader(file: file, detail: "the header is not a JSON object")
        }
        let dataOffset = 8 + Int(n)
        let dataLength = bytes.count - dataOffset
        var metadata: [String: String] = [:]
        var entries: [SafetensorsTensorInfo] = []
        for name in object.keys.sorted() {
            guard let value = object[name] else { continue }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, file: file)
                continue
            }
            entries.append(try parseEntry(name: name, value: value, dataOffset: dataOffset, dataLength: dataLength, file: file))
        }
        let byOffset = entries.sorted { ($0.absoluteOffset, $0.name) < ($1.absoluteOffset, $1.name) }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where b.absoluteOffset < a.byteRange.upperBound {
            throw SafetensorsError.invalidTensor(file: file, tensor: b.name, detail: "its data overlaps tensor '\(a.name)'")
        }
        entries.sort { $0.name < $1.name }
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.name] = i }
        return SafetensorsHeader(file: file, tensors: entries, metadata: metadata, dataOffset: dataOffset, index: index)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws(SafetensorsError) -> [String: String] {
        guard let o = value.objectValue else {
            throw SafetensorsError.invalidHeader(file: file, detail: "__metadata__ is not an object")
        }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard let s = v.stringValue else {
                throw SafetensorsError.invalidHeader(file: file, detail: "__metadata__ value for '\(k)' is not a string")
            }
            out[k] = s
        }
        return out
    }

    private static func parseEntry(name: String, value: JSONValue, dataOffset: Int, dataLength: Int,
                                   file: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        func bad(_ d: String) -> SafetensorsError { .invalidTensor(file: file, tensor: name, detail: d) }
        guard let o = value.objectValue else { throw bad("the entry is not an object") }
        guard let dtypeName = o["dtype"]?.stringValue else { throw bad("missing or non-string 'dtype'") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = o["shape"]?.arrayValue else { throw bad("missing or non-array 'shape'") }
        var shape: [Int] = []
        var count = 1
        for v in shapeValues {
            guard let d = v.intValue, d >= 0 else { throw bad("shape \(shapeValues.map { "\($0)" }) has an entry that is not a non-negative integer") }
            shape.append(d)
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw bad("shape \(shape) overflows the element count") }
            count = p
        }
        guard let offsets = o["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw bad("'data_offsets' is not a pair of integers")
        }
        guard begin >= 0, begin <= end, end <= dataLength else {
            throw bad("data_offsets [\(begin), \(end)] lie outside the \(dataLength) bytes of data")
        }
        let (bytes, o2) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o2, bytes == end - begin else {
            throw bad("shape \(shape) of \(dtype.rawValue) needs \(o2 ? "too many" : String(bytes)) bytes but data_offsets span \(end - begin)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, absoluteOffset: dataOffset + begin, byteCount: bytes)
    }
}
