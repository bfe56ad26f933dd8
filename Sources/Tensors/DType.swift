/// The element type of a tensor's storage.
///
/// Model compute runs in `float32`; the editing math (covariance solves, closed forms)
/// runs in `float64`.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        }
    }

    /// The short name used in summaries (`f32`, `f64`).
    public var shortName: String {
        switch self {
        case .float32: return "f32"
        case .float64: return "f64"
        }
    }

    public var description: String { rawValue }
}
