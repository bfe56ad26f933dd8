import Foundation
import Testing
import Tensors

/// Distance in units in the last place between two non-negative floats (their bit patterns
/// are ordered like their values, across binades and into the subnormals).
func ulpDistance(_ a: Float, _ b: Float) -> Int {
    Int(a.bitPattern) - Int(b.bitPattern)
}

@Suite("VectorMath: vectorised float32 exp")
struct VectorMathTests {
    /// The correctly rounded float of e^x (through double precision).
    func reference(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }

    @Test("every 997th bit pattern over the whole float range is within 2 ulp of the correctly rounded exp")
    func sweep() throws {
        var worst = 0, worstX: Float = 0, checked = 0
        var lanes = SIMD8<Float>(), lane = 0
        func flush(_ n: Int) {
            let y = VectorMath.exp(lanes)
            for i in 0..<n {
                let x = lanes[i], r = reference(x)
                if x.isNaN {
                    #expect(y[i].isNaN, "exp(NaN) must be NaN")
                    continue
                }
                if r.isInfinite || y[i].isInfinite {
                    #expect(y[i] == r, "exp(\(x)) = \(y[i]), expected \(r)")
                    continue
                }
                let e = abs(ulpDistance(y[i], r))
                if e > worst { worst = e; worstX = x }
                checked += 1
            }
        }
        var bits: UInt32 = 0
        while true {
            lanes[lane] = Float(bitPattern: bits)
            lane += 1
            if lane == 8 { flush(8); lane = 0 }
            let (next, overflow) = bits.addingReportingOverflow(997)
            if overflow { break }
            bits = next
        }
        if lane > 0 { flush(lane) }
        #expect(checked > 3_000_000)   // the rest are NaN, or overflow / underflow exactly
        #expect(worst <= 2, "worst error \(worst) ulp at x = \(worstX) (\(worstX.bitPattern))")
    }

    @Test("a dense sweep of the range where results are normal, subnormal and near overflow stays within 2 ulp")
    func denseCriticalRanges() throws {
        var worst = 0
        let ranges: [(Float, Float)] = [(-104, -85), (85, 89), (0.25, 0.5), (-0.5, -0.25)]
        for (lo, hi) in ranges {
            var x = lo
            while x < hi {
                var v = SIMD8<Float>()
                for i in 0..<8 { v[i] = x; x = x.nextUp }
                let y = VectorMath.exp(v)
                for i in 0..<8 {
                    let r = reference(v[i])
                    if r.isInfinite || y[i].isInfinite { #expect(y[i] == r, "exp(\(v[i]))"); continue }
                    worst = Swift.max(worst, abs(ulpDistance(y[i], r)))
                }
                // skip as many as were checked: half of every interval is visited
                for _ in 0..<8 { x = x.nextUp }
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test("special values: infinities, NaN, zeros, overflow and underflow boundaries")
    func specialValues() {
        let cases: [(Float, Float)] = [
            (.infinity, .infinity), (-.infinity, 0), (0, 1), (-0.0, 1),
            (.greatestFiniteMagnitude, .infinity), (-.greatestFiniteMagnitude, 0),
            (Float(bitPattern: 0x42B1_7218), .infinity),   // first x whose exp overflows
            (200, .infinity), (-200, 0), (-104, 0), (-103.9, reference(-103.9)),
            (.leastNonzeroMagnitude, 1), (-.leastNonzeroMagnitude, 1),
        ]
        for (x, expected) in cases {
            #expect(VectorMath.exp(x) == expected, "exp(\(x)) = \(VectorMath.exp(x)), expected \(expected)")
        }
        #expect(VectorMath.exp(Float.nan).isNaN)
        #expect(VectorMath.exp(Float(bitPattern: 0x42B1_7217)).isFinite)   // last x whose exp is finite
        #expect(VectorMath.exp(Float(-103.9)) > 0)                       // subnormal, not flushed
        // one NaN lane does not disturb its neighbours
        let v = VectorMath.exp(SIMD8<Float>(1, .nan, 2, -.infinity, .infinity, 0, -1, 88))
        #expect(v[1].isNaN && v[3] == 0 && v[4] == .infinity && v[5] == 1)
        #expect(abs(ulpDistance(v[0], reference(1))) <= 2 && abs(ulpDistance(v[7], reference(88))) <= 2)
    }

    @Test("the buffer form handles every tail length and works in place", arguments: [0, 1, 7, 8, 9, 15, 16, 17, 100])
    func bufferForm(count: Int) {
        let xs = (0..<count).map { Float($0) * 0.37 - 12 }
        var out = [Float](repeating: -1, count: count + 3)
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                VectorMath.exp(s, d, count: count)
            }
        }
        for i in 0..<count { #expect(abs(ulpDistance(out[i], reference(xs[i]))) <= 2) }
        for i in count..<(count + 3) { #expect(out[i] == -1, "wrote past the end") }
        var inPlace = xs
        inPlace.withUnsafeMutableBufferPointer { p in
            guard let b = p.baseAddress else { return }
            VectorMath.exp(b, b, count: count)
        }
        #expect(Array(out.prefix(count)) == inPlace)
    }
}
