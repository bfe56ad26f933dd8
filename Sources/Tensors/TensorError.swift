/// Errors raised by tensor operations. Every message names the operation and what was wrong,
/// so a researcher reading it in the REPL knows what to fix.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Operand shapes are incompatible for the operation.
    case shapeMismatch(op: String, detail: String)
    /// Operand element types differ where they must agree.
    case dtypeMismatch(op: String, expected: DType, got: DType)
    /// A dimension, index or range lies outside the tensor.
    case outOfRange(op: String, detail: String)
    /// An argument is invalid for another reason.
    case invalidArgument(op: String, detail: String)
    /// The input holds NaN or infinity where the operation needs finite numbers.
    case nonFinite(op: String)
    /// The linear system is singular (or numerically so).
    case singular(op: String, detail: String)
    /// The matrix is not symmetric positive definite.
    case notPositiveDefinite(op: String, detail: String)
    /// LAPACK reported a failure that is not one of the above.
    case lapack(op: String, routine: String, info: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let d): return "\(op): shape mismatch: \(d)"
        case .dtypeMismatch(let op, let e, let g): return "\(op): expected dtype \(e), got \(g)"
        case .outOfRange(let op, let d): return "\(op): out of range: \(d)"
        case .invalidArgument(let op, let d): return "\(op): \(d)"
        case .nonFinite(let op): return "\(op): input contains NaN or infinity"
        case .singular(let op, let d): return "\(op): singular system: \(d)"
        case .notPositiveDefinite(let op, let d): return "\(op): matrix is not positive definite: \(d)"
        case .lapack(let op, let r, let info): return "\(op): LAPACK \(r) failed (info = \(info))"
        }
    }
}

/// The number of elements of `shape`; throws (instead of trapping) when a size is negative or
/// the product overflows `Int`.
func checkedCount(_ shape: [Int], op: String) throws -> Int {
    var n = 1
    for s in shape {
        guard s >= 0 else { throw TensorError.invalidArgument(op: op, detail: "negative size in \(shape)") }
        let (p, overflow) = n.multipliedReportingOverflow(by: s)
        guard !overflow else { throw TensorError.invalidArgument(op: op, detail: "shape \(shape) has too many elements") }
        n = p
    }
    return n
}

/// Formats a shape as `2x3x4` (a scalar is `scalar`).
public func shapeString(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
}
