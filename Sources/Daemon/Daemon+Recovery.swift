import Cron
import Definitions
import Execution
import Foundation
import Glibc
import Scheduling
import StateStore

/// Start-up recovery (SPEC sections 8 and 9): an execution left `running` whose
/// supervisor wrote its outcome is recorded as that outcome says; one whose supervisor
/// still runs (the same process, checked by start time, not just pid) is re-attached and
/// followed to its end; only one whose supervisor is gone without an outcome becomes
/// `interrupted`, its process group ended first if it still runs. `queued` ones start.
extension Daemon {
    func recover() {
        for definition in jobs.definitions where definition.retries.max > 0 {
            let records = readableRecords(job: definition.id.rawValue)
            for retry in OwedRetry.find(in: records, policy: definition.retries) { scheduleRetry(retry) }
        }
        for job in executionJobs() {
            var candidates = Set(newestUnfinished(job: job))
            var listed: Set<ExecutionID> = []
            if let id = JobID(job), let result = results.existing(id) {
                for text in result.running + result.queued.map(\.id) + result.pendingApprovals {
                    if let execution = ExecutionID(rawValue: text) { listed.insert(execution) }
                }
                candidates.formUnion(listed)
            }
            // Executions this daemon has begun itself (a chain fired by an outcome collected
            // just now) are not an earlier daemon's to recover.
            for execution in candidates.sorted() where !runs.contains(execution) && !approvals.contains(execution) {
                let record: ExecutionRecord
                if let owed = owedRecord(job: job, id: execution) {
                    record = owed
                } else {
                    switch readRecord(job: job, id: execution) {
                    case .success(let read?): record = read
                    case .failure: recoverUnreadable(job: job, id: execution); continue
                    case .success(nil): continue
                    }
                }
                if !record.state.isTerminal {
                    recover(record)
                } else if listed.contains(execution), let id = JobID(job) {
                    // Its end is recorded, but the result written beside it was lost (the
                    // files of one commit are not durable as one: a power loss): it catches up.
                    results.update(id) { $0.noteFinished(record) }
                }
            }
        }
    }

    /// The newest records of `job` back to the third terminal one in a row: a burst of runs
    /// begun in the turn before a crash is not yet listed in the job's result, and every one
    /// of them is found, however many there were.
    private func newestUnfinished(job: String) -> [ExecutionID] {
        var found: [ExecutionID] = [], terminalInARow = 0
        for id in ((try? store.recordIDs(job: job)) ?? []).reversed() where terminalInARow < 3 {
            found.append(id)
            let owed = owedRecord(job: job, id: id)
            let state = owed?.state ?? ((try? readRecord(job: job, id: id).get()) ?? nil)?.state
            terminalInARow = state?.isTerminal == true ? terminalInARow + 1 : 0
        }
        return found
    }

    /// The record an earlier daemon owed the state directory (newer than the file), if any.
    private func owedRecord(job: String, id: ExecutionID) -> ExecutionRecord? {
        let path = store.layout.executionFile(job: job, id: id)
        guard let owed = commit.document(at: path) else { return nil }
        return try? StateJSON.decode(ExecutionRecord.self, from: owed, path: path)
    }

    private func recover(_ record: ExecutionRecord) {
        switch record.state {
        case .running:
            if resumeSupervised(record) { return }
            let grace = JobID(record.job).flatMap { jobs.definition($0)?.killGrace } ?? .seconds(10)
            var note = "the daemon stopped while it ran; its fate is unknown"
            if let group = liveProcessGroup(of: record) {
                log.event("recovering", ["execution": record.id.rawValue, "note": "its process group \(group) still runs; ending it"])
                ProcessTable.terminateGroup(group, grace: grace)
                note = "the daemon stopped while it ran; its processes were ended at restart"
            }
            guard var interrupted = try? transition(record, .interrupt(message: note), at: Date()) else { return }
            let retry = JobID(record.job).flatMap { jobs.definition($0) }?.retries.retry(after: interrupted, fraction: Double.random(in: 0..<1))
            if let retry { interrupted.trigger.retryAt = retry.due }
            persist(interrupted)
            log.event("interrupted", ["job": record.job, "execution": record.id.rawValue, "retry_at": retry.map { Timestamp.format($0.due) }])
            noteFinished(interrupted)
            if let retry { scheduleRetry(retry) }
        case .queued:
            guard let id = JobID(record.job), jobs.definition(id) != nil else {
                if let canceled = try? transition(record, .cancel(reason: "its job no longer exists"), at: Date()) {
                    persist(canceled)
                    noteFinished(canceled)
                }
                return
            }
            log.event("requeued", ["job": record.job, "execution": record.id.rawValue])
            runs.enqueue(WaitingExecution(record: record, requestEnvironment: [:]), job: id)
        case .awaitingApproval:
            resumeApproval(record)
        default:
            break
        }
    }

