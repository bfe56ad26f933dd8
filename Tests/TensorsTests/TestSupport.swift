import Foundation
import Testing
import Tensors

// Shared helpers of the Tensors test suite: a plain reference array (`Ref`), readers that go
// through the strided element accessor only, builders of non-contiguous views, comparisons
// with tolerances, and a matcher for `TensorError` cases.

/// A plain row-major array of doubles: the reference side of every comparison.
struct Ref: CustomStringConvertible {
    var shape: [Int]
    var data: [Double]

    init(shape: [Int], data: [Double]) {
        precondition(shape.reduce(1, *) == data.count, "Ref: \(shape) needs \(shape.reduce(1, *)) values")
        self.shape = shape
        self.data = data
    }

    init(shape: [Int], repeating value: Double) {
        self.init(shape: shape, data: [Double](repeating: value, count: shape.reduce(1, *)))
    }

    var count: Int { data.count }
    var rank: Int { shape.count }

    subscript(_ index: [Int]) -> Double {
        get { data[flatIndex(index, shape)] }
        set { data[flatIndex(index, shape)] = newValue }
    }

    var description: String { "Ref\(shape) \(data.prefix(12))\(data.count > 12 ? "..." : "")" }
}

/// Row-major position of a multi-index.
func flatIndex(_ index: [Int], _ shape: [Int]) -> Int {
    var f = 0
    for d in 0..<shape.count { f = f * shape[d] + index[d] }
    return f
}

/// Every multi-index of `shape`, in row-major order.
func multiIndices(_ shape: [Int]) -> [[Int]] {
    let n = shape.reduce(1, *)
    if n == 0 { return [] }
    var out: [[Int]] = []
    out.reserveCapacity(n)
    var idx = [Int](repeating: 0, count: shape.count)
    for _ in 0..<n {
        out.append(idx)
        var d = shape.count - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < shape[d] { break }
            idx[d] = 0
            d -= 1
        }
    }
    return out
}

/// Reads every element through `value(at:)` (shape, strides and offset applied one element at
/// a time), so the reference never depends on the copy/contiguous machinery under test.
func ref(_ t: Tensor) throws -> Ref {
    Ref(shape: t.shape, data: try multiIndices(t.shape).map { try t.value(at: $0) })
}

/// A contiguous tensor holding a reference array.
func tensor(_ r: Ref, _ dtype: DType) throws -> Tensor {
    try Tensor(shape: r.shape, values: r.data, dtype: dtype)
}

/// Rounds each value to the precision of `dtype` (what storing it in a tensor does).
func rounded(_ values: [Double], _ dtype: DType) -> [Double] {
    dtype == .float32 ? values.map { Double(Float($0)) } : values
}

/// Machine epsilon of a dtype.
func eps(_ dtype: DType) -> Double { dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne }

/// The NumPy broadcast of two shapes, written independently of the module's.
func refBroadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: r - a.count) + a
    let pb = [Int](repeating: 1, count: r - b.count) + b
    var out: [Int] = []
    for i in 0..<r {
        if pa[i] == pb[i] { out.append(pa[i]) }
        else if pa[i] == 1 { out.append(pb[i]) }
        else if pb[i] == 1 { out.append(pa[i]) }
        else { return nil }
    }
    return out
}

/// The element of `r` that position `index` of a broadcast result of shape `outShape` reads.
func broadcastRead(_ r: Ref, _ index: [Int]) -> Double {
    let lead = index.count - r.rank
    var src = [Int](repeating: 0, count: r.rank)
    for d in 0..<r.rank { src[d] = r.shape[d] == 1 ? 0 : index[d + lead] }
    return r[src]
}

/// Elementwise `f(a, b)` with broadcasting, by loops over the output's multi-indices.
func refBinary(_ a: Ref, _ b: Ref, _ f: (Double, Double) -> Double) -> Ref {
    let shape = refBroadcast(a.shape, b.shape)!
    var out = Ref(shape: shape, repeating: 0)
    for idx in multiIndices(shape) { out[idx] = f(broadcastRead(a, idx), broadcastRead(b, idx)) }
    return out
}

