import CLinux
import Cron
import Definitions
import Execution
import Foundation
import Glibc
import Scheduling
import StateStore

/// Starting executions and seeing them end: every record is durable in
/// `running` state before its process starts (SPEC section 4).
extension Daemon {
    /// A new occurrence of `definition`: start it, queue it, or record why it does not
    /// run, as the run policies decide (`Admission`).
    func fire(_ definition: JobDefinition, trigger: ExecutionTrigger, occurrence: OccurrenceKey,
              requestEnvironment: [String: String] = [:], id presetID: ExecutionID? = nil) {
        if fleetTakes(definition, trigger: trigger, occurrence: occurrence, requestEnvironment: requestEnvironment) { return }
        let id = presetID ?? newExecutionID(job: definition.id, dueAt: trigger.scheduledFor ?? Date(), kind: trigger.kind)
        log.event("fired", ["job": definition.id.rawValue, "execution": id.rawValue, "trigger": trigger.kind.rawValue,
                            "scheduled_for": trigger.scheduledFor.map(Timestamp.format), "catchup": trigger.extra["catchup"] == nil ? nil : "true"])
        let record = ExecutionRecord.queued(id: id, job: definition.id.rawValue, occurrence: occurrence, trigger: trigger,
                                            definitionSHA256: definition.sha256, command: definition.argv, host: host, at: Date())
        if definition.approval != nil {
            requestApproval(record, definition: definition, requestEnvironment: requestEnvironment)
        } else {
            admit(record, definition: definition, requestEnvironment: requestEnvironment)
        }
    }

    /// A fresh execution id for `job`: ids carry only 4 random hex digits, so two runs due
    /// in the same millisecond (a burst of triggers) could draw the same one; a drawn id
    /// already used by the job, in memory or on disk, is drawn again.
    func newExecutionID(job: JobID, dueAt: Date, kind: TriggerKind) -> ExecutionID {
        while true {
            let id = ExecutionID(dueAt: dueAt, trigger: kind, random: UInt16.random(in: 0...UInt16.max))
            let path = store.layout.executionFile(job: job.rawValue, id: id)
            if !runs.contains(id), !approvals.contains(id), !commit.writes(path), access(path, F_OK) != 0 {
                return id
            }
        }
    }

    /// Applies the run policies to a new `queued` record (a new occurrence or a retry).
    func admit(_ record: ExecutionRecord, definition: JobDefinition, requestEnvironment: [String: String]) {
        if fleetHoldsBack(record, definition: definition) { return }
        let admission = runs.admission(of: definition)
        for victim in admission.cancel { cancelExecution(victim, reason: "replaced by \(record.id.rawValue) (overlap: replace)") }
        switch admission.action {
        case .start:
            runs.countStart(record.id, definition: definition)
            start(record, definition: definition, requestEnvironment: requestEnvironment)
        case .wait(let reason):
            guard persist(record) else { return }
            runs.enqueue(WaitingExecution(record: record, requestEnvironment: requestEnvironment), job: definition.id)
            log.event("queued", ["job": record.job, "execution": record.id.rawValue, "reason": reason.description])
            noteWaiting(record.id, job: definition.id, reason: reason)
        case .skip(let failure):
            recordSkipped(record, kind: failure.kind, message: failure.message)
        }
    }

    /// Starts the waiting executions that may start now and skips those past their
    /// deadline (`StartPlan`); called whenever a run ends or the queue changes.
    func drainQueue(now: Date) {
        // Waiting executions keep waiting while nothing could record their start.
        guard !stopping, !health.isFailing, let drain = runs.drain(now: now, definition: { jobs.definition($0) }) else { return }
        for (entry, failure) in drain.skip {
            recordSkipped(entry.record, kind: failure.kind, message: failure.message)
        }
        for (entry, definition) in drain.start {
            start(entry.record, definition: definition, requestEnvironment: entry.requestEnvironment)
        }
        for (job, reasons) in drain.waiting {
            var texts: [String: String] = [:]
            for (id, reason) in reasons { texts[id.rawValue] = reason.description }
            results.update(job) { _ = $0.noteWaiting(texts) }
        }
    }

    /// Cancels a running or waiting execution.
    func cancelExecution(_ id: ExecutionID, reason: String) {
        if approvals.contains(id) {
            endApproval(id, event: .cancel(reason: reason), fileState: "canceled", logEvent: "canceled")
            return
        }
        if runs.running[id] != nil { log.event("canceling", ["execution": id.rawValue, "reason": reason]) }
        switch stopProcess(id) {
        case .running, .none:
            break
        case .waiting(let entry):
            guard let canceled = try? transition(entry.record, .cancel(reason: reason), at: Date()) else { return }
            persist(canceled)
            log.event("canceled", ["job": canceled.job, "execution": id.rawValue, "reason": reason])
            noteFinished(canceled)
        }
    }

