@testable import Daemon
import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

/// The smaller parts of the daemon: results, approvals, path watches, the group commit,
/// the shutdown and the job set, each on its own with fixed times.
@Suite struct ResultBookTests {
    let a = Policy.jobID("a")

    @Test func onlyResultsThatChangedInMoreThanTheirTimestampAreWritten() {
        var book = ResultBook { _ in nil }
        book.update(a, orCreate: { JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(0)) }) { $0.loaded = true }
        let written = book.takeChanged(now: Policy.at(1))
        #expect(written.map(\.updatedAt) == [Policy.at(1)])
        book.update(a) { $0.loaded = true }
        let written2 = book.takeChanged(now: Policy.at(2))
        #expect(written2.isEmpty, "same content: not written again")
        book.update(a) { $0.noteStarted("x") }
        let written3 = book.takeChanged(now: Policy.at(3))
        #expect(written3.map(\.running) == [["x"]])
    }

    @Test func afterAFailedCommitTheNextChangeWritesAgain() {
        var book = ResultBook { _ in nil }
        book.update(a, orCreate: { JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(0)) }) { _ in }
        _ = book.takeChanged(now: Policy.at(1))
        book.forgetWritten()
        book.update(a) { _ in }
        let written4 = book.takeChanged(now: Policy.at(2))
        #expect(written4.count == 1)
    }

    @Test func aResultOnDiskIsTheStartingPointAndCountsAsWritten() {
        var onDisk = JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(0))
        onDisk.counts = ["succeeded": 7]
        var book = ResultBook { $0.rawValue == "a" ? onDisk : nil }
        #expect(book[a] == nil)
        let loaded = book.existing(a)
        #expect(loaded?.counts == ["succeeded": 7])
        book.update(a, orCreate: { onDisk }) { _ in }
        let written5 = book.takeChanged(now: Policy.at(1))
        #expect(written5.isEmpty, "unchanged from what is on disk")
        book.update(a) { $0.noteFinished(Policy.record("a", slot: 0, state: .failed)) }
        let written = book.takeChanged(now: Policy.at(2))
        #expect(written.first?.counts == ["succeeded": 7, "failed": 1])
        #expect(written.first?.consecutiveFailures == 1)
    }

    /// A run's start waits as its pid does: a run that ends sooner writes its result once.
    @Test func aStartIsHeldUntilItsDueOrTheNextOtherChange() {
        var book = ResultBook { _ in nil }
        book.update(a, orCreate: { JobResult(job: "a", file: "a.yaml", updatedAt: Policy.at(0)) }) { $0.loaded = true }
        _ = book.takeChanged(now: Policy.at(1), monotonic: 0)

        // Held: not written before its due; due then.
        book.updateStart(a, heldUntil: 250) { $0.noteStarted("x") }
        #expect(book.nextHeldWrite == 250)
        #expect(book.takeChanged(now: Policy.at(2), monotonic: 100).isEmpty)
        #expect(book.takeChanged(now: Policy.at(3), monotonic: 250).map(\.running) == [["x"]])
        #expect(book.nextHeldWrite == nil)

        // The run ends before the due: one write, with the start and the end.
        let short = Policy.record("a", slot: 4, state: .succeeded)
        book.updateStart(a, heldUntil: 500) { $0.noteStarted(short.id.rawValue, at: Policy.at(4)) }
        #expect(book.takeChanged(now: Policy.at(4), monotonic: 300).isEmpty)
        book.update(a) { $0.noteFinished(short) }
        let once = book.takeChanged(now: Policy.at(5), monotonic: 310)
        #expect(once.count == 1 && once.first?.lastStartedAt == Policy.at(4) && once.first?.running == ["x"])
        #expect(book.nextHeldWrite == nil)

        // A start after another change that waits goes with it; a stop takes everything.
        book.update(a) { $0.enabled = false }
        book.updateStart(a, heldUntil: 900) { $0.noteStarted("z") }
        #expect(book.takeChanged(now: Policy.at(6), monotonic: 400).first?.running.contains("z") == true)
        book.updateStart(a, heldUntil: 2000) { $0.noteStarted("w") }
        #expect(book.takeChanged(now: Policy.at(7), monotonic: nil).first?.running.contains("w") == true)
    }

    @Test func updateWithoutAResultChangesNothing() {
        var book = ResultBook { _ in nil }
        book.update(a) { $0.loaded = true }
        let written6 = book.takeChanged(now: Policy.at(0))
        #expect(book[a] == nil && written6.isEmpty)
    }
}

