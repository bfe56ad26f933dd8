import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// Every dequantiser against an element-by-element reference written from ggml's block
/// layouts (random blocks with finite fp16 scales), bit for bit, through a GGUF file in memory.
struct GGUFQuantTests {
    /// A random finite fp16 bit pattern of moderate magnitude.
    static func randomHalf(_ rng: inout LoaderSplitMix64) -> [UInt8] {
        let exponent = UInt16(8 + rng.below(12))          // 2^-7 ... 2^4
        let h = UInt16(rng.below(2)) << 15 | exponent << 10 | UInt16(rng.below(1024))
        return [UInt8(h & 0xFF), UInt8(h >> 8)]
    }

    /// Random blocks of `type` whose fp16 fields (at `halfOffsets` in each block) are finite.
    static func randomBlocks(_ type: GGMLType, blocks: Int, halfOffsets: [Int], seed: UInt64) -> [UInt8] {
        var rng = LoaderSplitMix64(seed: seed)
        var out: [UInt8] = []
        for _ in 0..<blocks {
            var block = (0..<type.blockBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for o in halfOffsets {
                let h = randomHalf(&rng)
                block[o] = h[0]
                block[o + 1] = h[1]
            }
            out += block
        }
        return out
    }

    static func decode(_ type: GGMLType, _ data: [UInt8], count: Int) throws -> [Float] {
        var b = TestGGUFBuilder()
        b.tensors = [.init(name: "t", dims: [count], type: type.rawValue, data: data)]
        return try GGUFReader(bytes: b.build()).tensor(named: "t").floats()
    }

    static func half(_ b: [UInt8], _ at: Int) -> Float { ReferenceDecode.half(ReferenceDecode.u16(b, at)) }

    static func expectBitExact(_ got: [Float], _ want: [Float], _ what: String) {
        #expect(got.count == want.count)
        let bad = zip(got, want).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(bad == nil, "\(what): first mismatch at \(bad?.offset ?? -1): \(bad?.element.0 ?? 0) vs \(bad?.element.1 ?? 0)")
    }

    @Test func f16AllBitPatterns() throws {
        var data: [UInt8] = []
        for h in 0...0xFFFF { data += [UInt8(h & 0xFF), UInt8(h >> 8)] }
        let got = try Self.decode(.f16, data, count: 65536)
        for h in 0...0xFFFF {
            let want = ReferenceDecode.half(UInt16(h))
            if want.isNaN {
                #expect(got[h].isNaN)
            } else if got[h].bitPattern != want.bitPattern {
                Issue.record("f16 \(h): \(got[h]) vs \(want)")
                break
            }
        }
    }

    @Test func bf16() throws {
        var rng = LoaderSplitMix64(seed: 7)
        let bits = (0..<256).map { _ in UInt16(truncatingIfNeeded: rng.next()) & 0x7F7F }
        let got = try Self.decode(.bf16, bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, count: 256)
        Self.expectBitExact(got, bits.map { Float(bitPattern: UInt32($0) << 16) }, "bf16")
    }

    @Test func q4_0() throws {
        let data = Self.randomBlocks(.q4_0, blocks: 8, halfOffsets: [0], seed: 1)
        let want = (0..<256).map { i -> Float in
            let base = i / 32 * 18, j = i % 32
            let byte = data[base + 2 + j % 16]
            let q = j < 16 ? Int(byte & 0xF) : Int(byte >> 4)
            return Float(q - 8) * Self.half(data, base)
        }
        Self.expectBitExact(try Self.decode(.q4_0, data, count: 256), want, "q4_0")
    }

    @Test func q5_0AndQ5_1() throws {
        let d0 = Self.randomBlocks(.q5_0, blocks: 8, halfOffsets: [0], seed: 2)
        let want0 = (0..<256).map { i -> Float in
            let base = i / 32 * 22, j = i % 32
            let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(d0[base + 2 + $1]) << (8 * $1) }
            let byte = d0[base + 6 + j % 16]
            let low = j < 16 ? Int(byte & 0xF) : Int(byte >> 4)
            let q = low | Int((qh >> UInt32(j)) & 1) << 4
            return Float(q - 16) * Self.half(d0, base)
        }
        Self.expectBitExact(try Self.decode(.q5_0, d0, count: 256), want0, "q5_0")

        let d1 = Self.randomBlocks(.q5_1, blocks: 8, halfOffsets: [0, 2], seed: 3)
        let want1 = (0..<256).map { i -> Float in
            let base = i / 32 * 24, j = i % 32
            let qh = (0..<4).reduce(UInt32(0)) { $0 | UInt32(d1[base + 4 + $1]) << (8 * $1) }
            let byte = d1[base + 8 + j % 16]
            let low = j < 16 ? Int(byte & 0xF) : Int(byte >> 4)
            let q = low | Int((qh >> UInt32(j)) & 1) << 4
            return Float(q) * Self.half(d1, base) + Self.half(d1, base + 2)
        }
        Self.expectBitExact(try Self.decode(.q5_1, d1, count: 256), want1, "q5_1")
    }

