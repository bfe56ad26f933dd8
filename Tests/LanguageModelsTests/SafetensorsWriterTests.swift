import Foundation
import Testing
@testable import LanguageModels
import Tensors

/// The safetensors writer: round trip, deterministic bytes, 8-byte header padding, sorted names.
struct SafetensorsWriterTests {
    static func sample() throws -> [String: Tensor] {
        var g = RandomGenerator(seed: 42)
        return [
            "zeta.weight": Tensor.randn([3, 5], generator: &g),
            "alpha": Tensor.randn([7], dtype: .float64, generator: &g),
            "blocks.0.mlp.down": Tensor.randn([4, 2, 3], generator: &g),
            "empty": Tensor.zeros([0, 4]),
            "名前 \"quoted\"": try Tensor(shape: [2], floats: [1.5, -2]),
        ]
    }

    @Test func roundTrip() throws {
        let tensors = try Self.sample()
        let meta = ["format": "pt", "note": "line\nbreak \"q\""]
        let data = try SafetensorsWriter.encode(tensors, metadata: meta)
        let r = try SafetensorsReader(bytes: data)
        #expect(r.metadata == meta)
        #expect(r.tensorInfos.map(\.name) == tensors.keys.sorted())
        for (name, t) in tensors {
            let back = try r.tensor(named: name, as: t.dtype)
            #expect(back.shape == t.shape && back.dtype == t.dtype, "\(name)")
            if t.count > 0 { #expect(try back.maxAbsDifference(t) == 0, "\(name)") }
        }
        #expect(r.header.tensor(named: "alpha")?.dtype == .f64)
        #expect(r.header.tensor(named: "zeta.weight")?.dtype == .f32)
    }

    @Test func deterministicAndPadded() throws {
        let a = try SafetensorsWriter.encode(Self.sample(), metadata: ["b": "2", "a": "1"])
        let b = try SafetensorsWriter.encode(Self.sample(), metadata: ["a": "1", "b": "2"])
        #expect(a == b)
        let n = Int(a.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(n % 8 == 0)
        let header = String(decoding: a.dropFirst(8).prefix(n), as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\"}"))
        let order = ["alpha", "blocks.0.mlp.down", "empty", "zeta.weight"].compactMap { header.range(of: "\"\($0)\"")?.lowerBound }
        #expect(order.count == 4 && order == order.sorted())
        // data laid out in name order: the first tensor starts at offset 0
        #expect(header.contains("\"alpha\":{\"dtype\":\"F64\",\"shape\":[7],\"data_offsets\":[0,56]}"))
    }

    @Test func writesFilesAtomicallyAndReadsBackByPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("editlab-w-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try Self.sample()
        try SafetensorsWriter.write(t, metadata: ["k": "v"], to: path)
        let r = try SafetensorsReader(path: path)
        #expect(try r.tensor(named: "zeta.weight").maxAbsDifference(#require(t["zeta.weight"])) == 0)
        #expect(throws: ModelFileError.self) { try SafetensorsWriter.write(t, to: "/nonexistent-dir/x.safetensors") }
        #expect(throws: SafetensorsError.self) { try SafetensorsWriter.encode(["__metadata__": Tensor.zeros([1])]) }
    }

    @Test func nonContiguousTensorsAreWrittenInLogicalOrder() throws {
        let m = try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let r = try SafetensorsReader(bytes: SafetensorsWriter.encode(["t": m.transposed(0, 1)]))
        #expect(try r.tensor(named: "t").floats() == [1, 4, 2, 5, 3, 6])
        #expect(r.header.tensor(named: "t")?.shape == [3, 2])
    }
}
