import Cron
import Definitions
import Execution
import Foundation
import Scheduling
import StateStore

/// Starting executions and seeing them end: every record is durable in
/// `running` state before its process starts (SPEC section 4).
extension Daemon {
    /// A new occurrence of `definition`: start it, or record why it does not run.
    func fire(_ definition: JobDefinition, trigger: ExecutionTrigger, occurrence: OccurrenceKey,
              attempt: Int = 1, retryOf: ExecutionID? = nil, requestEnvironment: [String: String] = [:],
              id presetID: ExecutionID? = nil) {
        let id = presetID ?? ExecutionID(dueAt: trigger.scheduledFor ?? Date(), trigger: trigger.kind, random: UInt16.random(in: 0...UInt16.max))
        log.event("fired", ["job": definition.id.rawValue, "execution": id.rawValue, "trigger": trigger.kind.rawValue,
                            "scheduled_for": trigger.scheduledFor.map(Timestamp.format), "catchup": trigger.extra["catchup"] == nil ? nil : "true"])
        if definition.overlap == .skip, let busy = runs.values.first(where: { $0.record.job == definition.id.rawValue }) {
            recordSkipped(definition, trigger: trigger, occurrence: occurrence, kind: "overlap",
                          message: "\(busy.record.id.rawValue) is still running (overlap: skip)", id: id)
            return
        }
        let record = ExecutionRecord.queued(id: id, job: definition.id.rawValue, occurrence: occurrence, trigger: trigger,
                                            attempt: attempt, retryOf: retryOf, definitionSHA256: definition.sha256,
                                            command: definition.argv, host: host, at: Date())
        start(record, definition: definition, requestEnvironment: requestEnvironment)
    }

    /// Records an occurrence that does not run, `skipped` with `error.kind` saying why.
    func recordSkipped(_ definition: JobDefinition, trigger: ExecutionTrigger, occurrence: OccurrenceKey,
                       kind: String, message: String, id presetID: ExecutionID? = nil) {
        let id = presetID ?? ExecutionID(dueAt: trigger.scheduledFor ?? Date(), trigger: trigger.kind, random: UInt16.random(in: 0...UInt16.max))
        let queued = ExecutionRecord.queued(id: id, job: definition.id.rawValue, occurrence: occurrence, trigger: trigger,
                                            definitionSHA256: definition.sha256, command: definition.argv, host: host, at: Date())
        guard let skipped = try? transition(queued, .skip(kind: kind, message: message), at: Date()) else { return }
        log.event("skipped", ["job": definition.id.rawValue, "execution": id.rawValue, "reason": kind, "message": message])
        persist(skipped)
        noteFinished(skipped)
    }

    /// Makes the record durable as `running`, then spawns its process.
    func start(_ queued: ExecutionRecord, definition: JobDefinition, requestEnvironment: [String: String]) {
        let now = Date()
        guard let record = try? transition(queued, .start, at: now) else { return }
        let logPath: String
        do {
            logPath = try store.prepareLog(job: record.job, id: record.id)
        } catch {
            log.event("write_failed", ["execution": record.id.rawValue, "error": "\(error)"])
            return
        }
        let environment: [String: String]
        do {
            environment = try runEnvironment(definition, record: record, request: requestEnvironment)
        } catch {
            // A broken env_file fails the run before anything starts; its values are never recorded.
            let failure = ExecutionFailure(kind: "env_file", message: error.description)
            if let failed = try? transition(record, .finish(RunResult(termination: .spawnFailed(failure))), at: now) {
                persist(failed)
                log.event("finished", ["job": record.job, "execution": record.id.rawValue, "state": failed.state.rawValue, "error": failure.message])
                noteFinished(failed)
            }
            return
        }
        guard persist(record) else { return }
        runs[record.id] = ActiveRun(record: record, definition: definition, logPath: logPath)
        noteStarted(record)
        let request = SpawnRequest(id: record.id.rawValue, arguments: definition.argv, environment: environment,
                                   workingDirectory: definition.workdir, logPath: logPath,
                                   maxOutputBytes: definition.output.maxBytes, timeout: definition.timeout,
                                   killGrace: definition.killGrace)
        let id = record.id
        let runner = self.runner
        let messages = self.messages!
        Task {
            let outcome = await runner.run(request) { process in messages.post(.started(id, process)) }
            messages.post(.finished(id, outcome))
        }
    }

    func handle(_ message: RunMessage) {
        switch message {
        case .started(let id, let process):
            guard var run = runs[id], let updated = try? transition(run.record, .processStarted(pid: process.pid, startTime: process.startTime), at: Date()) else { return }
            run.record = updated
            runs[id] = run
            persist(updated)
            log.event("started", ["job": updated.job, "execution": id.rawValue, "pid": "\(process.pid)"])
        case .finished(let id, let outcome):
            guard let run = runs.removeValue(forKey: id) else { return }
            let relativeLog = store.layout.logRelativePath(job: run.record.job, id: id)
            guard let finished = try? transition(run.record, .finish(outcome.runResult(logPath: relativeLog)), at: outcome.finishedAt) else { return }
            persist(finished)
            log.event("finished", ["job": finished.job, "execution": id.rawValue, "state": finished.state.rawValue,
                                   "duration_ms": finished.durationMilliseconds.map { "\($0)" },
                                   "exit_code": finished.exitCode.map { "\($0)" }, "signal": finished.signal.map { "\($0)" },
                                   "error": finished.error?.message])
            noteFinished(finished)
            prune(job: finished.job, definition: run.definition)
            fireChains(after: finished)
        }
    }

    /// Writes a record; false (and a log line) when the disk refuses it.
    @discardableResult
    func persist(_ record: ExecutionRecord) -> Bool {
        do {
            try store.write(record)
            return true
        } catch {
            log.event("write_failed", ["execution": record.id.rawValue, "error": "\(error)"])
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
        result.running.append(record.id.rawValue)
        saveResult(result)
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
        let retention = HistoryRetention(keep: definition.history.keep, maxAge: definition.history.maxAge)
        do {
            try store.pruneHistory(job: job, retention: retention, now: Date())
        } catch {
            log.event("prune_failed", ["job": job, "error": "\(error)"])
        }
    }

    /// `after` links: jobs that run when this execution ends in a matching state.
    func fireChains(after upstream: ExecutionRecord) {
        guard !stopping, let upstreamID = JobID(upstream.job) else { return }
        for definition in registry.definitions.sorted(by: { $0.id < $1.id }) where definition.enabled {
            for link in definition.after where link.job == upstreamID && Self.matches(link.on, upstream.state) {
                let trigger = ExecutionTrigger(kind: .after, scheduledFor: upstream.finishedAt ?? Date(), extra: [
                    "upstream_job": .string(upstream.job), "upstream_execution": .string(upstream.id.rawValue),
                    "upstream_state": .string(upstream.state.rawValue),
                ])
                fire(definition, trigger: trigger, occurrence: .chain(job: definition.id.rawValue, upstream: upstream.id))
                break
            }
        }
    }

    static func matches(_ condition: AfterTrigger.Condition, _ state: ExecutionState) -> Bool {
        switch condition {
        case .success: return state == .succeeded
        case .failure: return [.failed, .timedOut, .interrupted].contains(state)
        case .always: return state != .skipped
        }
    }
}