@Suite struct ApprovalDeskTests {
    func pending(_ seconds: Double, expires: Double) -> PendingApproval {
        let record = Policy.record("a", slot: seconds, state: .awaitingApproval)
        let file = ApprovalFile(execution: record.id.rawValue, job: "a", command: ["true"], requestedAt: Policy.at(seconds),
                                expiresAt: Policy.at(expires), approvers: ["alice"], stateDirectory: "/state")
        return PendingApproval(record: record, file: file, requestEnvironment: [:])
    }

    @Test func aRefusalIsListedOnce() {
        var desk = ApprovalDesk()
        let approval = pending(0, expires: 100)
        desk.open(approval)
        let refusal = ApprovalFile.Refusal(file: "/state/approvals/x.approve", owner: "mallory", reason: "not an approver", at: Policy.at(1))
        let refused = desk.refuse(approval.record.id, refusal)
        #expect(refused?.refusals.count == 1)
        let refused2 = desk.refuse(approval.record.id, refusal)
        #expect(refused2 == nil)
        #expect(desk[approval.record.id]?.file.refusals.count == 1)
    }

    @Test func aDecisionClosesTheApprovalForGood() {
        var desk = ApprovalDesk()
        let approval = pending(0, expires: 100)
        desk.open(approval)
        let decided = desk.decide(approval.record.id, approved: true, by: "alice", comment: "ok", at: Policy.at(5))
        #expect(decided?.file.state == "approved" && decided?.file.decidedBy == "alice" && decided?.file.comment == "ok")
        #expect(!desk.contains(approval.record.id))
        let decidedAgain = desk.decide(approval.record.id, approved: false, by: "bob", comment: nil, at: Policy.at(6))
        #expect(decidedAgain == nil)
        let ended = desk.end(approval.record.id, state: "expired", at: Policy.at(7))
        #expect(ended == nil)
    }

    @Test func expiryInOrder() {
        var desk = ApprovalDesk()
        let early = pending(0, expires: 50), late = pending(1, expires: 80)
        desk.open(late)
        desk.open(early)
        #expect(desk.nextExpiry == Policy.at(50))
        #expect(desk.expired(now: Policy.at(49)).isEmpty)
        #expect(desk.expired(now: Policy.at(80)) == [early.record.id, late.record.id])
        let ended2 = desk.end(early.record.id, state: "expired", at: Policy.at(50))
        #expect(ended2?.file.state == "expired")
        #expect(desk.nextExpiry == Policy.at(80))
    }
}

@Suite struct PathWatchesTests {
    let a = Policy.jobID("a"), b = Policy.jobID("b")

