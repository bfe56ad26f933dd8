/// One tensor as a GGUF file describes it: name, dimensions, ggml type and where its data is.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name in the file (`blk.0.attn_q.weight`).
    public let name: String
    /// Dimensions as the file lists them: innermost (fastest-varying) first, ggml's `ne`.
    public let dims: [Int]
    /// The ggml type of the stored data.
    public let type: GGMLType
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// Offset of the data from the start of the file.
    public let absoluteOffset: Int
    /// Number of elements.
    public let elementCount: Int
    /// Number of bytes of stored data.
    public let byteCount: Int

    /// The row-major shape (`dims` reversed): a 2-D weight is `[rows, columns]`.
    public var shape: [Int] { Array(dims.reversed()) }

    /// The byte range of the data in the file.
    public var byteRange: Range<Int> { absoluteOffset..<(absoluteOffset + byteCount) }
}
