@testable import Daemon
import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

/// The run table's reactions to admissions, starts, finishes, cancels and deadlines,
/// with fixed times and no processes.
@Suite struct RunTableTests {
    let a = Policy.jobID("a")

    /// A queued record of `job` due `seconds` after t0.
    func queued(_ job: String, _ seconds: Double, kind: TriggerKind = .cron, random: UInt16 = 0) -> ExecutionRecord {
        let id = Policy.id(seconds, kind, random)
        return ExecutionRecord.queued(id: id, job: job, occurrence: .slot(job: job, kind: kind, at: id.dueAt),
                                      trigger: ExecutionTrigger(kind: kind, scheduledFor: id.dueAt), definitionSHA256: "sha",
                                      command: ["true"], host: "test", at: id.dueAt)
    }

    /// Admits and registers `record` as running, as the daemon does once its record is written.
    func startRunning(_ table: inout RunTable, _ record: ExecutionRecord, _ definition: JobDefinition) {
        table.countStart(record.id, definition: definition)
        table.register(ActiveRun(record: try! transition(record, .start, at: record.id.dueAt), definition: definition))
    }

    /// A table where one execution of `a` (due at 0) runs and a second (due at 1) waits behind it.
    func oneRunningOneWaiting(_ yaml: String) -> (table: RunTable, definition: JobDefinition, running: ExecutionRecord, waiting: ExecutionRecord) {
        let definition = Policy.job("a", yaml)
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let running = queued("a", 0), waiting = queued("a", 1)
        startRunning(&table, running, definition)
        table.enqueue(WaitingExecution(record: waiting, requestEnvironment: [:]), job: a)
        return (table, definition, running, waiting)
    }

    @Test func aFinishFreesThePoolAndTheQueuedHeadStarts() {
        let definition = Policy.job("a", "overlap: queue\npool: db")
        var table = RunTable(limits: RunLimits(maxParallel: 10, poolSizes: ["db": 1]))
        let first = queued("a", 0), second = queued("a", 1)
        #expect(table.admission(of: definition).action == .start)
        startRunning(&table, first, definition)
        #expect(table.admission(of: definition).action == .wait(.overlap))
        table.enqueue(WaitingExecution(record: second, requestEnvironment: ["K": "V"]), job: a)
        #expect(table.snapshot[a].queued == [second.id])

        // While the first runs, planning starts nothing and says why the second waits.
        let blocked = table.drain(now: Policy.at(2), definition: { $0 == a ? definition : nil })
        #expect(blocked?.start.isEmpty == true)
        #expect(blocked?.waiting[a]?[second.id] == .overlap)
        let plan = table.drain(now: Policy.at(2), definition: { $0 == a ? definition : nil })
        #expect(plan == nil, "nothing changed: no new plan")

        let ended = table.finish(first.id)
        #expect(ended?.record.id == first.id)
        #expect(table.snapshot.running(inPool: "db") == 0)
        let drain = table.drain(now: Policy.at(3), definition: { $0 == a ? definition : nil })
        #expect(drain?.start.map(\.entry.record.id) == [second.id])
        #expect(drain?.start.first?.entry.requestEnvironment == ["K": "V"])
        #expect(table.waiting.isEmpty)
        #expect(table.snapshot[a].running == [second.id], "a start from the queue is counted as running")
    }

    @Test func aCancelBeforeTheProcessIsUpIsKeptUntilItStarts() {
        let definition = Policy.job("a")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let record = queued("a", 0)
        startRunning(&table, record, definition)
        var asked = 0
        let target = table.cancel(record.id) { asked += 1; return false }
        guard case .running = target else { Issue.record("expected a running target, got \(target)"); return }
        #expect(asked == 1)
        let started = table.processStarted(record.id, pid: 4242, startTime: 99, at: Policy.at(0.1))
        #expect(started?.cancelNow == true)
        #expect(started?.record.pid == 4242)
    }

    @Test func aProcessIdIsWrittenWhenDueAndNotForARunThatEndedBefore() {
        let definition = Policy.job("a")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let long = queued("a", 0), short = queued("a", 1, random: 1)
        for record in [long, short] {
            startRunning(&table, record, definition)
            _ = table.processStarted(record.id, pid: 4242, startTime: 99, at: Policy.at(0.1))
        }
        table.writePID(of: long.id, at: 1_000)
        table.writePID(of: short.id, at: 1_100)
        #expect(table.nextPIDWrite == 1_000)
        #expect(table.takePIDWrites(dueBy: 999).isEmpty)
        _ = table.finish(short.id)
        #expect(table.nextPIDWrite == 1_000, "the ended run's terminal record has its pid")
        let due = table.takePIDWrites(dueBy: 2_000)
        #expect(due.map(\.id) == [long.id])
        #expect(due.first?.pid == 4242)
        #expect(table.nextPIDWrite == nil && table.takePIDWrites(dueBy: nil).isEmpty, "each is written once")
    }