    @Test func oneWatchPerDirectoryAndDebouncedPerJob() throws {
        var watches = PathWatches()
        var added: [String] = []
        let addWatch: (String) throws -> Int32 = { added.append($0); return Int32(added.count) }
        _ = watches.install(a, patterns: [WatchPattern("in/*.csv", base: "/jobs")], addWatch: addWatch)
        _ = watches.install(b, patterns: [WatchPattern("in/report.csv", base: "/jobs")], addWatch: addWatch)
        #expect(added == ["/jobs/in"])
        #expect(watches.directory(of: 1) == "/jobs/in")
        let watchA = Policy.job("a", "watch: {paths: [in/x], debounce: 100ms}").watch
        let watchB = Policy.job("b", "watch: {paths: [in/x], events: [delete], debounce: 1s}").watch
        let watchOf: (JobID) -> WatchTrigger? = { $0 == a ? watchA : watchB }
        watches.note("report.csv", in: "/jobs/in", kind: .modify, now: 0, watchOf: watchOf)
        watches.note("other.txt", in: "/jobs/in", kind: .modify, now: 0, watchOf: watchOf)
        #expect(watches.nextDeadline == 100_000_000, "b does not care for modifications")
        let early = watches.takeSettled(now: 99_999_999)
        #expect(early.isEmpty)
        let settled = watches.takeSettled(now: 100_000_000)
        #expect(settled.map(\.job) == [a])
        #expect(settled.first?.paths == ["/jobs/in/report.csv"])
        #expect(watches.nextDeadline == nil)
    }

    @Test func aFailedWatchIsReportedAndTriedAgainOnTheNextInstall() {
        var watches = PathWatches()
        struct Refused: Error {}
        let failures = watches.install(a, patterns: [WatchPattern("/nowhere/x", base: "/jobs")]) { _ in throw Refused() }
        #expect(failures.map(\.directory) == ["/nowhere"])
        var tried = 0
        let again = watches.install(a, patterns: [WatchPattern("/nowhere/x", base: "/jobs")]) { _ in tried += 1; return 7 }
        #expect(again.isEmpty)
        #expect(tried == 1)
    }

    @Test func removingAJobDropsItsPendingChange() {
        var watches = PathWatches()
        _ = watches.install(a, patterns: [WatchPattern("in/x", base: "/jobs")]) { _ in 1 }
        watches.note("x", in: "/jobs/in", kind: .create, now: 0) { _ in Policy.job("a", "watch: {paths: [in/x]}").watch }
        watches.remove(a)
        #expect(watches.nextDeadline == nil && watches.patterns(of: a) == nil)
    }
}

@Suite struct GroupCommitTests {
    @Test func aTurnIsTakenWholeAndTheLastWriteOfAPathWins() throws {
        var commit = GroupCommit()
        #expect(commit.isEmpty)
        try commit.write(["v": 1], to: "/state/x.json")
        try commit.write(["v": 2], to: "/state/x.json")
        commit.removeWhenDurable("/state/triggers/.claimed/x")
        #expect(commit.writes("/state/x.json") && !commit.writes("/state/y.json"))
        let batch = commit.take()
        #expect(batch.documents.count == 1)
        #expect(String(decoding: batch.documents["/state/x.json"]!, as: UTF8.self).contains("\"v\" : 2"))
        #expect(batch.removals == ["/state/triggers/.claimed/x"])
        #expect(commit.isEmpty)
    }

    @Test func aRefusedCommitStaysOwedAndLaterWritesWin() throws {
        var commit = GroupCommit()
        try commit.write(["v": 1], to: "/state/a.json")
        try commit.write(["v": 1], to: "/state/b.json")
        commit.removeWhenDurable("/state/approvals/x.approve")
        let refused = commit.take()
        try commit.write(["v": 2], to: "/state/a.json")
        commit.restore(refused)
        #expect(commit.owedDocuments == 2)
        let retry = commit.take()
        #expect(String(decoding: retry.documents["/state/a.json"]!, as: UTF8.self).contains("\"v\" : 2"), "the later write wins")
        #expect(retry.documents["/state/b.json"] != nil)
        #expect(retry.removals == ["/state/approvals/x.approve"])
    }
}

@Suite struct ShutdownTests {
    @Test func theGraceEndsOnce() {
        var shutdown = Shutdown()
        let began = shutdown.begin(now: 100, graceNanoseconds: 50)
        #expect(began)
        let began2 = shutdown.begin(now: 120, graceNanoseconds: 1)
        #expect(!began2, "a second signal does not restart the grace")
        #expect(shutdown.wake == 150)
        let graceOver = shutdown.graceOver(now: 149)
        #expect(!graceOver)
        let graceOver2 = shutdown.graceOver(now: 150)
        #expect(graceOver2)
        let graceOver3 = shutdown.graceOver(now: 200)
        #expect(!graceOver3)
        #expect(shutdown.wake == nil)
    }
}