/// Whether `got` matches `want` within `atol + rtol·|want|` (NaN matches NaN, ±inf match only
/// themselves).
func close(_ got: Double, _ want: Double, rtol: Double, atol: Double) -> Bool {
    if want.isNaN { return got.isNaN }
    if want.isInfinite || got.isInfinite { return got == want }
    return abs(got - want) <= atol + rtol * abs(want)
}

/// Records an issue naming the first mismatching element (and how many mismatch).
func expectClose(_ got: [Double], _ want: [Double], rtol: Double, atol: Double = 0,
                 _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.count == want.count else {
        Issue.record("\(what()): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
        return
    }
    var bad = 0, first = -1
    for i in 0..<got.count where !close(got[i], want[i], rtol: rtol, atol: atol) {
        bad += 1
        if first < 0 { first = i }
    }
    if bad > 0 {
        Issue.record("\(what()): \(bad) of \(got.count) elements differ; first at flat index \(first): got \(got[first]), expected \(want[first]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

/// Compares a tensor (shape and every element, read through `value(at:)`) with a reference.
func expectClose(_ got: Tensor, _ want: Ref, rtol: Double, atol: Double = 0,
                 _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard got.shape == want.shape else {
        Issue.record("\(what()): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
        return
    }
    expectClose(try ref(got).data, want.data, rtol: rtol, atol: atol, what(), sourceLocation: sourceLocation)
}

/// The case of a `TensorError`, without its message.
enum ErrorKind: Equatable, CustomStringConvertible {
    case shapeMismatch, dtypeMismatch, outOfRange, invalidArgument, nonFinite, singular, notPositiveDefinite, lapack
    var description: String {
        switch self {
        case .shapeMismatch: return "shapeMismatch"
        case .dtypeMismatch: return "dtypeMismatch"
        case .outOfRange: return "outOfRange"
        case .invalidArgument: return "invalidArgument"
        case .nonFinite: return "nonFinite"
        case .singular: return "singular"
        case .notPositiveDefinite: return "notPositiveDefinite"
        case .lapack: return "lapack"
        }
    }
}

extension TensorError {
    var kind: ErrorKind {
        switch self {
        case .shapeMismatch: return .shapeMismatch
        case .dtypeMismatch: return .dtypeMismatch
        case .outOfRange: return .outOfRange
        case .invalidArgument: return .invalidArgument
        case .nonFinite: return .nonFinite
        case .singular: return .singular
        case .notPositiveDefinite: return .notPositiveDefinite
        case .lapack: return .lapack
        }
    }
}

/// Expects `body` to throw a `TensorError` of the given case (and a non-empty message).
func expectError<R>(_ kind: ErrorKind, _ what: @autoclosure () -> String = "",
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) {
    do {
        _ = try body()
        Issue.record("\(what()): expected TensorError.\(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as TensorError {
        if e.kind != kind {
            Issue.record("\(what()): expected TensorError.\(kind), got \(e)", sourceLocation: sourceLocation)
        }
        if e.description.isEmpty {
            Issue.record("\(what()): empty error message", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("\(what()): expected TensorError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
}

/// How a test tensor is laid out in memory. Every layout presents the same logical shape; all
/// but `contiguous` are views on a larger or differently ordered storage.
enum Layout: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A fresh row-major tensor.
    case contiguous
    /// The first and last dimensions swapped (`transposed(0, -1)` of a tensor of the swapped shape).
    case transposed
    /// Every dimension narrowed out of a tensor 3 larger in each dimension (offset, gaps).
    case narrowed
    /// `select` out of a larger tensor: every element 3 apart, non-zero offset.
    case selected
    /// Every dimension stepped by 2 (a select on a trailing dimension), then the dimensions
    /// reversed by a permute: no stride is 1 and strides increase.
    case steppedPermuted
    /// Every other dimension broadcast with stride 0 by `expanded(to:)` (values repeat).
    case expanded

    var testDescription: String { rawValue }

    /// The layouts that can be written through (an expanded view aliases its elements).
    static var writable: [Layout] { allCases.filter { $0 != .expanded } }
}

/// Uniform samples in [low, high) as a contiguous tensor.
func uniform(_ shape: [Int], _ dtype: DType, _ rng: inout RandomGenerator, low: Double = -1, high: Double = 1) -> Tensor {
    Tensor.rand(shape, low: low, high: high, dtype: dtype, generator: &rng)
}

/// A tensor of logical shape `shape` with values uniform in [low, high), laid out as `layout`.
func randomTensor(_ shape: [Int], _ dtype: DType, _ layout: Layout, _ rng: inout RandomGenerator,
                  low: Double = -1, high: Double = 1) throws -> Tensor {
    let r = shape.count
    switch layout {
    case .contiguous:
        return uniform(shape, dtype, &rng, low: low, high: high)
    case .transposed:
        guard r >= 2 else { return uniform(shape, dtype, &rng, low: low, high: high) }
        var swapped = shape
        swapped.swapAt(0, r - 1)
        return try uniform(swapped, dtype, &rng, low: low, high: high).transposed(0, r - 1)
    case .narrowed:
        var t = uniform(shape.map { $0 + 3 }, dtype, &rng, low: low, high: high)
        for d in 0..<r { t = try t.narrow(d, start: 1 + d % 2, length: shape[d]) }
        return t
    case .selected:
        let base = uniform([2] + shape + [3], dtype, &rng, low: low, high: high)
        return try base.select(0, 1).select(-1, 2)
    case .steppedPermuted:
        let base = uniform(Array(shape.reversed()) + [2], dtype, &rng, low: low, high: high)
        let stepped = try base.select(-1, 1)
        return try stepped.permuted(Array((0..<r).reversed()))
    case .expanded:
        let reduced = shape.enumerated().map { $0.offset % 2 == 0 ? 1 : $0.element }
        return try uniform(reduced, dtype, &rng, low: low, high: high).expanded(to: shape)
    }
}

/// Values with many ties (integers 0...3), laid out as `layout`: for first-occurrence checks.
func tiedTensor(_ shape: [Int], _ dtype: DType, _ layout: Layout, _ rng: inout RandomGenerator) throws -> Tensor {
    let t = try randomTensor(shape, dtype, layout, &rng, low: 0, high: 4)
    let floored = try Ref(shape: shape, data: ref(t).data.map { $0.rounded(.down) })
    if layout == .expanded {
        // cannot write through an expanded view: build the same pattern from a fresh base
        let reduced = shape.enumerated().map { $0.offset % 2 == 0 ? 1 : $0.element }
        var base = Ref(shape: reduced, repeating: 0)
        for idx in multiIndices(reduced) { base[idx] = floored[idx] }
        return try tensor(base, dtype).expanded(to: shape)
    }
    for idx in multiIndices(shape) { try t.setValue(floored[idx], at: idx) }
    return t
}

/// Reference matrix product of two 2-D reference arrays (triple loop) and the matching
/// magnitude bound Σₖ|aᵢₖ||bₖⱼ| used to scale tolerances.
func refMatmul2D(_ a: Ref, _ b: Ref) -> (value: Ref, magnitude: Ref) {
    let n = a.shape[0], k = a.shape[1], m = b.shape[1]
    var c = Ref(shape: [n, m], repeating: 0), mag = Ref(shape: [n, m], repeating: 0)
    for i in 0..<n {
        for j in 0..<m {
            var s = 0.0, g = 0.0
            for p in 0..<k {
                let x = a.data[i * k + p], y = b.data[p * m + j]
                s += x * y
                g += abs(x * y)
            }
            c.data[i * m + j] = s
            mag.data[i * m + j] = g
        }
    }
    return (c, mag)
}

/// Transpose of a 2-D reference array.
func refTranspose(_ a: Ref) -> Ref {
    let n = a.shape[0], m = a.shape[1]
    var t = Ref(shape: [m, n], repeating: 0)
    for i in 0..<n { for j in 0..<m { t.data[j * n + i] = a.data[i * m + j] } }
    return t
}

/// Identity reference matrix.
func refEye(_ n: Int) -> Ref {
    var e = Ref(shape: [n, n], repeating: 0)
    for i in 0..<n { e.data[i * n + i] = 1 }
    return e
}

/// Largest absolute element.
func maxAbs(_ values: [Double]) -> Double { values.reduce(0) { max($0, abs($1)) } }

/// Largest absolute difference between two arrays of equal length.
func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var m = 0.0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}
