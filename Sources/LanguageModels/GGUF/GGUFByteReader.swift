/// A cursor over the bytes of a GGUF file that never reads past the end: every read checks
/// the bytes that remain first and throws ``GGUFError/truncated(file:what:)`` otherwise.
/// All multi-byte values are little-endian.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var position: Int

    init(bytes: UnsafeRawBufferPointer, file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.position = position
    }

    /// Bytes left after the cursor.
    var remaining: Int { bytes.count - position }

    private mutating func take(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        guard n >= 0, n <= remaining else { throw GGUFError.truncated(file: file, what: what()) }
        let at = position
        position += n
        return at
    }

    mutating func u8(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt8 {
        let at = try take(1, what())
        return bytes.load(fromByteOffset: at, as: UInt8.self)
    }

    mutating func u16(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt16 {
        let at = try take(2, what())
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    mutating func u32(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        let at = try take(4, what())
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func u64(_ what: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        let at = try take(8, what())
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// A count stored as `u64`, checked against the bytes left: each counted item occupies
    /// at least `minimumItemBytes`, so a larger count cannot be genuine.
    mutating func count(_ what: @autoclosure () -> String, minimumItemBytes: Int) throws(GGUFError) -> Int {
        let raw = try u64(what())
        let limit = remaining / max(minimumItemBytes, 1)
        guard raw <= UInt64(limit) else {
            throw GGUFError.countTooLarge(file: file, what: what(), count: raw, remainingBytes: remaining)
        }
        return Int(raw)
    }

    /// A GGUF string: `u64` byte length, then UTF-8 bytes (invalid sequences are replaced).
    mutating func string(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let n = try count("the length of \(what())", minimumItemBytes: 1)
        let at = try take(n, what())
        return UTF8Decoding.string(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]))
    }

    /// The cursor's position rounded up to a multiple of `alignment` (it may lie past the
    /// end of a file without tensor data; tensor ranges are checked against the file size).
    func aligned(to alignment: Int) -> Int {
        (position + alignment - 1) / alignment * alignment
    }
}