    /// A run whose supervisor outlived the daemon before: its outcome is recorded if
    /// it is written, else the supervisor is followed again. False when neither.
    private func resumeSupervised(_ record: ExecutionRecord) -> Bool {
        let loaded = JobID(record.job).flatMap { jobs.definition($0) }
        if collectOutcome(of: record, definition: loaded) { return true }
        // A daemon killed before the supervisor reported leaves no pid in the record: the
        // supervisor is found by the execution id its command line starts with.
        guard let supervisor = record.supervisor ?? Self.findSupervisor(of: record.id), let job = JobID(record.job) else {
            // Not alive now: it may have written its outcome and exited since the first look.
            return collectOutcome(of: record, definition: loaded)
        }
        // A run whose job file went (or turned invalid) while no daemon ran is still followed to its end.
        let definition = loaded ?? .removed(id: job, file: record.job)
        runs.countStart(record.id, definition: definition)
        runs.register(ActiveRun(record: record, definition: definition, supervisor: supervisor))
        guard supervisors.reattach(supervisor, id: record.id) else {
            // It ended between the two looks: its outcome is there now, or it is lost.
            runs.abandon(record.id)
            return collectOutcome(of: record, definition: loaded)
        }
        results.update(job) { $0.noteStarted(record.id.rawValue) }
        log.event("reattached", ["job": record.job, "execution": record.id.rawValue, "supervisor": "\(supervisor.pid)", "pid": record.pid.map { "\($0)" }])
        return true
    }

    /// The live supervisor whose command line is `jobdir-supervisor v1 --id ID ...` and
    /// that runs as the daemon's effective user from a supervisor binary (`isSupervisor`).
    static func findSupervisor(of id: ExecutionID) -> SupervisorProcess? {
        for name in directoryNames("/proc") {
            guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            let arguments = data.split(separator: 0, omittingEmptySubsequences: false).prefix(4).map { String(decoding: $0, as: UTF8.self) }
            let status = FileManager.default.contents(atPath: "/proc/\(name)/status").map { String(decoding: $0, as: UTF8.self) }
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/exe")
            guard isSupervisor(arguments: arguments, status: status, executable: executable, of: id, daemonUID: geteuid()),
                  let start = ProcessTable.startTime(of: pid) else { continue }
            return SupervisorProcess(pid: pid, startTime: start)
        }
        return nil
    }

    /// Whether a process is the supervisor of `id`: its command line starts
    /// `jobdir-supervisor v1 --id ID`, its effective uid (`Uid:` in `/proc/PID/status`)
    /// is the daemon's, and its executable (`/proc/PID/exe`) is a file named
    /// `jobdir-supervisor`. Any user may start a process with that command line; taken for
    /// a run's supervisor, it would hold the run (and its outcome) in its hands. The
    /// executable's directory is not compared with the daemon's own: an upgrade may
    /// install the binaries elsewhere while the old supervisors go on (or leave them on a
    /// replaced file, ` (deleted)`).
    static func isSupervisor(arguments: [String], status: String?, executable: String?, of id: ExecutionID, daemonUID: UInt32) -> Bool {
        guard arguments.count >= 4, (arguments[0] as NSString).lastPathComponent == SupervisorLauncher.binaryName,
              arguments[2] == "--id", arguments[3] == id.rawValue else { return false }
        // Real, effective, saved and filesystem uids.
        guard let uids = status?.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })?.split(whereSeparator: \.isWhitespace),
              uids.count >= 3, UInt32(uids[2]) == daemonUID else { return false }
        guard var executable else { return false }
        if executable.hasSuffix(" (deleted)") { executable.removeLast(" (deleted)".count) }
        return (executable as NSString).lastPathComponent == SupervisorLauncher.binaryName
    }

    /// Records the outcome a supervisor wrote while no daemon watched; false when there is none.
    private func collectOutcome(of record: ExecutionRecord, definition: JobDefinition?) -> Bool {
        let path = store.layout.outcomeFile(job: record.job, id: record.id)
        let outcome: SupervisorOutcome
        do { outcome = try SupervisorOutcome.read(path) } catch {
            // Missing is the common case (the run goes on, or ended without one); anything
            // else is a file that is there and cannot be read: said once, and left in place.
            if error.code != .missing { reportUnreadable(path: error.path, message: error.message) }
            return false
        }
        log.event("collected", ["job": record.job, "execution": record.id.rawValue, "note": "its run ended while no daemon watched it"])
        if let definition {
            runs.countStart(record.id, definition: definition)
            runs.register(ActiveRun(record: record, definition: definition, supervisor: record.supervisor))
            runEnded(record.id, outcome: outcome.runOutcome)
        } else if let finished = try? transition(record, .finish(outcome.runOutcome.runResult(logPath: store.layout.logRelativePath(job: record.job, id: record.id))),
                                                 at: outcome.finishedAt) {
            persist(finished)
            noteFinished(finished)
        }
        commit.removeWhenDurable(path)
        return true
    }

    /// The process group of a record's run if it is still alive: the recorded pid with the
    /// recorded start time, or (when the crash came before the pid was recorded) a process
    /// whose environment names the execution.
    private func liveProcessGroup(of record: ExecutionRecord) -> Int32? {
        if let pid = record.pid {
            guard let start = record.pidStartTime, ProcessTable.isSameProcess(pid: pid, startTime: start) else { return nil }
            return ProcessTable.processGroup(of: pid) ?? pid
        }
        return ExecutionProcesses.groups(runningExecution: record.id).first
    }

    /// Job ids that have an executions directory (ids with `/` are nested directories).
    private func executionJobs() -> [String] {
        var jobs: [String] = []
        var pending = [""]
        let root = store.layout.executionsDirectory
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            var hasRecords = false
            for name in directoryNames(directory) {
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
