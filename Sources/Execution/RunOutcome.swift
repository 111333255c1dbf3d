import Foundation
import Scheduling

/// How a run ended.
package struct RunOutcome: Sendable {
    package enum Termination: Hashable, Sendable {
        case exited(code: Int32)
        case signaled(signal: Int32)
        /// Nothing ran; nothing needs to be reaped.
        case spawnFailed(SpawnFailure)
    }

    package enum StopReason: String, Hashable, Sendable {
        case timedOut, canceled
    }

    package var termination: Termination
    /// Set when the runner ended the process itself (timeout or cancel).
    package var stoppedBy: StopReason?
    /// Nil when the spawn failed.
    package var process: StartedProcess?
    package var startedAt: Date
    package var finishedAt: Date
    /// Measured on the monotonic clock.
    package var duration: Duration
    /// CPU time and peak RSS of the main process (and the children it waited for), from
    /// `wait4`. posix_spawn starts the child on the daemon's address space (CLONE_VM), and
    /// the kernel carries that address space's peak into the child's `ru_maxrss` at exec:
    /// for commands smaller than the daemon, `maxRSSKiB` shows the daemon's peak instead.
    package var resourceUsage: ResourceUsage?
    package var output: CapturedOutput
    /// The main process left others behind in its process group; they were sent SIGTERM
    /// (then SIGKILL after the grace) when it exited.
    package var terminatedLeftovers: Bool
    /// A limit of the job's `limits` ended the command (`error.kind: limit`).
    package var limitReached: ExecutionFailure? = nil
}

/// What the run wrote, after the bound was applied.
package struct CapturedOutput: Hashable, Sendable {
    /// Total bytes the command wrote (not only those kept).
    package var bytes: Int64
    /// The log keeps only the head and tail halves, with a marker line between.
    package var truncated: Bool
    /// The last 4 KiB of output (invalid UTF-8 replaced).
    package var tail: String
    /// A write to the log failed (disk full, ...): output from then on was counted, not kept.
    package var logError: String?
}

extension RunOutcome {
    /// The outcome of a run whose process never started.
    package static func spawnFailed(_ failure: SpawnFailure, at now: Date = Date()) -> RunOutcome {
        RunOutcome(termination: .spawnFailed(failure), stoppedBy: failure.kind == SpawnFailure.canceled ? .canceled : nil,
                   process: nil, startedAt: now, finishedAt: now, duration: .zero, resourceUsage: nil,
                   output: CapturedOutput(bytes: 0, truncated: false, tail: "", logError: nil), terminatedLeftovers: false)
    }
}
