import Foundation
import Tensors

/// Writes float32/float64 tensors in the safetensors format, deterministically: tensors in
/// sorted name order (header and data), `__metadata__` first, keys in a fixed order, the
/// header padded with spaces so the data starts at a multiple of 8 bytes.
public enum SafetensorsWriter {
    /// The complete file contents for `tensors` (float32 → F32, float64 → F64) and `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        let names = tensors.keys.sorted()
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        var ordered: [Tensor] = []
        for name in names {
            guard let t = tensors[name] else { continue }
            guard !name.isEmpty, name != "__metadata__" else {
                throw SafetensorsError.cannotWrite(tensor: name, detail: "reserved or empty name")
            }
            let dtype = t.dtype == .float32 ? "F32" : "F64"
            let bytes = t.count * t.dtype.byteSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
            ordered.append(t.contiguous())
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for t in ordered {
            switch t.dtype {
            case .float32: data.append(UnsafeBufferPointer(start: t.pointer(as: Float.self), count: t.count))
            case .float64: data.append(UnsafeBufferPointer(start: t.pointer(as: Double.self), count: t.count))
            }
        }
        return data
    }

    /// Writes `tensors` and `metadata` to `path` atomically (a temporary file, then a rename).
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let data = try encode(tensors, metadata: metadata)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelFileError.unwritable(file: path, reason: error.localizedDescription)
        }
    }

    /// A JSON string literal for `s` (see `JSONValue.stringLiteral`).
    static func jsonString(_ s: String) -> String { JSONValue.stringLiteral(s) }
}