    /// Stops a running execution's process (before its process is up the runner does not
    /// know the run yet: it is canceled once it starts), or takes a waiting one out of the queue.
    @discardableResult
    func stopProcess(_ id: ExecutionID) -> RunTable.CancelTarget {
        runs.cancel(id) { supervisors.cancel(id) }
    }

    /// Records an occurrence that does not run, `skipped` with `error.kind` saying why.
    func recordSkipped(_ queued: ExecutionRecord, kind: String, message: String) {
        guard let skipped = try? transition(queued, .skip(kind: kind, message: message), at: Date()) else { return }
        log.event("skipped", ["job": queued.job, "execution": queued.id.rawValue, "reason": kind, "message": message])
        persist(skipped)
        noteFinished(skipped)
    }

    /// Makes the record durable as `running`, then spawns its process.
    func start(_ queued: ExecutionRecord, definition: JobDefinition, requestEnvironment: [String: String]) {
        let now = Date()
        // The caller counted this run in `snapshot`; every way out before the spawn uncounts it.
        let uncount = { self.runs.uncount(queued.id, definition: definition) }
        guard !health.isFailing else {
            uncount()
            return recordUnwritable(queued)
        }
        guard var record = try? transition(queued, .start, at: now) else { return uncount() }
        record.user = definition.runUser
        guard StateLayout.isSafeJobID(record.job) else {
            log.event("write_failed", ["execution": record.id.rawValue, "error": "job id `\(record.job)` cannot name a path in the state directory"])
            return uncount()
        }
        // Its directory is made with the commit that holds the record (`flushWrites`).
        let logPath = store.layout.logFile(job: record.job, id: record.id)
        // env_file is read by the supervisor in the child, as the run's user (ChildSetup).
        let environment = runEnvironment(definition, record: record, request: requestEnvironment)
        guard persist(record) else { return uncount() }
        let run = ActiveRun(record: record, definition: definition)
        runs.register(run)
        var request = SpawnRequest(id: record.id.rawValue, arguments: definition.argv, environment: environment,
                                   workingDirectory: definition.workdir, logPath: logPath,
                                   maxOutputBytes: definition.output.maxBytes, timeout: definition.timeout,
                                   killGrace: definition.killGrace,
                                   child: definition.childSetup(keeping: Array(requestEnvironment.keys)))
        request.fenceFile = fleetFenceFile(for: record)
        // Spawned once its `running` record is durable: see `flushWrites`.
        commit.spawnWhenDurable(GroupCommit.Spawn(run: run, request: request))
    }

    /// Writes every pending document as one group commit, then spawns the runs
    /// whose records are now durable, then does what waited for durability. If the
    /// disk refuses, nothing of this turn was acknowledged: the runs are not started.
    /// The log directories of the runs to spawn are part of the commit: one the disk
    /// refuses is a refused commit like any other.
    func flushWrites() {
        defer { keepOwedOutside() }
        for result in results.takeChanged(now: Date(), monotonic: stopping ? nil : TimerDescriptor.monotonicNow())
            where enqueueWrite(result, to: store.layout.resultFile(job: result.job)) {
            service?.resultWritten(result)
        }
        guard !commit.isEmpty else {
            // Directories made this turn (a job's, as its readers were granted) are durable
            // at the turn's end even when no document follows them.
            store.flushNewDirectories()
            // Nothing owed, but short of space after a full disk: look again when due.
            if health.isFailing && health.mayRetry(monotonic: TimerDescriptor.monotonicNow()) { commitLanded() }
            return
        }
        // Owed writes wait for their backoff (or for space freed) before they are tried again.
        guard health.mayRetry(monotonic: TimerDescriptor.monotonicNow()) else { return }
        let batch = commit.take()
        // The supervisors start while their records are flushed, gated: each starts its
        // command only once its gate opens, after the commit.
        var started: [ExecutionID: SupervisorProcess?] = [:]
        let launchGated = { [self] in
            for spawn in batch.spawns {
                let record = spawn.run.record
                // One that cannot start is started again after the commit, where a failure is its run's outcome.
                if let process = try? supervisors.launch(spawn.request, id: record.id,
                                                          outcomePath: store.layout.outcomeFile(job: record.job, id: record.id), gated: true) {
                    started[record.id] = process
                }
            }
        }
        do throws(StateStoreError) {
            for spawn in batch.spawns { _ = try store.prepareLog(job: spawn.run.record.job, id: spawn.run.record.id) }
            try store.writeBatch(batch.documents.sorted { $0.key < $1.key }.map { (path: $0.key, bytes: $0.value) },
                                 access: accessLists(for: batch.documents.keys), alongside: batch.spawns.isEmpty ? nil : launchGated)
        } catch {
            for id in started.keys { supervisors.abandon(id) }
            commitRefused(batch, error: error)
            return
        }
        for spawn in batch.spawns { launch(spawn, started: started[spawn.run.record.id]) }
        for path in batch.removals { store.retire(path) }
        for id in batch.acknowledgements { supervisors.acknowledge(id) }
        commitLanded()
        // A commit of thousands of documents (every result at the first start) grew the heap
        // by their encodings: it goes back to the system once they are freed, at the turn's end.
        if batch.documents.count >= Self.largeCommit { heapToTrim = true }
    }

