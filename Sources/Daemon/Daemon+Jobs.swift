import Definitions
import Foundation
import Scheduling
import StateStore
import Watching

/// Keeping definitions current: start-up load, inotify-driven reloads,
/// SIGHUP and overflow rescans (SPEC section 6).
extension Daemon {
    /// Quiet periods before a changed job file is read: a closed or moved-in file
    /// is complete; a created or still-modified one may not be.
    static let settledDelay: UInt64 = 20_000_000
    static let unsettledDelay: UInt64 = 500_000_000

    func handle(jobChange change: JobTreeWatcher.Change) {
        let now = TimerDescriptor.monotonicNow()
        switch change {
        case .written(let path), .removedOrChanged(let path):
            pathDebounce.touch(path, now: now, delay: Self.settledDelay)
        case .created(let path), .modified(let path):
            pathDebounce.touch(path, now: now, delay: Self.unsettledDelay)
        case .directoryAppeared(let directory):
            for path in jobTree.files(below: directory) { pathDebounce.touch(path, now: now, delay: Self.settledDelay) }
        case .directoryRemoved(let directory):
            for path in registry.knownPaths where path.hasPrefix(directory + "/") {
                pathDebounce.touch(path, now: now, delay: Self.settledDelay)
            }
        case .rootRemoved:
            log.event("jobs_directory_gone", ["path": configuration.jobsDirectory, "note": "jobs keep their definitions until it returns"])
        case .rootReturned:
            log.event("jobs_directory_back", ["path": configuration.jobsDirectory])
            loadAllJobs(reason: "jobs directory returned")
        case .overflow:
            loadAllJobs(reason: "overflow")
        }
    }

    /// Reads every job file again and reconciles: new, changed, invalid and vanished files.
    func loadAllJobs(reason: String) {
        defaults = jobs.loadDefaults()
        if case .invalid(let file, let problems) = defaults {
            log.event("invalid", ["file": file, "error": problems.map(\.description).joined(separator: "; ")])
        }
        let found: [String]
        do {
            found = try jobs.candidateFiles()
        } catch {
            log.event("jobs_directory_unreadable", ["path": configuration.jobsDirectory, "error": error.message])
            return
        }
        let present = Set(found)
        for path in registry.knownPaths where !present.contains(path) { reloadJobFile(path) }
        for path in found where path != JobPathRules.defaultsFileName { reloadJobFile(path) }
        log.event("loaded_all", ["reason": reason, "jobs": "\(registry.definitions.count)", "invalid": "\(registry.entries.values.filter { $0.problems != nil }.count + registry.unassigned.count)"])
    }

    /// Reads one job file (or notices it is gone) and applies the outcome.
    func reloadJobFile(_ relativePath: String) {
        if relativePath == JobPathRules.defaultsFileName {
            log.event("defaults_changed", ["file": jobs.path(of: relativePath)])
            loadAllJobs(reason: "_defaults.yaml changed")
            return
        }
        let exists = access(jobs.path(of: relativePath), F_OK) == 0
        if !exists {
            if let change = registry.remove(relativePath) { apply(change) }
            return
        }
        guard let load = jobs.load(relativePath, defaults: defaults) else { return }
        apply(registry.apply(load))
    }