    @Test func aStopWritesEveryProcessIdStillOwed() {
        let definition = Policy.job("a")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let record = queued("a", 0)
        startRunning(&table, record, definition)
        _ = table.processStarted(record.id, pid: 7, startTime: nil, at: Policy.at(0.1))
        table.writePID(of: record.id, at: .max)
        #expect(table.takePIDWrites(dueBy: nil).map(\.pid) == [7])
    }

    @Test func aCancelOfARunningProcessIsNotKept() {
        let definition = Policy.job("a")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let record = queued("a", 0)
        startRunning(&table, record, definition)
        guard case .running = table.cancel(record.id, processUp: { true }) else { Issue.record("not running"); return }
        let started2 = table.processStarted(record.id, pid: 1, startTime: nil, at: Policy.at(0))
        #expect(started2?.cancelNow == false)
    }

    @Test func aCancelTakesAWaitingExecutionOutOfTheQueue() {
        var (table, _, _, waiting) = oneRunningOneWaiting("overlap: queue")
        guard case .waiting(let entry) = table.cancel(waiting.id, processUp: { Issue.record("not asked for a waiting one"); return true }) else {
            Issue.record("not a waiting target"); return
        }
        #expect(entry.record.id == waiting.id)
        #expect(table.snapshot[a].queued.isEmpty)
        #expect(!table.contains(waiting.id))
        guard case .none = table.cancel(waiting.id, processUp: { true }) else { Issue.record("canceled twice"); return }
    }

    @Test func aWaitingExecutionPastItsDeadlineIsSkippedWhenTheDeadlineComes() {
        var (table, definition, _, late) = oneRunningOneWaiting("overlap: queue\nstarting_deadline: 10s")
        _ = table.drain(now: Policy.at(2), definition: { $0 == a ? definition : nil })
        // The loop must wake just past the deadline although nothing else changes.
        let wake = table.queueWake
        #expect(wake == Policy.at(11.001))
        let plan2 = table.drain(now: Policy.at(5), definition: { $0 == a ? definition : nil })
        #expect(plan2 == nil)
        let drain = table.drain(now: wake!, definition: { $0 == a ? definition : nil })
        #expect(drain?.skip.map(\.entry.record.id) == [late.id])
        #expect(drain?.skip.first?.failure.kind == "deadline")
        #expect(table.waiting.isEmpty && table.queueWake == nil)
    }

    @Test func aManualTriggerHasNoDeadline() {
        let definition = Policy.job("a", "overlap: queue\nstarting_deadline: 10s")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        startRunning(&table, queued("a", 0), definition)
        table.enqueue(WaitingExecution(record: queued("a", 1, kind: .manual), requestEnvironment: [:]), job: a)
        _ = table.drain(now: Policy.at(2), definition: { $0 == a ? definition : nil })
        #expect(table.queueWake == nil)
    }

    @Test func anAbandonedStartFreesItsSlot() {
        let definition = Policy.job("a", "pool: db")
        var table = RunTable(limits: RunLimits(maxParallel: 1, poolSizes: ["db": 1]))
        let record = queued("a", 0)
        startRunning(&table, record, definition)
        #expect(table.admission(of: Policy.job("b")).action == .wait(.maxParallel))
        table.abandon(record.id)
        #expect(table.isIdle)
        #expect(table.snapshot.totalRunning == 0 && table.snapshot.running(inPool: "db") == 0)
        #expect(table.admission(of: Policy.job("b")).action == .start)
    }

    @Test func replaceCancelsTheRunningOne() {
        let definition = Policy.job("a", "overlap: replace")
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let record = queued("a", 0)
        startRunning(&table, record, definition)
        let admission = table.admission(of: definition)
        #expect(admission.cancel == [record.id])
        #expect(admission.action == .wait(.replacing))
    }

    @Test func retriesComeDueInOrderOnce() {
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        let early = OwedRetry(failed: Policy.record("a", slot: 0, state: .failed), due: Policy.at(60))
        let late = OwedRetry(failed: Policy.record("b", slot: 0, state: .failed, random: 1), due: Policy.at(120))
        table.owe(late)
        table.owe(early)
        #expect(table.nextRetryDue == Policy.at(60))
        let value = table.takeDueRetries(now: Policy.at(59))
        #expect(value.isEmpty)
        let value2 = table.takeDueRetries(now: Policy.at(200))
        #expect(value2.map(\.failed.job) == ["a", "b"])
        let value3 = table.takeDueRetries(now: Policy.at(300))
        #expect(value3.isEmpty)
        #expect(table.nextRetryDue == nil)
    }

    @Test func aRemovedJobOwesNoRetries() {
        var table = RunTable(limits: RunLimits(maxParallel: 4))
        table.owe(OwedRetry(failed: Policy.record("a", slot: 0, state: .failed), due: Policy.at(60)))
        table.owe(OwedRetry(failed: Policy.record("b", slot: 0, state: .failed, random: 1), due: Policy.at(60)))
        table.dropRetries(of: a)
        let value4 = table.takeDueRetries(now: Policy.at(100))
        #expect(value4.map(\.failed.job) == ["b"])
    }
}