    /// A commit of at least this many documents gives the memory it used back.
    static let largeCommit = 512

    /// Starts the supervisor of a run whose `running` record is durable, or opens the
    /// gate of the one `started` during the commit.
    private func launch(_ spawn: GroupCommit.Spawn, started: SupervisorProcess?? = nil) {
        let record = spawn.run.record
        let outcomePath = store.layout.outcomeFile(job: record.job, id: record.id)
        do {
            let process: SupervisorProcess?
            if let started {
                supervisors.openGate(record.id)
                process = started
            } else {
                process = try supervisors.launch(spawn.request, id: record.id, outcomePath: outcomePath)
            }
            runs.supervisorLaunched(record.id, process)
            // The result follows later: only the record must be durable before the spawn, so
            // the result's flushes are not between the trigger and the start; and it waits as
            // the pid does, so that a short run writes its result once, with its end.
            if let job = JobID(record.job) {
                results.updateStart(job, heldUntil: TimerDescriptor.monotonicNow() + Self.pidWriteDelay) {
                    $0.noteStarted(record.id.rawValue, at: record.startedAt)
                }
            }
        } catch {
            // Nothing started: that is the run's outcome.
            runEnded(record.id, outcome: .spawnFailed(error))
        }
    }

    /// What a run's supervisor reports.
    func handle(_ event: RunSupervisors.Event) {
        switch event {
        case .commandStarted(let id, let pid):
            guard let (updated, cancelNow) = runs.processStarted(id, pid: pid, startTime: ProcessTable.startTime(of: pid), at: Date()) else { return }
            runs.writePID(of: id, at: TimerDescriptor.monotonicNow() + Self.pidWriteDelay)
            log.event("started", ["job": updated.job, "execution": id.rawValue, "pid": "\(pid)"])
            fleetRunStarted(updated)
            planStartNotifications(updated)
            if cancelNow { supervisors.cancel(id) }
        case .outcome(let id, let outcome):
            runEnded(id, outcome: outcome.runOutcome)
            commit.acknowledgeWhenDurable(id)
        case .ended(let id):
            let reported = supervisors.forget(id)
            guard let run = runs.running[id] else {
                // Its end came over the report pipe. The supervisor wrote no outcome file once
                // told its end was recorded; one it wrote all the same (told too late) goes.
                if let reported, access(reported, F_OK) == 0 { commit.removeWhenDurable(reported) }
                return
            }
            let outcomePath = store.layout.outcomeFile(job: run.record.job, id: id)
            do {
                let outcome = try SupervisorOutcome.read(outcomePath)
                runEnded(id, outcome: outcome.runOutcome)
                commit.removeWhenDurable(outcomePath)
            } catch {
                supervisorLost(run, reason: error.code == .missing ? "its supervisor ended without writing an outcome" : "its outcome cannot be read: \(error)")
            }
        }
    }

    /// A run whose supervisor is gone without an outcome: its leftovers are ended and it
    /// is `interrupted` (its fate is unknown).
    func supervisorLost(_ run: ActiveRun, reason: String) {
        guard runs.finish(run.record.id) != nil else { return }
        // Nobody enforces a grace for it any more: the whole group goes at once. A run
        // re-attached before its pid reached the record is found by its environment.
        if let pid = run.record.pid, let start = run.record.pidStartTime {
            if ProcessTable.isSameProcess(pid: pid, startTime: start) { kill(-(ProcessTable.processGroup(of: pid) ?? pid), SIGKILL) }
        } else {
            for group in ExecutionProcesses.groups(runningExecution: run.record.id) { kill(-group, SIGKILL) }
        }
        guard let interrupted = try? transition(run.record, .interrupt(message: "\(reason); its processes were ended"), at: Date()) else { return }
        recordEnd(interrupted, of: run, event: "interrupted")
    }

