import Definitions
import Foundation

/// A downstream job fired by an upstream execution's end through its `after` link.
package struct ChainFiring: Hashable, Sendable {
    /// The downstream job.
    package var job: JobID
    /// `<job>:after:<upstream execution id>`: each upstream execution fires a job at most once.
    package var occurrence: OccurrenceKey
    /// Kind `after`, `scheduled_for` the upstream's end, and `upstream_job`,
    /// `upstream_execution`, `upstream_state` (the daemon's `JOBDIR_UPSTREAM_*`).
    package var trigger: ExecutionTrigger

    /// When the downstream occurrence is due: the upstream's end (for its execution id).
    package var due: Date

    /// The jobs that `upstream`'s end fires, sorted by job id.
    ///
    /// Nothing fires until the upstream's attempt is final: not while it is live, and not
    /// when `retryFollows` (a failure that will be retried fires no `failure` link yet).
    /// A job fires when any of its links to the upstream job matches the end state
    /// (`AfterTrigger.Condition.matches`), once even if several match. Disabled jobs do not fire.
    package static func fired(
        by upstream: ExecutionRecord, retryFollows: Bool, definitions: some Sequence<JobDefinition>
    ) -> [ChainFiring] {
        guard upstream.state.isTerminal, !retryFollows else { return [] }
        let end = upstream.finishedAt ?? upstream.createdAt
        let trigger = ExecutionTrigger(kind: .after, scheduledFor: end, extra: [
            "upstream_job": .string(upstream.job),
            "upstream_execution": .string(upstream.id.rawValue),
            "upstream_state": .string(upstream.state.rawValue),
        ])
        return definitions
            .filter { definition in
                definition.enabled && definition.after.contains { $0.job.rawValue == upstream.job && $0.on.matches(upstream.state) }
            }
            .map { ChainFiring(job: $0.id, occurrence: .chain(job: $0.id.rawValue, upstream: upstream.id), trigger: trigger, due: end) }
            .sorted { $0.job < $1.job }
    }
}