@Suite struct JobSetTests {
    func load(_ id: String, _ yaml: String) -> JobFileLoad {
        JobFileLoad(relativePath: "\(id).yaml", file: "/jobs/\(id).yaml", id: JobID(id)!, result: .success(Policy.job(id, yaml)))
    }

    @Test func aJobWakesAtItsNextSlotAndItsTimelineSurvivesAnEdit() throws {
        var jobs = JobSet()
        let a = Policy.jobID("a")
        guard case .added(let definition) = jobs.apply(load("a", "every: 10s")) else { Issue.record("not added"); return }
        var slotsRead = 0
        let first = jobs.install(definition, firstSeen: Policy.at(0), lastSlots: { slotsRead += 1; return [:] }, now: Policy.at(0))
        #expect(first.firstInstall && first.anchor == Policy.at(0))
        let nextDue = jobs.updateWakeTime(a, now: Policy.at(0))
        #expect(nextDue?["every"] == Policy.at(10))
        #expect(jobs.nextWake == Policy.at(10))
        #expect(jobs.dueJobs(now: Policy.at(9)).isEmpty)
        let due = jobs.takeDueSlots(a, now: Policy.at(10))
        #expect(due?.slots.map(\.time) == [Policy.at(10)])
        let due2 = jobs.takeDueSlots(a, now: Policy.at(10))
        #expect(due2?.slots.isEmpty == true, "a slot is dealt with once")

        guard case .replaced(_, let edited) = jobs.apply(load("a", "every: 10s\ndescription: edited")) else { Issue.record("not replaced"); return }
        let second = jobs.install(edited, firstSeen: Policy.at(500), lastSlots: { slotsRead += 1; return [:] }, now: Policy.at(12))
        #expect(!second.firstInstall && second.anchor == Policy.at(0), "the anchor is kept")
        #expect(slotsRead == 1, "records are read on the first install only")
        let due3 = jobs.takeDueSlots(a, now: Policy.at(12))
        #expect(due3?.slots.isEmpty == true)
    }

    @Test func theEarliestWakeFollowsEveryChange() {
        var jobs = JobSet()
        for (id, every) in [("a", 10), ("b", 10), ("c", 25), ("d", 40)] {
            guard case .added(let definition) = jobs.apply(load(id, "every: \(every)s")) else { Issue.record("not added"); return }
            _ = jobs.install(definition, firstSeen: Policy.at(0), lastSlots: { [:] }, now: Policy.at(0))
            _ = jobs.updateWakeTime(definition.id, now: Policy.at(0))
        }
        #expect(jobs.nextWake == Policy.at(10))
        #expect(jobs.dueJobs(now: Policy.at(9)).isEmpty)
        #expect(jobs.dueJobs(now: Policy.at(10)).map(\.rawValue) == ["a", "b"])
        _ = jobs.takeDueSlots(Policy.jobID("a"), now: Policy.at(10))
        _ = jobs.updateWakeTime(Policy.jobID("a"), now: Policy.at(10))
        #expect(jobs.nextWake == Policy.at(10), "b still waits at 10")
        _ = jobs.takeDueSlots(Policy.jobID("b"), now: Policy.at(10))
        _ = jobs.updateWakeTime(Policy.jobID("b"), now: Policy.at(10))
        #expect(jobs.nextWake == Policy.at(20))
        _ = jobs.remove("a.yaml")
        _ = jobs.remove("b.yaml")
        #expect(jobs.nextWake == Policy.at(25), "the earliest removed: the next one")
        _ = jobs.apply(load("c", "every: 25s\nenabled: false"))
        _ = jobs.updateWakeTime(Policy.jobID("c"), now: Policy.at(10))
        #expect(jobs.nextWake == Policy.at(40))
        guard case .added(let early) = jobs.apply(load("e", "every: 5s")) else { Issue.record("not added"); return }
        _ = jobs.install(early, firstSeen: Policy.at(10), lastSlots: { [:] }, now: Policy.at(10))
        _ = jobs.updateWakeTime(early.id, now: Policy.at(10))
        #expect(jobs.nextWake == Policy.at(15), "an earlier one added")
        _ = jobs.remove("d.yaml")
        _ = jobs.remove("e.yaml")
        #expect(jobs.nextWake == nil && jobs.dueJobs(now: Policy.at(1000)).isEmpty)
    }

