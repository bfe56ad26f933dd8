/// Everything that can be wrong with a safetensors file or a sharded-checkpoint index.
/// Each message names the file and, where it applies, the tensor.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is shorter than its 8-byte header length, or than the header it announces.
    case truncated(file: String, detail: String)
    /// The header is not valid JSON or not shaped like a safetensors header.
    case invalidHeader(file: String, detail: String)
    /// A tensor entry of the header is inconsistent (dtype, shape, offsets).
    case invalidTensor(file: String, tensor: String, detail: String)
    /// A tensor has a dtype this reader does not know.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A tensor's dtype cannot be converted to what was asked (for example I64 to float).
    case wrongDType(file: String, tensor: String, dtype: String, wanted: String)
    /// A requested tensor is not in the file.
    case missingTensor(file: String, tensor: String)
    /// The `model.safetensors.index.json` of a sharded checkpoint is malformed.
    case invalidIndex(file: String, detail: String)
    /// A tensor cannot be written (name or dtype).
    case cannotWrite(tensor: String, detail: String)
    /// The file's bytes were released before a tensor was read.
    case closed(file: String)

    /// A one-line explanation naming the file and tensor.
    public var description: String {
        switch self {
        case .truncated(let f, let d): return "\(f): truncated safetensors file: \(d)"
        case .invalidHeader(let f, let d): return "\(f): invalid safetensors header: \(d)"
        case .invalidTensor(let f, let t, let d): return "\(f): tensor '\(t)': \(d)"
        case .unknownDType(let f, let t, let d): return "\(f): tensor '\(t)' has unknown dtype '\(d)'"
        case .wrongDType(let f, let t, let d, let w): return "\(f): tensor '\(t)' has dtype \(d), which cannot be read as \(w)"
        case .missingTensor(let f, let t): return "\(f): no tensor named '\(t)'"
        case .invalidIndex(let f, let d): return "\(f): invalid sharded-checkpoint index: \(d)"
        case .cannotWrite(let t, let d): return "cannot write tensor '\(t)' to safetensors: \(d)"
        case .closed(let f): return "\(f): the file was already closed"
        }
    }
}
