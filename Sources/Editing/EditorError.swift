import Tensors

/// Errors of editors and their hyper-parameters. An edit that fails leaves the model exactly
/// as it was; the message says why.
public enum EditorError: Error, CustomStringConvertible, Equatable {
    /// An unknown hyper-parameter name.
    case unknownHyperparameter(String, method: String)
    /// A hyper-parameter of the wrong type or out of range.
    case invalidHyperparameter(String, detail: String)
    /// A layer outside the model.
    case layerOutOfRange(Int, layers: Int)
    /// The edit produced NaN or infinity (nothing was written).
    case nonFinite(String)
    /// A linear system of the closed form is singular (nothing was written).
    case singular(String)
    /// A request cannot be edited (e.g. the subject is not in the prompt).
    case badRequest(caseID: Int, detail: String)
    /// Statistics are missing or do not fit the model.
    case statistics(String)
    /// A saved editor state does not fit this editor.
    case state(String)

    public var description: String {
        switch self {
        case .unknownHyperparameter(let k, let m): return "unknown hyper-parameter '\(k)' for \(m)"
        case .invalidHyperparameter(let k, let d): return "hyper-parameter '\(k)': \(d)"
        case .layerOutOfRange(let l, let n): return "layer \(l) is outside the model's layers 0...\(n - 1)"
        case .nonFinite(let what): return "the edit produced NaN or infinity in \(what); the model was left unchanged"
        case .singular(let what): return "singular system in \(what); the model was left unchanged"
        case .badRequest(let id, let d): return "request \(id): \(d)"
        case .statistics(let d): return "covariance statistics: \(d)"
        case .state(let d): return "editor state: \(d)"
        }
    }
}
