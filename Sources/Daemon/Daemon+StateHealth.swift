import Cron
import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore

/// A state directory that refuses writes (full, read-only, failing): what was to be
/// written stays owed and is tried again until it lands; no run starts meanwhile, since
/// nothing could record it; slots that fall meanwhile are recorded `skipped`
/// (`state_unwritable`) once they can be; trigger files stay where they are. The
/// condition is told once when it begins and once when it ends, in `daemon.json`, in a
/// note outside the state directory (`StateRuntimeFiles`) and in `jobdir status`.
extension Daemon {
    static let unwritableKind = "state_unwritable"

    /// Makes the directory of the files kept outside the state directory; without one
    /// that only the daemon's user may write to, nothing is kept there (and nothing
    /// found there is written into the state directory).
    func prepareRuntimeFiles() {
        do throws(StateRuntimeFiles.Failure) {
            try runtimeFiles?.prepare()
        } catch {
            log.event("runtime_files_refused", ["reason": error.description, "note": "owed writes are not kept across a restart"])
            runtimeFiles = nil
        }
    }

    /// Writes the owed documents an earlier daemon could not (kept outside the state
    /// directory), before anything reads the records. A document that would take a file
    /// back in time (the copy outlived the commit that wrote it) is passed over, and so
    /// is the earlier daemon's `daemon.json`.
    func replayOwedWrites() {
        guard let runtimeFiles else { return }
        let owed: [String: [UInt8]]
        do throws(StateRuntimeFiles.Failure) {
            owed = try runtimeFiles.loadOwed(root: store.layout.root)
        } catch {
            log.event("owed_writes_refused", ["file": runtimeFiles.owedPath, "reason": error.description])
            return
        }
        guard !owed.isEmpty else { return }
        var documents = owed
        documents[store.layout.daemonFile] = nil
        for (path, bytes) in documents where !replays(bytes, to: path) { documents[path] = nil }
        do throws(StateStoreError) {
            try store.writeBatch(documents.sorted { $0.key < $1.key }.map { (path: $0.key, bytes: $0.value) },
                                 access: accessLists(for: documents.keys))
            runtimeFiles.clearOwed()
            log.event("owed_writes_replayed", ["files": "\(documents.count)", "passed_over": "\(owed.count - documents.count)"])
        } catch {
            // Still refused: they stay owed in this daemon too, ahead of anything newer.
            log.event("owed_writes_waiting", ["files": "\(documents.count)", "error": "\(error)"])
            commitRefused(GroupCommit.Batch(documents: documents, spawns: [], removals: []), error: error)
        }
    }

    /// Whether an owed document may replace the file at `path` (`StateHealth.replays`).
    private func replays(_ bytes: [UInt8], to path: String) -> Bool {
        guard let onDisk = try? AtomicFile.read(path) else { return true }
        if path.hasPrefix(store.layout.resultsDirectory + "/"), let owed = try? StateJSON.decode(JobResult.self, from: bytes, path: path) {
            return StateHealth.replays(owed, over: try? StateJSON.decode(JobResult.self, from: onDisk, path: path))
        }
        if path.hasPrefix(store.layout.executionsDirectory + "/"), let owed = try? StateJSON.decode(ExecutionRecord.self, from: bytes, path: path) {
            return StateHealth.replays(owed, over: try? StateJSON.decode(ExecutionRecord.self, from: onDisk, path: path))
        }
        return true
    }

    /// Documents owed, besides this daemon's own `daemon.json`.
    var owedWrites: Int { commit.owedDocuments(besides: store.layout.daemonFile) }

    /// A commit was refused: keep what it held, settle its runs (none started), and say so.
    func commitRefused(_ refused: GroupCommit.Batch, error: StateStoreError) {
        var batch = refused
        let outOfSpace = StateHealth.isOutOfSpace(errno: error.errno)
        let began = health.commitRefused(error.description, outOfSpace: outOfSpace, now: Date(), monotonic: TimerDescriptor.monotonicNow())
        results.forgetWritten()
        for spawn in batch.spawns { settleUnstarted(spawn.run, in: &batch) }
        batch.spawns = []
        commit.restore(batch)
        if began {
            log.event("state_unwritable", ["state": configuration.stateDirectory, "error": error.description,
                                           "owed_writes": "\(owedWrites)", "note": "no run starts until its record can be written"])
        }
        if outOfSpace && reserve.release() {
            log.event("reserve_released", ["bytes": "\(reserve.size)", "note": "for the records of the runs going on"])
            health.spaceFreed()
        }
        _ = health.show(owed: owedWrites)
        publishHealth()
        service?.stateHealth(writable: false, owedWrites: owedWrites)
    }

