import Scheduling

extension RunOutcome {
    /// The payload for `ExecutionEvent.finish`; `logPath` is the record's `output.log`
    /// (relative to the state directory).
    package func runResult(logPath: String) -> RunResult {
        let termination: RunResult.Termination = switch self.termination {
        case .exited(let code): .exited(code: code)
        case .signaled(let signal): .signaled(signal: signal)
        case .spawnFailed(let failure): .spawnFailed(ExecutionFailure(kind: failure.kind, message: failure.message))
        }
        let stop: RunResult.StopCause? = switch stoppedBy {
        case .timedOut: .timeout
        case .canceled: .cancel
        case nil: nil
        }
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return RunResult(termination: termination, stoppedBy: stop, durationMilliseconds: ms,
                         output: OutputSummary(log: logPath, bytes: output.bytes, truncated: output.truncated || output.logError != nil, tail: output.tail,
                                               truncatedReason: output.logError.map { "the log could not be written (\($0)); the run went on" }),
                         resourceUsage: resourceUsage, limitReached: limitReached)
    }
}