    @Test func q4_K() throws {
        let data = Self.randomBlocks(.q4_K, blocks: 3, halfOffsets: [0, 2], seed: 4)
        let want = (0..<768).map { i -> Float in
            let base = i / 256 * 144, r = i % 256
            let sub = r / 32, l = r % 32
            let sc = Array(data[(base + 4)..<(base + 16)])
            let scale: Int, minimum: Int
            if sub < 4 {
                scale = Int(sc[sub] & 63); minimum = Int(sc[sub + 4] & 63)
            } else {
                scale = Int(sc[sub + 4] & 0xF) | Int(sc[sub - 4] >> 6) << 4
                minimum = Int(sc[sub + 4] >> 4) | Int(sc[sub] >> 6) << 4
            }
            let byte = data[base + 16 + (sub / 2) * 32 + l]
            let q = sub % 2 == 0 ? Int(byte & 0xF) : Int(byte >> 4)
            let d1 = Self.half(data, base) * Float(scale), m1 = Self.half(data, base + 2) * Float(minimum)
            return d1 * Float(q) - m1
        }
        Self.expectBitExact(try Self.decode(.q4_K, data, count: 768), want, "q4_K")
    }

    @Test func q6_K() throws {
        let data = Self.randomBlocks(.q6_K, blocks: 3, halfOffsets: [208], seed: 5)
        let want = (0..<768).map { i -> Float in
            let base = i / 256 * 210, r = i % 256
            let n = r / 128, k = (r % 128) / 32, l = r % 32
            let qlByte = data[base + n * 64 + (k % 2) * 32 + l]
            let low = k >= 2 ? Int(qlByte >> 4) : Int(qlByte & 0xF)
            let high = Int(data[base + 128 + n * 32 + l] >> UInt8(2 * k)) & 3
            let scale = Int8(bitPattern: data[base + 192 + n * 8 + l / 16 + 2 * k])
            return Self.half(data, base + 208) * Float(scale) * Float((low | high << 4) - 32)
        }
        Self.expectBitExact(try Self.decode(.q6_K, data, count: 768), want, "q6_K")
    }

    @Test func parallelDecodeMatchesSingleThreaded() throws {
        // Big enough to be cut into several chunks.
        let blocks = 40_000
        let data = Self.randomBlocks(.q4_1, blocks: blocks, halfOffsets: [0, 2], seed: 6)
        var b = TestGGUFBuilder()
        b.tensors = [.init(name: "t", dims: [blocks * 32], type: GGMLType.q4_1.rawValue, data: data)]
        let r = try GGUFReader(bytes: b.build())
        let info = try #require(r.header.tensor(named: "t"))
        let one = try r.tensors([info], threads: 1)[0]
        let two = try r.tensors([info], threads: 2)[0]
        #expect(one.floats().elementsEqual(two.floats()) { $0.bitPattern == $1.bitPattern })
        Self.expectBitExact(Array(one.floats().prefix(4096)), ReferenceDecode.dequantize(type: .q4_1, bytes: Array(data.prefix(128 * 20)), count: 4096), "q4_1 parallel")
    }
}
