/// Iteration over the elements of up to three strided operands that share one shape
/// (the output and up to two inputs, after broadcasting).
///
/// Dimensions of size 1 are dropped and neighbouring dimensions that are contiguous in every
/// operand are merged, so a contiguous tensor of any shape becomes one long row. The body is
/// called once per innermost row with each operand's starting offset, the row length and each
/// operand's step along the row.
struct StridedLoop {
    let shape: [Int]
    let strides: [[Int]]

    /// Prepares a loop over `shape` with one stride array per operand.
    init(shape: [Int], strides: [[Int]]) {
        var s: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = s.indices.last,
               (0..<strides.count).allSatisfy({ st[$0][last] == strides[$0][d] * shape[d] }) {
                s[last] *= shape[d]
                for k in 0..<strides.count { st[k][last] = strides[k][d] }
            } else {
                s.append(shape[d])
                for k in 0..<strides.count { st[k].append(strides[k][d]) }
            }
        }
        if s.isEmpty {
            s = [1]
            for k in 0..<strides.count { st[k] = [0] }
        }
        self.shape = s
        self.strides = st
    }

    /// Number of elements visited.
    var count: Int { shape.reduce(1, *) }

    /// Calls `body(offsets, rowLength, rowSteps)` for every innermost row. `base` holds each
    /// operand's starting offset.
    func forEachRow(base: (Int, Int, Int),
                    _ body: (_ o0: Int, _ o1: Int, _ o2: Int, _ n: Int, _ s0: Int, _ s1: Int, _ s2: Int) -> Void) {
        if shape.contains(0) { return }
        let r = shape.count
        let n = shape[r - 1]
        let k = strides.count
        let s0 = strides[0][r - 1]
        let s1 = k > 1 ? strides[1][r - 1] : 0
        let s2 = k > 2 ? strides[2][r - 1] : 0
        if r == 1 {
            body(base.0, base.1, base.2, n, s0, s1, s2)
            return
        }
        var idx = [Int](repeating: 0, count: r - 1)
        var o = base
        while true {
            body(o.0, o.1, o.2, n, s0, s1, s2)
            // advance the outer index like an odometer
            var d = r - 2
            while d >= 0 {
                idx[d] += 1
                o.0 += strides[0][d]
                if k > 1 { o.1 += strides[1][d] }
                if k > 2 { o.2 += strides[2][d] }
                if idx[d] < shape[d] { break }
                o.0 -= strides[0][d] * shape[d]
                if k > 1 { o.1 -= strides[1][d] * shape[d] }
                if k > 2 { o.2 -= strides[2][d] * shape[d] }
                idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// The shape two shapes broadcast to (NumPy rules), or `nil` when they are incompatible.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

extension Tensor {
    /// Strides that present this tensor with shape `target` (which it must broadcast to):
    /// broadcast dimensions get stride 0.
    func broadcastStrides(to target: [Int], op: String) throws -> [Int] {
        let r = target.count
        guard rank <= r else {
            throw TensorError.shapeMismatch(op: op, detail: "cannot broadcast \(shapeString(shape)) to \(shapeString(target))")
        }
        var out = [Int](repeating: 0, count: r)
        for i in 0..<r {
            let j = i - (r - rank)
            if j < 0 { continue }
            if shape[j] == target[i] { out[i] = shape[j] == 1 ? 0 : strides[j] }
            else if shape[j] == 1 { out[i] = 0 }
            else {
                throw TensorError.shapeMismatch(op: op, detail: "cannot broadcast \(shapeString(shape)) to \(shapeString(target))")
            }
        }
        return out
    }
}
