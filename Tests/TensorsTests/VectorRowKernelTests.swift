import Foundation
import Testing
@testable import Tensors

/// The row kernels under softmax and attention: shifted exponentials with their sum (every
/// tail length, in place, rows with −inf), the underflow-skipping exponential, the maximum.
@Suite("VectorMath: softmax row kernels")
struct VectorRowKernelTests {
    static let lengths = Array(0...41) + [63, 64, 65, 100, 511, 512, 513]

    /// `expShiftedSum` or its underflow-skipping copy, out of place and in place.
    func run(_ xs: [Float], shift: Float, skipping: Bool) -> (out: [Float], sum: Double, inPlace: [Float], inPlaceSum: Double) {
        let n = xs.count
        var out = [Float](repeating: -7, count: n + 9)
        var sum = 0.0
        xs.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                guard let sp = s.baseAddress ?? UnsafePointer(d.baseAddress), let dp = d.baseAddress else { return }
                sum = skipping ? VectorMath.expShiftedSumSkippingUnderflow(sp, dp, n, shift: shift)
                    : VectorMath.expShiftedSum(sp, dp, n, shift: shift)
            }
        }
        var row = xs + [Float](repeating: -7, count: 9)
        var inPlaceSum = 0.0
        row.withUnsafeMutableBufferPointer { p in
            guard let b = p.baseAddress else { return }
            inPlaceSum = skipping ? VectorMath.expShiftedSumSkippingUnderflow(b, b, n, shift: shift)
                : VectorMath.expShiftedSum(b, b, n, shift: shift)
        }
        return (out, sum, row, inPlaceSum)
    }

    @Test("shifted exponentials and their sum at every tail length, in place or not, nothing written past the row",
          arguments: lengths)
    func shiftedSum(n: Int) {
        let xs = (0..<n).map { Float(($0 * 37) % 101) * 0.09 - 4 }
        let shift = xs.max() ?? 0
        for skipping in [false, true] {
            let r = run(xs, shift: shift, skipping: skipping)
            for i in 0..<n {
                #expect(r.out[i] == VectorMath.exp(xs[i] - shift), "n \(n) lane \(i)")
            }
            #expect(r.out[n...].allSatisfy { $0 == -7 }, "n \(n): wrote past the end")
            #expect(r.inPlace == r.out, "n \(n): in place differs")
            let exact = r.out.prefix(n).reduce(0.0) { $0 + Double($1) }
            #expect(abs(r.sum - exact) <= 1e-6 * Swift.max(exact, 1), "n \(n): sum \(r.sum), expected \(exact)")
            #expect(r.inPlaceSum == r.sum)
        }
    }

    @Test("rows with −inf (masked scores) and deep underflow: the skipping copy gives the same bits and sums",
          arguments: [5, 8, 13, 64, 77, 512])
    func maskedRows(n: Int) {
        let xs: [Float] = (0..<n).map { i in
            switch i % 5 {
            case 0: return -.infinity
            case 1: return -150 - Float(i)
            case 2: return -103.9
            default: return Float(i % 11) * 0.3
            }
        }
        let shift = xs.max() ?? 0
        let plain = run(xs, shift: shift, skipping: false), skipping = run(xs, shift: shift, skipping: true)
        #expect(plain.out.map(\.bitPattern) == skipping.out.map(\.bitPattern))
        #expect(plain.sum == skipping.sum)
        for i in 0..<n where xs[i] == -.infinity || xs[i] < -104 { #expect(skipping.out[i] == 0) }
    }

    @Test("expSkippingUnderflow equals exp bit for bit, special values included")
    func skippingEqualsExp() {
        var x: Float = -300
        var values: [Float] = [-.infinity, .infinity, .nan, -104, -103.99, 0, -0.0, 89, 88.7]
        while x < 100 { values.append(x); x += 0.173 }
        for chunk in stride(from: 0, to: values.count, by: 8) {
            var v = SIMD8<Float>(repeating: 1)
            for i in 0..<Swift.min(8, values.count - chunk) { v[i] = values[chunk + i] }
            let a = VectorMath.exp(v), b = VectorMath.expSkippingUnderflow(v)
            for i in 0..<8 {
                #expect(a[i].bitPattern == b[i].bitPattern || (a[i].isNaN && b[i].isNaN), "x = \(v[i])")
            }
        }
    }

    @Test("maximum finds the largest value wherever it sits, at every tail length", arguments: Array(1...41) + [64, 65, 513])
    func maximum(n: Int) {
        for at in Set([0, n / 2, n - 1]) {
            var xs = (0..<n).map { Float(($0 * 13) % 29) - 40 }
            xs[at] = 3
            let m = xs.withUnsafeBufferPointer { VectorMath.maximum($0.baseAddress!, n) }
            #expect(m == 3, "n \(n), largest at \(at)")
        }
    }
}
