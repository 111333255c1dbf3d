import Foundation

/// Everything that can happen to an execution; fed to `transition(_:_:at:)`.
package enum ExecutionEvent: Hashable, Sendable {
    /// queued → awaiting_approval.
    case requestApproval(expiresAt: Date?)
    /// awaiting_approval → queued (then started like any queued run).
    case approve(by: String, comment: String?)
    /// awaiting_approval → rejected.
    case reject(by: String, comment: String?)
    /// awaiting_approval → expired (the approval timed out).
    case expire
    /// queued → running; written durably before the process is spawned.
    case start
    /// running → running, once: records the spawned process.
    case processStarted(pid: Int32, startTime: UInt64?)
    /// running → succeeded, failed, timed_out or canceled.
    case finish(RunResult)
    /// queued or awaiting_approval → canceled. A running execution is canceled by
    /// ending its process, then `finish` with `stoppedBy: .cancel`.
    case cancel(reason: String)
    /// queued → skipped; `kind` says which rule (`overlap`, `pool`, `deadline`).
    case skip(kind: String, message: String)
    /// running → interrupted: the daemon died while it ran and its fate is unknown.
    case interrupt(message: String)

    /// The event's name, for errors and logs.
    package var name: String {
        switch self {
        case .requestApproval: "request_approval"
        case .approve: "approve"
        case .reject: "reject"
        case .expire: "expire"
        case .start: "start"
        case .processStarted: "process_started"
        case .finish: "finish"
        case .cancel: "cancel"
        case .skip: "skip"
        case .interrupt: "interrupt"
        }
    }
}
