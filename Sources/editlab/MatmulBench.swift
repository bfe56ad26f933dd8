import CBLAS
import Foundation
import Tensors

/// Tensor matmul against raw `cblas_sgemm` at the default model's shapes. Both sides
/// allocate a fresh output per call (same policy); the best of N is compared.
struct MatmulBench {
    let repeats: Int

    func run() throws {
        print("\n== matmul: Tensor.matmul vs raw cblas_sgemm (best of \(repeats), fresh output each call) ==")
        print("shape".padding(toLength: 26, withPad: " ", startingAt: 0) + "   sgemm GF/s  Tensor GF/s    ratio  target")
        let shapes: [(Int, Int, Int)] = [(128, 576, 1536), (128, 1536, 576), (128, 576, 49152), (2048, 2048, 2048)]
        var gen = RandomGenerator(seed: 1)
        for (n, k, m) in shapes {
            let a = Tensor.randn([n, k], generator: &gen)
            let b = Tensor.randn([k, m], generator: &gen)
            let flops = 2.0 * Double(n) * Double(k) * Double(m)
            let pa = a.pointer(as: Float.self), pb = b.pointer(as: Float.self)
            let (raw, ours) = try Timing.interleavedBest(minRepeats: repeats, {
                let c = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(m), Int32(k), 1, pa, Int32(k),
                            pb, Int32(m), 0, c, Int32(m))
                c.deallocate()
            }, { _ = try a.matmul(b) })
            let gRaw = flops / raw / 1e9, gOurs = flops / ours / 1e9
            print(String(format: "%@ %12.1f %12.1f %8.3f %@", "\(n)x\(k) · \(k)x\(m)".padding(toLength: 26, withPad: " ", startingAt: 0) as NSString, gRaw, gOurs,
                         gOurs / gRaw, ">= 0.95" as NSString))
        }
        // Transposed right operand (y = x Wᵀ, the layout of every linear layer).
        let (n, k, m) = (128, 576, 1536)
        var g2 = RandomGenerator(seed: 2)
        let x = Tensor.randn([n, k], generator: &g2)
        let w = Tensor.randn([m, k], generator: &g2)
        let px = x.pointer(as: Float.self), pw = w.pointer(as: Float.self)
        let wt = try w.t()
        let (raw, ours) = try Timing.interleavedBest(minRepeats: repeats, {
            let c = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(m), Int32(k), 1, px, Int32(k),
                        pw, Int32(k), 0, c, Int32(m))
            c.deallocate()
        }, { _ = try x.matmul(wt) })
        let flops = 2.0 * Double(n * k * m)
        print(String(format: "%@ %12.1f %12.1f %8.3f %@", "\(n)x\(k) · (\(m)x\(k))ᵀ".padding(toLength: 26, withPad: " ", startingAt: 0) as NSString, flops / raw / 1e9,
                     flops / ours / 1e9, raw / ours, ">= 0.95" as NSString))
    }
}

/// Wall-clock timing helpers (monotonic clock).
enum Timing {
    /// Seconds taken by one run of `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// Best-of timings of two bodies measured alternately (so drift and noise hit both
    /// alike), after one warm-up each: at least `minRepeats` rounds and at least
    /// `minSeconds` of total time.
    static func interleavedBest(minRepeats: Int, minSeconds: Double = 0.5,
                                _ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Double, Double) {
        try first()
        try second()
        var b1 = Double.infinity, b2 = Double.infinity, total = 0.0, rounds = 0
        while rounds < max(minRepeats, 1) || total < minSeconds {
            let t1 = try seconds(first), t2 = try seconds(second)
            b1 = min(b1, t1)
            b2 = min(b2, t2)
            total += t1 + t2
            rounds += 1
        }
        return (b1, b2)
    }
}
