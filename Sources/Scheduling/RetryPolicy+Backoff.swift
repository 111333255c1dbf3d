import Cron
import Definitions
import Foundation

/// `retries: {max, backoff, max_backoff}`: exponential backoff with full jitter.
///
/// Attempts count from 1. Attempt n that ends `failed`, `timed_out` or `interrupted`
/// is retried when n ≤ `max` (so there are at most `max` + 1 attempts), after a delay of
/// `fraction` × min(`max_backoff`, `backoff` × 2^(n−1)), `fraction` a random number in
/// [0, 1) drawn by the caller, rounded down to the millisecond.
extension RetryPolicy {
    /// Whether attempt `attempt` ending in `state` is followed by another attempt.
    package func retries(_ state: ExecutionState, attempt: Int) -> Bool {
        state.isFailure && attempt >= 1 && attempt <= max
    }

    /// The longest delay before the attempt after `attempt`: min(max_backoff, backoff × 2^(attempt−1)).
    package func ceiling(afterAttempt attempt: Int) -> Duration {
        let cap = maxBackoff.wholeMilliseconds
        let base = backoff.wholeMilliseconds
        let exponent = Swift.max(0, attempt - 1)
        guard base > 0, exponent < 62 else { return .milliseconds(base > 0 ? cap : 0) }
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        return .milliseconds(overflow ? cap : Swift.min(cap, scaled))
    }

    /// The delay before the attempt after `attempt`: `fraction` (clamped to [0, 1]) of the ceiling.
    package func delay(afterAttempt attempt: Int, fraction: Double) -> Duration {
        let ceiling = Double(ceiling(afterAttempt: attempt).wholeMilliseconds)
        let share = fraction.isNaN ? 0 : Swift.min(1, Swift.max(0, fraction))
        return .milliseconds(Int64((ceiling * share).rounded(.down)))
    }

    /// The retry that follows `record`, a terminal attempt, or nil when it is final.
    /// The delay runs from its `finished_at` (else `started_at`, else `created_at`).
    package func retry(after record: ExecutionRecord, fraction: Double) -> OwedRetry? {
        guard record.state.isTerminal, retries(record.state, attempt: record.attempt) else { return nil }
        let end = record.finishedAt ?? record.startedAt ?? record.createdAt
        let due = Timestamp.date(milliseconds: Timestamp.milliseconds(end)
            + delay(afterAttempt: record.attempt, fraction: fraction).wholeMilliseconds)
        return OwedRetry(failed: record, due: due)
    }
}
