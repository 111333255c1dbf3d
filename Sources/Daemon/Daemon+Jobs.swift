import CLinux
import Definitions
import Foundation
import Scheduling
import StateStore
import Watching

/// Keeping definitions current: start-up load, inotify-driven reloads,
/// SIGHUP and overflow rescans (SPEC section 6).
extension Daemon {
    func handle(jobChange change: JobTreeWatcher.Change) {
        let registry = jobs.registry
        switch jobFiles.note(change, now: TimerDescriptor.monotonicNow(), knownPaths: { registry.knownPaths }) {
        case .none:
            break
        case .rootGone:
            log.event("jobs_directory_gone", ["path": configuration.jobsDirectory, "note": "jobs keep their definitions until it returns"])
        case .rootBack:
            log.event("jobs_directory_back", ["path": configuration.jobsDirectory])
            loadAllJobs(reason: "jobs directory returned")
        case .reloadAll(let reason):
            loadAllJobs(reason: reason)
        }
    }

    /// Reads every job file again and reconciles: new, changed, invalid and vanished files.
    func loadAllJobs(reason: String) {
        jobs.setDefaults(jobDirectory.loadDefaults())
        if case .invalid(let file, let problems) = jobs.defaults {
            log.event("invalid", ["file": file, "error": problems.map(\.description).joined(separator: "; ")])
        }
        let found: [String]
        do {
            found = try jobDirectory.candidateFiles()
        } catch {
            log.event("jobs_directory_unreadable", ["path": configuration.jobsDirectory, "error": error.message])
            return
        }
        let present = Set(found)
        triggerDirectoriesShared = []
        stateListing = StateListing()
        defer { (triggerDirectoriesShared, stateListing) = (nil, nil) }
        for path in jobs.registry.knownPaths where !present.contains(path) { reloadJobFile(path) }
        let paths = found.filter { $0 != JobPathRules.defaultsFileName }
        let accounts = AccountLookup(remembering: true)
        if paths.count < Self.readAheadThreshold {
            for path in paths { reloadJobFile(path, accounts: accounts) }
        } else {
            let reads = JobFileReadAhead(paths, directory: jobDirectory, defaults: jobs.defaults)
            defer { reads.stop() }
            while let (path, read) = reads.next() { reloadJobFile(path, read: read, accounts: accounts) }
            // The parse trees and reads are gone; the heap they grew goes back to the system
            // (about a fifth of the daemon's memory after 10,000 files).
            malloc_trim(0)
        }
        log.event("loaded_all", ["reason": reason, "jobs": "\(jobs.registry.definitionCount)", "invalid": "\(jobs.invalidCount)"])
    }

    /// Below this many files a full load reads them on the loop thread.
    static let readAheadThreshold = 64

    /// Reads one job file (or notices it is gone) and applies the outcome; `read` is the
    /// file already read and parsed by a `JobFileReadAhead`, `accounts` the lookups of a
    /// whole load.
    func reloadJobFile(_ relativePath: String, read: JobFileRead? = nil, accounts: AccountLookup = AccountLookup()) {
        if relativePath == JobPathRules.defaultsFileName {
            log.event("defaults_changed", ["file": jobDirectory.path(of: relativePath)])
            loadAllJobs(reason: "_defaults.yaml changed")
            return
        }
        // A file read ahead was there when it was read (the read says when it was not).
        let exists = read.map { !$0.isMissing } ?? (access(jobDirectory.path(of: relativePath), F_OK) == 0)
        if !exists {
            if let change = jobs.remove(relativePath) { apply(change) }
            return
        }
        let load = if let read { jobDirectory.finish(read, accounts: accounts) } else { jobDirectory.load(relativePath, defaults: jobs.defaults, accounts: accounts) }
        guard let load else { return }
        apply(jobs.apply(load))
    }

