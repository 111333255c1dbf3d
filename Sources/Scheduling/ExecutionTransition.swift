import Cron
import Foundation

/// An event that is not allowed in the record's current state.
package struct TransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    package var execution: ExecutionID
    package var state: ExecutionState
    package var event: String

    package var description: String {
        "execution \(execution): event `\(event)` is not allowed in state `\(state.rawValue)`"
            + (state.isTerminal ? " (terminal records never change)" : "")
    }
}

/// The one function every state change of an execution goes through. Pure: `now` is
/// the wall-clock time of the event. Illegal pairs throw; a terminal record never changes.
package func transition(_ record: ExecutionRecord, _ event: ExecutionEvent, at now: Date) throws(TransitionError) -> ExecutionRecord {
    var r = record
    let refuse = TransitionError(execution: record.id, state: record.state, event: event.name)
    switch (record.state, event) {
    case (.queued, .requestApproval(let expiresAt)):
        r.state = .awaitingApproval
        r.approval = ApprovalSummary(state: .pending, requestedAt: now, expiresAt: expiresAt)

    case (.awaitingApproval, .approve(let by, let comment)):
        r.state = .queued
        r.approval = decided(record.approval, .approved, by: by, comment: comment, at: now)

    case (.awaitingApproval, .reject(let by, let comment)):
        r.approval = decided(record.approval, .rejected, by: by, comment: comment, at: now)
        end(&r, .rejected, ExecutionFailure(kind: "rejected", message: "rejected by \(by)"), at: now)

    case (.awaitingApproval, .expire):
        r.approval = decided(record.approval, .expired, by: nil, comment: nil, at: now)
        end(&r, .expired, ExecutionFailure(kind: "expired", message: "no approval decision before it expired"), at: now)

    case (.queued, .start):
        r.state = .running
        r.startedAt = now

    case (.running, .processStarted(let pid, let startTime)) where record.pid == nil:
        r.pid = pid
        r.pidStartTime = startTime

    case (.running, .finish(let result)):
        finish(&r, result, at: now)

    case (.queued, .cancel(let reason)), (.awaitingApproval, .cancel(let reason)):
        if record.state == .awaitingApproval {
            r.approval = decided(record.approval, .rejected, by: nil, comment: reason, at: now)
        }
        end(&r, .canceled, ExecutionFailure(kind: "canceled", message: reason), at: now)

    case (.queued, .skip(let kind, let message)):
        end(&r, .skipped, ExecutionFailure(kind: kind, message: message), at: now)

    case (.running, .interrupt(let message)):
        end(&r, .interrupted, ExecutionFailure(kind: "interrupted", message: message), at: now)

    default:
        throw refuse
    }
    return r
}

private func end(_ r: inout ExecutionRecord, _ state: ExecutionState, _ failure: ExecutionFailure?, at now: Date) {
    r.state = state
    r.error = failure
    r.finishedAt = now
    if let started = r.startedAt {
        r.durationMilliseconds = max(0, Timestamp.milliseconds(now) - Timestamp.milliseconds(started))
    }
}

private func decided(_ approval: ApprovalSummary?, _ decision: ApprovalSummary.Decision, by: String?,
                     comment: String?, at now: Date) -> ApprovalSummary {
    var a = approval ?? ApprovalSummary(state: .pending, requestedAt: now, expiresAt: nil)
    a.state = decision
    a.decidedBy = by
    a.decidedAt = now
    a.comment = comment
    return a
}

private func finish(_ r: inout ExecutionRecord, _ result: RunResult, at now: Date) {
    var state: ExecutionState
    var failure: ExecutionFailure?
    switch result.termination {
    case .exited(let code):
        r.exitCode = code
        state = code == 0 ? .succeeded : .failed
        failure = code == 0 ? nil : ExecutionFailure(kind: "exit_status", message: "exited with status \(code)")
    case .signaled(let signal):
        r.signal = signal
        state = .failed
        failure = result.limitReached ?? ExecutionFailure(kind: "signal", message: "killed by signal \(signal)")
    case .spawnFailed(let spawnFailure):
        state = .failed
        failure = spawnFailure
    }
    switch result.stoppedBy {
    case .timeout:
        state = .timedOut
        failure = ExecutionFailure(kind: "timeout", message: "timed out; its process group was terminated")
    case .cancel:
        state = .canceled
        failure = ExecutionFailure(kind: "canceled", message: "canceled; its process group was terminated")
    case nil:
        break
    }
    end(&r, state, failure, at: now)
    if let ms = result.durationMilliseconds { r.durationMilliseconds = ms }
    r.output = result.output ?? r.output
    r.resourceUsage = result.resourceUsage
}
