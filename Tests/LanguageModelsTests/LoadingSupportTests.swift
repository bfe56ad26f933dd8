import Foundation
@testable import LanguageModels
import Tensors

/// Locations of the golden fixtures and small helpers shared by the loader tests.
enum LoaderFixtures {
    /// …/Tests/Fixtures, found from this file's path.
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func bytes(_ relative: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path(relative)) else {
            throw FixtureError(message: "missing fixture \(relative)")
        }
        return [UInt8](d)
    }

    /// The default model's path (installed by scripts/setup).
    static var defaultModelPath: String { ModelResolver.defaultModelPath() }

    struct FixtureError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// A small seeded PRNG (SplitMix64) so every fuzz case is reproducible.
struct LoaderSplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `0..<n` (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Scalar reference conversions written from the format specifications, independent of the
/// library's kernels.
enum ReferenceDecode {
    /// IEEE binary16 → Float via the definition (sign, exponent, fraction).
    static func half(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let e = Int((h >> 10) & 0x1F), f = Int(h & 0x3FF)
        if e == 0 { return sign * Float(f) * powf(2, -24) }
        if e == 31 { return f == 0 ? sign * .infinity : .nan }
        return sign * (1 + Float(f) / 1024) * powf(2, Float(e - 15))
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    /// ggml block layouts, element by element.
    static func dequantize(type: GGMLType, bytes b: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        switch type {
        case .f32:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16 | UInt32(b[4 * i + 3]) << 24)
            }
        case .q8_0:
            for i in 0..<count {
                let blk = i / 32, j = i % 32, base = blk * 34
                let d = half(u16(b, base))
                out[i] = Float(Int8(bitPattern: b[base + 2 + j])) * d
            }
        case .q4_0:
            for i in 0..<count {
                let blk = i / 32, j = i % 32, base = blk * 18
                let d = half(u16(b, base))
                let byte = b[base + 2 + (j % 16)]
                let q = j < 16 ? Int(byte & 0xF) : Int(byte >> 4)
                out[i] = Float(q - 8) * d
            }
        case .q4_1:
            for i in 0..<count {
                let blk = i / 32, j = i % 32, base = blk * 20
                let d = half(u16(b, base)), m = half(u16(b, base + 2))
                let byte = b[base + 4 + (j % 16)]
                let q = j < 16 ? Int(byte & 0xF) : Int(byte >> 4)
                out[i] = Float(q) * d + m
            }
        default:
            break
        }
        return out
    }
}

/// Writes small GGUF files in memory for tests (little-endian, v3 unless told otherwise).
struct TestGGUFBuilder {
    enum Value {
        case u32(UInt32), i32(Int32), f32(Float), string(String), bool(Bool), u64(UInt64)
        case strings([String]), i32s([Int32])
    }
    struct TensorSpec {
        var name: String
        var dims: [Int]      // innermost first, as GGUF stores them
        var type: UInt32
        var data: [UInt8]
    }
    var version: UInt32 = 3
    var metadata: [(String, Value)] = []
    var tensors: [TensorSpec] = []
    var alignment = 32

    private static func u32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    private static func u64(_ v: UInt64, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    private static func str(_ s: String, _ out: inout [UInt8]) { u64(UInt64(s.utf8.count), &out); out += Array(s.utf8) }

    func build() -> [UInt8] {
        var out: [UInt8] = []
        out += Array("GGUF".utf8)
        Self.u32(version, &out)
        Self.u64(UInt64(tensors.count), &out)
        Self.u64(UInt64(metadata.count), &out)
        for (k, v) in metadata {
            Self.str(k, &out)
            switch v {
            case .u32(let x): Self.u32(4, &out); Self.u32(x, &out)
            case .i32(let x): Self.u32(5, &out); Self.u32(UInt32(bitPattern: x), &out)
            case .f32(let x): Self.u32(6, &out); Self.u32(x.bitPattern, &out)
            case .bool(let x): Self.u32(7, &out); out.append(x ? 1 : 0)
            case .string(let s): Self.u32(8, &out); Self.str(s, &out)
            case .u64(let x): Self.u32(10, &out); Self.u64(x, &out)
            case .strings(let a):
                Self.u32(9, &out); Self.u32(8, &out); Self.u64(UInt64(a.count), &out)
                for s in a { Self.str(s, &out) }
            case .i32s(let a):
                Self.u32(9, &out); Self.u32(5, &out); Self.u64(UInt64(a.count), &out)
                for x in a { Self.u32(UInt32(bitPattern: x), &out) }
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, off) in zip(tensors, offsets) {
            Self.str(t.name, &out)
            Self.u32(UInt32(t.dims.count), &out)
            for d in t.dims { Self.u64(UInt64(d), &out) }
            Self.u32(t.type, &out)
            Self.u64(UInt64(off), &out)
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }
}

/// Finds the byte offsets of every count, length, type, dimension and offset field of a GGUF
/// file (an independent walk of the format), for targeted corruption in the fuzz tests.
enum GGUFFieldLocator {
    struct Field { let offset: Int; let width: Int }

    static func fields(_ b: [UInt8]) -> [Field] {
        var fields: [Field] = []
        var p = 0
        func u32() -> UInt32 { defer { p += 4 }; return (0..<4).reduce(0) { $0 | UInt32(b[p + $1]) << (8 * $1) } }
        func u64() -> UInt64 { defer { p += 8 }; return (0..<8).reduce(0) { $0 | UInt64(b[p + $1]) << (8 * $1) } }
        func str() { fields.append(Field(offset: p, width: 8)); let n = Int(u64()); p += n }
        let sizes: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]
        func value(_ t: UInt32) {
            if t == 8 { str(); return }
            if t == 9 {
                fields.append(Field(offset: p, width: 4)); let et = u32()
                fields.append(Field(offset: p, width: 8)); let n = Int(u64())
                for _ in 0..<n { value(et) }
                return
            }
            let w = sizes[t] ?? 0
            if w >= 4 && t != 6 && t != 12 { fields.append(Field(offset: p, width: w)) }  // integer values (block_count, ...)
            p += w
        }
        p = 8
        fields.append(Field(offset: p, width: 8)); let nt = Int(u64())
        fields.append(Field(offset: p, width: 8)); let nk = Int(u64())
        for _ in 0..<nk {
            str()
            fields.append(Field(offset: p, width: 4)); let t = u32()
            value(t)
        }
        for _ in 0..<nt {
            str()
            fields.append(Field(offset: p, width: 4)); let nd = Int(u32())
            for _ in 0..<nd { fields.append(Field(offset: p, width: 8)); p += 8 }
            fields.append(Field(offset: p, width: 4)); p += 4
            fields.append(Field(offset: p, width: 8)); p += 8
        }
        return fields
    }
}

/// Little-endian bytes of integers and floats, for hand-built files.
func loaderLE32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func loaderLE64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func loaderFloatBytes(_ xs: [Float]) -> [UInt8] { xs.flatMap { loaderLE32($0.bitPattern) } }
