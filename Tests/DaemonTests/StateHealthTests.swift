@testable import Daemon
import Foundation
import Glibc
import PolicySupport
import Scheduling
import Testing

/// The failing condition on its own, with fixed times: backoff, space freed, wakes, the
/// owed count shown, and what a restarted daemon replays.
@Suite struct StateHealthTests {
    let now = Policy.at(0)

    @Test func theBackoffDoublesToItsCap() {
        var health = StateHealth()
        let began = health.commitRefused("EIO", outOfSpace: false, now: now, monotonic: 0)
        #expect(began)
        #expect(health.retryAt == StateHealth.firstBackoff)
        var expected = StateHealth.firstBackoff
        for _ in 0..<10 {
            let beganAgain = health.commitRefused("EIO", outOfSpace: false, now: now, monotonic: 0)
            #expect(!beganAgain, "began once")
            expected = min(expected * 2, StateHealth.maxBackoff)
            #expect(health.retryAt == expected)
        }
        #expect(health.retryAt == StateHealth.maxBackoff)
        #expect(!health.mayRetry(monotonic: StateHealth.maxBackoff - 1))
        #expect(health.mayRetry(monotonic: StateHealth.maxBackoff))
    }

    @Test func spaceFreedRetriesAtOnce() {
        var health = StateHealth()
        _ = health.commitRefused("ENOSPC", outOfSpace: true, now: now, monotonic: 1_000)
        #expect(!health.mayRetry(monotonic: 1_000))
        health.spaceFreed()
        #expect(health.mayRetry(monotonic: 1_000))
        #expect(health.wake == 0, "the loop wakes at once")
    }

    @Test func nothingWakesTheLoopWhileHealthy() {
        var health = StateHealth()
        #expect(health.wake == nil)
        health.spaceFreed()
        health.checkSpaceLater(monotonic: 5)
        #expect(health.wake == nil && !health.isFailing)
        #expect(health.mayRetry(monotonic: 0))
        let shown = health.show(owed: 3)
        #expect(!shown, "nothing to show")
        _ = health.commitRefused("EIO", outOfSpace: false, now: now, monotonic: 0)
        let ended = health.commitLanded(owed: 0, freeBytes: { nil }, spaceNeeded: 1)
        #expect(ended != nil)
        #expect(health.wake == nil, "nothing armed once it ends")
    }

    @Test func afterRunningOutOfSpaceItEndsOnlyWithRoom() {
        var health = StateHealth()
        _ = health.commitRefused("ENOSPC", outOfSpace: true, now: now, monotonic: 0)
        let endedShort = health.commitLanded(owed: 0, freeBytes: { 100 }, spaceNeeded: 1_000)
        #expect(endedShort == nil)
        #expect(health.wake == nil)
        health.checkSpaceLater(monotonic: 10)
        #expect(health.wake == 10 + 2 * StateHealth.firstBackoff)
        let endedOwing = health.commitLanded(owed: 1, freeBytes: { 5_000 }, spaceNeeded: 1_000)
        #expect(endedOwing == nil, "something still owed")
        let endedWithRoom = health.commitLanded(owed: 0, freeBytes: { 5_000 }, spaceNeeded: 1_000)
        #expect(endedWithRoom?.outOfSpace == true)
    }

    @Test func eioAndEROFSAreNotSpaceButEDQUOTIs() {
        #expect(StateHealth.isOutOfSpace(errno: ENOSPC))
        #expect(StateHealth.isOutOfSpace(errno: EDQUOT))
        #expect(!StateHealth.isOutOfSpace(errno: EIO))
        #expect(!StateHealth.isOutOfSpace(errno: EROFS))
        #expect(!StateHealth.isOutOfSpace(errno: nil))
    }

