import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// The GGUF reader against the tiny-llama fixtures: header fields, and every tensor of every
/// file decoded bit for bit like an independent scalar decoder written from ggml's block layout.
struct GGUFReaderTests {
    static let files = ["tiny-llama/tiny-llama-f32.gguf", "tiny-llama/tiny-llama-q8_0.gguf", "tiny-llama/tiny-llama-q4_1.gguf"]

    @Test func headerOfQ41File() throws {
        let r = try GGUFReader(path: LoaderFixtures.path("tiny-llama/tiny-llama-q4_1.gguf"))
        defer { r.close() }
        let h = r.header
        #expect(h.version == 3)
        #expect(h.metadata.count == 18)
        #expect(h.tensors.count == 21)
        #expect(h.alignment == 32)
        #expect(h.dataOffset % 32 == 0)
        #expect(h["general.architecture"]?.stringValue == "llama")
        #expect(h["llama.attention.head_count_kv"]?.intValue == 2)
        #expect(h["tokenizer.ggml.tokens"]?.stringArray?.count == 320)
        #expect(h.metadata.first?.key == "general.architecture")
        let embd = try #require(h.tensor(named: "token_embd.weight"))
        #expect(embd.type == .q8_0)
        #expect(embd.dims == [64, 320])
        #expect(embd.shape == [320, 64])
        #expect(embd.byteCount == 320 * 64 / 32 * 34)
        let q = try #require(h.tensor(named: "blk.0.attn_q.weight"))
        #expect(q.type == .q4_1)
        #expect(q.shape == [64, 64])
        #expect(h.tensor(named: "blk.0.attn_norm.weight")?.type == .f32)
    }

