import Foundation

/// One attempt of one occurrence of a job: `executions/<job-id>/<execution-id>.json`.
/// Built by `ExecutionRecord.queued(...)` and changed only by `transition(_:_:at:)`.
package struct ExecutionRecord: Hashable, Sendable {
    /// The `schema` value of every execution record.
    package static let schema = "jobdir.execution/v1"

    package var id: ExecutionID
    package var job: String
    package var occurrence: OccurrenceKey
    package var trigger: ExecutionTrigger
    /// 1 for the first attempt of an occurrence, then 2, 3, ... for retries.
    package var attempt: Int
    /// The attempt this one retries.
    package var retryOf: ExecutionID?
    package var state: ExecutionState
    package var definitionSHA256: String
    /// The argv that is (or would be) run.
    package var command: [String]
    package var createdAt: Date
    package var startedAt: Date?
    package var finishedAt: Date?
    package var durationMilliseconds: Int64?
    package var pid: Int32?
    /// Start time of `pid` in clock ticks since boot (`/proc/PID/stat` field 22), so a
    /// later daemon can tell this run's process from a process that reused its pid.
    package var pidStartTime: UInt64?
    package var exitCode: Int32?
    package var signal: Int32?
    package var error: ExecutionFailure?
    package var output: OutputSummary?
    package var approval: ApprovalSummary?
    package var host: String
    package var resourceUsage: ResourceUsage?
    /// The run's supervisor (SPEC section 9) while it runs: what a later daemon re-attaches to.
    package var supervisor: SupervisorProcess?
    /// Each attempt to tell someone about this execution (SPEC section 10), in order.
    package var notifications: [NotificationAttempt] = []
    /// Who the run ran as; set when it starts.
    package var user: RunUser?

    package init(
        id: ExecutionID, job: String, occurrence: OccurrenceKey, trigger: ExecutionTrigger,
        attempt: Int = 1, retryOf: ExecutionID? = nil, state: ExecutionState = .queued,
        definitionSHA256: String, command: [String], createdAt: Date, startedAt: Date? = nil,
        finishedAt: Date? = nil, durationMilliseconds: Int64? = nil, pid: Int32? = nil,
        pidStartTime: UInt64? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
        error: ExecutionFailure? = nil, output: OutputSummary? = nil, approval: ApprovalSummary? = nil,
        host: String, resourceUsage: ResourceUsage? = nil
    ) {
        self.id = id
        self.job = job
        self.occurrence = occurrence
        self.trigger = trigger
        self.attempt = attempt
        self.retryOf = retryOf
        self.state = state
        self.definitionSHA256 = definitionSHA256
        self.command = command
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMilliseconds = durationMilliseconds
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.exitCode = exitCode
        self.signal = signal
        self.error = error
        self.output = output
        self.approval = approval
        self.host = host
        self.resourceUsage = resourceUsage
    }

    /// A new record in `queued`, the only way a record starts.
    package static func queued(
        id: ExecutionID, job: String, occurrence: OccurrenceKey, trigger: ExecutionTrigger,
        attempt: Int = 1, retryOf: ExecutionID? = nil, definitionSHA256: String,
        command: [String], host: String, at now: Date
    ) -> ExecutionRecord {
        ExecutionRecord(id: id, job: job, occurrence: occurrence, trigger: trigger, attempt: attempt,
                        retryOf: retryOf, definitionSHA256: definitionSHA256, command: command,
                        createdAt: now, host: host)
    }
}