    /// An EIO commit in the group commit and the health together: the writes stay owed,
    /// merged with later ones, are tried after the backoff, and the condition ends (no free
    /// space asked) once they land.
    @Test func anEIOCommitFollowsTheOwedWritePath() throws {
        var commit = GroupCommit()
        var health = StateHealth()
        try commit.write(["v": 1], to: "/state/executions/a/1.json")
        let refused = commit.take()
        let began = health.commitRefused("EIO", outOfSpace: StateHealth.isOutOfSpace(errno: EIO), now: now, monotonic: 0)
        #expect(began)
        commit.restore(refused)
        try commit.write(["v": 1], to: "/state/results/a.json")
        #expect(commit.owedDocuments == 2)
        let shown = health.show(owed: commit.owedDocuments)
        #expect(shown)
        #expect(!health.mayRetry(monotonic: 0), "waits for the backoff")
        #expect(health.mayRetry(monotonic: StateHealth.firstBackoff))
        let retry = commit.take()
        #expect(retry.documents.count == 2)
        var asked = false
        let ended = health.commitLanded(owed: commit.owedDocuments, freeBytes: { asked = true; return 0 }, spaceNeeded: 1)
        #expect(ended?.error == "EIO" && !asked, "free space decides only after running out of it")
        #expect(!health.isFailing && health.wake == nil)
    }

    @Test func theOwedCountIsShownWhenItChangesWhileFailing() {
        var health = StateHealth()
        _ = health.commitRefused("EROFS", outOfSpace: false, now: now, monotonic: 0)
        let shownFirst = health.show(owed: 2)
        #expect(shownFirst)
        let shownSame = health.show(owed: 2)
        #expect(!shownSame)
        let shownMore = health.show(owed: 3)
        #expect(shownMore)
        _ = health.commitLanded(owed: 0, freeBytes: { nil }, spaceNeeded: 0)
        let shownHealthy = health.show(owed: 0)
        #expect(!shownHealthy)
    }

    @Test func aReplayedRecordNeverGoesBack() {
        var running = Policy.record("a", slot: 0, state: .running)
        running.pid = nil
        var withPID = running
        withPID.pid = 42
        let failed = Policy.record("a", slot: 0, state: .failed)
        let queued = Policy.record("a", slot: 0, state: .queued)
        #expect(StateHealth.replays(running, over: nil))
        #expect(!StateHealth.replays(withPID, over: failed), "never over a terminal record")
        #expect(!StateHealth.replays(failed, over: failed))
        #expect(StateHealth.replays(failed, over: withPID))
        #expect(!StateHealth.replays(running, over: withPID), "a pid is not lost")
        #expect(StateHealth.replays(withPID, over: running))
        #expect(!StateHealth.replays(queued, over: running))
        #expect(StateHealth.replays(running, over: queued))
    }

    @Test func aReplayedResultNeverReplacesANewerOne() {
        let older = JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(1))
        let newer = JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(2))
        #expect(!StateHealth.replays(older, over: newer))
        #expect(StateHealth.replays(newer, over: older))
        #expect(StateHealth.replays(older, over: nil))
    }
}

@Suite struct OwedCopyTests {
    @Test func theCopyFollowsTheOwedWritesAndLeavesOutDaemonJSON() throws {
        var commit = GroupCommit()
        let untouched = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(untouched == nil, "nothing owed, nothing kept")
        try commit.write(["v": 1], to: "/state/a.json")
        try commit.write(["pid": 1], to: "/state/daemon.json")
        let refused = commit.take()
        commit.restore(refused)
        #expect(commit.owedDocuments(besides: "/state/daemon.json") == 1)
        let kept = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(kept.map { Array($0.keys) } == ["/state/a.json"])
        let keptAgain = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(keptAgain == nil, "unchanged: not written again")
        try commit.write(["pid": 2], to: "/state/daemon.json")
        let afterDaemonFile = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(afterDaemonFile == nil, "daemon.json is never kept")
        try commit.write(["v": 2], to: "/state/b.json")
        let added = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(added?.count == 2, "a write added while failing is kept")
        _ = commit.take()
        let landed = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(landed == [:], "everything landed: the copy goes")
        let afterLanding = commit.owedCopyChange(excluding: "/state/daemon.json")
        #expect(afterLanding == nil)
    }
}
