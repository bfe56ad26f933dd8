/// RoPE's cos/sin tables for the positions of a batch, in the precision of the activations
/// they rotate: one `[headDim/2]` row per distinct position and the row of each token.
/// Computed once per forward pass and shared by every layer's queries and keys.
public struct RopeTables: Sendable {
    enum Values: Sendable {
        case float32([Float], [Float])
        case float64([Double], [Double])
    }
    /// Head dimension the tables rotate.
    public let headDim: Int
    /// Precision of the tables (that of the activations).
    public let dtype: DType
    let values: Values
    /// Table row of each token, in row-major (batch, position) order.
    let row: [Int]

    /// Tables for `positions` (one per token, row-major over batch and sequence), computed as
    /// Hugging Face does (`inv_freq = 1 / theta^(2i/d)` in `dtype`).
    public init(positions: [Int], headDim: Int, theta: Double, dtype: DType) {
        self.headDim = headDim
        self.dtype = dtype
        switch dtype {
        case .float32:
            let t = F.ropeDistinctTables(positions: positions, headDim: headDim, theta: theta, Float.self)
            (values, row) = (.float32(t.cos, t.sin), t.row)
        case .float64:
            let t = F.ropeDistinctTables(positions: positions, headDim: headDim, theta: theta, Double.self)
            (values, row) = (.float64(t.cos, t.sin), t.row)
        }
    }
}