    @Test(arguments: files)
    func everyTensorMatchesScalarReference(file: String) throws {
        let raw = try LoaderFixtures.bytes(file)
        let r = try GGUFReader(path: LoaderFixtures.path(file))
        defer { r.close() }
        let decoded = try r.tensors(r.header.tensors)
        for (info, t) in zip(r.header.tensors, decoded) {
            #expect(t.shape == info.shape)
            let slice = Array(raw[info.byteRange])
            let expected = ReferenceDecode.dequantize(type: info.type, bytes: slice, count: info.elementCount)
            let got = t.floats()
            let same = zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern }
            #expect(same, "\(file): \(info.name) (\(info.type)) differs from the scalar reference")
        }
    }

    @Test func readsFromMemoryLikeFromFile() throws {
        let file = "tiny-llama/tiny-llama-q8_0.gguf"
        let a = try GGUFReader(path: LoaderFixtures.path(file))
        let b = try GGUFReader(bytes: try LoaderFixtures.bytes(file), label: "q8")
        #expect(a.header.metadata == b.header.metadata)
        #expect(a.header.tensors == b.header.tensors)
        let x = try a.tensor(named: "blk.1.ffn_down.weight"), y = try b.tensor(named: "blk.1.ffn_down.weight")
        #expect(try x.maxAbsDifference(y) == 0)
        a.close()
        #expect(throws: GGUFError.closed(file: LoaderFixtures.path(file))) { try a.tensor(named: "token_embd.weight") }
    }

    @Test func missingTensorIsNamed() throws {
        let r = try GGUFReader(bytes: try LoaderFixtures.bytes("tiny-llama/tiny-llama-f32.gguf"), label: "f32.gguf")
        #expect(throws: GGUFError.missingTensor(file: "f32.gguf", tensor: "nope")) { try r.tensor(named: "nope") }
    }

    @Test func defaultAlignmentAndCustomAlignment() throws {
        var b = TestGGUFBuilder()
        b.metadata = [("general.architecture", .string("llama"))]
        b.tensors = [.init(name: "a", dims: [4], type: 0, data: loaderFloatBytes([1, 2, 3, 4]))]
        let h32 = try GGUFReader(bytes: b.build()).header
        #expect(h32.alignment == 32 && h32.dataOffset % 32 == 0)
        b.alignment = 64
        b.metadata.append(("general.alignment", .u32(64)))
        let r = try GGUFReader(bytes: b.build())
        #expect(r.header.alignment == 64 && r.header.dataOffset % 64 == 0)
        #expect(try r.tensor(named: "a").floats() == [1, 2, 3, 4])
        b.metadata[1] = ("general.alignment", .u32(48))
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: b.build()) }
    }

    @Test func version2IsReadAndVersion1Refused() throws {
        var b = TestGGUFBuilder()
        b.version = 2
        b.tensors = [.init(name: "w", dims: [2, 3], type: 0, data: loaderFloatBytes([1, 2, 3, 4, 5, 6]))]
        let r = try GGUFReader(bytes: b.build())
        #expect(r.header.version == 2)
        #expect(try r.tensor(named: "w").shape == [3, 2])
        b.version = 1
        #expect(throws: GGUFError.unsupportedVersion(file: "<memory>", version: 1)) { try GGUFReader(bytes: b.build()) }
    }

    @Test func everyMetadataValueType() throws {
        // Hand-written bytes for each of the 13 value types, plus a nested array.
        var out: [UInt8] = Array("GGUF".utf8) + loaderLE32(3) + loaderLE64(0) + loaderLE64(14)
        func key(_ k: String) { out += loaderLE64(UInt64(k.utf8.count)) + Array(k.utf8) }
        key("u8"); out += loaderLE32(0) + [200]
        key("i8"); out += loaderLE32(1) + [0xFE]
        key("u16"); out += loaderLE32(2) + [0x34, 0x12]
        key("i16"); out += loaderLE32(3) + [0xFF, 0xFF]
        key("u32"); out += loaderLE32(4) + loaderLE32(70000)
        key("i32"); out += loaderLE32(5) + loaderLE32(UInt32(bitPattern: -5))
        key("f32"); out += loaderLE32(6) + loaderLE32(Float(1.5).bitPattern)
        key("bool"); out += loaderLE32(7) + [1]
        key("str"); out += loaderLE32(8) + loaderLE64(2) + Array("hi".utf8)
        key("u64"); out += loaderLE32(10) + loaderLE64(1 << 40)
        key("i64"); out += loaderLE32(11) + loaderLE64(UInt64(bitPattern: -7))
        key("f64"); out += loaderLE32(12) + loaderLE64(Double(2.25).bitPattern)
        key("arr"); out += loaderLE32(9) + loaderLE32(5) + loaderLE64(2) + loaderLE32(1) + loaderLE32(2)
        key("nested"); out += loaderLE32(9) + loaderLE32(9) + loaderLE64(1) + loaderLE32(8) + loaderLE64(1) + loaderLE64(1) + Array("x".utf8)
        let h = try GGUFReader(bytes: out).header
        #expect(h["u8"] == .uint8(200))
        #expect(h["i8"] == .int8(-2))
        #expect(h["u16"] == .uint16(0x1234))
        #expect(h["i16"] == .int16(-1))
        #expect(h["u32"] == .uint32(70000))
        #expect(h["i32"] == .int32(-5))
        #expect(h["f32"] == .float32(1.5))
        #expect(h["bool"] == .bool(true))
        #expect(h["str"] == .string("hi"))
        #expect(h["u64"] == .uint64(1 << 40))
        #expect(h["i64"] == .int64(-7))
        #expect(h["f64"] == .float64(2.25))
        #expect(h["arr"] == .array([.int32(1), .int32(2)]))
        #expect(h["nested"] == .array([.array([.string("x")])]))
        #expect(h.metadata.map(\.key) == ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64", "f64", "arr", "nested"])
    }

    @Test func unknownTypesAreNamed() throws {
        var out: [UInt8] = Array("GGUF".utf8) + loaderLE32(3) + loaderLE64(0) + loaderLE64(1)
        out += loaderLE64(3) + Array("odd".utf8) + loaderLE32(13) + [0, 0, 0, 0]
        #expect(throws: GGUFError.unknownValueType(file: "<memory>", key: "odd", type: 13)) { try GGUFReader(bytes: out) }

        var b = TestGGUFBuilder()
        b.tensors = [.init(name: "weird", dims: [32], type: 99, data: [UInt8](repeating: 0, count: 64))]
        #expect(throws: GGUFError.unknownTensorType(file: "<memory>", tensor: "weird", type: 99)) { try GGUFReader(bytes: b.build()) }

        b.tensors = [.init(name: "iq", dims: [256], type: GGMLType.iq2_xxs.rawValue, data: [UInt8](repeating: 0, count: 66))]
        let r = try GGUFReader(bytes: b.build())
        #expect(throws: GGUFError.unsupportedTensorType(file: "<memory>", tensor: "iq", type: "IQ2_XXS")) { try r.tensor(named: "iq") }
        let message = "\(GGUFError.unsupportedTensorType(file: "f.gguf", tensor: "iq", type: "IQ2_XXS"))"
        #expect(message.contains("f.gguf") && message.contains("'iq'") && message.contains("IQ2_XXS"))
    }

    @Test func rejectsBadTensorDescriptions() throws {
        var b = TestGGUFBuilder()
        // innermost dimension not a multiple of the Q8_0 block size
        b.tensors = [.init(name: "w", dims: [30, 2], type: GGMLType.q8_0.rawValue, data: [UInt8](repeating: 0, count: 68))]
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: b.build()) }
        // data past the end of the file
        b.tensors = [.init(name: "w", dims: [1000], type: 0, data: loaderFloatBytes([1]))]
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: b.build()) }
        // duplicate names
        b.tensors = [.init(name: "w", dims: [1], type: 0, data: loaderFloatBytes([1])), .init(name: "w", dims: [1], type: 0, data: loaderFloatBytes([1]))]
        #expect(throws: GGUFError.duplicateTensor(file: "<memory>", tensor: "w")) { try GGUFReader(bytes: b.build()) }
        // not GGUF at all
        #expect(throws: GGUFError.notGGUF(file: "<memory>")) { try GGUFReader(bytes: Array("PK\u{3}\u{4}rest".utf8)) }
        #expect(throws: GGUFError.self) { try GGUFReader(bytes: [UInt8]()) }
    }
}
