import Definitions
import PolicySupport
import Scheduling
import Testing

@Suite struct AdmissionTests {
    let roomy = RunLimits(maxParallel: 100)
    let job = Policy.jobID("job")
    let r1 = Policy.id(0, .cron, 1), r2 = Policy.id(10, .cron, 2), r3 = Policy.id(20, .cron, 3)
    let q1 = Policy.id(30, .cron, 4), q2 = Policy.id(40, .cron, 5)

    func snapshot(running: [ExecutionID] = [], queued: [ExecutionID] = [], pool: [String: Int] = [:], total: Int? = nil) -> RunSnapshot {
        RunSnapshot(jobs: running.isEmpty && queued.isEmpty ? [:] : [job: .init(running: running, queued: queued)],
                    poolRunning: pool, totalRunning: total ?? running.count)
    }

    func decide(_ yaml: String, _ snapshot: RunSnapshot, _ limits: RunLimits? = nil) -> Admission {
        Admission.decide(Policy.job("job", yaml), in: snapshot, limits: limits ?? roomy)
    }

    func skipKind(_ admission: Admission) -> String? {
        if case .skip(let failure) = admission.action { return failure.kind }
        return nil
    }

    @Test(arguments: OverlapPolicy.allCases)
    func anIdleJobStarts(_ overlap: OverlapPolicy) {
        #expect(decide("overlap: \(overlap.rawValue)", snapshot()) == Admission(action: .start))
    }

    // MARK: overlap: skip

