/// How a run ended, as the executor reports it; the payload of `ExecutionEvent.finish`.
package struct RunResult: Hashable, Sendable {
    package enum Termination: Hashable, Sendable {
        case exited(code: Int32)
        case signaled(signal: Int32)
        /// The process never started (missing binary, bad workdir, permission denied).
        case spawnFailed(ExecutionFailure)
    }

    /// Why the daemon ended the run itself, if it did.
    package enum StopCause: String, Hashable, Sendable {
        case timeout, cancel
    }

    package var termination: Termination
    package var stoppedBy: StopCause?
    /// Measured on a monotonic clock; when nil, `finished_at - started_at` is used.
    package var durationMilliseconds: Int64?
    package var output: OutputSummary?
    package var resourceUsage: ResourceUsage?
    /// The limit that ended the command, when the kernel lets the supervisor tell.
    package var limitReached: ExecutionFailure?

    package init(termination: Termination, stoppedBy: StopCause? = nil, durationMilliseconds: Int64? = nil,
                 output: OutputSummary? = nil, resourceUsage: ResourceUsage? = nil, limitReached: ExecutionFailure? = nil) {
        self.limitReached = limitReached
        self.termination = termination
        self.stoppedBy = stoppedBy
        self.durationMilliseconds = durationMilliseconds
        self.output = output
        self.resourceUsage = resourceUsage
    }
}
