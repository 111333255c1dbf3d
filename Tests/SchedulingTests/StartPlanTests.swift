import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

@Suite struct StartPlanTests {
    let a = Policy.jobID("a"), b = Policy.jobID("b"), c = Policy.jobID("c")

    func plan(_ snapshot: RunSnapshot, _ definitions: [JobDefinition], limits: RunLimits = RunLimits(maxParallel: 100), now: Double = 0) -> StartPlan {
        StartPlan(snapshot, definitions: Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) }), limits: limits, now: Policy.at(now))
    }

    @Test func nothingWaits() {
        let snapshot = RunSnapshot(jobs: [a: .init(running: [Policy.id(0)])], totalRunning: 1)
        let result = plan(snapshot, [Policy.job("a")])
        #expect(result.start.isEmpty && result.skip.isEmpty && result.waiting.isEmpty)
        #expect(result.snapshot == snapshot)
    }

    @Test func dueOrderAcrossJobs() {
        let (ia, ib, ic) = (Policy.id(30), Policy.id(10), Policy.id(20))
        let snapshot = RunSnapshot(jobs: [a: .init(queued: [ia]), b: .init(queued: [ib]), c: .init(queued: [ic])])
        let result = plan(snapshot, [Policy.job("a"), Policy.job("b"), Policy.job("c")], limits: RunLimits(maxParallel: 2))
        #expect(result.start.map(\.id) == [ib, ic])
        #expect(result.start.map(\.job) == [b, c])
        #expect(result.waiting == [ia: .maxParallel])
        #expect(result.snapshot.totalRunning == 2)
        #expect(result.snapshot[a].queued == [ia])
        #expect(result.snapshot[b].running == [ib] && result.snapshot[b].queued.isEmpty)
    }

    @Test func firstInFirstOutWithinAJob() {
        // Queue order wins inside a job, even over due order.
        let (late, early) = (Policy.id(50), Policy.id(5))
        let snapshot = RunSnapshot(jobs: [a: .init(queued: [late, early])])
        let result = plan(snapshot, [Policy.job("a", "overlap: allow")], limits: RunLimits(maxParallel: 1))
        #expect(result.start.map(\.id) == [late])
        #expect(result.waiting == [early: .maxParallel])
    }

    @Test(arguments: [OverlapPolicy.skip, .queue, .replace])
    func oneAtATime(_ overlap: OverlapPolicy) {
        let waiting = [Policy.id(10), Policy.id(20), Policy.id(30)]
        let idle = plan(RunSnapshot(jobs: [a: .init(queued: waiting)]), [Policy.job("a", "overlap: \(overlap.rawValue)")])
        #expect(idle.start.map(\.id) == [waiting[0]])
        #expect(idle.waiting == [waiting[1]: .overlap, waiting[2]: .overlap])

        let busy = plan(RunSnapshot(jobs: [a: .init(running: [Policy.id(0)], queued: waiting)], totalRunning: 1),
                        [Policy.job("a", "overlap: \(overlap.rawValue)")])
        #expect(busy.start.isEmpty)
        // Only the head of a `replace` job waits for the runs it replaces; the others wait behind it.
        #expect(busy.waiting == [waiting[0]: overlap == .replace ? .replacing : .overlap, waiting[1]: .overlap, waiting[2]: .overlap])
    }

    @Test func allowRunsManyUpToTheLimits() {
        let waiting = (1...5).map { Policy.id(Double($0)) }
        let snapshot = RunSnapshot(jobs: [a: .init(running: [Policy.id(0)], queued: waiting)], totalRunning: 1)
        let result = plan(snapshot, [Policy.job("a", "overlap: allow")], limits: RunLimits(maxParallel: 3))
        #expect(result.start.map(\.id) == Array(waiting.prefix(2)))
        #expect(result.waiting == [waiting[2]: .maxParallel, waiting[3]: .maxParallel, waiting[4]: .maxParallel])
    }

    @Test func replacementStartsWhenTheReplacedRunEnds() {
        let (old, new) = (Policy.id(0), Policy.id(60))
        let definition = Policy.job("a", "overlap: replace")
        var snapshot = RunSnapshot(jobs: [a: .init(running: [old])], totalRunning: 1)
        let admission = Admission.decide(definition, in: snapshot, limits: RunLimits(maxParallel: 4))
        #expect(admission == Admission(cancel: [old], action: .wait(.replacing)))
        snapshot.enqueue(new, job: a)
        #expect(plan(snapshot, [definition]).waiting == [new: .replacing])
        snapshot.end(old, job: a, pool: nil)
        let result = plan(snapshot, [definition])
        #expect(result.start.map(\.id) == [new])
        #expect(result.waiting.isEmpty)
    }

    @Test func poolBlockedHeadDoesNotHoldBackOtherPools() {
        let (ia, ib, ic) = (Policy.id(10), Policy.id(20), Policy.id(30))
        let snapshot = RunSnapshot(jobs: [a: .init(queued: [ia]), b: .init(queued: [ib]), c: .init(queued: [ic])],
                                   poolRunning: ["db": 1], totalRunning: 1)
        let result = plan(snapshot, [Policy.job("a", "pool: db"), Policy.job("b", "pool: web"), Policy.job("c")])
        #expect(result.start.map(\.id) == [ib, ic])
        #expect(result.start.map(\.pool) == ["web", nil])
        #expect(result.waiting == [ia: .pool("db")])
        #expect(result.snapshot.poolRunning == ["db": 1, "web": 1])
    }

    @Test(arguments: [1, 2])
    func poolNeverExceedsItsSize(_ size: Int) {
        // 20 occurrences of 20 jobs in pool db arrive together; each run ends in turn.
        let limits = RunLimits(maxParallel: 100, poolSizes: size == 1 ? [:] : ["db": size])
        let definitions = (0..<20).map { Policy.job("j\($0)", "pool: db") }
        let byID = Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) })
        var snapshot = RunSnapshot()
        var started: [ExecutionID] = []
        var due: [ExecutionID] = []
        for (index, definition) in definitions.enumerated().reversed() {  // arrival order differs from due order
            let id = Policy.id(Double(index))
            due.append(id)
            switch Admission.decide(definition, in: snapshot, limits: limits).action {
            case .start: snapshot.start(id, job: definition.id, pool: "db"); started.append(id)
            case .wait(let reason): #expect(reason == .pool("db")); snapshot.enqueue(id, job: definition.id)
            case .skip: Issue.record("skipped \(id)")
            }
            #expect(snapshot.running(inPool: "db") <= size)
        }
        #expect(started.count == size)
        var clock = 0.0
        while snapshot.totalRunning > 0 {
            let (job, entry) = snapshot.jobs.first { !$0.value.running.isEmpty }!
            snapshot.end(entry.running[0], job: job, pool: "db")
            clock += 1
            let result = StartPlan(snapshot, definitions: byID, limits: limits, now: Policy.at(clock))
            snapshot = result.snapshot
            started += result.start.map(\.id)
            #expect(snapshot.running(inPool: "db") <= size)
            #expect(result.start.count <= 1)
            #expect(Set(result.waiting.values) == (snapshot.jobs.values.contains { !$0.queued.isEmpty } ? [.pool("db")] : []))
        }
        #expect(started.count == 20)
        // After the first arrivals, the waiting ones start in due order.
        #expect(Array(started.dropFirst(size)) == due.dropFirst(size).sorted())
        #expect(snapshot == RunSnapshot())
    }

    @Test func deadlineSkipsLateOnes() {
        let definition = Policy.job("a", "overlap: queue\nstarting_deadline: 5m")
        let (onTime, late) = (Policy.id(0), Policy.id(-0.001))
        let manual = Policy.id(-3600, .manual)
        let snapshot = RunSnapshot(jobs: [a: .init(running: [Policy.id(-10_000)], queued: [late, onTime, manual])], totalRunning: 1)
        // Exactly the deadline late still waits; a millisecond more is skipped, even with no free slot.
        let result = plan(snapshot, [definition], now: 300)
        #expect(result.skip == [StartPlan.Skip(id: late, job: a, failure: ExecutionFailure(
            kind: "deadline",
            message: "skipped: not started within starting_deadline 5m of its due time 2026-11-23T01:29:59.999Z"))])
        #expect(result.start.isEmpty)
        #expect(result.waiting == [onTime: .overlap, manual: .overlap])
        #expect(result.snapshot[a].queued == [onTime, manual])
        // Later, the on-time one is late too; the manual one never is.
        let later = plan(result.snapshot, [definition], now: 301)
        #expect(later.skip.map(\.id) == [onTime])
        #expect(later.snapshot[a].queued == [manual])
    }

    @Test func deadlineSkipComesBeforeStarting() {
        let definition = Policy.job("a", "overlap: queue\nstarting_deadline: 1m")
        let (stale, fresh) = (Policy.id(0), Policy.id(100))
        let result = plan(RunSnapshot(jobs: [a: .init(queued: [stale, fresh])]), [definition], now: 120)
        #expect(result.skip.map(\.id) == [stale])
        #expect(result.start.map(\.id) == [fresh])
    }

    @Test func noDeadlineNoSkip() {
        let result = plan(RunSnapshot(jobs: [a: .init(queued: [Policy.id(0)])]), [Policy.job("a")], now: 86_400 * 30)
        #expect(result.skip.isEmpty)
        #expect(result.start.count == 1)
    }

    @Test func jobsWithoutDefinitionAreLeftAlone() {
        let snapshot = RunSnapshot(jobs: [a: .init(queued: [Policy.id(0)])])
        let result = plan(snapshot, [])
        #expect(result.start.isEmpty && result.skip.isEmpty && result.waiting.isEmpty)
        #expect(result.snapshot == snapshot)
    }

    @Test func maxParallelAndPoolsTogether() {
        // Pool web (size 2) and max-parallel 3 with 1 run already going elsewhere.
        let limits = RunLimits(maxParallel: 3, poolSizes: ["web": 2])
        let webIDs = (1...3).map { Policy.id(Double($0)) }
        let otherID = Policy.id(2.5)
        let snapshot = RunSnapshot(jobs: [a: .init(queued: webIDs), b: .init(queued: [otherID]), c: .init(running: [Policy.id(0)])],
                                   totalRunning: 1)
        let result = plan(snapshot, [Policy.job("a", "overlap: allow\npool: web"), Policy.job("b"), Policy.job("c")], limits: limits)
        #expect(result.start.map(\.id) == [webIDs[0], webIDs[1]])
        #expect(result.waiting == [webIDs[2]: .pool("web"), otherID: .maxParallel])
    }
}
