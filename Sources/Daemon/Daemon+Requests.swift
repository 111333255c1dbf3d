import Cron
import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore

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
        let box = inbox.triggers
        let file = box.directory + "/" + path
        let jobText = path.split(separator: "@", maxSplits: 1).first.map(String.init) ?? path
        guard let id = JobID(jobText), let definition = jobs.definition(id) else {
            log.event("trigger_refused", ["file": file, "reason": "no job `\(jobText)`"])
            box.remove(path)
            return
        }
        let entry = box.open(path, readingAtMost: TriggerRequest.maximumBytes)
        if let (owner, reason) = requestRefusal(entry, for: definition) {
            // Left in place, as a refused approval marker is; `jobdir status` lists it.
            log.event("trigger_refused", ["file": file, "owner": owner, "reason": reason])
            return
        }
        guard case .request(let request) = entry else { return }
        let environment: [String: String]
        switch requestEnvironment(request, for: definition) {
        case .success(let parsed): environment = parsed
        case .failure(let problem) where problem.leavesFileInPlace:
            log.event("trigger_refused", ["file": file, "owner": ApprovalAuthority.Marker(requestFile: request.info).ownerName,
                                          "reason": problem.message])
            return
        case .failure(let problem):
            log.event("trigger_refused", ["file": file, "reason": problem.message])
            box.remove(path)
            return
        }
        let execution = newExecutionID(job: id, dueAt: Date(), kind: .manual)
        let claims: Int32
        do {
            claims = try inbox.claimDirectory()
        } catch {
            log.event("trigger_waits", ["file": file, "reason": "cannot make triggers/.claimed the daemon's own directory: \(error)"])
            return
        }
        guard box.move(request, at: path, to: claims, name: inbox.claimName(execution: execution, job: id)) else {
            log.event("trigger_refused", ["file": file, "reason": "the file was replaced while it was read; drop it again"])
            return
        }
        fireManual(definition, execution: execution, environment: environment)
        // The claim goes once the execution's record is durable.
        commit.removeWhenDurable(inbox.claimPath(execution: execution, job: id))
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
            inbox.claims.remove(name)
            return
        }
        let recorded = (try? store.record(job: id.rawValue, id: execution)) ?? nil
        if recorded == nil, let definition = jobs.definition(id),
           case .request(let request) = inbox.claims.open(name, readingAtMost: TriggerRequest.maximumBytes),
           case .success(let environment) = requestEnvironment(request, for: definition) {
            log.event("trigger_resumed", ["job": id.rawValue, "execution": execution.rawValue])
            fireManual(definition, execution: execution, environment: environment)
        }
        commit.removeWhenDurable(path)
    }

    /// Cancel requests are flat, `cancel/<execution-id>`: a file in a subdirectory is
    /// refused and left where it is (the directory is its maker's to remove).
    func consumeCancel(_ path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard !name.hasPrefix(".") else { return }
        let box = inbox.cancels
        let file = box.directory + "/" + path
        guard !path.utf8.contains(UInt8(ascii: "/")) else {
            log.event("cancel_refused", ["file": file, "reason": "not directly in cancel/; a cancel request is cancel/<execution-id>"])
            return
        }
        guard let execution = ExecutionID(rawValue: name) else {
            log.event("cancel_refused", ["file": file, "reason": "not an execution id"])
            box.remove(path)
            return
        }
        let entry = box.open(path, readingAtMost: 0)
        if case .unavailable = entry { return }
        if let job = job(of: execution) {
            let refusal = jobs.definition(job).map { requestRefusal(entry, for: $0) } ?? requestRefusalWithoutDefinition(entry)
            if let (owner, reason) = refusal {
                log.event("cancel_refused", ["file": file, "execution": execution.rawValue, "owner": owner, "reason": reason])
                return
            }
        }
        defer { box.remove(path) }
        if runs.contains(execution) || approvals.contains(execution) {
            cancelExecution(execution, reason: "canceled by a cancel request")
        } else {
            log.event("cancel_refused", ["execution": execution.rawValue, "reason": "not running, queued or waiting"])
        }
    }

    /// The `{"env": {...}}` of a trigger request (empty content means none), without the
    /// names no request sets (`TriggerRequest.isIgnoredName`, logged). An `env` from
    /// someone who may trigger the job but not set its environment (an operator) refuses
    /// the request, left in place: running it without what was asked for could do what
    /// its sender did not mean (a `DRY_RUN=1` dropped runs for real).
    func requestEnvironment(_ request: DropBox.Request, for definition: JobDefinition) -> Result<[String: String], RequestProblem> {
        guard !request.isLarger else { return .failure(RequestProblem("request is larger than 64 KiB")) }
        let parsed: [String: String]
        switch TriggerRequest.environment(from: Data(request.bytes)) {
        case .success(let environment): parsed = environment
        case .failure(let problem): return .failure(RequestProblem(problem.message))
        }
        guard !parsed.isEmpty else { return .success([:]) }
        guard OperatorAuthority.maySetEnvironment(ownerUID: request.info.st_uid, jobUserUID: definition.runAs?.uid,
                                                  daemonUID: UInt32(geteuid())) else {
            return .failure(RequestProblem(OperatorAuthority.environmentRefusal(jobUserName: definition.runAs?.userName),
                                           leavesFileInPlace: true))
        }
        let (kept, dropped) = TriggerRequest.withoutIgnoredNames(parsed)
        if !dropped.isEmpty {
            log.event("request_env_dropped", ["job": definition.id.rawValue, "names": dropped.joined(separator: ","),
                                              "reason": "a request may not set these"])
        }
        return .success(kept)
    }
}

/// Why a request file was refused.
struct RequestProblem: Error {
    var message: String
    /// Refused for who sent it rather than for what it says: left in place and listed, as
    /// a request from someone not allowed is.
    var leavesFileInPlace = false
    init(_ message: String, leavesFileInPlace: Bool = false) {
        self.message = message
        self.leavesFileInPlace = leavesFileInPlace
    }
}
