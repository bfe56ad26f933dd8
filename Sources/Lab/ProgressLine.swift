import Foundation

/// A one-line status on stderr for long loops (`name  batch 13/50  edits done 120/500
/// 3.10 edits/s  ETA 2m03s`), redrawn in place with a carriage return. Silent unless enabled (by default
/// when stderr is a terminal). Other output to the same terminal should go through
/// `interrupting(_:)` so the status line is cleared first and redrawn after.
public final class ProgressLine {
    /// Whether anything is drawn.
    public let isEnabled: Bool
    private let label: String
    private var text = ""
    private var shown = false
    private let write: (String) -> Void

    /// A status line labelled `label`; `enabled` defaults to whether stderr is a terminal.
    /// `write` receives the bytes to show (default: stderr).
    public init(label: String, enabled: Bool = isatty(2) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.isEnabled = enabled
        self.write = write
    }

    /// The text for a loop working on batch `batch` of `total`, with `edits` of `totalEdits`
    /// edits done, at `rate` edits per second so far (nil before a batch of this session
    /// finished).
    public static func status(label: String, batch: Int, total: Int, edits: Int, totalEdits: Int, rate: Double?) -> String {
        var s = "\(label)  batch \(batch)/\(total)  edits done \(edits)/\(totalEdits)"
        if let r = rate, r > 0, r.isFinite {
            s += String(format: "  %.2f edits/s", r)
            s += "  ETA " + duration(Double(totalEdits - edits) / r)
        }
        return s
    }

    /// `45s`, `2m03s`, `1h02m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// Shows `status` (replacing what was shown).
    public func show(_ status: String) {
        guard isEnabled else { return }
        text = status
        write("\r\u{1b}[2K" + status)
        shown = true
    }

    /// Clears the line and stops showing it.
    public func finish() {
        guard isEnabled, shown else { return }
        write("\r\u{1b}[2K")
        shown = false
        text = ""
    }

    /// Runs `body` (which writes to the terminal) with the status line cleared, then redraws it.
    public func interrupting(_ body: () -> Void) {
        guard isEnabled, shown else { body(); return }
        write("\r\u{1b}[2K")
        body()
        write(text)
    }
}