    @Test func aDisabledJobDoesNotWake() {
        var jobs = JobSet()
        guard case .added(let definition) = jobs.apply(load("a", "every: 10s\nenabled: false")) else { return }
        _ = jobs.install(definition, firstSeen: Policy.at(0), lastSlots: { [:] }, now: Policy.at(0))
        let nextDue2 = jobs.updateWakeTime(definition.id, now: Policy.at(0))
        #expect(nextDue2 == [:])
        #expect(jobs.nextWake == nil)
    }

    @Test func aRemovedJobLosesItsTriggers() {
        var jobs = JobSet()
        guard case .added(let definition) = jobs.apply(load("a", "every: 10s")) else { return }
        _ = jobs.install(definition, firstSeen: Policy.at(0), lastSlots: { [:] }, now: Policy.at(0))
        _ = jobs.updateWakeTime(definition.id, now: Policy.at(0))
        guard case .removed? = jobs.remove("a.yaml") else { Issue.record("not removed"); return }
        #expect(jobs.nextWake == nil && jobs.plannedJobs.isEmpty && jobs.definition(definition.id) == nil)
    }

    @Test func chainCyclesAreSeenAgainAfterAChange() {
        var jobs = JobSet()
        _ = jobs.apply(load("a", "after: b"))
        _ = jobs.apply(load("b", "after: c"))
        let cyclic = jobs.jobsInChainCycles()
        #expect(cyclic.isEmpty)
        _ = jobs.apply(load("c", "after: a"))
        let cyclic2 = jobs.jobsInChainCycles()
        #expect(cyclic2 == [Policy.jobID("a"), Policy.jobID("b"), Policy.jobID("c")])
    }

    @Test func aJobsFollowersAreTheJobsInForceLinkedAfterIt() {
        var jobs = JobSet()
        let up = Policy.jobID("up")
        func followers() -> [String] { jobs.followers(of: up).map(\.id.rawValue).sorted() }
        _ = jobs.apply(load("a", "after: up"))
        _ = jobs.apply(load("b", "after: {job: up, on: failure}"))
        _ = jobs.apply(load("c", "after: other"))
        #expect(followers() == ["a", "b"])
        _ = jobs.apply(load("a", "after: other"))
        #expect(followers() == ["b"], "an edit that drops the link drops the follower")
        _ = jobs.apply(JobFileLoad(relativePath: "b.yaml", file: "/jobs/b.yaml", id: JobID("b")!,
                                   result: .failure(Diagnostics([Diagnostic("broken", at: SourceMark(file: "/jobs/b.yaml", line: 1, column: 1))]))))
        #expect(followers() == ["b"], "an invalid edit keeps the definition in force, and its link")
        _ = jobs.remove("b.yaml")
        #expect(followers().isEmpty)
        _ = jobs.apply(load("c", "after: up"))
        #expect(followers() == ["c"])
    }
}