    private func apply(_ change: JobRegistry.Change) {
        let now = Date()
        queueChanged = true
        chainCycleCache = nil
        switch change {
        case .added(let definition):
            log.event("loaded", ["job": definition.id.rawValue, "file": definition.file])
            install(definition, now: now)
        case .replaced(_, let definition):
            log.event("reloaded", ["job": definition.id.rawValue, "file": definition.file])
            install(definition, now: now)
        case .unchanged(let id):
            if var result = results[id], result.definitionError != nil {
                result.definitionError = nil
                saveResult(result)
            }
        case .invalid(let id, let file, let problems, let kept):
            let text = problems.map(\.description).joined(separator: "\n")
            log.event("invalid", ["job": id?.rawValue, "file": file, "error": text, "kept": kept == nil ? "none" : "last valid definition"])
            guard let id else { return }
            var result = results[id] ?? newResult(id, file: file, now: now)
            result.definitionError = text
            if kept == nil { result.loaded = false }
            saveResult(result)
        case .removed(let id, _):
            log.event("removed", ["job": id.rawValue])
            // Waiting executions and owed retries go with the job; running ones finish.
            for (execution, entry) in waiting where entry.record.job == id.rawValue {
                cancelExecution(execution, reason: "its job file was removed")
            }
            for (failed, retry) in pendingRetries where retry.failed.job == id.rawValue { pendingRetries[failed] = nil }
            for (execution, pending) in approvals where pending.record.job == id.rawValue {
                cancelExecution(execution, reason: "its job file was removed")
            }
            plans[id] = nil
            wakeTimes[id] = nil
            timelines[id] = nil
            watchPatterns[id] = nil
            watchPending[id] = nil
            watchDebounce.cancel(id)
            if var result = results[id] {
                result.loaded = false
                result.definitionError = nil
                result.nextDue = [:]
                saveResult(result)
            }
        }
    }

    /// Puts a valid definition in force: its trigger plan, wake time and result.
    private func install(_ definition: JobDefinition, now: Date) {
        let id = definition.id
        var result = results[id] ?? loadResult(id) ?? newResult(id, file: definition.file, now: now)
        let firstInstall = timelines[id] == nil
        if firstInstall {
            let firstSeen = result.everyAnchor ?? now
            timelines[id] = JobTimeline(firstSeen: firstSeen, lastSlot: lastSlots(of: id))
        }
        result.everyAnchor = timelines[id]!.firstSeen
        let plan = TriggerPlan(definition: definition, firstSeen: timelines[id]!.firstSeen, zone: zone(for: definition), loadedAt: now)
        plans[id] = plan
        result.file = definition.file
        result.description = definition.description
        result.definitionSHA256 = definition.sha256
        result.loaded = true
        result.definitionError = nil
        result.enabled = definition.enabled
        result.labels = definition.labels
        results[id] = result
        updateWakeTime(id, now: now)
        saveResult(results[id]!)
        installWatch(definition, firstInstall: firstInstall)
    }

    /// The latest slot of each time trigger kind among the job's execution records,
    /// so that a slot run before a restart is never run again.
    private func lastSlots(of id: JobID) -> [TriggerKind: Date] {
        var last: [TriggerKind: Date] = [:]
        for execution in (try? store.recordIDs(job: id.rawValue)) ?? [] {
            let kind = execution.trigger
            guard kind == .cron || kind == .every || kind == .at else { continue }
            last[kind] = max(last[kind] ?? .distantPast, execution.dueAt)
        }
        return last
    }

    func newResult(_ id: JobID, file: String, now: Date) -> JobResult {
        JobResult(job: id.rawValue, file: file, updatedAt: now)
    }

    /// The result written by an earlier run of the daemon, if any.
    func loadResult(_ id: JobID) -> JobResult? {
        let path = store.layout.resultFile(job: id.rawValue)
        guard let result = readDocument(JobResult.self, at: path) else { return nil }
        writtenResults[id] = result
        return result
    }

    /// Keeps `result` as the job's current result; `results/<job>.json` is written at the
    /// end of the loop turn if it then differs from what was last written.
    func saveResult(_ result: JobResult) {
        guard let id = JobID(result.job) else { return }
        results[id] = result
        dirtyResults.insert(id)
    }

    /// Queues the results changed this turn for the group commit.
    func queueDirtyResults() {
        for id in dirtyResults {
            guard var result = results[id] else { continue }
            if let written = writtenResults[id], written.withoutTimestamp == result.withoutTimestamp { continue }
            result.updatedAt = Date()
            results[id] = result
            if enqueueWrite(result, to: store.layout.resultFile(job: id.rawValue)) { writtenResults[id] = result }
        }
        dirtyResults.removeAll()
    }
}

private extension JobResult {
    var withoutTimestamp: JobResult {
        var copy = self
        copy.updatedAt = .distantPast
        return copy
    }
}
