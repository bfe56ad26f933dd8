/// Dequantisation of ggml blocks to float32, bit-exact with ggml's reference
/// (`dequantize_row_*` in ggml-quants.c): the same formulas, the same operation order.
///
/// Each kernel walks raw pointers block by block with fixed-size inner loops (no allocation,
/// no bounds checks), so the optimiser can vectorise it. Callers guarantee that `src` holds
/// `blocks * type.blockBytes` bytes and `dst` room for `blocks * type.blockSize` floats.
enum GGMLDequantizer {
    /// Decodes `blocks` blocks of `type` from `src` into `dst`. Returns `false` (writing
    /// nothing) when the type has no dequantiser.
    static func dequantize(_ type: GGMLType, from src: UnsafeRawPointer, blocks: Int,
                           into dst: UnsafeMutablePointer<Float>) -> Bool {
        let q = src.assumingMemoryBound(to: UInt8.self)
        return HalfPrecision.halfTable.withUnsafeBufferPointer { table -> Bool in
            guard let lut = table.baseAddress else { return false }
            switch type {
            case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: blocks * 4)
            case .f16: f16(q, blocks, dst, lut)
            case .bf16: bf16(q, blocks, dst)
            case .f64: f64(q, blocks, dst)
            case .q8_0: q8_0(q, blocks, dst, lut)
            case .q4_0: q4_0(q, blocks, dst, lut)
            case .q4_1: q4_1(q, blocks, dst, lut)
            case .q5_0: q5_0(q, blocks, dst, lut)
            case .q5_1: q5_1(q, blocks, dst, lut)
            case .q4_K: q4_K(q, blocks, dst, lut)
            case .q6_K: q6_K(q, blocks, dst, lut)
            default: return false
            }
            return true
        }
    }

    @inline(__always)
    private static func u16(_ p: UnsafePointer<UInt8>) -> Int { Int(p[0]) | Int(p[1]) << 8 }

    private static func f16(_ s: UnsafePointer<UInt8>, _ n: Int, _ y: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        for i in 0..<n { y[i] = lut[Int(s[2 * i]) | Int(s[2 * i + 1]) << 8] }
    }

    private static func bf16(_ s: UnsafePointer<UInt8>, _ n: Int, _ y: UnsafeMutablePointer<Float>) {
        for i in 0..<n { y[i] = Float(bitPattern: (UInt32(s[2 * i]) | UInt32(s[2 * i + 1]) << 8) << 16) }
    }

    private static func f64(_ s: UnsafePointer<UInt8>, _ n: Int, _ y: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(s)
        for i in 0..<n {
            y[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        }
    }

    /// Q8_0: fp16 d, 32 int8; x = q * d.
    private static func q8_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let qs = s + 2
            for j in 0..<32 { y[j] = Float(Int8(bitPattern: qs[j])) * d }
            s += 34
            y += 32
        }
    }

    /// Q4_0: fp16 d, 16 bytes of nibbles; element j is the low nibble of byte j, element
    /// j + 16 the high nibble; x = (q - 8) * d.
    private static func q4_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let qs = s + 2
            for j in 0..<16 {
                let b = qs[j]
                y[j] = Float(Int32(b & 0x0F) - 8) * d
                y[j + 16] = Float(Int32(b >> 4) - 8) * d
            }
            s += 18
            y += 32
        }
    }

    /// Q4_1: fp16 d, fp16 m, 16 bytes of nibbles; x = q * d + m.
    private static func q4_1(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let m = lut[u16(s + 2)]
            let qs = s + 4
            for j in 0..<16 {
                let b = qs[j]
                y[j] = Float(b & 0x0F) * d + m
                y[j + 16] = Float(b >> 4) * d + m
            }
            s += 20
            y += 32
        }
    }

    /// Q5_0: fp16 d, 32 high bits (little-endian u32), 16 bytes of nibbles; x = (q - 16) * d.
    private static func q5_0(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let qh = UInt32(s[2]) | UInt32(s[3]) << 8 | UInt32(s[4]) << 16 | UInt32(s[5]) << 24
            let qs = s + 6
            for j in 0..<16 {
                let xh0 = ((qh >> UInt32(j)) << 4) & 0x10
                let xh1 = (qh >> UInt32(j + 12)) & 0x10
                let x0 = Int32((UInt32(qs[j]) & 0x0F) | xh0) - 16
                let x1 = Int32((UInt32(qs[j]) >> 4) | xh1) - 16
                y[j] = Float(x0) * d
                y[j + 16] = Float(x1) * d
            }
            s += 22
            y += 32
        }
    }

    /// Q5_1: fp16 d, fp16 m, 32 high bits, 16 bytes of nibbles; x = q * d + m.
    private static func q5_1(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let m = lut[u16(s + 2)]
            let qh = UInt32(s[4]) | UInt32(s[5]) << 8 | UInt32(s[6]) << 16 | UInt32(s[7]) << 24
            let qs = s + 8
            for j in 0..<16 {
                let xh0 = ((qh >> UInt32(j)) << 4) & 0x10
                let xh1 = (qh >> UInt32(j + 12)) & 0x10
                let x0 = (UInt32(qs[j]) & 0x0F) | xh0
                let x1 = (UInt32(qs[j]) >> 4) | xh1
                y[j] = Float(x0) * d + m
                y[j + 16] = Float(x1) * d + m
            }
            s += 24
            y += 32
        }
    }

    /// The 6-bit scale and min of sub-block `j` of a Q4_K/Q5_K block (ggml's `get_scale_min_k4`).
    @inline(__always)
    private static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// Q4_K: 256-element super-blocks: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales and
    /// mins, 128 bytes of nibbles; x = d * sc * q - dmin * m per 32-element sub-block.
    private static func q4_K(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s)]
            let dmin = lut[u16(s + 2)]
            let scales = s + 4
            var q = s + 16
            var sub = 0
            for _ in 0..<4 {
                let (sc1, m1raw) = scaleMinK4(sub, scales)
                let d1 = d * Float(sc1), m1 = dmin * Float(m1raw)
                let (sc2, m2raw) = scaleMinK4(sub + 1, scales)
                let d2 = d * Float(sc2), m2 = dmin * Float(m2raw)
                for l in 0..<32 { y[l] = d1 * Float(q[l] & 0x0F) - m1 }
                for l in 0..<32 { y[l + 32] = d2 * Float(q[l] >> 4) - m2 }
                y += 64
                q += 32
                sub += 2
            }
            s += 144
        }
    }

    /// Q6_K: 256-element super-blocks: 128 bytes of low nibbles, 64 bytes of high 2-bit
    /// pairs, 16 int8 scales, fp16 d; x = d * scale * (q - 32).
    private static func q6_K(_ src: UnsafePointer<UInt8>, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>, _ lut: UnsafePointer<Float>) {
        var s = src, y = dst
        for _ in 0..<blocks {
            let d = lut[u16(s + 208)]
            var ql = s, qh = s + 128
            var sc = UnsafeRawPointer(s + 192).assumingMemoryBound(to: Int8.self)
            for _ in 0..<2 {
                for l in 0..<32 {
                    let i = l / 16
                    let q1 = Int8(bitPattern: (ql[l] & 0x0F) | ((qh[l] & 3) << 4)) &- 32
                    let q2 = Int8(bitPattern: (ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) &- 32
                    let q3 = Int8(bitPattern: (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) &- 32
                    let q4 = Int8(bitPattern: (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) &- 32
                    y[l] = d * Float(sc[i]) * Float(q1)
                    y[l + 32] = d * Float(sc[i + 2]) * Float(q2)
                    y[l + 64] = d * Float(sc[i + 4]) * Float(q3)
                    y[l + 96] = d * Float(sc[i + 6]) * Float(q4)
                }
                y += 128
                ql += 64
                qh += 32
                sc += 8
            }
            s += 210
        }
    }
}
