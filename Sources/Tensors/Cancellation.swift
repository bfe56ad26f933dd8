/// Cooperative cancellation of long computations (Ctrl-C in the REPL).
///
/// A host (the Lua REPL) installs a check that reports whether the user asked to stop; long
/// loops (blocks of a forward pass, optimisation steps, statistics collection) call
/// `Cancellation.check()`, which throws `InterruptedError` when the flag is up. With no
/// check installed it costs one load and a branch.
public enum Cancellation {
    nonisolated(unsafe) private static var probe: (@Sendable () -> Bool)?

    /// Installs (or, with nil, removes) the function that reports an interruption request.
    public static func install(_ check: (@Sendable () -> Bool)?) { probe = check }

    /// Throws `InterruptedError` if an interruption was requested.
    public static func check() throws {
        if let probe, probe() { throw InterruptedError() }
    }

    /// Whether an interruption was requested (without throwing).
    public static var isRequested: Bool { probe?() ?? false }
}

/// Thrown by `Cancellation.check()` when the user interrupted a computation.
public struct InterruptedError: Error, CustomStringConvertible, Equatable {
    public init() {}
    public var description: String { "interrupted" }
}
