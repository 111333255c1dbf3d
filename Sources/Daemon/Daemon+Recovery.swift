import Cron
import Definitions
import Execution
import Foundation
import Glibc
import Scheduling

/// Start-up recovery (SPEC section 8): an execution left `running` becomes
/// `interrupted`, its process group ended first if it still runs (the same
/// process, checked by start time, not just pid); `queued` ones start.
extension Daemon {
    func recover() {
        for definition in registry.definitions where definition.retries.max > 0 {
            let records = readableRecords(job: definition.id.rawValue)
            for retry in OwedRetry.find(in: records, policy: definition.retries) { scheduleRetry(retry) }
        }
        for job in executionJobs() {
            let ids = (try? store.recordIDs(job: job)) ?? []
            var candidates = Set(ids.suffix(3))
            if let id = JobID(job), let result = results[id] ?? loadResult(id) {
                for listed in result.running + result.queued.map(\.id) + result.pendingApprovals {
                    if let execution = ExecutionID(rawValue: listed) { candidates.insert(execution) }
                }
            }
            for execution in candidates.sorted() {
                switch readRecord(job: job, id: execution) {
                case .success(let record?) where !record.state.isTerminal: recover(record)
                case .failure: recoverUnreadable(job: job, id: execution)
                default: continue
                }
            }
        }
    }

    private func recover(_ record: ExecutionRecord) {
        switch record.state {
        case .running:
            let grace = JobID(record.job).flatMap { registry.definition($0)?.killGrace } ?? .seconds(10)
            var note = "the daemon stopped while it ran; its fate is unknown"
            if let group = liveProcessGroup(of: record) {
                log.event("recovering", ["execution": record.id.rawValue, "note": "its process group \(group) still runs; ending it"])
                ProcessTable.terminateGroup(group, grace: grace)
                note = "the daemon stopped while it ran; its processes were ended at restart"
            }
            guard var interrupted = try? transition(record, .interrupt(message: note), at: Date()) else { return }
            let retry = JobID(record.job).flatMap { registry.definition($0) }?.retries.retry(after: interrupted, fraction: Double.random(in: 0..<1))
            if let retry { interrupted.trigger.retryAt = retry.due }
            persist(interrupted)
            log.event("interrupted", ["job": record.job, "execution": record.id.rawValue, "retry_at": retry.map { Timestamp.format($0.due) }])
            noteFinished(interrupted)
            if let retry { scheduleRetry(retry) }
        case .queued:
            guard let id = JobID(record.job), registry.definition(id) != nil else {
                if let canceled = try? transition(record, .cancel(reason: "its job no longer exists"), at: Date()) {
                    persist(canceled)
                    noteFinished(canceled)
                }
                return
            }
            log.event("requeued", ["job": record.job, "execution": record.id.rawValue])
            snapshot.enqueue(record.id, job: id)
            waiting[record.id] = WaitingExecution(record: record, requestEnvironment: [:])
            queueChanged = true
        case .awaitingApproval:
            resumeApproval(record)
        default:
            break
        }
    }

    /// The process group of a record's run if it is still alive: the recorded pid with the
    /// recorded start time, or (when the crash came before the pid was recorded) a process
    /// whose environment names the execution.
    private func liveProcessGroup(of record: ExecutionRecord) -> Int32? {
        if let pid = record.pid {
            guard let start = record.pidStartTime, ProcessTable.isSameProcess(pid: pid, startTime: start) else { return nil }
            return ProcessTable.processGroup(of: pid) ?? pid
        }
        return ExecutionProcesses.group(runningExecution: record.id)
    }

    /// Job ids that have an executions directory (ids with `/` are nested directories).
    private func executionJobs() -> [String] {
        var jobs: [String] = []
        var pending = [""]
        let root = store.layout.executionsDirectory
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            var hasRecords = false
            for name in listDirectory(directory) {
                var isDirectory: ObjCBool = false
                let child = directory + "/" + name
                guard FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    pending.append(relative.isEmpty ? name : relative + "/" + name)
                } else if name.hasSuffix(".json") {
                    hasRecords = true
                }
            }
            if hasRecords, !relative.isEmpty { jobs.append(relative) }
        }
        return jobs
    }
}
