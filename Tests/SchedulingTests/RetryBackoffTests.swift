import Cron
import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

@Suite struct RetryBackoffTests {
    let policy = Policy.retries(max: 3, backoff: .seconds(10), maxBackoff: .seconds(600))

    @Test(arguments: ExecutionState.allCases)
    func onlyFailuresRetry(_ state: ExecutionState) {
        let failure: Set<ExecutionState> = [.failed, .timedOut, .interrupted]
        #expect(state.isFailure == failure.contains(state))
        #expect(policy.retries(state, attempt: 1) == failure.contains(state))
    }

    @Test func atMostMaxRetries() {
        #expect((1...5).map { policy.retries(.failed, attempt: $0) } == [true, true, true, false, false])
        #expect(!RetryPolicy.none.retries(.failed, attempt: 1))
        #expect(!policy.retries(.failed, attempt: 0))
    }

    @Test func ceilingDoublesUpToMaxBackoff() {
        let seconds = (1...9).map { policy.ceiling(afterAttempt: $0) }
        #expect(seconds == [10, 20, 40, 80, 160, 320, 600, 600, 600].map { Duration.seconds($0) })
        #expect(policy.ceiling(afterAttempt: 70) == .seconds(600))
        #expect(policy.ceiling(afterAttempt: 1000) == .seconds(600))
        #expect(Policy.retries(max: 1, backoff: .zero, maxBackoff: .zero).ceiling(afterAttempt: 5) == .zero)
        #expect(Policy.retries(max: 1, backoff: .milliseconds(500), maxBackoff: .seconds(1)).ceiling(afterAttempt: 2) == .seconds(1))
    }

    @Test(arguments: 1...8)
    func fullJitterStaysWithinBounds(_ attempt: Int) {
        let ceiling = policy.ceiling(afterAttempt: attempt)
        let fractions = [0, 1e-9, 0.25, 0.5, 0.75, 0.999_999_999]
        let delays = fractions.map { policy.delay(afterAttempt: attempt, fraction: $0) }
        #expect(delays.first == .zero)
        for delay in delays { #expect(delay >= .zero && delay < ceiling) }
        #expect(delays == delays.sorted())
        #expect(policy.delay(afterAttempt: attempt, fraction: 0.5) == ceiling / 2)
        // 1.0 (used when recomputing after a restart) is the ceiling itself; outside values are clamped.
        #expect(policy.delay(afterAttempt: attempt, fraction: 1) == ceiling)
        #expect(policy.delay(afterAttempt: attempt, fraction: 7) == ceiling)
        #expect(policy.delay(afterAttempt: attempt, fraction: -1) == .zero)
        #expect(policy.delay(afterAttempt: attempt, fraction: .nan) == .zero)
    }

    @Test func delayIsWholeMilliseconds() {
        let fine = Policy.retries(max: 1, backoff: .milliseconds(999), maxBackoff: .seconds(10))
        #expect(fine.delay(afterAttempt: 1, fraction: 0.5) == .milliseconds(499))
    }

    @Test func retryAfterAFailedAttempt() throws {
        let failed = Policy.record("job", slot: 0, state: .failed, finishedAfter: 30)
        let retry = try #require(policy.retry(after: failed, fraction: 0.5))
        #expect(retry.failed == failed)
        #expect(retry.attempt == 2)
        #expect(retry.due == Policy.at(35))
        #expect(retry.reason == .retry(at: Policy.at(35)))
    }

    @Test func interruptedCountsAsFailure() throws {
        let interrupted = Policy.record("job", slot: 0, state: .interrupted, finishedAfter: 100)
        #expect(try #require(policy.retry(after: interrupted, fraction: 0)).due == Policy.at(100))
    }

    @Test(arguments: [ExecutionState.succeeded, .canceled, .rejected, .expired, .skipped, .queued, .running, .awaitingApproval])
    func noRetry(_ state: ExecutionState) {
        #expect(policy.retry(after: Policy.record("job", slot: 0, state: state), fraction: 0.5) == nil)
    }

    @Test func lastAttemptIsFinal() {
        #expect(policy.retry(after: Policy.record("job", slot: 0, attempt: 3, state: .failed), fraction: 0.5) != nil)
        #expect(policy.retry(after: Policy.record("job", slot: 0, attempt: 4, state: .timedOut), fraction: 0.5) == nil)
    }

    @Test func retryAtRoundTrips() {
        var trigger = ExecutionTrigger(kind: .cron, scheduledFor: Policy.t0, extra: ["catchup": .bool(true)])
        #expect(trigger.retryAt == nil)
        trigger.retryAt = Policy.at(12.5)
        #expect(trigger.extra["retry_at"] == .string("2026-11-23T01:30:12.500Z"))
        #expect(trigger.retryAt == Policy.at(12.5))
        trigger.retryAt = nil
        #expect(trigger.extra == ["catchup": .bool(true)])
        trigger.extra["retry_at"] = .string("not a time")
        #expect(trigger.retryAt == nil)
    }
}
