import Foundation

/// What to plot: one x key and one or more y keys of logged metrics.
public struct PlotOptions: Sendable {
    /// The key on the horizontal axis (e.g. `edit`).
    public var x: String
    /// The keys drawn as lines (e.g. `norm`, `shift.cka`).
    public var y: [String]
    /// The title (default: the y keys against x).
    public var title: String?
    /// Width in pixels.
    public var width: Int = 720
    /// Height in pixels.
    public var height: Int = 440

    /// Options for `y` against `x`.
    public init(x: String, y: [String], title: String? = nil) {
        self.x = x
        self.y = y
        self.title = title
    }
}

/// A small, dependency-free SVG line plot of logged metrics: linear axes with round ticks and
/// grid lines, one coloured line (with point markers when there are few points) per y key, a
/// legend and a title. Points are joined in the order they were logged; a row that has x but
/// not a finite y breaks that line; a key with no values at all is only in the legend, marked
/// "(no data)". The same rows give the same bytes.
public enum SVGPlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The SVG document for `rows`.
    public static func render(rows: [MetricRow], options o: PlotOptions) throws -> String {
        guard !o.y.isEmpty else { throw LabError.plot("nothing to plot: give at least one y key") }
        guard o.width >= 200, o.height >= 150 else { throw LabError.plot("the plot must be at least 200 x 150 pixels") }
        let logged = Set(rows.flatMap(\.keys))
        func known() -> String { logged.sorted(by: MetricKey.precedes).prefix(30).joined(separator: ", ") }
        guard rows.contains(where: { $0[o.x]?.number != nil }) else {
            throw LabError.plot("no numeric values of '\(o.x)' in the metrics (logged: \(known()))")
        }
        // segments per series: runs of consecutive rows with finite x and y
        var series: [[[(Double, Double)]]] = []
        for key in o.y {
            var segments: [[(Double, Double)]] = [], current: [(Double, Double)] = []
            for r in rows {
                guard let x = r[o.x]?.number else { continue }
                if let y = r[key]?.number {
                    current.append((x, y))
                } else if !current.isEmpty {
                    segments.append(current)
                    current = []
                }
            }
            if !current.isEmpty { segments.append(current) }
            series.append(segments)
        }
        let points = series.flatMap { $0.flatMap { $0 } }
        guard !points.isEmpty else {
            throw LabError.plot("no numeric values of \(o.y.map { "'\($0)'" }.joined(separator: ", ")) with a numeric '\(o.x)' (logged: \(known()))")
        }
        let (xTicks, xLo, xHi) = ticks(points.map(\.0))
        let (yTicks, yLo, yHi) = ticks(points.map(\.1))
        let left = 78.0, right = Double(o.width) - 20, top = 44.0, bottom = Double(o.height) - 52
        func sx(_ x: Double) -> Double { left + (x - xLo) / (xHi - xLo) * (right - left) }
        func sy(_ y: Double) -> Double { bottom - (y - yLo) / (yHi - yLo) * (bottom - top) }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(o.width)\" height=\"\(o.height)\" viewBox=\"0 0 \(o.width) \(o.height)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let title = o.title ?? (o.y.joined(separator: ", ") + " vs " + o.x)
        s += "<text x=\"\(f(Double(o.width) / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(xml(title))</text>\n"
        // grid and tick labels
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1, yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for t in xTicks {
            let x = sx(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(bottom))\" stroke=\"#e4e4e4\"/>\n"
            s += "<line x1=\"\(f(x))\" y1=\"\(f(bottom))\" x2=\"\(f(x))\" y2=\"\(f(bottom + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(x))\" y=\"\(f(bottom + 19))\" text-anchor=\"middle\">\(label(t, step: xStep))</text>\n"
        }
        for t in yTicks {
            let y = sy(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#e4e4e4\"/>\n"
            s += "<line x1=\"\(f(left - 5))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label(t, step: yStep))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(Double(o.height) - 12))\" text-anchor=\"middle\">\(xml(o.x))</text>\n"
        if o.y.count == 1 {
            s += "<text transform=\"translate(16,\(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(xml(o.y[0]))</text>\n"
        }
        // lines
        for (i, segments) in series.enumerated() {
            let color = palette[i % palette.count]
            let count = segments.reduce(0) { $0 + $1.count }
            for seg in segments {
                if seg.count > 1 {
                    let pts = seg.map { "\(f(sx($0.0))),\(f(sy($0.1)))" }.joined(separator: " ")
                    s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(pts)\"/>\n"
                }
                if count <= 200 || seg.count == 1 {
                    for p in seg { s += "<circle cx=\"\(f(sx(p.0)))\" cy=\"\(f(sy(p.1)))\" r=\"2.5\" fill=\"\(color)\"/>\n" }
                }
            }
        }
        // legend (top right, inside the axes)
        let labels = o.y.enumerated().map { series[$0.offset].isEmpty ? $0.element + " (no data)" : $0.element }
        let longest = labels.map(\.count).max() ?? 0
        let boxWidth = Double(longest) * 7 + 42, boxHeight = Double(o.y.count) * 18 + 8
        let bx = right - boxWidth - 8, by = top + 8
        s += "<rect x=\"\(f(bx))\" y=\"\(f(by))\" width=\"\(f(boxWidth))\" height=\"\(f(boxHeight))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999999\"/>\n"
        for (i, key) in labels.enumerated() {
            let y = by + 15 + Double(i) * 18
            let color = palette[i % palette.count]
            s += "<line x1=\"\(f(bx + 8))\" y1=\"\(f(y - 4))\" x2=\"\(f(bx + 28))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n"
            s += "<text x=\"\(f(bx + 34))\" y=\"\(f(y))\">\(xml(key))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// Round ticks (steps of 1, 2 or 5 × 10^k, about six of them) covering `values`, and the
    /// axis range they span.
    static func ticks(_ values: [Double]) -> ([Double], Double, Double) {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if hi - lo <= abs(hi) * 1e-12 || hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / 5
        let e = (log10(raw)).rounded(.down)
        let base = pow(10, e)
        let m = raw / base
        let step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * base
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return (ticks, first * step, last * step)
    }

    /// A tick label: as many decimals as the step needs, scientific for very large or small values.
    static func label(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int(-(log10(step)).rounded(.down)))
        let s: String
        if decimals > 4 || max(abs(v), step) >= 1e6 {
            s = String(format: "%.3g", v)
        } else {
            s = String(format: "%.\(decimals)f", v)
        }
        if Double(s) == 0 { return "0" }
        return s
    }

    /// Text escaped for XML.
    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
