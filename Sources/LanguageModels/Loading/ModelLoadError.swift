/// Problems assembling a model from its files. Messages name the file and the tensor.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(file: String, tensor: String, editLabName: String)
    /// A tensor's shape does not match the configuration.
    case wrongShape(file: String, tensor: String, shape: [Int], expected: String)
    /// The checkpoint has tensors the family's name map does not know.
    case unexpectedTensors(file: String, tensors: [String], family: ModelFamily, layers: Int)
    /// The configuration claims more layers than the checkpoint has tensors.
    case implausibleLayerCount(file: String, layers: Int, tensorCount: Int)
    /// The default model is not installed.
    case defaultModelMissing(name: String, path: String)
    /// The path names nothing loadable.
    case notFound(path: String)
    /// The path exists but is not a model EditLab can load.
    case unrecognized(path: String, detail: String)

    /// A one-line explanation naming the file and tensor.
    public var description: String {
        switch self {
        case .missingTensor(let f, let t, let e):
            return "\(f): missing tensor '\(t)' (EditLab '\(e)')"
        case .wrongShape(let f, let t, let s, let e):
            return "\(f): tensor '\(t)' has shape [\(s.map(String.init).joined(separator: ", "))], expected \(e)"
        case .unexpectedTensors(let f, let ts, let fam, let layers):
            let shown = ts.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = ts.count > 5 ? " and \(ts.count - 5) more" : ""
            return "\(f): unexpected tensor\(ts.count == 1 ? "" : "s") \(shown)\(more) for a \(fam) model with \(layers) layers"
        case .implausibleLayerCount(let f, let layers, let n):
            return "\(f): the configuration says \(layers) layers but the checkpoint has only \(n) tensors"
        case .defaultModelMissing(let n, let p):
            return "the default model '\(n)' is not installed (expected \(p)); run scripts/setup to install it"
        case .notFound(let p):
            return "no model at '\(p)': give a .gguf file, a directory with config.json and safetensors, or 'smollm2'"
        case .unrecognized(let p, let d):
            return "cannot load '\(p)': \(d)"
        }
    }
}
