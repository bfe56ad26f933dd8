/// The BPE merge rules as an open-addressing hash table keyed by the pair of symbol ids
/// `(left, right)`, giving each rule's rank (lower merges first) and the merged symbol.
///
/// Lookups hash a single `UInt64` (no strings, no SipHash), which keeps BPE fast even on
/// words the cache has not seen.
struct MergeTable: Sendable {
    /// `(left << 32) | right`, or `emptyKey` for a free slot.
    private var keys: [UInt64]
    /// `(rank << 32) | result` for the slot with the same index.
    private var values: [UInt64]
    private let mask: Int
    private let shift: UInt64
    private(set) var count = 0

    private static let emptyKey = UInt64.max

    /// A table able to hold `capacity` rules at load factor at most 1/2.
    init(capacity: Int) {
        var size = 16
        var bits: UInt64 = 4
        while size < max(capacity, 1) * 2 { size <<= 1; bits += 1 }
        keys = [UInt64](repeating: MergeTable.emptyKey, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
        shift = 64 - bits
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        (UInt64(UInt32(bitPattern: left)) << 32) | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds a rule unless the pair already has one (the first, lowest-rank rule wins,
    /// as in HF `tokenizers` and llama.cpp).
    mutating func insert(left: Int32, right: Int32, rank: Int32, result: Int32) {
        let k = MergeTable.key(left, right)
        var i = slot(k)
        while keys[i] != MergeTable.emptyKey {
            if keys[i] == k { return }
            i = (i + 1) & mask
        }
        keys[i] = k
        values[i] = (UInt64(UInt32(bitPattern: rank)) << 32) | UInt64(UInt32(bitPattern: result))
        count += 1
    }

    /// The rank and result of the rule merging `left` and `right`, if there is one.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let k = MergeTable.key(left, right)
        return keys.withUnsafeBufferPointer { kb -> (rank: Int32, result: Int32)? in
            var i = slot(k)
            while true {
                let stored = kb[i]
                if stored == k {
                    let v = values[i]
                    return (Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v))
                }
                if stored == MergeTable.emptyKey { return nil }
                i = (i + 1) & mask
            }
        }
    }
}
