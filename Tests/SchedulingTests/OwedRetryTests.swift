import Cron
import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

@Suite struct OwedRetryTests {
    let policy = Policy.retries(max: 3, backoff: .seconds(10), maxBackoff: .seconds(600))

    @Test func recomputedFromFinishedAtWithTheLongestBackoff() {
        let first = Policy.record("job", slot: 0, attempt: 1, state: .failed, random: 1)
        let second = Policy.record("job", slot: 0, attempt: 2, state: .failed, random: 2, retryOf: first.id)
        let owed = OwedRetry.find(in: [first, second], policy: policy)
        #expect(owed == [OwedRetry(failed: second, due: second.finishedAt!.addingTimeInterval(20))])
        #expect(owed.first?.attempt == 3)
    }

    @Test func storedRetryAtWins() {
        var failed = Policy.record("job", slot: 0, state: .timedOut)
        failed.trigger.retryAt = Policy.at(33.3)
        #expect(OwedRetry.find(in: [failed], policy: policy).map(\.due) == [Policy.at(33.3)])
    }

    @Test func interruptedIsOwed() {
        let interrupted = Policy.record("job", slot: 0, state: .interrupted, finishedAfter: 50)
        #expect(OwedRetry.find(in: [interrupted], policy: policy).map(\.due) == [Policy.at(60)])
    }

    @Test func notOwed() {
        let first = Policy.record("job", slot: 0, attempt: 1, state: .failed)
        let queuedRetry = Policy.record("job", slot: 0, attempt: 2, state: .queued, retryOf: first.id)
        let runningRetry = Policy.record("job", slot: 0, attempt: 2, state: .running, retryOf: first.id)
        let succeeded = Policy.record("job", slot: 60, state: .succeeded)
        let canceled = Policy.record("job", slot: 120, state: .canceled)
        let exhausted = Policy.record("job", slot: 180, attempt: 4, state: .failed)
        let retriedThenSucceeded = [Policy.record("job", slot: 240, attempt: 1, state: .failed),
                                    Policy.record("job", slot: 240, attempt: 2, state: .succeeded)]
        #expect(OwedRetry.find(in: [first, queuedRetry], policy: policy).isEmpty)
        #expect(OwedRetry.find(in: [runningRetry, first], policy: policy).isEmpty)
        #expect(OwedRetry.find(in: [succeeded, canceled, exhausted] + retriedThenSucceeded, policy: policy).isEmpty)
        // A lower `max` after an edit stops what was owed, even with a stored time.
        var stored = first
        stored.trigger.retryAt = Policy.at(40)
        #expect(OwedRetry.find(in: [stored], policy: .none).isEmpty)
    }

    @Test func manyOccurrencesEarliestDueFirst() {
        let a = Policy.record("job", slot: 0, state: .failed, finishedAfter: 100)       // due 110
        var b = Policy.record("job", slot: 60, state: .failed, finishedAfter: 1)        // stored 70
        b.trigger.retryAt = Policy.at(70)
        let c = Policy.record("job", slot: 30, attempt: 2, state: .failed, finishedAfter: 0)  // 1030 + 20
        let found = OwedRetry.find(in: [c, a, b], policy: policy)
        #expect(found.map(\.failed.id) == [b.id, a.id, c.id])
        #expect(found.map(\.due) == [Policy.at(70), Policy.at(110), Policy.at(1050)])
    }

    @Test func theRetrysRecord() {
        var failed = Policy.record("job", slot: 0, state: .failed)
        failed.trigger.extra["catchup"] = .bool(true)
        failed.trigger.retryAt = Policy.at(40)
        let retry = OwedRetry(failed: failed, due: Policy.at(40))
        let id = retry.id(random: 0xbeef)
        #expect(id.rawValue == "20261123T013040.000Z-cron-beef")
        let definition = Policy.job("job", "retries: 3")
        let record = retry.record(id: id, definition: definition, host: "h", at: Policy.at(40.5))
        #expect(record.state == .queued)
        #expect(record.id == id && record.job == "job")
        #expect(record.occurrence == failed.occurrence)
        #expect(record.attempt == 2 && record.retryOf == failed.id)
        #expect(record.trigger == ExecutionTrigger(kind: .cron, scheduledFor: Policy.t0, extra: ["catchup": .bool(true)]))
        #expect(record.command == ["/bin/sh", "-c", "true"] && record.definitionSHA256 == "sha-job")
        #expect(record.createdAt == Policy.at(40.5) && record.host == "h")
    }

    @Test func aChainOfFailuresUntilAttemptsRunOut() {
        // Attempts 1–4 fail (max 3); each retry is found, and after the fourth nothing is owed.
        var records: [ExecutionRecord] = []
        var last = Policy.record("job", slot: 0, state: .failed)
        records.append(last)
        for attempt in 2...4 {
            let owed = OwedRetry.find(in: records, policy: policy)
            #expect(owed.count == 1 && owed[0].attempt == attempt)
            var next = owed[0].record(id: owed[0].id(random: UInt16(attempt)), definition: Policy.job("job"), host: "h", at: owed[0].due)
            next.state = .failed
            next.finishedAt = owed[0].due.addingTimeInterval(1)
            records.append(next)
            last = next
        }
        #expect(last.attempt == 4)
        #expect(OwedRetry.find(in: records, policy: policy).isEmpty)
    }
}
