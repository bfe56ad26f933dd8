import LanguageModels
import Tensors

/// A fast 64-bit content hash of float32 weights (not cryptographic): identifies the weights
/// that produce a set of statistics, so a cache entry is reused only for the same weights.
public enum WeightHash {
    /// Hash of the named parameters' bytes, in the order given.
    public static func of(_ model: LanguageModel, names: [String]) throws -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for name in names {
            let t = try model.parameter(name).contiguous()
            for b in name.utf8 { h = mix(h, UInt64(b)) }
            h = mix(h, UInt64(t.count))
            let p = UnsafeRawPointer(t.pointer(as: Float.self))
            let words = t.count / 2
            let w = p.bindMemory(to: UInt64.self, capacity: words)
            var a = h, b = h ^ 0xD6E8_FEB8_6659_FD93
            var i = 0
            while i + 1 < words {
                a = (a ^ w[i]) &* 0x9FB2_1C65_1E98_DF25
                a ^= a >> 29
                b = (b ^ w[i + 1]) &* 0xC2B2_AE3D_27D4_EB4F
                b ^= b >> 31
                i += 2
            }
            if i < words { a = mix(a, w[i]) }
            if t.count % 2 == 1 { a = mix(a, UInt64(t.pointer(as: Float.self)[t.count - 1].bitPattern)) }
            h = mix(mix(h, a), b)
        }
        return h
    }

    /// SplitMix64-style mixing of a value into a hash.
    static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var z = (h ^ v) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hash of token documents.
    static func of(documents: [[Int]]) -> UInt64 {
        var h: UInt64 = 0x1234_5678_9ABC_DEF1
        for d in documents {
            h = mix(h, UInt64(d.count))
            for t in d { h = mix(h, UInt64(bitPattern: Int64(t))) }
        }
        return h
    }
}
