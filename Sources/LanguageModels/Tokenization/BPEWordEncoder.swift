/// Byte-pair encoding of one pre-tokenized word: starting from one symbol per byte,
/// repeatedly merge the adjacent pair with the lowest rank (the leftmost one on ties),
/// exactly as HF `tokenizers` and llama.cpp do. Uses a doubly linked list of symbols and
/// a binary heap of candidate pairs, so a word of n bytes costs O(n log n).
enum BPEWordEncoder {
    private struct Candidate {
        /// `(rank << 32) | position`: ordering by it picks the lowest rank, then leftmost.
        var order: UInt64
        var left: Int32
        var right: Int32
        var result: Int32
    }

    /// Merges the symbol ids `initial` (one per byte) and returns the final symbol ids, in order.
    static func merge(_ initial: [Int32], _ merges: MergeTable) -> [Int32] {
        let n = initial.count
        if n < 2 { return initial }
        if n == 2 {
            if let m = merges.lookup(initial[0], initial[1]) { return [m.result] }
            return initial
        }
        var sym = initial
        var next = [Int32](repeating: -1, count: n)
        var prev = [Int32](repeating: -1, count: n)
        for i in 0..<n {
            next[i] = i + 1 < n ? Int32(i + 1) : -1
            prev[i] = Int32(i - 1)
        }
        var heap: [Candidate] = []
        heap.reserveCapacity(n)

        func push(_ pos: Int32) {
            let r = next[Int(pos)]
            guard r >= 0 else { return }
            let a = sym[Int(pos)], b = sym[Int(r)]
            guard let m = merges.lookup(a, b) else { return }
            let c = Candidate(order: (UInt64(UInt32(bitPattern: m.rank)) << 32) | UInt64(UInt32(pos)),
                              left: a, right: b, result: m.result)
            heap.append(c)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) >> 1
                if heap[parent].order <= heap[i].order { break }
                heap.swapAt(parent, i)
                i = parent
            }
        }

        func pop() -> Candidate? {
            guard let last = heap.popLast() else { return nil }
            if heap.isEmpty { return last }
            let top = heap[0]
            heap[0] = last
            var i = 0
            let count = heap.count
            while true {
                let l = 2 * i + 1
                if l >= count { break }
                var smallest = l
                let r = l + 1
                if r < count && heap[r].order < heap[l].order { smallest = r }
                if heap[i].order <= heap[smallest].order { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
            return top
        }

        for i in 0..<(n - 1) { push(Int32(i)) }

        while let c = pop() {
            let pos = Int(UInt32(truncatingIfNeeded: c.order))
            // Stale candidates: a side was merged away since the pair was queued.
            guard sym[pos] == c.left else { continue }
            let r = Int(next[pos])
            guard r >= 0, sym[r] == c.right else { continue }
            sym[pos] = c.result
            sym[r] = -1
            let rr = next[r]
            next[pos] = rr
            if rr >= 0 { prev[Int(rr)] = Int32(pos) }
            if prev[pos] >= 0 { push(prev[pos]) }
            push(Int32(pos))
        }

        var out: [Int32] = []
        var i: Int32 = 0
        while i >= 0 {
            out.append(sym[Int(i)])
            i = next[Int(i)]
        }
        return out
    }
}
