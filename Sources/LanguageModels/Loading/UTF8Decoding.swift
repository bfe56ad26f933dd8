/// UTF-8 decoding for untrusted file bytes: invalid sequences become U+FFFD.
///
/// Validates with a small non-generic state machine first, so a corrupt file never takes the
/// standard library's internal error path (which test runners trace at a high cost per
/// string) and decoding stays fast without optimisation; valid bytes then go straight to
/// `String(decoding:as:)`.
enum UTF8Decoding {
    /// The length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid.
    @inline(__always)
    private static func sequenceLength(_ p: UnsafeRawBufferPointer, _ i: Int) -> Int {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        let need: Int, minimum: UInt32
        var scalar: UInt32
        if b0 & 0xE0 == 0xC0 { need = 1; scalar = UInt32(b0 & 0x1F); minimum = 0x80 }
        else if b0 & 0xF0 == 0xE0 { need = 2; scalar = UInt32(b0 & 0x0F); minimum = 0x800 }
        else if b0 & 0xF8 == 0xF0 { need = 3; scalar = UInt32(b0 & 0x07); minimum = 0x10000 }
        else { return 0 }
        guard i + need < p.count else { return 0 }
        for k in 1...need {
            let c = p[i + k]
            guard c & 0xC0 == 0x80 else { return 0 }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return 0 }
        return need + 1
    }

    /// The string spelled by `bytes`, with U+FFFD for each byte that starts no valid sequence.
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        var i = 0
        while i < bytes.count {
            let n = sequenceLength(bytes, i)
            if n == 0 { break }
            i += n
        }
        if i == bytes.count { return validString(bytes) }
        var repaired = Array(UnsafeRawBufferPointer(rebasing: bytes[0..<i]))
        while i < bytes.count {
            let n = sequenceLength(bytes, i)
            if n == 0 {
                repaired += [0xEF, 0xBF, 0xBD]
                i += 1
            } else {
                repaired += UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])
                i += n
            }
        }
        return repaired.withUnsafeBytes { validString($0) }
    }

    /// A string from bytes already known to be valid UTF-8 (a plain copy).
    private static func validString(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count) { buf in
            guard let dst = buf.baseAddress else { return 0 }
            UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: bytes.count)
            return bytes.count
        }
    }

    /// Decodes `bytes`; see ``string(_:)-(UnsafeRawBufferPointer)``.
    static func string(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { string($0) }
    }
}
