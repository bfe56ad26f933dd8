import Foundation

/// How to open a run (see `Run.open`).
public struct RunOptions {
    /// The run's name (its directory under `RunDirectory.root` unless `directory` is given).
    public var name: String?
    /// The run directory (default `${EDITLAB_HOME:-~/.cache/editlab}/runs/<name>`).
    public var directory: String?
    /// Continue the run in the directory from its last valid checkpoint, after checking that
    /// nothing that could change the results differs; a directory without a run starts fresh.
    public var resume = false
    /// Replace a run already in the directory (its manifest, metrics and checkpoints).
    public var overwrite = false
    /// Batches between checkpoints (a checkpoint is also written after the last batch).
    public var checkpointEvery = 10
    /// The seed of the run's random generator (`Run.random`).
    public var seed: UInt64 = 0
    /// Whether the loop shows a progress line on stderr (default: when stderr is a terminal).
    public var showProgress: Bool = isatty(2) != 0
    /// Where notices and warnings go (one message per call, without a newline; default: stderr
    /// as `lab: <message>`).
    public var report: (String) -> Void = { FileHandle.standardError.write(Data(("lab: " + $0 + "\n").utf8)) }

    /// Options with the defaults above.
    public init(name: String? = nil, directory: String? = nil) {
        self.name = name
        self.directory = directory
    }
}
