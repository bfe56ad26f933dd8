/// Exact conversions from the 16-bit float formats of weight files to `Float`.
public enum HalfPrecision {
    /// IEEE 754 binary16 bits to `Float`, exactly (subnormals, infinities and NaN included).
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // zero or subnormal: mantissa * 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 bits to `Float` (the upper half of a float32).
    @inline(__always)
    public static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// All 65536 binary16 values as `Float`, indexed by bit pattern (ggml's lookup table).
    public static let halfTable: [Float] = (0...0xFFFF).map { float(fromHalf: UInt16($0)) }
}
