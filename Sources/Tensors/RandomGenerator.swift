import Foundation

/// The documented, machine-independent random generator behind every seeded tensor.
///
/// State: xoshiro256** (Blackman & Vigna), seeded by expanding a 64-bit seed with SplitMix64.
/// - `nextUInt64()`: one xoshiro256** output.
/// - `nextDouble()`: the top 53 bits of `nextUInt64()` times 2⁻⁵³, uniform in [0, 1).
/// - `nextNormal()`: Box–Muller in double precision on two uniforms u1, u2 (u1 replaced by
///   1 − u1 so it is never 0): `sqrt(-2 ln u1) · cos(2π u2)`, then `sin` for the next call.
/// Tensors of `float32` round each double to the nearest float. The same seed gives the same
/// numbers on every machine with an IEEE-754 libm (`log`, `cos`, `sin`, `sqrt`).
public struct RandomGenerator: Sendable, Equatable {
    /// The four words of xoshiro256** state.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    /// Seeds the generator (SplitMix64 expansion of `seed`).
    public init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
        spareNormal = nil
    }

    /// Restores a generator from a saved state (see `savedState`).
    public init(savedState: [UInt64]) throws {
        guard savedState.count == 4 || savedState.count == 5 else {
            throw TensorError.invalidArgument(op: "RandomGenerator(savedState:)", detail: "expected 4 or 5 words, got \(savedState.count)")
        }
        state = (savedState[0], savedState[1], savedState[2], savedState[3])
        spareNormal = savedState.count == 5 ? Double(bitPattern: savedState[4]) : nil
        if state == (0, 0, 0, 0) {
            throw TensorError.invalidArgument(op: "RandomGenerator(savedState:)", detail: "all-zero state")
        }
    }

    /// The complete state as words (for checkpoints); restores exactly with `init(savedState:)`.
    public var savedState: [UInt64] {
        var w = [state.0, state.1, state.2, state.3]
        if let s = spareNormal { w.append(s.bitPattern) }
        return w
    }

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool { a.savedState == b.savedState }

    /// The next 64 random bits.
    public mutating func nextUInt64() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double {
        Double(nextUInt64() >> 11) * 0x1.0p-53
    }

    /// Standard normal (Box–Muller, see the type's documentation).
    public mutating func nextNormal() -> Double {
        if let s = spareNormal {
            spareNormal = nil
            return s
        }
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        let r = (-2.0 * Foundation.log(u1)).squareRoot()
        let theta = 2.0 * Double.pi * u2
        spareNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// Uniform integer in `0..<bound` (Lemire's unbiased method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let b = UInt64(bound)
        var m = nextUInt64().multipliedFullWidth(by: b)
        if m.low < b {
            let t = (0 &- b) % b
            while m.low < t { m = nextUInt64().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }
}
