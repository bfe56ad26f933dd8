import Foundation

/// Summarised printing in the style of torch7: the values (long dimensions elided with `...`)
/// followed by a footer such as `[Tensor f32 12x576]`.
extension Tensor: CustomStringConvertible {
    /// The footer alone, e.g. `[Tensor f32 12x576]`.
    public var summary: String { "[Tensor \(dtype.shortName) \(shapeString(shape))]" }

    public var description: String { formatted(edgeItems: 3, threshold: 1000) }

    /// The values with at most `edgeItems` shown at each end of any dimension longer than
    /// `2 · edgeItems` (only when the tensor has more than `threshold` elements), then the footer.
    public func formatted(edgeItems: Int = 3, threshold: Int = 1000) -> String {
        let summarise = count > threshold
        let c = contiguous()
        let vals = c.doubles()
        func fmt(_ x: Double) -> String {
            if x.isNaN { return "nan" }
            if x.isInfinite { return x > 0 ? "inf" : "-inf" }
            let a = Swift.abs(x)
            if x == x.rounded() && a < 1e7 { return String(Int(x)) }
            if a != 0 && (a < 1e-4 || a >= 1e6) {
                return String(format: "%.4e", x)
            }
            return String(format: "%.4f", x)
        }
        if rank == 0 { return (vals.first.map(fmt) ?? "") + "\n" + summary }
        if count == 0 { return "[]\n" + summary }
        // Indices shown along each dimension.
        func shown(_ d: Int) -> [Int?] {
            let n = shape[d]
            if summarise && n > 2 * edgeItems {
                return Array(0..<edgeItems).map { Optional($0) } + [nil] + Array((n - edgeItems)..<n).map { Optional($0) }
            }
            return Array(0..<n).map { Optional($0) }
        }
        var lines: [String] = []
        let cst = Tensor.contiguousStrides(shape)
        func matrixLines(prefixOffset: Int, rowDim: Int) {
            let rows: [Int?] = rowDim < 0 ? [0] : shown(rowDim)
            let cols = shown(rank - 1)
            for r in rows {
                guard let r else { lines.append("..."); continue }
                let base = prefixOffset + (rowDim < 0 ? 0 : r * cst[rowDim])
                let cells = cols.map { c -> String in
                    guard let c else { return "..." }
                    return fmt(vals[base + c * cst[rank - 1]])
                }
                lines.append(cells.joined(separator: "  "))
            }
        }
        if rank <= 2 {
            matrixLines(prefixOffset: 0, rowDim: rank == 2 ? 0 : -1)
        } else {
            // Iterate over the leading dimensions, printing a (i,j,.,.) header per matrix.
            let lead = Array(shape.dropLast(2))
            var idx = [Int?](repeating: 0, count: lead.count)
            let shownLead = (0..<lead.count).map { shown($0) }
            var pos = [Int](repeating: 0, count: lead.count)
            while true {
                idx = (0..<lead.count).map { shownLead[$0][pos[$0]] }
                if idx.contains(where: { $0 == nil }) {
                    if lines.last != "..." { lines.append("...") }
                } else {
                    let ii = idx.compactMap { $0 }
                    lines.append("(" + ii.map { String($0 + 1) }.joined(separator: ",") + ",.,.) = ")
                    let off = zip(ii, cst).map { $0 * $1 }.reduce(0, +)
                    matrixLines(prefixOffset: off, rowDim: rank - 2)
                    lines.append("")
                }
                var d = lead.count - 1
                while d >= 0 {
                    pos[d] += 1
                    if pos[d] < shownLead[d].count { break }
                    pos[d] = 0
                    d -= 1
                }
                if d < 0 { break }
            }
        }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }
}
