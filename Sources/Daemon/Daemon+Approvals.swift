import CLinux
import Cron
import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore
import Watching

/// Approval gates (SPEC section 5): the request file, markers people drop in
/// `approvals/`, who may decide (`ApprovalAuthority`), and expiry. The pending
/// approvals are `ApprovalDesk`'s.
extension Daemon {
    /// Puts a new occurrence of a gated job in `awaiting_approval`.
    func requestApproval(_ queued: ExecutionRecord, definition: JobDefinition, requestEnvironment: [String: String]) {
        guard let policy = definition.approval else { return }
        let now = Date()
        let expires = now.addingTimeInterval(Double(policy.timeout.milliseconds) / 1000)
        guard let record = try? transition(queued, .requestApproval(expiresAt: expires), at: now), persist(record) else { return }
        let file = ApprovalFile(execution: record.id.rawValue, job: record.job, command: record.command, requestedAt: now,
                                expiresAt: expires, approvers: policy.approvers, stateDirectory: configuration.stateDirectory)
        approvals.open(PendingApproval(record: record, file: file, requestEnvironment: requestEnvironment))
        writeApprovalFile(file)
        if let job = JobID(record.job) { results.update(job) { $0.noteAwaitingApproval(record.id.rawValue) } }
        log.event("awaiting_approval", ["job": record.job, "execution": record.id.rawValue, "expires_at": Timestamp.format(expires),
                                        "approve": "jobdir approve \(record.id.rawValue)"])
        for decision in ["approve", "reject"] {
            let marker = record.id.rawValue + "." + decision
            if access(store.layout.approvalsDirectory + "/" + marker, F_OK) == 0 { handleApprovalMarker(marker) }
        }
    }

    /// A `<execution-id>.approve` or `.reject` marker: check who dropped it, then decide.
    func handleApprovalMarker(_ name: String) {
        let approve = name.hasSuffix(".approve")
        guard approve || name.hasSuffix(".reject") else { return }
        let idText = String(name.dropLast(approve ? 8 : 7))
        let path = store.layout.approvalsDirectory + "/" + name
        guard let id = ExecutionID(rawValue: idText), let pending = approvals[id] else {
            log.event("approval_marker_ignored", ["file": path, "reason": "no pending approval for \(idText)"])
            return
        }
        // Owner and content from the one opened file: a symlink is never followed, and a
        // name swapped after the check cannot make the daemon read another file.
        let info: stat, content: [UInt8]
        switch inbox.approvals.open(name, readingAtMost: ApprovalMarker.maximumCommentBytes) {
        case .unavailable: return
        case .symlink(let link): (info, content) = (link, [])
        case .request(let request): (info, content) = (request.info, request.bytes)
        }
        let marker = ApprovalAuthority.Marker(requestFile: info), owner = marker.ownerName
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        if let reason = ApprovalAuthority.refusal(of: marker, approvers: pending.file.approvers, daemonUID: geteuid())
            ?? ApprovalAuthority.staleRefusal(modified: modified, requested: pending.file.requestedAt.timeIntervalSince1970) {
            log.event("approval_refused", ["execution": id.rawValue, "file": path, "owner": owner, "reason": reason])
            if let file = approvals.refuse(id, ApprovalFile.Refusal(file: path, owner: owner, reason: reason, at: Date())) {
                writeApprovalFile(file)
            }
            return
        }
        let comment = ApprovalMarker.comment(from: Data(content))
        let now = Date()
        let event: ExecutionEvent = approve ? .approve(by: owner, comment: comment) : .reject(by: owner, comment: comment)
        guard let decided = try? transition(pending.record, event, at: now),
              let closed = approvals.decide(id, approved: approve, by: owner, comment: comment, at: now) else { return }
        persist(decided)
        writeApprovalFile(closed.file)
        commit.removeWhenDurable(path)
        log.event(approve ? "approved" : "rejected", ["job": decided.job, "execution": id.rawValue, "by": owner, "comment": comment])
        if let job = JobID(decided.job) { results.update(job) { $0.noteApprovalDecided(id.rawValue) } }
        if approve {
            guard let job = JobID(decided.job), let definition = jobs.definition(job) else {
                cancelDecided(decided, reason: "its job no longer exists")
                return
            }
            admit(decided, definition: definition, requestEnvironment: pending.requestEnvironment)
        } else {
            noteFinished(decided)
        }
    }

    private func cancelDecided(_ record: ExecutionRecord, reason: String) {
        guard let canceled = try? transition(record, .cancel(reason: reason), at: Date()) else { return }
        persist(canceled)
        noteFinished(canceled)
    }

    /// Pending approvals past their timeout end `expired`.
    func expireApprovals(now: Date) {
        for id in approvals.expired(now: now) {
            endApproval(id, event: .expire, fileState: "expired", logEvent: "expired")
        }
    }

    /// Ends a pending approval without a decision (expiry, cancel, removed job).
    func endApproval(_ id: ExecutionID, event: ExecutionEvent, fileState: String, logEvent: String) {
        guard let record = approvals[id]?.record, let ended = try? transition(record, event, at: Date()),
              let closed = approvals.end(id, state: fileState, at: Date()) else { return }
        persist(ended)
        writeApprovalFile(closed.file)
        log.event(logEvent, ["job": ended.job, "execution": id.rawValue])
        noteFinished(ended)
    }

    /// After a restart: executions still awaiting approval keep waiting, and markers
    /// dropped while no daemon ran are acted on.
    func resumeApproval(_ record: ExecutionRecord) {
        let path = store.layout.approvalFile(id: record.id)
        let file = readDocument(ApprovalFile.self, at: path)
            ?? ApprovalFile(execution: record.id.rawValue, job: record.job, command: record.command, requestedAt: record.approval?.requestedAt ?? record.createdAt,
                            expiresAt: record.approval?.expiresAt, approvers: JobID(record.job).flatMap { jobs.definition($0)?.approval?.approvers } ?? [],
                            stateDirectory: configuration.stateDirectory)
        approvals.open(PendingApproval(record: record, file: file, requestEnvironment: [:]))
        log.event("awaiting_approval", ["job": record.job, "execution": record.id.rawValue, "note": "still waiting after restart"])
    }

    func consumeApprovalMarkers() {
        for request in inbox.waitingMarkers() { handle(request) }
    }

    private func writeApprovalFile(_ file: ApprovalFile) {
        guard let id = ExecutionID(rawValue: file.execution) else { return }
        enqueueWrite(file, to: store.layout.approvalFile(id: id))
    }
}
