/// One metadata key/value pair of a GGUF file, in file order.
public struct GGUFMetadataEntry: Sendable, Equatable {
    /// The key (`general.architecture`, `llama.block_count`, ...).
    public let key: String
    /// The typed value.
    public let value: GGUFValue

    /// Creates an entry.
    public init(key: String, value: GGUFValue) {
        self.key = key
        self.value = value
    }
}
