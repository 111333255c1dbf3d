import Cron
import Foundation
import Scheduling
import StateStore

/// What `jobdir status` shows, gathered from state/: the daemon, the live executions
/// (from their records), failing jobs and definition errors (from results files).
struct StatusReport {
    var daemon: DaemonPresence
    /// The job asked about, or nil for all.
    var job: String?
    var result: JobResult?
    var running: [ExecutionRecord] = []
    var queued: [ExecutionRecord] = []
    var awaiting: [PendingApproval] = []
    var failing: [JobResult] = []
    var definitionErrors: [JobResult] = []
    /// Why each queued execution waits, by id (results' `queued[].reason`).
    var reasons: [String: String] = [:]
    /// State files met that could not be read.
    var unreadable: [UnreadableStateFile] = []
    /// Trigger and cancel requests left in place because their owners may not make them.
    var refused: [RefusedRequest] = []
    var now: Date
    /// This host's view of the fleet, when its daemon runs with `--fleet`.
    var fleet: FleetView?

    init(reader: StateReader, job: String?, now: Date, refused: [RefusedRequest] = []) {
        self.refused = job.map { job in refused.filter { $0.job == job } } ?? refused
        daemon = DaemonPresence(layout: reader.layout)
        fleet = FleetView(layout: reader.layout)
        self.job = job
        self.now = now
        let results = job.map { reader.result(job: $0).map { [$0] } ?? [] } ?? reader.results()
        result = job == nil ? nil : results.first
        for record in reader.liveRecords(job: job) {
            switch record.state {
            case .running: running.append(record)
            case .awaitingApproval: awaiting.append(PendingApproval(record))
            default: queued.append(record)
            }
        }
        for result in results {
            for waiting in result.queued { reasons[waiting.id] = waiting.reason }
            if result.consecutiveFailures > 0 { failing.append(result) }
            if result.definitionError != nil { definitionErrors.append(result) }
        }
        // An approver who may not read the job's records reads its approval requests
        // (SPEC section 11); for the others they only name the files that cannot be read.
        let listed = Set(awaiting.map(\.id))
        for approval in reader.approvals() where approval.state == "pending" && !listed.contains(approval.execution)
            && (job == nil || approval.job == job) {
            awaiting.append(PendingApproval(approval))
        }
        if daemon.isUnreadable { unreadable.append(UnreadableStateFile(path: reader.layout.daemonFile, reason: "not a JSON object")) }
        unreadable += reader.unreadable.files
    }

    var isQuiet: Bool {
        running.isEmpty && queued.isEmpty && awaiting.isEmpty && (fleet?.waiting.isEmpty ?? true) && failing.isEmpty && definitionErrors.isEmpty && unreadable.isEmpty && refused.isEmpty
    }

    /// The object of `status --json`.
    func json() throws -> [String: Any] {
        var object: [String: Any] = [
            "daemon": daemon.json,
            "job": job ?? NSNull(),
            "running": running.map { record -> [String: Any] in
                [
                    "job": record.job, "id": record.id.rawValue, "pid": record.pid.map { Int($0) } ?? NSNull(),
                    "started_at": record.startedAt.map(Timestamp.format) ?? NSNull(),
                    "elapsed_ms": record.startedAt.map { milliseconds(since: $0) } ?? NSNull(),
                    "trigger": record.trigger.kind.rawValue, "user": record.user?.name ?? NSNull(),
                ]
            },
            "queued": queued.map { record -> [String: Any] in
                [
                    "job": record.job, "id": record.id.rawValue, "created_at": Timestamp.format(record.createdAt),
                    "waiting_ms": milliseconds(since: record.createdAt), "reason": reasons[record.id.rawValue] ?? NSNull(),
                ]
            },
            "awaiting_approval": awaiting.map { pending -> [String: Any] in
                [
                    "job": pending.job, "id": pending.id,
                    "requested_at": Timestamp.format(pending.requestedAt),
                    "expires_at": pending.expiresAt.map(Timestamp.format) ?? NSNull(),
                    "age_ms": milliseconds(since: pending.requestedAt),
                ]
            },
            "failing": failing.map { result -> [String: Any] in
                [
                    "job": result.job, "consecutive_failures": result.consecutiveFailures,
                    "last_state": result.lastExecution?.state ?? NSNull(), "last_execution": result.lastExecution?.id ?? NSNull(),
                    "last_success_at": result.lastSuccessAt.map(Timestamp.format) ?? NSNull(),
                ]
            },
            "definition_errors": definitionErrors.map { result -> [String: Any] in
                ["job": result.job, "file": result.file, "error": result.definitionError ?? ""]
            },
            "unreadable_files": unreadable.map { ["file": $0.path, "error": $0.reason] },
            "refused_requests": refused.map(\.json),
            "fleet": fleet?.object ?? NSNull(),
        ]
        if job != nil {
            object["result"] = try result.map { try JSONSerialization.jsonObject(with: Data(StateJSON.encode($0, path: "-"))) } ?? NSNull()
        }
        return object
    }

