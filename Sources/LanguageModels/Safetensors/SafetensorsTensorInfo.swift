/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's name.
    public let name: String
    /// The element type.
    public let dtype: SafetensorsDType
    /// The row-major shape.
    public let shape: [Int]
    /// Offset of the data from the start of the file.
    public let absoluteOffset: Int
    /// Number of bytes of data.
    public let byteCount: Int

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    /// The byte range of the data in the file.
    public var byteRange: Range<Int> { absoluteOffset..<(absoluteOffset + byteCount) }
}
