import Cron
import Foundation
import Scheduling

/// `approvals/<execution-id>.json`, the daemon's approval request and its decision
/// (SPEC section 5), read leniently: only the keys the verbs need.
struct ApprovalRequest {
    var id: ExecutionID
    var job: String?
    /// `pending`, `approved`, `rejected` or `expired`.
    var state: String
    var requestedAt: Date?
    var expiresAt: Date?
    var decidedBy: String?
    var decidedAt: Date?

    var isPending: Bool { state == "pending" }

    /// Nil when `bytes` is not a JSON object with a `state`.
    init?(id: ExecutionID, bytes: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
              let state = object["state"] as? String else { return nil }
        self.id = id
        self.state = state
        job = object["job"] as? String
        requestedAt = (object["requested_at"] as? String).flatMap(Timestamp.parse)
        expiresAt = (object["expires_at"] as? String).flatMap(Timestamp.parse)
        decidedBy = object["decided_by"] as? String
        decidedAt = (object["decided_at"] as? String).flatMap(Timestamp.parse)
    }

    /// `approved by alice at 2026-11-23T01:31:00.000Z`, for refusals.
    var decisionText: String {
        var text = state
        if let decidedBy { text += " by \(decidedBy)" }
        if let decidedAt { text += " at \(Timestamp.format(decidedAt))" }
        return text
    }
}
