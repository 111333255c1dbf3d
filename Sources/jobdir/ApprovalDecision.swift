import ArgumentParser
import Cron
import Foundation
import Glibc
import Scheduling
import StateStore

/// What `jobdir approve` and `jobdir reject` share: finding the one pending approval that
/// ID names (an execution id, or a job id with exactly one), refusing decided ones, and
/// dropping `approvals/<execution-id>.approve` or `.reject` with the comment as content.
struct ApprovalDecision {
    enum Verdict: String {
        case approve, reject

        var opposite: Verdict { self == .approve ? .reject : .approve }
        /// `an approve` or `a reject`, for messages.
        var withArticle: String { self == .approve ? "an `approve`" : "a `reject`" }
        var pastTense: String { self == .approve ? "approved" : "rejected" }
    }

    var verdict: Verdict
    var directories: DirectoryOptions

    func run(id: String, comment: String?) throws(ExitCode) {
        let reader = StateReader(root: directories.state, verb: verdict.rawValue)
        let (execution, job) = try resolve(id, reader: reader)
        let layout = reader.layout
        let marker = { (verdict: Verdict) in verdict == .approve ? layout.approveMarker(id: execution) : layout.rejectMarker(id: execution) }
        if FileManager.default.fileExists(atPath: marker(verdict.opposite)) {
            throw Console.failure(verdict.rawValue, "\(execution) already has \(verdict.opposite.withArticle) decision waiting "
                + "for the daemon (\(marker(verdict.opposite))); remove it first to change your mind")
        }
        let created: Bool
        do { created = try RequestDrop.createOnce(Array((comment ?? "").utf8), at: marker(verdict)) } catch {
            throw Console.failure(verdict.rawValue, "cannot drop \(marker(verdict)): \(error)")
        }
        var existing = stat()
        if !created, lstat(marker(verdict), &existing) == 0, existing.st_uid != geteuid() {
            // The drop box is sticky: someone else's marker there is theirs (and refused unless
            // they may decide); only root can remove it.
            let owner = getpwuid(existing.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(existing.st_uid)"
            throw Console.failure(verdict.rawValue, "\(marker(verdict)) already exists and belongs to \(owner), not to you; "
                + "`jobdir status` shows whether it was refused; root can remove it")
        }
        Console.out(created
            ? "\(verdict.pastTense) \(execution) of \(job) (\(marker(verdict)))\n"
            : "\(execution) of \(job): \(verdict.withArticle) decision is already waiting (\(marker(verdict)))\n")
        if !DaemonPresence(layout: layout).isRunning {
            Console.notice(verdict.rawValue, DaemonPresence.waitingNotice(for: "the decision"))
        }
    }

    /// The execution (and its job) that `id` names, or a failure saying why none does.
    private func resolve(_ id: String, reader: StateReader) throws(ExitCode) -> (ExecutionID, String) {
        let verb = verdict.rawValue
        if let execution = ExecutionID(rawValue: id) {
            let approval = reader.approval(id: execution)
            let record = reader.record(id: execution)
            if approval == nil, record == nil, access(reader.layout.approvalFile(id: execution), R_OK) != 0, errno == EACCES {
                // Another user's state: the request is not ours to read; the daemon decides
                // whether the marker counts (SPEC section 5) and records a refusal.
                return (execution, "a job whose state you cannot read")
            }
            guard let job = record?.job ?? approval?.job else {
                throw Console.failure(verb, "no execution \(id) in \(reader.layout.root); `jobdir status` lists those awaiting approval")
            }
            if let approval, !approval.isPending {
                throw Console.failure(verb, "\(id) of \(job) was already \(approval.decisionText)")
            }
            if let record, record.state != .awaitingApproval {
                if let decided = record.approval, decided.state != .pending {
                    let by = decided.decidedBy.map { " by \($0)" } ?? ""
                    let at = decided.decidedAt.map { " at \(Timestamp.format($0))" } ?? ""
                    throw Console.failure(verb, "\(id) of \(job) was already \(decided.state.rawValue)\(by)\(at)")
                }
                throw Console.failure(verb, "\(id) of \(job) is not awaiting approval (state: \(record.state.rawValue))")
            }
            return (execution, job)
        }
        let candidates = pending(job: id, reader: reader)
        switch candidates.count {
        case 1:
            return (candidates[0], id)
        case 0:
            let known = ClosestMatch.jobs(in: directories.jobs, extra: reader.results().map(\.job) + reader.jobsWithRecords()).match
            guard known.contains(id) else { throw Console.failure(verb, known.unknownJobMessage(id)) }
            throw Console.failure(verb, "no execution of \(id) awaits approval; `jobdir status \(id)` shows its executions")
        default:
            let list = candidates.map(\.rawValue).joined(separator: ", ")
            throw Console.failure(verb, "\(id) has \(candidates.count) executions awaiting approval (\(list)); give one of these ids")
        }
    }

    /// Executions of `job` awaiting a decision: records in `awaiting_approval`, and pending
    /// approval files unless their record says otherwise.
    private func pending(job: String, reader: StateReader) -> [ExecutionID] {
        guard StateLayout.isSafeJobID(job) else { return [] }
        var ids = Set(reader.liveRecords(job: job).filter { $0.state == .awaitingApproval }.map(\.id))
        for approval in reader.approvals() where approval.isPending && approval.job == job {
            guard let id = approval.executionID else { continue }
            if !FileManager.default.fileExists(atPath: reader.layout.executionFile(job: job, id: id)) { ids.insert(id) }
        }
        return ids.sorted()
    }
}
