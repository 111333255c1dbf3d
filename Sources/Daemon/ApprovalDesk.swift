import Definitions
import Foundation
import Scheduling

/// An execution waiting for a human decision.
struct PendingApproval {
    var record: ExecutionRecord
    var file: ApprovalFile
    var requestEnvironment: [String: String]
}

/// The executions awaiting approval (SPEC section 5) and their request files: the one
/// owner of both. Who may decide is `ApprovalAuthority`'s rule; the daemon checks a
/// marker's owner, then tells the desk what was decided.
///
/// Invariants: an execution is pending here from its `awaiting_approval` record until
/// it is decided, expires or is canceled, and never again after; a refused marker is
/// listed once in its file however often it is seen.
struct ApprovalDesk {
    private var pending: [ExecutionID: PendingApproval] = [:]

    subscript(id: ExecutionID) -> PendingApproval? { pending[id] }

    func contains(_ id: ExecutionID) -> Bool { pending[id] != nil }

    var count: Int { pending.count }

    mutating func open(_ approval: PendingApproval) {
        pending[approval.record.id] = approval
    }

    /// Notes a refused marker; returns the file to write when the refusal is new.
    mutating func refuse(_ id: ExecutionID, _ refusal: ApprovalFile.Refusal) -> ApprovalFile? {
        guard var approval = pending[id],
              !approval.file.refusals.contains(where: { $0.file == refusal.file && $0.owner == refusal.owner }) else { return nil }
        approval.file.refusals.append(refusal)
        pending[id] = approval
        return approval.file
    }

    /// A decision by an authorized person: the approval leaves the desk, its file says so.
    mutating func decide(_ id: ExecutionID, approved: Bool, by owner: String, comment: String?, at now: Date) -> PendingApproval? {
        guard var approval = pending.removeValue(forKey: id) else { return nil }
        approval.file.state = approved ? "approved" : "rejected"
        approval.file.decidedBy = owner
        approval.file.decidedAt = now
        approval.file.comment = comment
        return approval
    }

    /// Ends an approval without a decision (expiry, cancel, removed job); its file gets `state`.
    mutating func end(_ id: ExecutionID, state: String, at now: Date) -> PendingApproval? {
        guard var approval = pending.removeValue(forKey: id) else { return nil }
        approval.file.state = state
        approval.file.decidedAt = now
        return approval
    }

    /// Pending approvals past their timeout at `now`.
    func expired(now: Date) -> [ExecutionID] {
        pending.filter { $0.value.file.expiresAt.map { $0 <= now } ?? false }.map(\.key).sorted()
    }

    var nextExpiry: Date? { pending.values.compactMap(\.file.expiresAt).min() }

    func ids(of job: JobID) -> [ExecutionID] {
        pending.values.filter { $0.record.job == job.rawValue }.map(\.record.id).sorted()
    }

    /// The pending executions whose occurrence is one of `occurrences`.
    func ids(of occurrences: Set<OccurrenceKey>) -> [ExecutionID] {
        pending.values.filter { occurrences.contains($0.record.occurrence) }.map(\.record.id).sorted()
    }
}
