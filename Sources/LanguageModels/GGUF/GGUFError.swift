/// Everything that can be wrong with a GGUF file. Each message names the file and, where
/// it applies, the metadata key or tensor, so the user knows exactly what is broken.
public enum GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not start with the `GGUF` magic.
    case notGGUF(file: String)
    /// The version is not 2 or 3 (or the file is big-endian).
    case unsupportedVersion(file: String, version: UInt32)
    /// The file ends before `what` could be read.
    case truncated(file: String, what: String)
    /// A count or length (`what`) is larger than the bytes that remain could hold.
    case countTooLarge(file: String, what: String, count: UInt64, remainingBytes: Int)
    /// A metadata value has a type code this reader does not know.
    case unknownValueType(file: String, key: String, type: UInt32)
    /// Arrays are nested deeper than any real file nests them.
    case nestingTooDeep(file: String, key: String)
    /// The same metadata key appears twice.
    case duplicateKey(file: String, key: String)
    /// A metadata value is present but unusable (for example a zero `general.alignment`).
    case invalidMetadata(file: String, key: String, detail: String)
    /// A tensor has a type code this reader does not know.
    case unknownTensorType(file: String, tensor: String, type: UInt32)
    /// A tensor's type is known but cannot be dequantised yet.
    case unsupportedTensorType(file: String, tensor: String, type: String)
    /// A tensor's description is inconsistent (dimensions, block size, offset, data range).
    case invalidTensor(file: String, tensor: String, detail: String)
    /// The same tensor name appears twice.
    case duplicateTensor(file: String, tensor: String)
    /// A requested tensor is not in the file.
    case missingTensor(file: String, tensor: String)
    /// The file's bytes were released (the reader was closed) before a tensor was read.
    case closed(file: String)

    /// A one-line explanation naming the file and the offending key or tensor.
    public var description: String {
        switch self {
        case .notGGUF(let f):
            return "\(f): not a GGUF file (the first four bytes are not 'GGUF')"
        case .unsupportedVersion(let f, let v):
            return "\(f): unsupported GGUF version \(v) (supported: 2 and 3, little-endian)"
        case .truncated(let f, let what):
            return "\(f): the file is truncated: it ends while reading \(what)"
        case .countTooLarge(let f, let what, let count, let rem):
            return "\(f): \(what) is \(count), more than the \(rem) bytes left in the file can hold (corrupt or truncated file)"
        case .unknownValueType(let f, let key, let t):
            return "\(f): metadata key '\(key)' has unknown value type \(t)"
        case .nestingTooDeep(let f, let key):
            return "\(f): metadata key '\(key)' nests arrays too deeply"
        case .duplicateKey(let f, let key):
            return "\(f): metadata key '\(key)' appears more than once"
        case .invalidMetadata(let f, let key, let d):
            return "\(f): metadata key '\(key)': \(d)"
        case .unknownTensorType(let f, let t, let type):
            return "\(f): tensor '\(t)' has unknown ggml type \(type)"
        case .unsupportedTensorType(let f, let t, let type):
            return "\(f): tensor '\(t)' has type \(type), which EditLab cannot dequantise yet (supported: \(GGMLType.dequantizable.map(\.name).joined(separator: ", ")))"
        case .invalidTensor(let f, let t, let d):
            return "\(f): tensor '\(t)': \(d)"
        case .duplicateTensor(let f, let t):
            return "\(f): tensor '\(t)' appears more than once"
        case .missingTensor(let f, let t):
            return "\(f): no tensor named '\(t)'"
        case .closed(let f):
            return "\(f): the file was already closed (its weights were loaded and it was unmapped)"
        }
    }
}
