import Datasets
import Foundation

/// A run's batch loop (from `Run.loop`): `next()` hands out the batches in order, 1-based.
/// Calling `next()` again means the previous batch is finished: the loop then checkpoints when
/// `checkpoint_every` batches are finished, and after the last one.
public final class BatchLoop {
    /// The run (the loop holds it weakly: keep the run while iterating).
    public private(set) weak var run: Run?
    /// All the requests, in order.
    public let requests: [EditRequest]
    /// Requests per batch.
    public let batchSize: Int
    /// Number of batches.
    public let batchCount: Int
    /// Batches finished (including those restored from a checkpoint).
    public private(set) var finished: Int
    /// Whether a batch has been handed out and not yet finished.
    public private(set) var isInsideBatch = false
    /// The progress line on stderr.
    public let progress: ProgressLine
    private let started = Date()
    private let startFinished: Int

    init(run: Run, requests: [EditRequest], batchSize: Int, finished: Int, progress: ProgressLine) {
        self.run = run
        self.requests = requests
        self.batchSize = batchSize
        self.batchCount = (requests.count + batchSize - 1) / batchSize
        self.finished = finished
        self.startFinished = finished
        self.progress = progress
    }

    /// Finishes the batch handed out last (checkpointing when due), then returns the next one
    /// — its 1-based number and its requests — or nil when the loop is done.
    public func next() throws -> (index: Int, requests: [EditRequest])? {
        guard let run else { throw LabError.invalidOption("the run of this loop no longer exists (keep the run while iterating)") }
        try run.ensureOpen()
        if isInsideBatch {
            finished += 1
            isInsideBatch = false
            if finished % run.options.checkpointEvery == 0 || finished == batchCount {
                do {
                    try run.checkpoint(batch: finished, batches: batchCount)
                } catch {
                    // the batch stays unfinished, so calling next() again retries the checkpoint
                    finished -= 1
                    isInsideBatch = true
                    throw error
                }
            }
        }
        guard finished < batchCount else {
            progress.finish()
            return nil
        }
        let lo = finished * batchSize, hi = min(lo + batchSize, requests.count)
        isInsideBatch = true
        showProgress()
        return (finished + 1, Array(requests[lo..<hi]))
    }

    /// Edits finished so far (all batches before `finished`).
    public var editsFinished: Int { min(finished * batchSize, requests.count) }

    private func showProgress() {
        guard progress.isEnabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let done = editsFinished - min(startFinished * batchSize, requests.count)
        let rate = done > 0 && elapsed > 0 ? Double(done) / elapsed : nil
        progress.show(ProgressLine.status(label: run?.name ?? "run", batch: finished + 1, total: batchCount, edits: editsFinished,
                                          totalEdits: requests.count, rate: rate))
    }
}
