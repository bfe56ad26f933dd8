import Foundation
import LanguageModels
import Tensors

/// Imports second-moment statistics computed elsewhere.
public enum StatisticsImport {
    /// Reads the reference implementation's `.npz` layout (`mom2.mom2`: the raw sum of k kᵀ,
    /// `mom2.count`: the number of tokens) and returns C0 = sum / count (float64). The archive
    /// must be uncompressed (`np.savez`, as the reference writes it).
    public static func npz(path: String) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else { throw EditorError.statistics("cannot read \(path)") }
        let entries = try NPZ.entries(data, file: path)
        guard let sumEntry = entries["mom2.mom2"] ?? entries["mom2.mom2.npy"] else {
            throw EditorError.statistics("\(path) has no 'mom2.mom2' array (found: \(entries.keys.sorted().joined(separator: ", ")))")
        }
        guard let countEntry = entries["mom2.count"] ?? entries["mom2.count.npy"] else {
            throw EditorError.statistics("\(path) has no 'mom2.count' array")
        }
        let sum = try NPY.parse(sumEntry, name: "mom2.mom2", file: path)
        let count = try NPY.parse(countEntry, name: "mom2.count", file: path)
        guard sum.rank == 2, sum.shape[0] == sum.shape[1] else {
            throw EditorError.statistics("\(path): mom2.mom2 is \(shapeString(sum.shape)), expected a square matrix")
        }
        let n = try count.reshaped([-1]).value(at: [0])
        guard n > 0, n.isFinite else { throw EditorError.statistics("\(path): mom2.count is \(n)") }
        return sum.mul(1 / n)
    }

    /// Reads C0 from a safetensors file: a tensor `name` that is already the second moment,
    /// or, when `count` names a tensor too, a raw sum divided by that count.
    public static func safetensors(path: String, name: String, count: String? = nil) throws -> Tensor {
        let r = try SafetensorsReader(path: path)
        let t = try r.tensor(named: name, as: .float64)
        guard let count else { return t }
        let n = try r.tensor(named: count, as: .float64).reshaped([-1]).value(at: [0])
        guard n > 0, n.isFinite else { throw EditorError.statistics("\(path): \(count) is \(n)") }
        return t.mul(1 / n)
    }
}

/// The entries of an uncompressed zip archive (what `numpy.savez` writes).
enum NPZ {
    static func entries(_ data: Data, file: String) throws -> [String: Data] {
        let b = [UInt8](data)
        func u16(_ o: Int) throws -> Int {
            guard o >= 0, o + 2 <= b.count else { throw EditorError.statistics("\(file): truncated zip archive") }
            return Int(b[o]) | Int(b[o + 1]) << 8
        }
        func u32(_ o: Int) throws -> Int {
            guard o >= 0, o + 4 <= b.count else { throw EditorError.statistics("\(file): truncated zip archive") }
            return Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
        }
        var out: [String: Data] = [:]
        var o = 0
        while o + 4 <= b.count, try u32(o) == 0x0403_4B50 {
            let method = try u16(o + 8)
            var compressed = try u32(o + 18)
            let nameLen = try u16(o + 26), extraLen = try u16(o + 28)
            let nameStart = o + 30
            guard nameStart + nameLen <= b.count else { throw EditorError.statistics("\(file): truncated zip archive") }
            let name = String(decoding: b[nameStart..<(nameStart + nameLen)], as: UTF8.self)
            // zip64: sizes in the extra field
            if compressed == 0xFFFF_FFFF {
                var e = nameStart + nameLen
                let end = e + extraLen
                while e + 4 <= end {
                    let id = try u16(e), len = try u16(e + 2)
                    if id == 1, e + 20 <= b.count { compressed = try u32(e + 12) | (try u32(e + 16)) << 32 }
                    e += 4 + len
                }
            }
            let dataStart = nameStart + nameLen + extraLen
            guard compressed >= 0, dataStart + compressed <= b.count else { throw EditorError.statistics("\(file): entry '\(name)' runs past the end") }
            guard method == 0 else {
                throw EditorError.statistics("\(file): entry '\(name)' is compressed (method \(method)); save the statistics with numpy.savez, not savez_compressed")
            }
            out[name.hasSuffix(".npy") ? String(name.dropLast(4)) : name] = Data(b[dataStart..<(dataStart + compressed)])
            o = dataStart + compressed
        }
        guard !out.isEmpty else { throw EditorError.statistics("\(file) is not a zip (npz) archive") }
        return out
    }
}

/// A `.npy` array of little-endian float32/float64/int64 in C order.
enum NPY {
    static func parse(_ data: Data, name: String, file: String) throws -> Tensor {
        let b = [UInt8](data)
        guard b.count >= 10, b[0] == 0x93, Array(b[1...5]) == Array("NUMPY".utf8) else {
            throw EditorError.statistics("\(file): '\(name)' is not a .npy array")
        }
        let major = b[6]
        let headerLen: Int, start: Int
        if major == 1 { headerLen = Int(b[8]) | Int(b[9]) << 8; start = 10 }
        else {
            guard b.count >= 12 else { throw EditorError.statistics("\(file): '\(name)' truncated") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        }
        guard start + headerLen <= b.count else { throw EditorError.statistics("\(file): '\(name)' header truncated") }
        let header = String(decoding: b[start..<(start + headerLen)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr"), let shapeText = field("shape") else {
            throw EditorError.statistics("\(file): '\(name)' has no descr/shape in its header")
        }
        if field("fortran_order")?.hasPrefix("True") == true {
            throw EditorError.statistics("\(file): '\(name)' is in Fortran order")
        }
        guard let open = shapeText.firstIndex(of: "("), let close = shapeText.firstIndex(of: ")") else {
            throw EditorError.statistics("\(file): '\(name)' has a malformed shape")
        }
        let dims = shapeText[shapeText.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = dims.reduce(1, *)
        let body = start + headerLen
        let type = String(descr.dropFirst().prefix(3))
        let size: Int
        switch type {
        case "<f4": size = 4
        case "<f8", "<i8": size = 8
        default: throw EditorError.statistics("\(file): '\(name)' has unsupported dtype \(type)")
        }
        guard dims.allSatisfy({ $0 >= 0 }), count <= (b.count - body) / size else {
            throw EditorError.statistics("\(file): '\(name)' data is shorter than its shape \(dims)")
        }
        var values = [Double](repeating: 0, count: count)
        b.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = body + i * size
                switch type {
                case "<f4": values[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                case "<f8": values[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))
                default: values[i] = Double(raw.loadUnaligned(fromByteOffset: o, as: Int64.self))
                }
            }
        }
        return try Tensor(shape: dims, values: values, dtype: .float64)
    }
}
