/// Input/output failures while opening or writing a weight or configuration file.
public enum ModelFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, inspected or mapped.
    case unreadable(file: String, reason: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)

    /// A one-line explanation naming the file.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "cannot read '\(file)': \(reason)"
        case .unwritable(let file, let reason): return "cannot write '\(file)': \(reason)"
        }
    }
}