    /// A run's end as its outcome says.
    func runEnded(_ id: ExecutionID, outcome: RunOutcome) {
        guard let run = runs.finish(id) else { return }
        let relativeLog = store.layout.logRelativePath(job: run.record.job, id: id)
        guard let finished = try? transition(run.record, .finish(outcome.runResult(logPath: relativeLog)), at: outcome.finishedAt) else { return }
        recordEnd(finished, of: run, event: "finished")
    }

    /// Writes a terminal record of a run that was going on, with the retry it owes (its
    /// due time is written with the failure, so it survives a restart), then the result,
    /// retention and chains.
    private func recordEnd(_ terminal: ExecutionRecord, of run: ActiveRun, event: String) {
        var finished = terminal
        let current = jobs.definition(run.definition.id) ?? run.definition
        let retry = stopping ? nil : current.retries.retry(after: finished, fraction: Double.random(in: 0..<1))
        if let retry { finished.trigger.retryAt = retry.due }
        persist(finished)
        log.event(event, ["job": finished.job, "execution": finished.id.rawValue, "state": finished.state.rawValue,
                          "duration_ms": finished.durationMilliseconds.map { "\($0)" },
                          "exit_code": finished.exitCode.map { "\($0)" }, "signal": finished.signal.map { "\($0)" },
                          "error": finished.error?.message, "retry_at": retry.map { Timestamp.format($0.due) }])
        noteFinished(finished)
        if let retry { scheduleRetry(retry) }
        prune(job: finished.job, definition: run.definition)
        fireChains(after: finished, retryFollows: retry != nil)
    }

    /// Queues a record for this turn's group commit; false when it cannot be encoded.
    @discardableResult
    func persist(_ record: ExecutionRecord) -> Bool {
        let path = store.layout.executionFile(job: record.job, id: record.id)
        if record.state == .queued || record.state == .skipped || (record.state == .running && record.pid == nil) {
            history.added(record.job, dueAt: record.id.dueAt)
        }
        return enqueueWrite(record, to: path)
    }

    @discardableResult
    func enqueueWrite<Document: Encodable>(_ document: Document, to path: String) -> Bool {
        do {
            try commit.write(document, to: path)
            return true
        } catch {
            log.event("write_failed", ["file": path, "error": "\(error)"])
            return false
        }
    }

    /// How long after its command starts a run's record gets its `pid` (and `supervisor`):
    /// a shorter run has them in its terminal record only. Recovery finds a supervisor by
    /// the execution id on its command line when the record has no pid yet.
    static let pidWriteDelay: UInt64 = 250_000_000

    /// Writes the records of the runs whose process id is due (all of them when stopping).
    func writeDuePIDs(now: UInt64?) {
        for record in runs.takePIDWrites(dueBy: now) { persist(record) }
    }

    /// The daemon's own environment, read once: nothing changes it while it runs.
    static let environment = ProcessInfo.processInfo.environment

    /// What a run as a user other than the daemon's starts from: a default `PATH`, and
    /// `LANG` and `TZ` when the daemon has them; the run's `HOME`, `USER`, `LOGNAME` and
    /// `SHELL` are added after.
    static let minimalEnvironment: [String: String] = {
        var minimal = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for name in ["LANG", "TZ"] { minimal[name] = environment[name] }
        return minimal
    }()