    private func apply(_ change: JobRegistry.Change) {
        let now = Date()
        runs.queueNeedsPlanning()
        switch change {
        case .added(let definition):
            log.event("loaded", ["job": definition.id.rawValue, "file": definition.file])
            install(definition, now: now)
        case .replaced(_, let definition):
            log.event("reloaded", ["job": definition.id.rawValue, "file": definition.file])
            install(definition, now: now)
        case .unchanged(let id):
            if results[id]?.definitionError != nil { results.update(id) { $0.definitionError = nil } }
        case .invalid(let id, let file, let problems, let kept):
            let text = problems.map(\.description).joined(separator: "\n")
            log.event("invalid", ["job": id?.rawValue, "file": file, "error": text, "kept": kept == nil ? "none" : "last valid definition"])
            guard let id else { return }
            results.update(id, orCreate: { newResult(id, file: file, now: now) }) { result in
                result.definitionError = text
                if kept == nil { result.loaded = false }
            }
        case .removed(let id, _):
            log.event("removed", ["job": id.rawValue])
            // Waiting executions and owed retries go with the job; running ones finish.
            for execution in runs.waitingIDs(of: id) { cancelExecution(execution, reason: "its job file was removed") }
            runs.dropRetries(of: id)
            for execution in approvals.ids(of: id) { cancelExecution(execution, reason: "its job file was removed") }
            watches.remove(id)
            results.update(id) { $0.noteRemoved() }
        }
    }

    /// Puts a valid definition in force: its trigger plan, wake time and result.
    private func install(_ definition: JobDefinition, now: Date) {
        let id = definition.id
        let result = results.existing(id) ?? newResult(id, file: definition.file, now: now)
        let (anchor, firstInstall) = jobs.install(definition, firstSeen: fleetAnchor(definition, result.everyAnchor ?? now), lastSlots: { lastSlots(of: id) }, now: now)
        results.update(id, orCreate: { result }) { $0.noteInstalled(definition, everyAnchor: anchor) }
        updateWakeTime(id, now: now)
        installWatch(definition, firstInstall: firstInstall)
        grantReaders(definition)
        shareTriggerDirectories(definition)
    }

    /// The directories of a nested job's triggers (`triggers/reports/` for `reports/build`)
    /// are made the daemon's and sticky like the drop box (SPEC section 11), so that no
    /// user makes one first and so refuses everyone else's triggers for the jobs below it.
    private func shareTriggerDirectories(_ definition: JobDefinition) {
        let id = definition.id.rawValue
        guard let slash = id.lastIndex(of: "/") else { return }
        if triggerDirectoriesShared?.contains(id[..<slash]) == true { return }
        do {
            for moved in try DropBox(directory: store.layout.triggersDirectory).makeSharedDirectories(for: id) {
                log.event("trigger_directory_moved_aside", ["job": id, "directory": "triggers/" + moved.path,
                                                            "to": "triggers/" + moved.movedTo, "owner": "\(moved.owner)",
                                                            "requests_kept": "\(moved.requestsKept)"])
            }
            // Only a directory seen to: one that failed is tried again for the next job below it.
            triggerDirectoriesShared?.insert(id[..<slash])
        } catch {
            log.event("trigger_directory_not_made", ["job": id, "error": "\(error)",
                                                     "note": "requests for it from users other than the directory's owner may be refused"])
        }
    }

    /// Lets the job's user and operators read its records, logs and result (SPEC section 11).
    private func grantReaders(_ definition: JobDefinition) {
        guard let granted = readers.update(definition, daemonUID: UInt32(geteuid())) else { return }
        do {
            try store.grant(granted, job: definition.id.rawValue, listing: stateListing)
        } catch {
            log.event("readers_not_granted", ["job": definition.id.rawValue, "error": "\(error)",
                                              "note": "its records and logs stay readable by the daemon's user only"])
        }
    }

    /// The latest slot of each time trigger kind among the job's execution records,
    /// so that a slot run before a restart is never run again.
    private func lastSlots(of id: JobID) -> [TriggerKind: Date] {
        var last: [TriggerKind: Date] = [:]
        if stateListing?.mayExist(store.layout.executionsDirectory(job: id.rawValue)) == false { return last }
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
}
