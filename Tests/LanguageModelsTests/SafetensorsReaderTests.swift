import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// The safetensors reader on the fixtures and on hand-built files (F16, BF16, F64, I64,
/// validation of offsets, dtype sizes and overlaps), and the sharded index.
struct SafetensorsReaderTests {
    /// A safetensors file from a header JSON and data bytes.
    static func file(_ header: String, _ data: [UInt8]) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return loaderLE64(UInt64(h.count)) + h + data
    }

    @Test func fixtureHeader() throws {
        let r = try SafetensorsReader(path: LoaderFixtures.path("tiny-llama/model.safetensors"))
        defer { r.close() }
        #expect(r.tensorInfos.count == 21)
        #expect(r.metadata == ["format": "pt"])
        #expect(r.tensorInfos.map(\.name) == r.tensorInfos.map(\.name).sorted())
        let q = try #require(r.header.tensor(named: "model.layers.0.self_attn.k_proj.weight"))
        #expect(q.dtype == .f32 && q.shape == [32, 64] && q.byteCount == 32 * 64 * 4)
        #expect(r.header.dataOffset == 8 + 2136)
        // values equal the raw little-endian floats at the entry's offsets
        let raw = try LoaderFixtures.bytes("tiny-llama/model.safetensors")
        let got = try r.tensor(named: q.name).floats()
        let want = (0..<(32 * 64)).map { i in Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[q.absoluteOffset + 4 * i + $1]) << (8 * UInt32($1)) }) }
        #expect(got == want)
    }

    @Test func int64Ids() throws {
        let r = try SafetensorsReader(path: LoaderFixtures.path("tiny-llama/expected.safetensors"))
        let ids = try r.integers(named: "input_ids")
        #expect(r.header.tensor(named: "input_ids")?.shape == [2, 8])
        #expect(ids.count == 16 && ids.allSatisfy { $0 >= 0 && $0 < 320 })
        #expect(throws: SafetensorsError.self) { try r.tensor(named: "input_ids") }
        #expect(throws: SafetensorsError.self) { try r.integers(named: "logits") }
    }

    @Test func halfFormatsAndFloat64() throws {
        let halves: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF, 0x3555]   // 1, -2, 2^-24, 65504, ~0.333
        let bf: [UInt16] = [0x3F80, 0xC0A0, 0x0000]                       // 1, -5, 0
        let doubles: [Double] = [1.0 / 3.0, -1e300, 0.1]
        var data: [UInt8] = halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        data += bf.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        data += doubles.flatMap { loaderLE64($0.bitPattern) }
        let header = """
        {"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[10,16]},\
        "d":{"dtype":"F64","shape":[3],"data_offsets":[16,40]}}
        """
        let r = try SafetensorsReader(bytes: Self.file(header, data))
        #expect(try r.tensor(named: "h").floats() == halves.map(ReferenceDecode.half))
        #expect(try r.tensor(named: "b").floats() == [1, -5, 0])
        let d64 = try r.tensor(named: "d", as: .float64)
        #expect(d64.dtype == .float64 && d64.doubles() == doubles)
        #expect(try r.tensor(named: "d").floats() == doubles.map { Float($0) })
        #expect(try r.tensor(named: "h", as: .float64).doubles() == halves.map { Double(ReferenceDecode.half($0)) })
    }

    @Test func validation() throws {
        func expectInvalid(_ header: String, _ data: [UInt8], _ label: String) {
            #expect(throws: SafetensorsError.self, "\(label)") { try SafetensorsReader(bytes: Self.file(header, data)) }
        }
        let four = [UInt8](repeating: 0, count: 16)
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,20]}}", four, "past the end")
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", four, "size mismatch")
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", four, "overlap")
        expectInvalid("{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", four, "unknown dtype")
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", four, "negative dim")
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", four, "reversed offsets")
        expectInvalid("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", four, "overflow")
        expectInvalid("{\"__metadata__\":{\"x\":1}}", four, "metadata not strings")
        expectInvalid("[]", four, "not an object")
        expectInvalid("{\"a\":", four, "bad json")
        #expect(throws: SafetensorsError.self) { try SafetensorsReader(bytes: [UInt8](repeating: 0xFF, count: 8)) }
        #expect(throws: SafetensorsError.self) { try SafetensorsReader(bytes: [UInt8](repeating: 0, count: 5)) }
        #expect {
            try SafetensorsReader(bytes: Self.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", four), label: "bad.safetensors")
        } throws: { e in "\(e)".contains("bad.safetensors") && "\(e)".contains("'w'") }
    }

    @Test func indexParsing() throws {
        let good = #"{"metadata": {"total_size": 8}, "weight_map": {"b": "model-2.safetensors", "a": "model-1.safetensors"}}"#
        let idx = try SafetensorsIndex.parse(Data(good.utf8), file: "i.json")
        #expect(idx.weightMap == ["a": "model-1.safetensors", "b": "model-2.safetensors"])
        #expect(idx.shardFiles == ["model-1.safetensors", "model-2.safetensors"])
        for bad in [#"{"weight_map": {"a": "../x.safetensors"}}"#, #"{"weight_map": {"a": 3}}"#, #"{"metadata": {}}"#,
                    #"{"weight_map": {"a": "/etc/passwd"}}"#, "{"] {
            #expect(throws: SafetensorsError.self, "\(bad)") { try SafetensorsIndex.parse(Data(bad.utf8), file: "i.json") }
        }
    }
}
