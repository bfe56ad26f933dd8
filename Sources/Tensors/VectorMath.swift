/// Vectorised float32 elementary functions for the hot kernels (softmax, SiLU/SwiGLU,
/// gelu_new), eight lanes at a time (one AVX2 register where Package.swift builds Tensors for
/// AVX2 and FMA), single-threaded.
///
/// `exp` follows Cephes `expf`: range reduction `x = n·ln2 + r` with `|r| ≤ ln2/2` (ln2 split
/// in two so `n·C1` is exact), a degree-7 polynomial for `e^r` (in fused multiply-adds where
/// built for FMA), and the scale `2^n` applied in two exact halves so results that are
/// subnormal round once and results past `FLT_MAX` overflow to `+inf`. Maximum error against a correctly rounded `expf` is below
/// 2 ulp over the whole float range (the Tensors tests check every 997th bit pattern);
/// `exp(-inf) = 0`, `exp(+inf) = +inf`, NaN propagates.
public enum VectorMath {
    /// Above this `e^x` overflows (clamping here keeps `n ≤ 128`).
    static let expUpper: Float = 89
    /// Below this `e^x` rounds to zero (clamping here keeps `n ≥ -150`).
    static let expLower: Float = -104

    /// `e^x` on eight lanes.
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp (comparisons are false for NaN, which then propagates through the arithmetic).
        var v = x.replacing(with: expUpper, where: x .> expUpper)
        v.replace(with: expLower, where: v .< expLower)
        // n = round(v / ln2): adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = madd(v, SIMD8(repeating: 1.442_695_04), magic)
        let nf = t - magic
        let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        // r = v − n·ln2, with ln2 = C1 + C2 and n·C1 exact.
        let r = madd(nf, SIMD8(repeating: 2.121_944_4e-4), madd(nf, SIMD8(repeating: -0.693_359_375), v))
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = madd(p, r, SIMD8(repeating: 1.398_199_950_7e-3))
        p = madd(p, r, SIMD8(repeating: 8.333_451_907_3e-3))
        p = madd(p, r, SIMD8(repeating: 4.166_579_589_4e-2))
        p = madd(p, r, SIMD8(repeating: 1.666_666_545_9e-1))
        p = madd(p, r, SIMD8(repeating: 5.000_000_120_1e-1))
        let y = madd(p, r * r, r) + 1
        // 2^n as two factors 2^n1 · 2^n2 (n1 = n >> 1), each a normal float, so subnormal
        // results round once and n = 128 overflows only in the last product.
        let n1 = n &>> 1
        let n2 = n &- n1
        let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD8<Float>.self)
        return (y * s1) * s2
    }

    /// `e^x` on eight lanes, for inputs where lanes below `expLower` (−inf above all: masked
    /// softmax entries) are common: those lanes take `e^0` and are zeroed, the same result as
    /// `exp`'s. Clamped instead, every later instruction underflows on them and takes a
    /// microcode assist (~150 cycles: a row of −inf ran 10× slower). The extra compare and
    /// selects cost a little on ordinary input, so this is used only where −inf is expected.
    @inline(__always)
    static func expSkippingUnderflow(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let underflow = x .< expLower
        return exp(x.replacing(with: 0, where: underflow)).replacing(with: 0, where: underflow)
    }

    /// `a·b + c`: one fused multiply-add where the build targets FMA (`EDITLAB_FMA`), a
    /// product and a sum otherwise (a fused form without the instruction is a library call
    /// per lane).
    @inline(__always)
    static func madd(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        #if EDITLAB_FMA
        c.addingProduct(a, b)
        #else
        a * b + c
        #endif
    }

    /// `e^x` for one float, by the same algorithm as the eight-lane form.
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(SIMD8<Float>(repeating: x))[0] }

    /// `1 / (1 + e^-x)` on eight lanes (`0` and `1` at the extremes, NaN propagates).
    @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// Loads `n < 8` floats into the first lanes of a vector (the rest `fill`).
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> SIMD8<Float> {
        // One small copy into the vector's bytes: inserting lanes one by one at a run-time
        // index compiles to a store and reload of the whole vector per lane.
        var v = SIMD8<Float>(repeating: fill)
        withUnsafeMutableBytes(of: &v) { $0.baseAddress?.copyMemory(from: p, byteCount: n * MemoryLayout<Float>.stride) }
        return v
    }

    /// Stores the first `n < 8` lanes of `v`.
    @inline(__always)
    static func storePartial(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        withUnsafeBytes(of: v) { b in
            if let base = b.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: n * MemoryLayout<Float>.stride) }
        }
    }

    /// Loads eight floats from `p + i` (no alignment needed).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores eight floats at `p + i` (no alignment needed).
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// `dst[i] = f(src[i])` over `n` floats, eight at a time (the tail padded with zeros);
    /// `dst` may equal `src`. The loop is specialised for `Fn`, with `f` inlined (the one
    /// loop of the element-wise kernels: see `LaneFunction`).
    @inline(__always)
    static func apply<Fn: LaneFunction>(_ f: Fn, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            store(f(load(src, i)), dst, i)
            i += 8
        }
        if i < n { storePartial(f(loadPartial(src + i, n - i)), dst + i, n - i) }
    }

    /// `dst[i] = f(a[i], b[i])` over `n` floats, eight at a time; `dst` may equal `a` or `b`.
    /// The loop is specialised for `Fn`, with `f` inlined.
    @inline(__always)
    static func apply<Fn: LaneFunction2>(_ f: Fn, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                         _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            store(f(load(a, i), load(b, i)), dst, i)
            i += 8
        }
        if i < n { storePartial(f(loadPartial(a + i, n - i), loadPartial(b + i, n - i)), dst + i, n - i) }
    }

    /// `e^x` of `n` floats from `src` into `dst` (which may equal `src`).
    public static func exp(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count n: Int) {
        apply(Lane.Exp(), src, dst, n)
    }

    /// Largest of `n ≥ 1` floats (NaN-free input assumed; `-inf` when all are `-inf`).
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m8 = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            let v = load(p, i)
            m8.replace(with: v, where: v .> m8)
            i += 8
        }
        // A tail of a row of at least eight: the last eight again (a maximum may see a value twice).
        if i < n && n >= 8 {
            let v = load(p, n - 8)
            m8.replace(with: v, where: v .> m8)
            i = n
        }
        var m = m8.max()
        while i < n {
            m = Swift.max(m, p[i])
            i += 1
        }
        return m
    }

    /// Σ of `lanes(i)` over the full eight-float chunks `i = 0, 8, 16, … (i + 8 ≤ n)`, summed in
    /// float lanes over 64 values at a time and in double across them; returns the sum and the
    /// first index left for the caller's tail.
    @inline(__always)
    static func blockedSum(_ n: Int, _ lanes: (Int) -> SIMD8<Float>) -> (Double, Int) {
        var total = 0.0
        var acc = SIMD8<Float>()
        var i = 0, block = 0
        while i + 8 <= n {
            acc += lanes(i)
            i += 8
            block += 1
            if block == 8 {
                total += Double(acc.sum())
                acc = SIMD8<Float>()
                block = 0
            }
        }
        return (total + Double(acc.sum()), i)
    }

    /// `dst[i] = e^(src[i] − shift)` over `n` floats (`dst` may equal `src`); returns their
    /// sum, accumulated in float over 64 values at a time and in double across them.
    static func expShiftedSum(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        expShiftedSum(Lane.Exp(), src, dst, n, shift: shift)
    }

    /// `expShiftedSum` for rows holding −inf entries (masked scores): the same results through
    /// `expSkippingUnderflow`, without its microcode assists.
    static func expShiftedSumSkippingUnderflow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                                               shift: Float) -> Double {
        expShiftedSum(Lane.ExpSkippingUnderflow(), src, dst, n, shift: shift)
    }

    /// The loop of both: `exp` is `e^x` on eight lanes, inlined through specialisation.
    @inline(__always)
    private static func expShiftedSum<E: LaneFunction>(_ exp: E, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                                       _ n: Int, shift: Float) -> Double {
        // A tail of a row of at least eight is the row's last eight inputs, read before the
        // loop may overwrite them (dst == src): their exponentials are stored whole (the lanes
        // the loop already wrote get the same values again) and only the new lanes are summed.
        let lastEight = n > 8 && n % 8 != 0 ? load(src, n - 8) : nil
        let (total, i) = blockedSum(n) { i in
            let e = exp(load(src, i) - shift)
            store(e, dst, i)
            return e
        }
        guard i < n else { return total }
        if let lastEight {
            let e = exp(lastEight - shift)
            store(e, dst, n - 8)
            return total + newLanesSum(e, new: n - i)
        }
        // Fewer than eight: padding lanes hold the shift (e^0: a padding of −inf would take
        // the slow underflow path) and are zeroed, so they add nothing.
        let e = exp(loadPartial(src + i, n - i, fill: shift) - shift).replacing(with: 0, where: padding(n - i))
        storePartial(e, dst + i, n - i)
        return total + Double(e.sum())
    }

    /// The lanes at or after `count` (the padding of a partial vector).
    @inline(__always)
    static func padding(_ count: Int) -> SIMDMask<SIMD8<Int32>> {
        SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(count))
    }

    /// The sum of the last `new` lanes of `v` (a row's last eight values, of which the first
    /// `8 − new` were already counted).
    @inline(__always)
    static func newLanesSum(_ v: SIMD8<Float>, new: Int) -> Double {
        Double(v.replacing(with: 0, where: .!padding(8 - new)).sum())
    }

    /// `Σ a[i]·b[i]` over `n` floats (eight float lanes, summed at the end).
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc += load(a, i) * load(b, i)
            i += 8
        }
        if i < n { acc += loadPartial(a + i, n - i) * loadPartial(b + i, n - i) }
        return acc.sum()
    }

    /// `Σ x[i]²` over `n` floats: float lanes over 64 values at a time, double across them.
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var (total, i) = blockedSum(n) { i in
            let v = load(x, i)
            return v * v
        }
        while i < n {
            total += Double(x[i]) * Double(x[i])
            i += 1
        }
        return total
    }

    /// `Σ (g[i]·w[i])·x[i]` over `n` floats: float lanes over 64 values at a time, double
    /// across them.
    static func weightedDot(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var (total, i) = blockedSum(n) { i in (load(g, i) * load(w, i)) * load(x, i) }
        while i < n {
            total += Double(g[i] * w[i]) * Double(x[i])
            i += 1
        }
        return total
    }

    /// `p[i] *= s` over `n` floats.
    static func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        apply(Lane.MulScalar(v: SIMD8(repeating: s)), p, p, n)
    }
}