/// Recovery follows a run's supervisor found by its command line only if it is the
/// daemon's own process running a supervisor binary: anyone may imitate the line.
@Suite struct SupervisorRecognitionTests {
    let id = ExecutionID(rawValue: "20261123T013000.000Z-cron-7f3a")!
    var arguments: [String] { ["/usr/lib/jobdir/jobdir-supervisor", "v1", "--id", id.rawValue] }
    func status(uids: String) -> String { "Name:\tjobdir-supervis\nUmask:\t0022\nUid:\t\(uids)\nGid:\t0\t0\t0\t0\n" }

    @Test func theDaemonsOwnSupervisorIsRecognisedEvenOnAReplacedBinary() {
        for executable in ["/usr/lib/jobdir/jobdir-supervisor", "/usr/lib/jobdir/jobdir-supervisor (deleted)", "/opt/new/jobdir-supervisor"] {
            #expect(Daemon.isSupervisor(arguments: arguments, status: status(uids: "0\t0\t0\t0"), executable: executable, of: id, daemonUID: 0))
        }
    }

    @Test func anImitationByAnotherUserOrProgramIsNot() {
        let root = status(uids: "0\t0\t0\t0")
        #expect(!Daemon.isSupervisor(arguments: arguments, status: status(uids: "65534\t65534\t65534\t65534"),
                                     executable: "/tmp/jobdir-supervisor", of: id, daemonUID: 0), "another user's copy")
        #expect(!Daemon.isSupervisor(arguments: arguments, status: status(uids: "0\t65534\t0\t65534"),
                                     executable: "/usr/lib/jobdir/jobdir-supervisor", of: id, daemonUID: 0), "effective uid counts")
        #expect(!Daemon.isSupervisor(arguments: arguments, status: root, executable: "/usr/bin/python3", of: id, daemonUID: 0))
        #expect(!Daemon.isSupervisor(arguments: arguments, status: root, executable: nil, of: id, daemonUID: 0))
        #expect(!Daemon.isSupervisor(arguments: arguments, status: nil, executable: arguments[0], of: id, daemonUID: 0))
        let other = ["/usr/lib/jobdir/jobdir-supervisor", "v1", "--id", "20261123T013000.000Z-cron-0000"]
        #expect(!Daemon.isSupervisor(arguments: other, status: root, executable: other[0], of: id, daemonUID: 0))
    }
}

/// A full load's reads come in the order asked, the same whether a thread reads ahead or
/// (no thread to be had) each is read when taken.
@Suite struct JobFileReadAheadTests {
    @Test func readsComeInOrderWithOrWithoutAThread() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("jobdir-readahead-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/team", withIntermediateDirectories: true)
        var paths: [String] = []
        for index in 0..<300 {
            let path = index % 3 == 0 ? "team/job\(index).yaml" : "job\(index).yaml"
            let text = index % 7 == 0 ? "command: 'true'\ntimeout: soon\n" : "command: 'true'\ndescription: job \(index)\n"
            try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
            chmod(root + "/" + path, 0o644)
            paths.append(path)
        }
        paths.append("gone.yaml")
        let directory = JobDirectory(root: root)
        func outcomes(threaded: Bool) -> [String] {
            let reads = JobFileReadAhead(paths, directory: directory, defaults: .absent, ahead: 16, threaded: threaded)
            defer { reads.stop() }
            var seen: [String] = []
            while let (path, read) = reads.next() {
                guard let load = directory.finish(read) else { seen.append("\(path) ignored"); continue }
                switch load.result {
                case .success(let definition): seen.append("\(path) \(definition.description ?? "")")
                case .failure(let problems): seen.append("\(path) \(read.isMissing ? "gone" : problems.items.first?.message ?? "")")
                }
            }
            return seen
        }
        let threaded = outcomes(threaded: true), inline = outcomes(threaded: false)
        #expect(threaded.count == 301 && threaded == inline)
        #expect(threaded.first?.hasPrefix("team/job0.yaml `timeout` must be a duration") == true, "\(threaded.first ?? "")")
        #expect(threaded[1] == "job1.yaml job 1")
        #expect(threaded.last == "gone.yaml gone")
    }
}