    /// After every commit (landed, refused, or waiting for its backoff) and at exit: the
    /// copy of the owed writes kept outside the state directory follows them (written
    /// again when they changed, removed once nothing is owed), so that it never outlives
    /// them; and while failing, what `daemon.json`, the note and the metric say of them
    /// is refreshed when their count changed.
    func keepOwedOutside() {
        if let change = commit.owedCopyChange(excluding: store.layout.daemonFile), let runtimeFiles {
            if change.isEmpty {
                runtimeFiles.clearOwed()
            } else {
                do throws(StateRuntimeFiles.Failure) {
                    try runtimeFiles.saveOwed(change, root: store.layout.root)
                } catch {
                    log.event("owed_writes_not_kept", ["files": "\(change.count)", "reason": error.description])
                }
            }
        }
        if health.show(owed: owedWrites) {
            publishHealth()
            service?.stateHealth(writable: false, owedWrites: owedWrites)
        }
    }

    /// A commit landed: when nothing is owed any more (and there is room again after a
    /// full disk) the failing condition ends.
    func commitLanded() {
        guard health.isFailing else { return }
        let root = store.layout.root
        guard let ended = health.commitLanded(owed: commit.owedDocuments, freeBytes: { StateReserve.freeBytes(at: root) },
                                              spaceNeeded: reserve.size * 4) else {
            health.checkSpaceLater(monotonic: TimerDescriptor.monotonicNow())
            return
        }
        reserve.make()
        runtimeFiles?.clearHealth()
        let seconds = Date().timeIntervalSince(ended.since)
        log.event("state_writable", ["state": configuration.stateDirectory, "failed_for": String(format: "%.1fs", seconds),
                                     "skipped_slots": "\(health.skippedSlots)", "free_bytes": StateReserve.freeBytes(at: root).map { "\($0)" }])
        enqueueWrite(daemonInfo(), to: store.layout.daemonFile)
        service?.stateHealth(writable: true, owedWrites: 0)
        // Trigger files were left in place meanwhile; claims of runs that never started are run now.
        consumeRequestFiles()
        drainQueue(now: Date())
        flushWrites()
    }

    /// A run whose `running` record was refused never started: a manual one is run
    /// again once the disk takes writes (its claim stays), any other is recorded skipped.
    private func settleUnstarted(_ run: ActiveRun, in batch: inout GroupCommit.Batch) {
        runs.abandon(run.record.id)
        let path = store.layout.executionFile(job: run.record.job, id: run.record.id)
        guard let job = JobID(run.record.job) else { return }
        if run.record.trigger.kind == .manual {
            batch.documents[path] = nil
            let claim = inbox.claimPath(execution: run.record.id, job: job)
            batch.removals.removeAll { $0 == claim }
            results.update(job) { $0.noteNotStarted(run.record.id.rawValue) }
            return
        }
        var queued = run.record
        queued.state = .queued
        queued.startedAt = nil
        guard let skipped = try? transition(queued, .skip(kind: Self.unwritableKind, message: unwritableMessage), at: Date()),
              let bytes = try? StateJSON.encode(skipped, path: path) else { return }
        batch.documents[path] = bytes
        health.noteSkippedSlot()
        noteFinished(skipped)
    }

    /// An occurrence that comes due while nothing can be recorded.
    func recordUnwritable(_ queued: ExecutionRecord) {
        guard let skipped = try? transition(queued, .skip(kind: Self.unwritableKind, message: unwritableMessage), at: Date()) else { return }
        health.noteSkippedSlot()
        persist(skipped)
        noteFinished(skipped)
    }

    private var unwritableMessage: String {
        "not started: the state directory refused writes (\(health.failing?.error ?? "unknown error")), so no record could be kept"
    }

    func daemonInfo() -> DaemonInfo {
        let failure = health.failing.map {
            DaemonInfo.StateFailure(since: $0.since, error: $0.error, owedWrites: owedWrites, skippedSlots: health.skippedSlots)
        }
        return DaemonInfo(pid: getpid(), host: host, startedAt: startedAt, jobsDirectory: configuration.jobsDirectory,
                          stateDirectory: configuration.stateDirectory, stateFailure: failure)
    }

    /// `daemon.json` as it would be, where `jobdir status` finds it while the state directory refuses it.
    private func publishHealth() {
        if let runtimeFiles, let bytes = try? StateJSON.encode(daemonInfo(), path: runtimeFiles.healthPath) {
            runtimeFiles.writeHealth(bytes)
        }
        enqueueWrite(daemonInfo(), to: store.layout.daemonFile)
    }
}
