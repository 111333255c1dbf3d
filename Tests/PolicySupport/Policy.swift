import Cron
import Definitions
import Foundation
import Scheduling

/// Builders for the run-policy tests: job definitions parsed from YAML, ids and records
/// at fixed times (no clock is read).
package enum Policy {
    package static let t0 = Timestamp.parse("2026-11-23T01:30:00.000Z")!

    /// `t0` plus `seconds`.
    package static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// A job `id` whose file holds `command: "true"` and `yaml`; fails the test if invalid.
    package static func job(_ id: String, _ yaml: String = "") -> JobDefinition {
        let text = "command: \"true\"\n" + yaml
        let (root, problems) = YAMLReader(file: "\(id).yaml").read(Array(text.utf8))
        precondition(problems.isEmpty, "\(problems)")
        switch JobFileParser(directory: "/jobs").parse(root!, defaults: nil, id: JobID(id)!, file: "\(id).yaml", sha256: "sha-\(id)") {
        case .success(let definition): return definition
        case .failure(let problems): preconditionFailure("\(problems.items)")
        }
    }

    /// An execution id due `seconds` after `t0`.
    package static func id(_ seconds: Double, _ kind: TriggerKind = .cron, _ random: UInt16 = 0) -> ExecutionID {
        ExecutionID(dueAt: at(seconds), trigger: kind, random: random)
    }

    package static func jobID(_ text: String) -> JobID { JobID(text)! }

    /// A record of `job` in `state`, attempt `attempt` of the occurrence at `slot` seconds.
    package static func record(
        _ job: String, slot: Double, attempt: Int = 1, state: ExecutionState, finishedAfter: Double = 30,
        random: UInt16 = 0, retryOf: ExecutionID? = nil
    ) -> ExecutionRecord {
        let id = Policy.id(slot + Double(attempt - 1) * 1000, .cron, random)
        var record = ExecutionRecord.queued(
            id: id, job: job, occurrence: .slot(job: job, kind: .cron, at: at(slot)),
            trigger: ExecutionTrigger(kind: .cron, scheduledFor: at(slot)), attempt: attempt, retryOf: retryOf,
            definitionSHA256: "sha", command: ["/bin/sh", "-c", "true"], host: "test", at: id.dueAt)
        record.state = state
        if state != .queued {
            record.startedAt = id.dueAt
        }
        if state.isTerminal {
            record.finishedAt = id.dueAt.addingTimeInterval(finishedAfter)
        }
        return record
    }
}

extension Policy {
    /// A retry policy (its memberwise initializer is internal to Definitions).
    package static func retries(max: Int, backoff: Duration, maxBackoff: Duration) -> RetryPolicy {
        var policy = RetryPolicy.none
        policy.max = max
        policy.backoff = backoff
        policy.maxBackoff = maxBackoff
        return policy
    }
}
