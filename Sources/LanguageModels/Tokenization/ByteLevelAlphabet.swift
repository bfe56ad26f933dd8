/// GPT-2's reversible mapping between the 256 byte values and 256 printable Unicode
/// scalars ("bytes to unicode"), used by every byte-level BPE vocabulary.
///
/// Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) map to themselves; the
/// remaining 68 bytes map, in increasing order, to U+0100, U+0101, ... (so the space
/// 0x20 becomes `Ġ` U+0120 and the newline 0x0A becomes `Ċ` U+010A).
public enum ByteLevelAlphabet {
    /// `scalar[b]` is the Unicode scalar value that stands for byte `b`.
    public static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(UInt8(b)) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar stands for, or `nil` when the scalar is not in the alphabet.
    @inlinable
    public static func byte(for scalar: UInt32) -> UInt8? {
        if scalar < 256 {
            let b = UInt8(scalar)
            return isPrintable(b) ? b : nil
        }
        if scalar < 256 + 68 {
            return nonPrintableBytes[Int(scalar - 256)]
        }
        return nil
    }

    /// The string a byte sequence is spelled as in a byte-level vocabulary.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes {
            if let u = Unicode.Scalar(scalarForByte[Int(b)]) { s.append(u) }
        }
        return String(s)
    }

    /// The bytes a vocabulary string stands for, or `nil` when it contains a scalar
    /// outside the alphabet (e.g. a raw special token such as `<|im start|>` with a space).
    public static func decode(_ string: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for u in string.unicodeScalars {
            guard let b = byte(for: u.value) else { return nil }
            out.append(b)
        }
        return out
    }

    @usableFromInline
    static func isPrintable(_ b: UInt8) -> Bool {
        (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE)
    }

    /// The 68 non-printable bytes in increasing order; the n-th maps to U+0100 + n.
    @usableFromInline
    static let nonPrintableBytes: [UInt8] = (0..<256).compactMap { b in
        isPrintable(UInt8(b)) ? nil : UInt8(b)
    }
}
