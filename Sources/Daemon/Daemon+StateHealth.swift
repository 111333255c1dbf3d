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

    /// Writes the owed documents an earlier daemon could not (kept outside the state
    /// directory), before anything reads the records.
    func replayOwedWrites() {
        let owed = runtimeFiles.loadOwed(root: store.layout.root)
        guard !owed.isEmpty else { return }
        do {
            try store.writeBatch(owed.sorted { $0.key < $1.key }.map { (path: $0.key, bytes: $0.value) },
                                 access: accessLists(for: owed.keys))
            runtimeFiles.clearOwed()
            log.event("owed_writes_replayed", ["files": "\(owed.count)"])
        } catch {
            // Still refused: they stay owed in this daemon too, ahead of anything newer.
            commit.restore(GroupCommit.Batch(documents: owed, spawns: [], removals: []))
            log.event("owed_writes_waiting", ["files": "\(owed.count)", "error": "\(error)"])
        }
    }

    /// A commit was refused: keep what it held, settle its runs (none started), and say so.
    func commitRefused(_ refused: GroupCommit.Batch, error: StateStoreError) {
        var batch = refused
        let outOfSpace = error.errno == ENOSPC || error.errno == EDQUOT
        let began = health.commitRefused(error.description, outOfSpace: outOfSpace, now: Date(), monotonic: TimerDescriptor.monotonicNow())
        results.forgetWritten()
        for spawn in batch.spawns { settleUnstarted(spawn.run, in: &batch) }
        batch.spawns = []
        commit.restore(batch)
        if began {
            log.event("state_unwritable", ["state": configuration.stateDirectory, "error": error.description,
                                           "owed_writes": "\(commit.owedDocuments)", "note": "no run starts until its record can be written"])
        }
        if outOfSpace && reserve.release() {
            log.event("reserve_released", ["bytes": "\(reserve.size)", "note": "for the records of the runs going on"])
            health.spaceFreed()
        }
        publishHealth()
        runtimeFiles.saveOwed(commit.owed, root: store.layout.root)
        service?.stateHealth(writable: false, owedWrites: commit.owedDocuments)
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
        runtimeFiles.clearOwed()
        runtimeFiles.clearHealth()
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
            DaemonInfo.StateFailure(since: $0.since, error: $0.error, owedWrites: commit.owedDocuments, skippedSlots: health.skippedSlots)
        }
        return DaemonInfo(pid: getpid(), host: host, startedAt: startedAt, jobsDirectory: configuration.jobsDirectory,
                          stateDirectory: configuration.stateDirectory, stateFailure: failure)
    }

    /// `daemon.json` as it would be, where `jobdir status` finds it while the state directory refuses it.
    private func publishHealth() {
        guard let bytes = try? StateJSON.encode(daemonInfo(), path: runtimeFiles.healthPath) else { return }
        runtimeFiles.writeHealth(bytes)
        enqueueWrite(daemonInfo(), to: store.layout.daemonFile)
    }
}
