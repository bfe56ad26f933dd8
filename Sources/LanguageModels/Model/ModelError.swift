import Tensors

/// Errors of a running model: bad token ids, prompts too long, unknown names, hooks that
/// misbehave. Every message says what was wrong and what is allowed.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A token id outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A sequence longer than the model's context.
    case sequenceTooLong(length: Int, context: Int)
    /// An empty batch or an empty sequence.
    case emptyInput(String)
    /// A parameter name the model does not have.
    case unknownParameter(String, known: String)
    /// A hook name the model does not have.
    case unknownHook(String)
    /// A hook returned a tensor of the wrong shape.
    case hookShape(name: String, expected: [Int], got: [Int])
    /// A tensor given for a parameter has the wrong shape or dtype.
    case parameterShape(name: String, expected: [Int], got: [Int])
    /// The model has no usable tokenizer.
    case noTokenizer(String)
    /// A (batch, position) pair outside the batch.
    case positionOutOfRange(batch: Int, position: Int, detail: String)
    /// An invalid option value.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let id, let v): return "token id \(id) is outside the vocabulary (0..<\(v))"
        case .sequenceTooLong(let l, let c): return "a sequence of \(l) tokens is longer than the model's context of \(c)"
        case .emptyInput(let what): return "empty input: \(what)"
        case .unknownParameter(let n, let known): return "unknown parameter '\(n)' (parameters look like \(known))"
        case .unknownHook(let n): return "unknown hook point '\(n)' (see LanguageModel.hookNames)"
        case .hookShape(let n, let e, let g):
            return "hook at '\(n)' returned shape \(shapeString(g)); the activation has shape \(shapeString(e))"
        case .parameterShape(let n, let e, let g):
            return "parameter '\(n)' has shape \(shapeString(e)); got \(shapeString(g))"
        case .noTokenizer(let why): return "the model has no usable tokenizer: \(why)"
        case .positionOutOfRange(let b, let p, let d): return "position (batch \(b), position \(p)) is outside the batch: \(d)"
        case .invalidOption(let d): return d
        }
    }
}