    private func runEnvironment(_ definition: JobDefinition, record: ExecutionRecord, request: [String: String]) -> [String: String] {
        let base = definition.startsFromMinimalEnvironment ? Self.minimalEnvironment : Self.environment
        var environment = base.merging(definition.userEnvironment) { _, user in user }
        for name in ServiceReporter.serviceManagerVariables { environment[name] = nil }
        let expansion = definition.expandsFromDaemonEnvironment ? Self.environment : environment
        for entry in definition.env { environment[entry.name] = EnvironmentExpansion.expand(entry.value, environment: expansion) }
        for (name, value) in request where !name.hasPrefix("JOBDIR_") { environment[name] = value }
        for (name, _) in environment where name.hasPrefix("JOBDIR_") { environment[name] = nil }
        environment["JOBDIR_JOB"] = record.job
        environment["JOBDIR_EXECUTION"] = record.id.rawValue
        environment["JOBDIR_ATTEMPT"] = "\(record.attempt)"
        environment["JOBDIR_TRIGGER"] = record.trigger.kind.rawValue
        environment["JOBDIR_SCHEDULED_FOR"] = record.trigger.scheduledFor.map(Timestamp.format) ?? ""
        environment["JOBDIR_STATE_DIR"] = configuration.stateDirectory
        if case .int(let fence)? = record.trigger.extra["fence"] { environment["JOBDIR_FENCE"] = "\(fence)" }
        if case .string(let upstream)? = record.trigger.extra["upstream_execution"], case .string(let job)? = record.trigger.extra["upstream_job"] {
            environment["JOBDIR_UPSTREAM_JOB"] = job
            environment["JOBDIR_UPSTREAM_EXECUTION"] = upstream
            if case .string(let state)? = record.trigger.extra["upstream_state"] { environment["JOBDIR_UPSTREAM_STATE"] = state }
        }
        if case .array(let paths)? = record.trigger.extra["changed_paths"] {
            environment["JOBDIR_CHANGED_PATHS"] = paths.compactMap { if case .string(let path) = $0 { return path } else { return nil } }.joined(separator: "\n")
        }
        return environment
    }

    /// Shows in the job's result why an execution waits.
    func noteWaiting(_ execution: ExecutionID, job: JobID, reason: WaitReason) {
        results.update(job) { $0.noteWaiting(execution.rawValue, reason: reason.description) }
    }

    /// Remembers a retry owed after a failed attempt; it fires at its due time.
    func scheduleRetry(_ retry: OwedRetry) {
        runs.owe(retry)
        if let job = JobID(retry.failed.job) { noteWaiting(retry.failed.id, job: job, reason: retry.reason) }
    }

    /// Retries whose backoff is over become new attempts of their occurrence.
    func fireDueRetries(now: Date) {
        for retry in runs.takeDueRetries(now: now) {
            let failedID = retry.failed.id
            guard let job = JobID(retry.failed.job) else { continue }
            results.update(job) { $0.noteLeftQueue(failedID.rawValue) }
            guard let definition = jobs.definition(job) else { continue }
            let record = retry.record(id: newExecutionID(job: job, dueAt: retry.due, kind: retry.failed.trigger.kind), definition: definition, host: host, at: now)
            log.event("retrying", ["job": record.job, "execution": record.id.rawValue, "attempt": "\(record.attempt)", "retry_of": failedID.rawValue])
            admit(record, definition: definition, requestEnvironment: [:])
        }
    }

    /// Updates the job's result for a terminal record.
    func noteFinished(_ record: ExecutionRecord) {
        guard let id = JobID(record.job) else { return }
        let file = jobs.file(of: id) ?? ""
        planNotifications(for: record)
        fleetFinished(record)
        results.update(id, orCreate: { newResult(id, file: file, now: Date()) }) { $0.noteFinished(record) }
    }

    private func prune(job: String, definition: JobDefinition) {
        // Read the records only when their count or age says some may be due for removal.
        guard history.pruneDue(job, keep: definition.history.keep, maxAge: definition.history.maxAge, now: Date(),
                               list: { (try? store.recordIDs(job: job)) ?? [] }) else { return }
        let retention = HistoryRetention(keep: definition.history.keep, maxAge: definition.history.maxAge)
        do {
            try store.pruneHistory(job: job, retention: retention, now: Date(), unreadable: reportUnreadable)
            health.spaceFreed()
        } catch {
            log.event("prune_failed", ["job": job, "error": "\(error)"])
        }
    }

    /// `after` links: jobs that run when this execution ends in a matching state,
    /// once the upstream's last attempt has ended (`ChainFiring`).
    func fireChains(after upstream: ExecutionRecord, retryFollows: Bool) {
        guard !stopping else { return }
        guard let job = JobID(upstream.job) else { return }
        for firing in ChainFiring.fired(by: upstream, retryFollows: retryFollows, definitions: jobs.followers(of: job)) {
            guard let definition = jobs.definition(firing.job) else { continue }
            // A chain cycle is refused at validation; should one be loaded anyway, it does not run.
            if jobs.jobsInChainCycles().contains(firing.job) {
                log.event("chain_refused", ["job": firing.job.rawValue, "upstream": upstream.job, "reason": "the job is part of an `after` cycle"])
                continue
            }
            fire(definition, trigger: firing.trigger, occurrence: firing.occurrence)
        }
    }
}
