import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// Seeded corruption of every fixture file parser: truncations, bit flips, byte replacements,
/// and targeted huge values in count/length/offset/dimension fields. Every case must parse or
/// throw one of the loader's descriptive errors — never crash, never allocate on a bogus count.
struct FuzzParserTests {
    /// Values written into targeted fields (truncated to the field's width).
    static let nasty: [UInt64] = [.max, .max / 2, 1 << 62, 1 << 40, 1 << 32, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000,
                                  1 << 20, 65_535, 4_096, 33, 7, 2, 1, 0]

    static func isClean(_ e: Error) -> Bool {
        let known = e is GGUFError || e is SafetensorsError || e is ConfigError || e is ModelLoadError
            || e is TokenizerError || e is ModelFileError || e is JSONValueError
        return known && !"\(e)".isEmpty
    }

    /// A random corruption of `b`; `hot` is the range most mutations aim at (the header).
    static func mutate(_ b: [UInt8], hot: Range<Int>, fields: [GGUFFieldLocator.Field], rng: inout LoaderSplitMix64) -> [UInt8] {
        var m = b
        func spot() -> Int {
            if !hot.isEmpty && rng.below(4) != 0 { return hot.lowerBound + rng.below(hot.count) }
            return rng.below(max(m.count, 1))
        }
        switch rng.below(fields.isEmpty ? 3 : 5) {
        case 0:
            m = Array(m.prefix(rng.below(4) == 0 ? rng.below(max(hot.upperBound, 1)) : rng.below(m.count + 1)))
        case 1:
            for _ in 0...rng.below(8) where !m.isEmpty {
                let i = spot()
                if i < m.count { m[i] ^= UInt8(1) << UInt8(rng.below(8)) }
            }
        case 2:
            let specials: [UInt8] = [0, 0xFF, 0x7F, 0x80, 0x01, 0x20, 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x2D, 0x39]
            for _ in 0...rng.below(4) where !m.isEmpty {
                let i = spot()
                if i < m.count { m[i] = rng.below(2) == 0 ? specials[rng.below(specials.count)] : UInt8(truncatingIfNeeded: rng.next()) }
            }
        default:
            for _ in 0...rng.below(2) {
                let f = fields[rng.below(fields.count)]
                let v = rng.below(5) == 0 ? UInt64(b.count + rng.below(64)) : nasty[rng.below(nasty.count)]
                for k in 0..<f.width where f.offset + k < m.count { m[f.offset + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            }
        }
        return m
    }

    /// Parses GGUF bytes as the loader would: header, every decodable tensor, the whole model.
    static func exerciseGGUF(_ b: [UInt8]) -> Bool {
        do {
            let r = try GGUFReader(bytes: b, label: "fuzz.gguf")
            let decodable = r.header.tensors.filter { $0.type.isDequantizable }
            let t = try r.tensors(decodable)
            _ = t.count
            _ = try ModelLoader.loadGGUF(r, buildTokenizer: false)
            return true
        } catch {
            if !isClean(error) { Issue.record("unclean error: \(type(of: error)) \(error)") }
            return false
        }
    }

    @Test(arguments: ["tiny-llama/tiny-llama-f32.gguf", "tiny-llama/tiny-llama-q8_0.gguf", "tiny-llama/tiny-llama-q4_1.gguf"])
    func ggufCorruptions(file: String) throws {
        let original = try LoaderFixtures.bytes(file)
        #expect(Self.exerciseGGUF(original))
        let header = try GGUFReader(bytes: original).header
        let fields = GGUFFieldLocator.fields(original)
        #expect(fields.count > 300)
        var rng = LoaderSplitMix64(seed: 0xE417_0000 ^ UInt64(file.utf8.count))
        var survived = 0
        for _ in 0..<700 {
            if Self.exerciseGGUF(Self.mutate(original, hot: 0..<header.dataOffset, fields: fields, rng: &rng)) { survived += 1 }
        }
        // Some corruptions (in tensor data, in unused metadata) must still load.
        #expect(survived > 0 && survived < 700)
    }

    /// Safetensors: byte-level corruption plus JSON-aware edits of the header (numbers replaced
    /// by huge or negative ones, structure characters swapped) with the length kept consistent.
    @Test(arguments: ["tiny-llama/model.safetensors", "tiny-gpt2/model.safetensors", "tiny-llama/expected.safetensors"])
    func safetensorsCorruptions(file: String) throws {
        let original = try LoaderFixtures.bytes(file)
        let n = Int(original.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let lengthField = [GGUFFieldLocator.Field(offset: 0, width: 8)]
        var rng = LoaderSplitMix64(seed: 0x5AFE ^ UInt64(file.utf8.count))
        var survived = 0
        for k in 0..<1200 {
            let m: [UInt8]
            if k % 3 == 0 {
                var header = Array(original[8..<(8 + n)])
                Self.editJSON(&header, rng: &rng)
                m = loaderLE64(UInt64(header.count)) + header + original[(8 + n)...]
            } else {
                m = Self.mutate(original, hot: 0..<(8 + n), fields: lengthField, rng: &rng)
            }
            do {
                let r = try SafetensorsReader(bytes: m, label: "fuzz.safetensors")
                for info in r.tensorInfos {
                    if info.dtype.isInteger { _ = try r.integers(named: info.name) } else { _ = try r.tensor(named: info.name) }
                }
                survived += 1
            } catch {
                #expect(Self.isClean(error), "\(type(of: error)) \(error)")
            }
        }
        #expect(survived > 0 && survived < 1200)
    }

    /// Replaces a number with a nasty one, or a character with JSON punctuation.
    static func editJSON(_ j: inout [UInt8], rng: inout LoaderSplitMix64) {
        let replacements = ["18446744073709551615", "99999999999999999999999", "-1", "1e308", "0", "4611686018427387904",
                            "9223372036854775807", "-9223372036854775808", "1.5", "null", "\"x\"", "[]", "{}"]
        var numbers: [Range<Int>] = []
        var i = 0
        while i < j.count {
            if (0x30...0x39).contains(j[i]) {
                var e = i
                while e < j.count, (0x30...0x39).contains(j[e]) { e += 1 }
                numbers.append(i..<e)
                i = e
            } else { i += 1 }
        }
        if rng.below(3) != 0, !numbers.isEmpty {
            let r = numbers[rng.below(numbers.count)]
            j.replaceSubrange(r, with: Array(replacements[rng.below(replacements.count)].utf8))
        } else if !j.isEmpty {
            let punct = Array("{}[]\":, \\".utf8)
            j[rng.below(j.count)] = punct[rng.below(punct.count)]
        }
    }

    @Test(arguments: ["tiny-llama/config.json", "tiny-gpt2/config.json"])
    func configCorruptions(file: String) throws {
        let original = try LoaderFixtures.bytes(file)
        var rng = LoaderSplitMix64(seed: 0xC0F1 ^ UInt64(file.utf8.count))
        var survived = 0
        for k in 0..<1500 {
            var m = original
            if k % 2 == 0 { Self.editJSON(&m, rng: &rng) } else { m = Self.mutate(original, hot: 0..<original.count, fields: [], rng: &rng) }
            do {
                _ = try ModelConfig.fromHuggingFace(json: Data(m), file: "fuzz/config.json")
                survived += 1
            } catch {
                #expect(Self.isClean(error), "\(type(of: error)) \(error)")
            }
        }
        #expect(survived > 0 && survived < 1500)
    }

    @Test func indexCorruptions() throws {
        let original = Array(#"{"metadata": {"total_size": 509184}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors", "model.embed_tokens.weight": "model-00001-of-00002.safetensors", "model.norm.weight": "model-00002-of-00002.safetensors"}}"#.utf8)
        var rng = LoaderSplitMix64(seed: 0x1DE)
        var survived = 0
        for k in 0..<1500 {
            var m = original
            if k % 2 == 0 { Self.editJSON(&m, rng: &rng) } else { m = Self.mutate(original, hot: 0..<original.count, fields: [], rng: &rng) }
            do {
                _ = try SafetensorsIndex.parse(Data(m), file: "fuzz/index.json")
                survived += 1
            } catch {
                #expect(Self.isClean(error), "\(type(of: error)) \(error)")
            }
        }
        #expect(survived > 0 && survived < 1500)
    }

    /// Headers that announce absurd sizes are refused before anything is allocated.
    @Test func hugeCountsAreRefusedUpFront() throws {
        var b: [UInt8] = Array("GGUF".utf8) + loaderLE32(3) + loaderLE64(.max) + loaderLE64(0)
        #expect(throws: GGUFError.countTooLarge(file: "<memory>", what: "the tensor count", count: .max, remainingBytes: 8)) { try GGUFReader(bytes: b) }
        b = Array("GGUF".utf8) + loaderLE32(3) + loaderLE64(0) + loaderLE64(1) + loaderLE64(1) + Array("k".utf8) + loaderLE32(9) + loaderLE32(4) + loaderLE64(1 << 60)
        #expect { try GGUFReader(bytes: b) } throws: { e in
            guard case GGUFError.countTooLarge(_, let what, _, _) = e else { return false }
            return what.contains("array 'k'")
        }
        b = Array("GGUF".utf8) + loaderLE32(3) + loaderLE64(0) + loaderLE64(1) + loaderLE64(1 << 50)
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: b) }
        var t = TestGGUFBuilder()
        t.tensors = [.init(name: "w", dims: [1 << 40, 1 << 40], type: 0, data: loaderFloatBytes([1]))]
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: t.build()) }
        t.tensors = [.init(name: "w", dims: [1, 1, 1, 1, 1], type: 0, data: loaderFloatBytes([1]))]
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: t.build()) }
        #expect(throws: SafetensorsError.self) { try SafetensorsReader(bytes: loaderLE64(.max) + Array("{}".utf8)) }
    }
}
