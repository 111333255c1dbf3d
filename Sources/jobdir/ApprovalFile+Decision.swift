import Cron
import Scheduling

// What the approve and reject verbs ask of `approvals/<execution-id>.json`.

extension ApprovalFile {
    var isPending: Bool { state == "pending" }

    /// The execution id, when the file names a valid one.
    var executionID: ExecutionID? { ExecutionID(rawValue: execution) }

    /// `approved by alice at 2026-11-23T01:31:00.000Z`, for refusals.
    var decisionText: String {
        var text = state
        if let decidedBy { text += " by \(decidedBy)" }
        if let decidedAt { text += " at \(Timestamp.format(decidedAt))" }
        return text
    }
}
