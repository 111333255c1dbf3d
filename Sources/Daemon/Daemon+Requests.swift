import Cron
import Definitions
import Foundation
import Glibc
import Scheduling

/// What request files people and the CLI drop do (`RequestInbox` finds them): a
/// trigger (`triggers/<job-id>`, or `triggers/<job-id>@<anything>` so a second request
/// before the first is consumed is not lost) fires its job; a cancel ends an execution;
/// an approval marker decides.
extension Daemon {
    func handle(_ request: RequestInbox.Request) {
        switch request {
        case .trigger(let path): consumeTrigger(path)
        case .cancel(let path): consumeCancel(path)
        case .approvalMarker(let name): handleApprovalMarker(name)
        }
    }

    /// Everything dropped while no daemon watched, and claims left by a crash.
    func consumeRequestFiles() {
        for name in inbox.leftClaims() { resumeClaim(name) }
        for request in inbox.waitingRequests() { handle(request) }
    }

    func consumeTrigger(_ path: String) {
        // While nothing can be recorded the file stays where it is: it runs once the disk takes writes.
        guard !stopping, !health.isFailing else { return }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard !name.hasPrefix(".") else { return }
        let file = store.layout.triggersDirectory + "/" + path
        let jobText = path.split(separator: "@", maxSplits: 1).first.map(String.init) ?? path
        guard let id = JobID(jobText), let definition = jobs.definition(id) else {
            log.event("trigger_refused", ["file": file, "reason": "no job `\(jobText)`"])
            unlink(file)
            return
        }
        if let (owner, reason) = requestRefusal(file, for: definition) {
            // Left in place, as a refused approval marker is; `jobdir status` lists it.
            log.event("trigger_refused", ["file": file, "owner": owner, "reason": reason])
            return
        }
        let environment: [String: String]
        switch Self.requestEnvironment(file) {
        case .success(let parsed): environment = parsed
        case .failure(let reason):
            log.event("trigger_refused", ["file": file, "reason": reason.message])
            unlink(file)
            return
        }
        let execution = newExecutionID(job: id, dueAt: Date(), kind: .manual)
        let claim = inbox.claimPath(execution: execution, job: id)
        guard rename(file, claim) == 0 else { return }
        fireManual(definition, execution: execution, environment: environment)
        // The claim goes once the execution's record is durable.
        commit.removeWhenDurable(claim)
    }

    private func fireManual(_ definition: JobDefinition, execution: ExecutionID, environment: [String: String]) {
        let trigger = ExecutionTrigger(kind: .manual, scheduledFor: execution.dueAt)
        fire(definition, trigger: trigger, occurrence: .manual(job: definition.id.rawValue, execution: execution),
             requestEnvironment: environment, id: execution)
    }

    private func resumeClaim(_ name: String) {
        let path = inbox.claimedDirectory + "/" + name
        let parts = name.split(separator: "+")
        guard let first = parts.first, let execution = ExecutionID(rawValue: String(first)),
              let id = JobID(parts.dropFirst().joined(separator: "/")) else {
            unlink(path)
            return
        }
        let recorded = (try? store.record(job: id.rawValue, id: execution)) ?? nil
        if recorded == nil, let definition = jobs.definition(id), case .success(let environment) = Self.requestEnvironment(path) {
            log.event("trigger_resumed", ["job": id.rawValue, "execution": execution.rawValue])
            fireManual(definition, execution: execution, environment: environment)
        }
        commit.removeWhenDurable(path)
    }

    func consumeCancel(_ path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard !name.hasPrefix(".") else { return }
        let file = store.layout.cancelDirectory + "/" + path
        guard let execution = ExecutionID(rawValue: name) else {
            log.event("cancel_refused", ["file": file, "reason": "not an execution id"])
            unlink(file)
            return
        }
        if let job = job(of: execution), let definition = jobs.definition(job),
           let (owner, reason) = requestRefusal(file, for: definition) {
            log.event("cancel_refused", ["file": file, "execution": execution.rawValue, "owner": owner, "reason": reason])
            return
        }
        defer { unlink(file) }
        if runs.contains(execution) || approvals.contains(execution) {
            cancelExecution(execution, reason: "canceled by a cancel request")
        } else {
            log.event("cancel_refused", ["execution": execution.rawValue, "reason": "not running, queued or waiting"])
        }
    }

    /// The `{"env": {...}}` of a trigger file (empty content means none).
    static func requestEnvironment(_ path: String) -> Result<[String: String], RequestProblem> {
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(RequestProblem("cannot read the request")) }
        return TriggerRequest.environment(from: data).mapError { RequestProblem($0.message) }
    }
}

/// Why a request file was refused.
struct RequestProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