    /// The human report: the daemon line, then one table per non-empty section.
    func text(zone: TimeZoneRules) -> String {
        var text = daemon.summary(now: now) + "\n"
        if let fleet { text += fleet.text(now: now) }
        if let job {
            text += jobSummary(job, zone: zone)
        }
        func section(_ title: String, _ columns: [TableFormatter.Column], _ rows: [[String]]) {
            guard !rows.isEmpty else { return }
            text += "\n\(title) (\(rows.count)):\n" + TableFormatter(columns: columns, indent: 2).render(rows)
        }
        section("running", [.init(title: "JOB"), .init(title: "EXECUTION"), .init(title: "ELAPSED"), .init(title: "PID"), .init(title: "USER")],
                running.map { [$0.job, $0.id.rawValue, $0.durationText(now: now), $0.pid.map { String($0) } ?? "-", $0.user?.name ?? "-"] })
        section("queued", [.init(title: "JOB"), .init(title: "EXECUTION"), .init(title: "WAITING"),
                           .init(title: "REASON", flexible: true, minimumWidth: 6)],
                queued.map { [$0.job, $0.id.rawValue, TimeText.between($0.createdAt, now), reasons[$0.id.rawValue].map(Console.oneLine) ?? "-"] })
        section("awaiting approval", [.init(title: "JOB"), .init(title: "EXECUTION"), .init(title: "AGE"), .init(title: "EXPIRES")],
                awaiting.map { pending in
                    [pending.job, pending.id, TimeText.between(pending.requestedAt, now),
                     pending.expiresAt.map { TimeText.moment($0, now: now, zone: zone) } ?? "-"]
                })
        if !awaiting.isEmpty { text += "  decide with `jobdir approve ID` or `jobdir reject ID`\n" }
        section("failing", [.init(title: "JOB"), .init(title: "FAILURES"), .init(title: "LAST"), .init(title: "LAST SUCCESS")],
                failing.map { result in
                    [result.job, String(result.consecutiveFailures), result.lastExecution.map(lastText) ?? "-",
                     result.lastSuccessAt.map { TimeText.moment($0, now: now, zone: zone) } ?? "never"]
                })
        section("definition errors", [.init(title: "JOB"), .init(title: "ERROR", flexible: true, minimumWidth: 20)],
                definitionErrors.map { [$0.job, Console.oneLine($0.definitionError ?? "")] })
        section("unreadable state files", [.init(title: "FILE"), .init(title: "ERROR", flexible: true, minimumWidth: 20)],
                unreadable.map { [$0.path, Console.oneLine($0.reason)] })
        section("refused requests", [.init(title: "KIND"), .init(title: "JOB"), .init(title: "OWNER"), .init(title: "FILE", flexible: true, minimumWidth: 10)],
                refused.map { [$0.kind, $0.job, $0.owner, $0.file] })
        if isQuiet { text += (job == nil ? "nothing running, queued, awaiting approval or failing\n" : "") }
        return text
    }

    /// The job's own lines for `status JOB`.
    private func jobSummary(_ job: String, zone: TimeZoneRules) -> String {
        guard let result else { return "\n\(job): no results yet (the daemon has not loaded it)\n" }
        var lines = ["\n\(job) (\(result.file))"]
        if let description = result.description { lines.append("  \(Console.oneLine(description))") }
        lines.append("  loaded: \(result.loaded ? "yes" : "no"), enabled: \(result.enabled ? "yes" : "no")")
        for (kind, due) in result.nextDue.sorted(by: { $0.value < $1.value }) {
            lines.append("  next \(kind): \(TimeText.moment(due, now: now, zone: zone)) (\(Timestamp.format(due)))")
        }
        lines.append("  last: " + (result.lastExecution.map(lastText) ?? "none")
            + (result.lastSuccessAt.map { ", last success \(Timestamp.format($0))" } ?? ""))
        if !result.counts.isEmpty {
            lines.append("  counts: " + result.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func lastText(_ last: JobResult.LastExecution) -> String {
        last.state + (last.exitCode.map { " (exit \($0))" } ?? "")
    }

    private func milliseconds(since date: Date) -> Int64 {
        max(0, Timestamp.milliseconds(now) - Timestamp.milliseconds(date))
    }
}

/// An execution awaiting a decision, from its record or, for an approver who may not
/// read the record, from its approval request.
struct PendingApproval {
    var job: String
    var id: String
    var requestedAt: Date
    var expiresAt: Date?

    init(_ record: ExecutionRecord) {
        job = record.job
        id = record.id.rawValue
        requestedAt = record.approvalRequestedAt
        expiresAt = record.approval?.expiresAt
    }

    init(_ approval: ApprovalFile) {
        job = approval.job
        id = approval.execution
        requestedAt = approval.requestedAt
        expiresAt = approval.expiresAt
    }
}