    @Test func skipWhileOneRuns() {
        let admission = decide("overlap: skip", snapshot(running: [r1]))
        #expect(admission == Admission(action: .skip(ExecutionFailure(
            kind: "overlap", message: "skipped: \(r1) of `job` is still running (overlap: skip)"))))
    }

    @Test func skipWhileManyRun() {
        // Many run after an edit from `allow` to `skip`; the earliest started is named.
        let admission = decide("overlap: skip", snapshot(running: [r2, r1, r3]))
        #expect(skipKind(admission) == "overlap")
        #expect(admission.cancel.isEmpty)
        if case .skip(let failure) = admission.action { #expect(failure.message.contains(r2.rawValue)) }
    }

    @Test func skipWhileAnEarlierOneWaits() {
        let admission = decide("overlap: skip\npool: db", snapshot(queued: [q1], pool: ["db": 1], total: 1))
        #expect(admission == Admission(action: .skip(ExecutionFailure(
            kind: "overlap", message: "skipped: \(q1) of `job` is still waiting to start (overlap: skip)"))))
    }

    // MARK: overlap: queue

    @Test func queueBehindOneRunning() {
        #expect(decide("overlap: queue", snapshot(running: [r1])) == Admission(action: .wait(.overlap)))
    }

    @Test func queueBehindManyRunningAndWaiting() {
        #expect(decide("overlap: queue", snapshot(running: [r1, r2, r3], queued: [q1])) == Admission(action: .wait(.overlap)))
    }

    @Test func queueBehindWaitingOnesWithNoneRunning() {
        // The earlier one waits for the pool; the new one waits behind it, first in first out.
        #expect(decide("overlap: queue\npool: db", snapshot(queued: [q1], pool: ["db": 1], total: 1)) == Admission(action: .wait(.overlap)))
    }

    @Test func queueUpToMaxQueued() {
        #expect(decide("overlap: queue\nmax_queued: 2", snapshot(running: [r1], queued: [q1])) == Admission(action: .wait(.overlap)))
        let full = decide("overlap: queue\nmax_queued: 2", snapshot(running: [r1], queued: [q1, q2]))
        #expect(full == Admission(action: .skip(ExecutionFailure(
            kind: "overlap", message: "skipped: the queue is full, 2 occurrences of `job` already wait (max_queued: 2)"))))
    }

    @Test func queueDefaultBoundIsTen() {
        let ten = (0..<10).map { Policy.id(Double(100 + $0)) }
        #expect(decide("overlap: queue", snapshot(running: [r1], queued: Array(ten.prefix(9)))) == Admission(action: .wait(.overlap)))
        #expect(skipKind(decide("overlap: queue", snapshot(running: [r1], queued: ten))) == "overlap")
    }

    // MARK: overlap: replace

    @Test func replaceOneRunning() {
        #expect(decide("overlap: replace", snapshot(running: [r1])) == Admission(cancel: [r1], action: .wait(.replacing)))
    }

    @Test func replaceManyRunningAndWaiting() {
        #expect(decide("overlap: replace", snapshot(running: [r1, r2], queued: [q1]))
            == Admission(cancel: [r1, r2, q1], action: .wait(.replacing)))
    }

    @Test func replaceOnlyWaitingOnes() {
        // None runs: the waiting one is canceled and the new one takes its place at the pool.
        #expect(decide("overlap: replace\npool: db", snapshot(queued: [q1], pool: ["db": 1], total: 1))
            == Admission(cancel: [q1], action: .wait(.pool("db"))))
        #expect(decide("overlap: replace", snapshot(queued: [q1])) == Admission(cancel: [q1], action: .start))
    }

    // MARK: overlap: allow

    @Test func allowBesideOneAndMany() {
        #expect(decide("overlap: allow", snapshot(running: [r1])) == Admission(action: .start))
        #expect(decide("overlap: allow", snapshot(running: [r1, r2, r3])) == Admission(action: .start))
    }

    @Test func allowStillBoundByPoolAndMaxParallel() {
        let limits = RunLimits(maxParallel: 3, poolSizes: ["db": 2])
        #expect(decide("overlap: allow\npool: db", snapshot(running: [r1], pool: ["db": 1]), limits) == Admission(action: .start))
        #expect(decide("overlap: allow\npool: db", snapshot(running: [r1, r2], pool: ["db": 2]), limits) == Admission(action: .wait(.pool("db"))))
        #expect(decide("overlap: allow", snapshot(running: [r1, r2, r3]), limits) == Admission(action: .wait(.maxParallel)))
    }

    @Test func allowWaitsBehindItsOwnWaitingOnes() {
        let limits = RunLimits(maxParallel: 1)
        #expect(decide("overlap: allow", snapshot(running: [r1], queued: [q1]), limits) == Admission(action: .wait(.maxParallel)))
        // Room again but the daemon has not planned yet: still behind the earlier one.
        #expect(decide("overlap: allow", snapshot(queued: [q1]), limits) == Admission(action: .wait(.overlap)))
    }

    // MARK: pools and max-parallel

    @Test func poolOfSizeOneAndTwo() {
        let other = RunSnapshot(poolRunning: ["db": 1], totalRunning: 1)
        #expect(decide("pool: db", other) == Admission(action: .wait(.pool("db"))))
        #expect(decide("pool: db", other, RunLimits(maxParallel: 100, poolSizes: ["db": 2])) == Admission(action: .start))
        let two = RunSnapshot(poolRunning: ["db": 2], totalRunning: 2)
        #expect(decide("pool: db", two, RunLimits(maxParallel: 100, poolSizes: ["db": 2])) == Admission(action: .wait(.pool("db"))))
        // Another pool's runs do not count.
        #expect(decide("pool: web", two) == Admission(action: .start))
    }

    @Test func maxParallelCountsEveryJob() {
        let busy = RunSnapshot(poolRunning: [:], totalRunning: 4)
        #expect(decide("", busy, RunLimits(maxParallel: 4)) == Admission(action: .wait(.maxParallel)))
        #expect(decide("", busy, RunLimits(maxParallel: 5)) == Admission(action: .start))
    }

    @Test func poolIsReportedBeforeMaxParallel() {
        let busy = RunSnapshot(poolRunning: ["db": 1], totalRunning: 4)
        #expect(decide("pool: db", busy, RunLimits(maxParallel: 4)) == Admission(action: .wait(.pool("db"))))
    }

    @Test func overlapIsDecidedBeforeCapacity() {
        let full = snapshot(running: [r1], pool: ["db": 1])
        #expect(skipKind(decide("overlap: skip\npool: db", full)) == "overlap")
        #expect(decide("overlap: queue\npool: db", full) == Admission(action: .wait(.overlap)))
        #expect(decide("overlap: replace\npool: db", full) == Admission(cancel: [r1], action: .wait(.replacing)))
    }
}
