import Foundation

/// What can go wrong with a run: its directory, its files, resuming it, its metrics and plots.
/// Every message names the run directory or file concerned and, where there is one, the way out.
public enum LabError: Error, CustomStringConvertible, Equatable {
    /// An option of `Run.open` or a call is not acceptable (what and why).
    case invalidOption(String)
    /// The directory already holds a run and neither resume nor overwrite was asked for.
    case runExists(directory: String)
    /// Another open run (in this process or another) holds the directory's lock.
    case locked(directory: String)
    /// Resuming was refused: the recorded run differs from this one (one line per difference).
    case cannotResume(directory: String, differences: [String])
    /// A file of the run could not be read, written, synced or renamed.
    case io(path: String, detail: String)
    /// `manifest.json` is not a manifest EditLab can read.
    case corruptManifest(path: String, detail: String)
    /// A metric row cannot be logged (a bad key or value).
    case badMetric(String)
    /// The run was closed; it cannot log or iterate any more.
    case closed(directory: String)
    /// A run has one batch loop; a second `each` was asked for.
    case loopAlreadyStarted(directory: String)
    /// A plot has nothing to draw or was asked for something that was not logged.
    case plot(String)

    /// The message.
    public var description: String {
        switch self {
        case .invalidOption(let s):
            return s
        case .runExists(let d):
            return "the run directory \(d) already holds a run; pass resume = true to continue it or overwrite = true to start it again"
        case .locked(let d):
            return "the run in \(d) is open elsewhere (another process, or a run object of this one not closed yet: run:close())"
        case .cannotResume(let d, let diffs):
            return "cannot resume the run in \(d): " + diffs.joined(separator: "; ")
                + " (start a new run with another name, or overwrite = true to replace this one)"
        case .io(let p, let detail):
            return "\(p): \(detail)"
        case .corruptManifest(let p, let detail):
            return "\(p) is not a readable run manifest: \(detail)"
        case .badMetric(let s):
            return s
        case .closed(let d):
            return "the run in \(d) is closed"
        case .loopAlreadyStarted(let d):
            return "the run in \(d) already has its batch loop (one run:each per run; open another run for another loop)"
        case .plot(let s):
            return s
        }
    }
}
