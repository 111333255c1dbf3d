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
            if runs[id] == nil, waiting[id] == nil, approvals[id] == nil, pendingWrites[path] == nil, access(path, F_OK) != 0 {
                return id
            }
        }
    }

    /// Applies the run policies to a new `queued` record (a new occurrence or a retry).
    func admit(_ record: ExecutionRecord, definition: JobDefinition, requestEnvironment: [String: String]) {
        let admission = Admission.decide(definition, in: snapshot, limits: limits)
        for victim in admission.cancel { cancelExecution(victim, reason: "replaced by \(record.id.rawValue) (overlap: replace)") }
        switch admission.action {
        case .start:
            snapshot.start(record.id, job: definition.id, pool: definition.pool)
            start(record, definition: definition, requestEnvironment: requestEnvironment)
        case .wait(let reason):
            guard persist(record) else { return }
            snapshot.enqueue(record.id, job: definition.id)
            waiting[record.id] = WaitingExecution(record: record, requestEnvironment: requestEnvironment)
            queueChanged = true
            log.event("queued", ["job": record.job, "execution": record.id.rawValue, "reason": reason.description])
            noteWaiting(record.id, job: definition.id, reason: reason)
        case .skip(let failure):
            recordSkipped(record, kind: failure.kind, message: failure.message)
        }
    }

    /// Starts the waiting executions that may start now and skips those past their
    /// deadline (`StartPlan`); called whenever a run ends or the queue changes.
    func drainQueue(now: Date) {
        guard !waiting.isEmpty, !stopping else { return }
        guard queueChanged || (nextQueueDeadline.map { $0 <= now } ?? false) else { return }
        queueChanged = false
        var definitions: [JobID: JobDefinition] = [:]
        for definition in registry.definitions { definitions[definition.id] = definition }
        let plan = StartPlan(snapshot, definitions: definitions, limits: limits, now: now)
        snapshot = plan.snapshot
        for skip in plan.skip {
            guard let entry = waiting.removeValue(forKey: skip.id) else { continue }
            recordSkipped(entry.record, kind: skip.failure.kind, message: skip.failure.message)
        }
        for start in plan.start {
            guard let entry = waiting.removeValue(forKey: start.id), let definition = definitions[start.job] else { continue }
            self.start(entry.record, definition: definition, requestEnvironment: entry.requestEnvironment)
        }
        noteWaiting(plan.waiting)
        nextQueueDeadline = waiting.values.compactMap { entry -> Date? in
            guard let job = JobID(entry.record.job), let deadline = registry.definition(job)?.startingDeadline,
                  entry.record.trigger.kind != .manual else { return nil }
            return entry.record.id.dueAt.addingTimeInterval(Double(deadline.milliseconds) / 1000 + 0.001)
        }.min()
    }

    /// Cancels a running or waiting execution.
    func cancelExecution(_ id: ExecutionID, reason: String) {
        if approvals[id] != nil {
            endApproval(id, event: .cancel(reason: reason), fileState: "canceled", logEvent: "canceled")
        } else if runs[id] != nil {
            log.event("canceling", ["execution": id.rawValue, "reason": reason])
            // Before its process is up the runner does not know the run yet: cancel it once it starts.
            if !runner.cancel(id: id.rawValue) { cancelWhenStarted.insert(id) }
        } else if let entry = waiting.removeValue(forKey: id), let job = JobID(entry.record.job) {
            snapshot.removeQueued(id, job: job)
            queueChanged = true
            guard let canceled = try? transition(entry.record, .cancel(reason: reason), at: Date()) else { return }
            persist(canceled)
            log.event("canceled", ["job": canceled.job, "execution": id.rawValue, "reason": reason])
            noteFinished(canceled)
        }
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
        let uncount = { self.snapshot.end(queued.id, job: definition.id, pool: definition.pool) }
        guard let record = try? transition(queued, .start, at: now) else { return uncount() }
        let logPath: String
        do {
            logPath = try store.prepareLog(job: record.job, id: record.id)
        } catch {
            log.event("write_failed", ["execution": record.id.rawValue, "error": "\(error)"])
            return uncount()
        }
        let environment: [String: String]
        do {
            environment = try runEnvironment(definition, record: record, request: requestEnvironment)
        } catch {
            // A broken env_file fails the run before anything starts; its values are never recorded.
            uncount()
            let failure = ExecutionFailure(kind: "env_file", message: error.description)
            if let failed = try? transition(record, .finish(RunResult(termination: .spawnFailed(failure))), at: now) {
                persist(failed)
                log.event("finished", ["job": record.job, "execution": record.id.rawValue, "state": failed.state.rawValue, "error": failure.message])
                noteFinished(failed)
            }
            return
        }
        guard persist(record) else { return uncount() }
        let run = ActiveRun(record: record, definition: definition)
        runs[record.id] = run
        let request = SpawnRequest(id: record.id.rawValue, arguments: definition.argv, environment: environment,
                                   workingDirectory: definition.workdir, logPath: logPath,
                                   maxOutputBytes: definition.output.maxBytes, timeout: definition.timeout,
                                   killGrace: definition.killGrace)
        // Spawned once its `running` record is durable: see `flushWrites`.
        pendingSpawns.append((run, request))
        noteStarted(record)
    }

    /// Writes every pending document as one group commit, then spawns the runs
    /// whose records are now durable, then does what waited for durability. If the
    /// disk refuses, nothing of this turn was acknowledged: the runs are not started.
    func flushWrites() {
        queueDirtyResults()
        guard !pendingWrites.isEmpty || !pendingSpawns.isEmpty || !afterFlush.isEmpty else { return }
        let documents = pendingWrites.map { (path: $0.key, bytes: $0.value) }
        pendingWrites.removeAll()
        let spawns = pendingSpawns
        pendingSpawns.removeAll()
        let after = afterFlush
        afterFlush.removeAll()
        do {
            try store.writeBatch(documents)
        } catch {
            log.event("write_failed", ["files": "\(documents.count)", "error": "\(error)", "note": "runs of this turn are not started"])
            writtenResults.removeAll()
            for (run, _) in spawns {
                runs[run.record.id] = nil
                snapshot.end(run.record.id, job: run.definition.id, pool: run.definition.pool)
                log.event("not_started", ["job": run.record.job, "execution": run.record.id.rawValue, "reason": "its record could not be written"])
            }
            return
        }
        let messages = self.messages!
        for (run, request) in spawns {
            let id = run.record.id
            runner.start(request, onStarted: { process in messages.post(.started(id, process)) },
                         onFinished: { outcome in messages.post(.finished(id, outcome)) })
        }
        for action in after { action() }
    }

    func handle(_ message: RunMessage) {
        switch message {
        case .started(let id, let process):
            guard var run = runs[id], let updated = try? transition(run.record, .processStarted(pid: process.pid, startTime: process.startTime), at: Date()) else { return }
            run.record = updated
            runs[id] = run
            persist(updated)
            log.event("started", ["job": updated.job, "execution": id.rawValue, "pid": "\(process.pid)"])
            if cancelWhenStarted.remove(id) != nil { runner.cancel(id: id.rawValue) }
        case .finished(let id, let outcome):
            cancelWhenStarted.remove(id)
            guard let run = runs.removeValue(forKey: id) else { return }
            snapshot.end(id, job: run.definition.id, pool: run.definition.pool)
            let relativeLog = store.layout.logRelativePath(job: run.record.job, id: id)
            guard var finished = try? transition(run.record, .finish(outcome.runResult(logPath: relativeLog)), at: outcome.finishedAt) else { return }
            // A retry's due time is written with the failure, so it survives a restart.
            let current = registry.definition(run.definition.id) ?? run.definition
            let retry = stopping ? nil : current.retries.retry(after: finished, fraction: Double.random(in: 0..<1))
            if let retry { finished.trigger.retryAt = retry.due }
            persist(finished)
            log.event("finished", ["job": finished.job, "execution": id.rawValue, "state": finished.state.rawValue,
                                   "duration_ms": finished.durationMilliseconds.map { "\($0)" },
                                   "exit_code": finished.exitCode.map { "\($0)" }, "signal": finished.signal.map { "\($0)" },
                                   "error": finished.error?.message, "retry_at": retry.map { Timestamp.format($0.due) }])
            noteFinished(finished)
            if let retry { scheduleRetry(retry) }
            prune(job: finished.job, definition: run.definition)
            fireChains(after: finished, retryFollows: retry != nil)
            queueChanged = true
        }
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
            pendingWrites[path] = try StateJSON.encode(document, path: path)
            return true
        } catch {
            log.event("write_failed", ["file": path, "error": "\(error)"])
            return false
        }
    }

    private func runEnvironment(_ definition: JobDefinition, record: ExecutionRecord, request: [String: String]) throws(EnvFileError) -> [String: String] {
        let daemonEnvironment = ProcessInfo.processInfo.environment
        var environment = daemonEnvironment
        for (name, value) in try EnvFile.read(definition.envFiles) { environment[name] = value }
        for entry in definition.env { environment[entry.name] = EnvironmentExpansion.expand(entry.value, environment: daemonEnvironment) }
        for (name, value) in request where !name.hasPrefix("JOBDIR_") { environment[name] = value }
        for (name, _) in environment where name.hasPrefix("JOBDIR_") { environment[name] = nil }
        environment["JOBDIR_JOB"] = record.job
        environment["JOBDIR_EXECUTION"] = record.id.rawValue
        environment["JOBDIR_ATTEMPT"] = "\(record.attempt)"
        environment["JOBDIR_TRIGGER"] = record.trigger.kind.rawValue
        environment["JOBDIR_SCHEDULED_FOR"] = record.trigger.scheduledFor.map(Timestamp.format) ?? ""
        environment["JOBDIR_STATE_DIR"] = configuration.stateDirectory
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

    private func noteStarted(_ record: ExecutionRecord) {
        guard let id = JobID(record.job), var result = results[id] else { return }
        result.queued.removeAll { $0.id == record.id.rawValue }
        result.running.append(record.id.rawValue)
        saveResult(result)
    }

    /// Shows in the job's result why an execution waits.
    func noteWaiting(_ execution: ExecutionID, job: JobID, reason: WaitReason) {
        guard var result = results[job] else { return }
        let entry = JobResult.Waiting(id: execution.rawValue, reason: reason.description)
        if let index = result.queued.firstIndex(where: { $0.id == execution.rawValue }) {
            result.queued[index] = entry
        } else {
            result.queued.append(entry)
        }
        saveResult(result)
    }

    /// The same for many executions at once, one pass per job.
    func noteWaiting(_ reasons: [ExecutionID: WaitReason]) {
        var byJob: [JobID: [ExecutionID: String]] = [:]
        for (id, reason) in reasons {
            guard let entry = waiting[id], let job = JobID(entry.record.job) else { continue }
            byJob[job, default: [:]][id] = reason.description
        }
        for (job, updates) in byJob {
            guard var result = results[job] else { continue }
            var changed = false
            for index in result.queued.indices {
                guard let id = ExecutionID(rawValue: result.queued[index].id), let reason = updates[id], result.queued[index].reason != reason else { continue }
                result.queued[index].reason = reason
                changed = true
            }
            let listed = Set(result.queued.map(\.id))
            for (id, reason) in updates.sorted(by: { $0.key < $1.key }) where !listed.contains(id.rawValue) {
                result.queued.append(JobResult.Waiting(id: id.rawValue, reason: reason))
                changed = true
            }
            if changed { saveResult(result) }
        }
    }

    /// Remembers a retry owed after a failed attempt; it fires at its due time.
    func scheduleRetry(_ retry: OwedRetry) {
        pendingRetries[retry.failed.id] = retry
        if let job = JobID(retry.failed.job) { noteWaiting(retry.failed.id, job: job, reason: retry.reason) }
    }

    /// Retries whose backoff is over become new attempts of their occurrence.
    func fireDueRetries(now: Date) {
        for (failedID, retry) in pendingRetries.sorted(by: { $0.value.due < $1.value.due }) where retry.due <= now {
            pendingRetries[failedID] = nil
            guard let job = JobID(retry.failed.job) else { continue }
            if var result = results[job] {
                result.queued.removeAll { $0.id == failedID.rawValue }
                saveResult(result)
            }
            guard let definition = registry.definition(job) else { continue }
            let record = retry.record(id: newExecutionID(job: job, dueAt: retry.due, kind: retry.failed.trigger.kind), definition: definition, host: host, at: now)
            log.event("retrying", ["job": record.job, "execution": record.id.rawValue, "attempt": "\(record.attempt)", "retry_of": failedID.rawValue])
            admit(record, definition: definition, requestEnvironment: [:])
        }
    }

    /// Updates the job's result for a terminal record.
    func noteFinished(_ record: ExecutionRecord) {
        guard let id = JobID(record.job) else { return }
        var result = results[id] ?? newResult(id, file: registry.entries[id]?.file ?? "", now: Date())
        result.running.removeAll { $0 == record.id.rawValue }
        result.queued.removeAll { $0.id == record.id.rawValue }
        result.pendingApprovals.removeAll { $0 == record.id.rawValue }
        result.counts[record.state.rawValue, default: 0] += 1
        result.lastExecution = JobResult.LastExecution(id: record.id.rawValue, state: record.state.rawValue, finishedAt: record.finishedAt, exitCode: record.exitCode)
        switch record.state {
        case .succeeded:
            result.lastSuccessAt = record.finishedAt
            result.consecutiveFailures = 0
        case .failed, .timedOut, .interrupted, .expired:
            result.consecutiveFailures += 1
        default:
            break
        }
        saveResult(result)
    }

    private func prune(job: String, definition: JobDefinition) {
        // Read the records only when their count or age says some may be due for removal.
        let figures = history.figures(job) { (try? store.recordIDs(job: job)) ?? [] }
        let oldEnough = definition.history.maxAge.map { age in
            figures.oldest.map { Date().timeIntervalSince($0) > Double(age.milliseconds) / 1000 } ?? false
        } ?? false
        guard figures.count > definition.history.keep || oldEnough else { return }
        history.reset(job)
        let retention = HistoryRetention(keep: definition.history.keep, maxAge: definition.history.maxAge)
        do {
            try store.pruneHistory(job: job, retention: retention, now: Date(), unreadable: reportUnreadable)
        } catch {
            log.event("prune_failed", ["job": job, "error": "\(error)"])
        }
    }

    /// `after` links: jobs that run when this execution ends in a matching state,
    /// once the upstream's last attempt has ended (`ChainFiring`).
    func fireChains(after upstream: ExecutionRecord, retryFollows: Bool) {
        guard !stopping else { return }
        for firing in ChainFiring.fired(by: upstream, retryFollows: retryFollows, definitions: registry.definitions) {
            guard let definition = registry.definition(firing.job) else { continue }
            // A chain cycle is refused at validation; should one be loaded anyway, it does not run.
            if jobsInChainCycles.contains(firing.job) {
                log.event("chain_refused", ["job": firing.job.rawValue, "upstream": upstream.job, "reason": "the job is part of an `after` cycle"])
                continue
            }
            fire(definition, trigger: firing.trigger, occurrence: firing.occurrence)
        }
    }
}

extension Daemon {
    /// Jobs on an `after` cycle, computed again after definitions change.
    var jobsInChainCycles: Set<JobID> {
        if let known = chainCycleCache { return known }
        var byID: [JobID: JobDefinition] = [:]
        for definition in registry.definitions { byID[definition.id] = definition }
        let cyclic = Set(ChainCheck.cycles(in: byID).flatMap { $0 })
        chainCycleCache = cyclic
        return cyclic
    }
}
