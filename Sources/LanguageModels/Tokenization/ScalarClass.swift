/// The character classes the pre-tokenizer regexes distinguish: `\p{L}`, `\p{N}`, `\s`,
/// and everything else.
///
/// `\p{L}` is general category L (Lu, Ll, Lt, Lm, Lo), `\p{N}` is category N (Nd, Nl, No),
/// `\s` is the Unicode `White_Space` property, as in the Oniguruma regexes of HF
/// `tokenizers` and the hand-written scanners of llama.cpp.
enum ScalarClass: UInt8 {
    case letter = 0
    case number = 1
    case whitespace = 2
    case other = 3

    /// The class of a Unicode scalar value.
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 128 { return asciiTable[Int(value)] }
        return slow(value)
    }

    static func slow(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let p = scalar.properties
        if p.isWhitespace { return .whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    static let asciiTable: [ScalarClass] = (0..<128).map { v in
        switch v {
        case 0x09...0x0D, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }
}

/// A piece of text decoded into Unicode scalars, with each scalar's class and the
/// UTF-8 byte offset where it starts (plus one final offset for the end).
struct ScalarText {
    var values: [UInt32] = []
    var classes: [ScalarClass] = []
    /// `byteOffsets[i]` is where scalar `i` starts; `byteOffsets[count]` is the end.
    var byteOffsets: [Int] = []

    var count: Int { values.count }

    /// Decodes the (valid) UTF-8 bytes `bytes[range]`, reusing this value's storage.
    mutating func load(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        values.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        byteOffsets.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            byteOffsets.append(i)
            let b0 = UInt32(bytes[i])
            var v: UInt32
            var len: Int
            if b0 < 0x80 {
                v = b0; len = 1
            } else if b0 < 0xE0 {
                v = b0 & 0x1F; len = 2
            } else if b0 < 0xF0 {
                v = b0 & 0x0F; len = 3
            } else {
                v = b0 & 0x07; len = 4
            }
            if i + len > end { len = end - i }  // cannot happen for valid UTF-8; stay in bounds
            var k = 1
            while k < len {
                v = (v << 6) | (UInt32(bytes[i + k]) & 0x3F)
                k += 1
            }
            values.append(v)
            classes.append(ScalarClass.of(v))
            i += len
        }
        byteOffsets.append(end)
    }
}
