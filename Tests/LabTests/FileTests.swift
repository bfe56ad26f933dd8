import Foundation
@testable import Lab
import Testing

/// Atomic writes, SHA-256, the metric log's files and the SVG plot.
@Suite("run files")
struct FileTests {
    /// A write replaces the file completely and leaves no temporary file; a crash before the
    /// rename leaves the old file as it was.
    @Test func atomicWrites() throws {
        let dir = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f.json"
        try AtomicFile.write(Data("first version, longer than the second".utf8), to: path)
        try AtomicFile.write(Data("second".utf8), to: path)
        #expect(String(decoding: LabFixtures.bytes(path), as: UTF8.self) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f.json"], "no temporary file left")
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try AtomicFile.write(Data("third".utf8), to: path, beforeRename: { throw Crash() })
        }
        #expect(String(decoding: LabFixtures.bytes(path), as: UTF8.self) == "second", "the old content survives a crash before the rename")
        #expect(!FileManager.default.fileExists(atPath: AtomicFile.temporaryPath(for: path)), "a failed write removes its temporary file")
        #expect(AtomicFile.isTemporary((AtomicFile.temporaryPath(for: path) as NSString).lastPathComponent))
        do {
            try AtomicFile.write(Data("x".utf8), to: dir + "/missing/f.json")
            Issue.record("writing into a missing directory succeeded")
        } catch let e as LabError {
            #expect("\(e)".contains("missing/.f.json.tmp") && "\(e)".contains("cannot create"), "\(e)")
        }
    }

    /// FIPS 180-4 test vectors, including input split across blocks.
    @Test func sha256() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var pieces = SHA256()
        var i = 0
        for n in [1, 63, 64, 65, 127, 1000, 200_000] {
            pieces.update(million.subdata(in: i..<(i + n)))
            i += n
        }
        pieces.update(million.subdata(in: i..<million.count))
        #expect(pieces.finalize().map { String(format: "%02x", $0) }.joined() == SHA256.hex(million))
    }

    /// The CSV gets a column for every key: a row with a new key rewrites it; a reset rebuilds
    /// the same bytes from metrics.jsonl; a replay compares instead of writing.
    @Test func metricLogFiles() throws {
        let dir = try LabFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var warnings: [String] = []
        let log = try MetricLog(directory: dir) { warnings.append($0) }
        try log.reset(to: .empty)
        try log.append(try MetricRow(["edit": .int(0), "note": .string("start")]))
        try log.append(try MetricRow(["edit": .int(1), "norm": .double(0.5)]))
        let s1 = log.state
        try log.append(try MetricRow(["edit": .int(2), "norm": .double(0.25), "kl": .double(1e-3)]))
        try log.sync()
        let csv = String(decoding: LabFixtures.bytes(dir + "/metrics.csv"), as: UTF8.self)
        #expect(csv == "edit,kl,norm,note\n0,,,start\n1,,0.5,\n2,0.001,0.25,\n")
        #expect(log.state.columns == ["edit", "kl", "norm", "note"])
        #expect(log.state.lines == 3 && log.state.csvBytes == csv.utf8.count)
        let jsonl = String(decoding: LabFixtures.bytes(dir + "/metrics.jsonl"), as: UTF8.self)
        #expect(jsonl == "{\"edit\":0,\"note\":\"start\"}\n{\"edit\":1,\"norm\":0.5}\n{\"edit\":2,\"kl\":0.001,\"norm\":0.25}\n")
        #expect(log.state.jsonlBytes == jsonl.utf8.count)
        // back to the state after two rows: both files as they were then
        try log.reset(to: s1)
        #expect(String(decoding: LabFixtures.bytes(dir + "/metrics.csv"), as: UTF8.self) == "edit,norm,note\n0,,start\n1,0.5,\n")
        #expect(log.state == s1)
        // a replay compares rows with the file and writes nothing
        log.beginReplay()
        #expect(log.isReplaying)
        try log.append(try MetricRow(["edit": .int(0), "note": .string("start")]))
        try log.append(try MetricRow(["edit": .int(1), "norm": .double(0.75)]))
        #expect(!log.isReplaying)
        #expect(warnings.count == 1 && warnings[0].contains("metric row 2 differs"), "\(warnings)")
        log.endReplay()
        try log.append(try MetricRow(["edit": .int(2), "norm": .double(0.25), "kl": .double(1e-3)]))
        #expect(String(decoding: LabFixtures.bytes(dir + "/metrics.jsonl"), as: UTF8.self) == jsonl, "the same rows give the same bytes")
        #expect(String(decoding: LabFixtures.bytes(dir + "/metrics.csv"), as: UTF8.self) == csv)
        // a state the file cannot hold is refused
        #expect(!log.holds(MetricLogState(lines: 9, jsonlBytes: 10_000, csvBytes: 0, columns: [])))
        #expect(throws: LabError.self) { try log.reset(to: MetricLogState(lines: 9, jsonlBytes: 10_000, csvBytes: 0, columns: [])) }
        log.close()
        #expect(throws: LabError.self) { try log.append(try MetricRow(["edit": .int(3)])) }
    }

    /// The progress line: rate and ETA, redrawn in place, cleared around other output and at
    /// the end; nothing at all when disabled (stderr not a terminal).
    @Test func progressLine() {
        final class Sink { var text = "" }
        let sink = Sink()
        let p = ProgressLine(label: "run", enabled: true) { sink.text += $0 }
        let status = ProgressLine.status(label: "run", batch: 3, total: 10, edits: 20, totalEdits: 100, rate: 2)
        #expect(status == "run  batch 3/10  edits done 20/100  2.00 edits/s  ETA 40s")
        #expect(ProgressLine.status(label: "r", batch: 1, total: 2, edits: 0, totalEdits: 4, rate: nil) == "r  batch 1/2  edits done 0/4")
        p.show(status)
        p.interrupting { sink.text += "row\n" }
        p.finish()
        #expect(sink.text == "\r\u{1b}[2K" + status + "\r\u{1b}[2K" + "row\n" + status + "\r\u{1b}[2K")
        #expect(ProgressLine.duration(59.4) == "59s" && ProgressLine.duration(125) == "2m05s" && ProgressLine.duration(3720) == "1h02m")
        let quiet = Sink()
        let q = ProgressLine(label: "run", enabled: false) { quiet.text += $0 }
        q.show(status)
        q.interrupting { quiet.text += "row\n" }
        q.finish()
        #expect(quiet.text == "row\n")
    }

    /// The SVG has the axes, round ticks, one line per key with the right points, a legend,
    /// and escaped text; missing data is an error naming what was logged.
    @Test func svgPlot() throws {
        var rows: [MetricRow] = []
        for i in 0...10 {
            var f: [String: MetricValue] = ["edit": .int(i * 10), "norm": .double(1 + Double(i) / 10)]
            if i != 5 { f["a<b"] = .double(Double(i)) }
            rows.append(try MetricRow(f))
        }
        let svg = try SVGPlot.render(rows: rows, options: PlotOptions(x: "edit", y: ["norm", "a<b"], title: "T & t"))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains(">T &amp; t</text>") && svg.contains(">a&lt;b</text>") && svg.contains(">norm</text>"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 3, "norm is one line, a<b is broken in two at edit 50")
        for tick in ["0", "20", "40", "60", "80", "100"] { #expect(svg.contains(">\(tick)</text>"), "x tick \(tick)") }
        // the first point of norm (edit 0, 1.0) is at the left edge; the last (100, 2.0) right
        let x0 = 78.0, x1 = 720.0 - 20
        #expect(svg.contains(String(format: "points=\"%.2f,", x0)))
        #expect(svg.contains(String(format: "%.2f,", x1)))
        #expect(try SVGPlot.render(rows: rows, options: PlotOptions(x: "edit", y: ["norm", "a<b"], title: "T & t")) == svg, "deterministic")
        #expect(throws: LabError.self) { try SVGPlot.render(rows: rows, options: PlotOptions(x: "edit", y: ["missing"])) }
        let partial = try SVGPlot.render(rows: rows, options: PlotOptions(x: "edit", y: ["norm", "missing"]))
        #expect(partial.contains(">missing (no data)</text>") && partial.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(throws: LabError.self) { try SVGPlot.render(rows: rows, options: PlotOptions(x: "nope", y: ["norm"])) }
        #expect(throws: LabError.self) { try SVGPlot.render(rows: rows, options: PlotOptions(x: "edit", y: [])) }
        // ticks: round steps covering the data
        let (t, lo, hi) = SVGPlot.ticks([0.013, 0.087])
        #expect(lo <= 0.013 && hi >= 0.087 && t.count >= 4 && t.count <= 11)
        #expect(SVGPlot.label(t[1], step: t[1] - t[0]) == String(format: "%.2f", t[1]))
        let (c, clo, chi) = SVGPlot.ticks([5, 5])
        #expect(clo < 5 && chi > 5 && c.count >= 2, "a constant series gets a range around it")
    }
}
