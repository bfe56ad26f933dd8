/// Reads typed GGUF metadata values, bounding every array length by the bytes that remain.
enum GGUFValueParser {
    /// GGUF value type codes.
    enum Code: UInt32 {
        case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
        case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

        /// The fewest bytes one value of this type occupies in a file.
        var minimumBytes: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .uint16, .int16: return 2
            case .uint32, .int32, .float32: return 4
            case .uint64, .int64, .float64, .string: return 8
            case .array: return 12
            }
        }
    }

    /// Deepest array nesting accepted (real files nest at most once).
    static let maximumDepth = 8

    /// Reads the value type code, then the value, for metadata key `key`.
    static func readValue(_ r: inout GGUFByteReader, key: String) throws(GGUFError) -> GGUFValue {
        let raw = try r.u32("the value type of metadata key '\(key)'")
        return try readValue(&r, rawType: raw, key: key, depth: 0)
    }

    private static func code(_ raw: UInt32, _ r: GGUFByteReader, key: String) throws(GGUFError) -> Code {
        guard let c = Code(rawValue: raw) else {
            throw GGUFError.unknownValueType(file: r.file, key: key, type: raw)
        }
        return c
    }

    private static func readValue(_ r: inout GGUFByteReader, rawType: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let c = try code(rawType, r, key: key)
        func what() -> String { "the value of metadata key '\(key)'" }
        switch c {
        case .uint8: return .uint8(try r.u8(what()))
        case .int8: return .int8(Int8(bitPattern: try r.u8(what())))
        case .uint16: return .uint16(try r.u16(what()))
        case .int16: return .int16(Int16(bitPattern: try r.u16(what())))
        case .uint32: return .uint32(try r.u32(what()))
        case .int32: return .int32(Int32(bitPattern: try r.u32(what())))
        case .uint64: return .uint64(try r.u64(what()))
        case .int64: return .int64(Int64(bitPattern: try r.u64(what())))
        case .float32: return .float32(Float(bitPattern: try r.u32(what())))
        case .float64: return .float64(Double(bitPattern: try r.u64(what())))
        case .bool: return .bool(try r.u8(what()) != 0)
        case .string: return .string(try r.string(what()))
        case .array:
            guard depth < maximumDepth else { throw GGUFError.nestingTooDeep(file: r.file, key: key) }
            let elementRaw = try r.u32("the element type of array '\(key)'")
            let element = try code(elementRaw, r, key: key)
            let n = try r.count("the length of array '\(key)'", minimumItemBytes: element.minimumBytes)
            var out: [GGUFValue] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                out.append(try readValue(&r, rawType: elementRaw, key: key, depth: depth + 1))
            }
            return .array(out)
        }
    }
}
