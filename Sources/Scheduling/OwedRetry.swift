import Definitions
import Foundation

/// A retry the daemon owes: the latest attempt of an occurrence failed, attempts remain,
/// and no later attempt exists yet. The retry's record is created when it is due.
package struct OwedRetry: Hashable, Sendable {
    /// The attempt that failed (`failed`, `timed_out` or `interrupted`).
    package var failed: ExecutionRecord
    /// When the retry is due.
    package var due: Date

    package init(failed: ExecutionRecord, due: Date) {
        self.failed = failed
        self.due = due
    }

    /// The next attempt's number.
    package var attempt: Int { failed.attempt + 1 }

    /// The retries owed among one job's records (any order), earliest due first.
    ///
    /// The due time is the failed record's `trigger.retry_at` when present (the time the
    /// daemon chose with a random jitter). Without it (the daemon died before writing it, or
    /// the attempt was marked `interrupted` at start) it is recomputed from `finished_at` with
    /// jitter 1.0, the longest backoff: deterministic, and never sooner than the policy allows.
    /// `policy` is the job's current one, so an edit that lowers `max` stops owed retries.
    package static func find(in records: [ExecutionRecord], policy: RetryPolicy) -> [OwedRetry] {
        var latest: [OccurrenceKey: ExecutionRecord] = [:]
        for record in records {
            if let seen = latest[record.occurrence], seen.attempt > record.attempt { continue }
            latest[record.occurrence] = record
        }
        var owed: [OwedRetry] = []
        for record in latest.values {
            guard var retry = policy.retry(after: record, fraction: 1.0) else { continue }
            if let chosen = record.trigger.retryAt { retry.due = chosen }
            owed.append(retry)
        }
        return owed.sorted { ($0.due, $0.failed.id) < ($1.due, $1.failed.id) }
    }

    /// The id of the retry: dated at `due` (so deadlines and due order count from the retry
    /// time), with the failed attempt's trigger kind; `random` gives the 4 hex chars.
    package func id(random: UInt16) -> ExecutionID {
        ExecutionID(dueAt: due, trigger: failed.trigger.kind, random: random)
    }

    /// The retry's `queued` record: same job, occurrence and trigger (without `retry_at`),
    /// the next attempt number, `retry_of` the failed attempt, and the current definition's
    /// command and sha256.
    package func record(id: ExecutionID, definition: JobDefinition, host: String, at now: Date) -> ExecutionRecord {
        var trigger = failed.trigger
        trigger.retryAt = nil
        return .queued(id: id, job: failed.job, occurrence: failed.occurrence, trigger: trigger, attempt: attempt,
                       retryOf: failed.id, definitionSHA256: definition.sha256, command: definition.argv,
                       host: host, at: now)
    }

    /// Why the retry waits, for `results/<job>.json`.
    package var reason: WaitReason { .retry(at: due) }
}
