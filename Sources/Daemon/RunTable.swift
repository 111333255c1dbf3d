import Definitions
import Foundation
import Scheduling

/// The executions that run or wait, and the retries owed: the one owner of what the
/// run policies see (`RunSnapshot`). It decides with `Admission` and `StartPlan` and
/// keeps its bookkeeping consistent; it starts, writes and signals nothing itself, so
/// the daemon performs what it returns.
///
/// Invariants: an execution is in at most one of `running` and `waiting`; `snapshot`
/// counts exactly the executions of `running` (as running) and of `waiting` (as queued);
/// a cancel asked for before a run's process is up is kept until the process starts.
struct RunTable {
    /// What a cancel request reaches.
    enum CancelTarget {
        /// A running execution: stop its process (or, not up yet, once it is).
        case running
        /// A waiting execution, now out of the queue: record it `canceled`.
        case waiting(WaitingExecution)
        /// Nothing of this table's.
        case none
    }

    /// What the queue does now: `StartPlan`'s decisions, with the waiting entries they concern.
    struct Drain {
        var start: [(entry: WaitingExecution, definition: JobDefinition)] = []
        var skip: [(entry: WaitingExecution, failure: ExecutionFailure)] = []
        /// Why each execution left waiting waits, by job.
        var waiting: [JobID: [ExecutionID: WaitReason]] = [:]
    }

    let limits: RunLimits
    private(set) var snapshot = RunSnapshot()
    private(set) var running: [ExecutionID: ActiveRun] = [:]
    private(set) var waiting: [ExecutionID: WaitingExecution] = [:]
    private(set) var owedRetries: [ExecutionID: OwedRetry] = [:]
    private var cancelWhenStarted: Set<ExecutionID> = []
    /// Running executions whose process id is not in their record yet, with when it is
    /// written (monotonic nanoseconds): a run that ends sooner has it in its terminal
    /// record only, one document and its flushes fewer.
    private var unwrittenPIDs: [ExecutionID: UInt64] = [:]
    /// Whether the waiting executions need a new `StartPlan`: something started, ended,
    /// queued or left the queue, or definitions changed.
    private var queueChanged = true
    /// The earliest moment a waiting execution passes its starting deadline.
    private(set) var nextQueueDeadline: Date?

    init(limits: RunLimits) {
        self.limits = limits
    }

    var isIdle: Bool { running.isEmpty }

    /// Whether `id` is an execution this table knows (running or waiting).
    func contains(_ id: ExecutionID) -> Bool { running[id] != nil || waiting[id] != nil }

    /// What the run policies say of a new occurrence of `definition`.
    func admission(of definition: JobDefinition) -> Admission {
        Admission.decide(definition, in: snapshot, limits: limits)
    }

    /// Counts an execution admitted to start now; its process comes after its record is durable.
    mutating func countStart(_ id: ExecutionID, definition: JobDefinition) {
        snapshot.start(id, job: definition.id, pool: definition.pool)
    }

    /// Takes back `countStart` for an execution that did not get as far as its process.
    mutating func uncount(_ id: ExecutionID, definition: JobDefinition) {
        snapshot.end(id, job: definition.id, pool: definition.pool)
    }

    /// A counted execution whose `running` record is written: it is running from now on.
    mutating func register(_ run: ActiveRun) {
        running[run.record.id] = run
    }

    /// A counted, registered execution whose record never became durable: it never ran.
    mutating func abandon(_ id: ExecutionID) {
        guard let run = running.removeValue(forKey: id) else { return }
        snapshot.end(id, job: run.definition.id, pool: run.definition.pool)
        cancelWhenStarted.remove(id)
    }

    /// Puts an admitted execution in the queue (its `queued` record is written by the caller).
    mutating func enqueue(_ entry: WaitingExecution, job: JobID) {
        snapshot.enqueue(entry.record.id, job: job)
        waiting[entry.record.id] = entry
        queueChanged = true
    }

    /// A run's supervisor is up.
    mutating func supervisorLaunched(_ id: ExecutionID, _ supervisor: SupervisorProcess?) {
        running[id]?.supervisor = supervisor
    }

    /// A run's command is up: its record with the pid (and its supervisor's); true when a
    /// cancel came before.
    mutating func processStarted(_ id: ExecutionID, pid: Int32, startTime: UInt64?, at now: Date) -> (record: ExecutionRecord, cancelNow: Bool)? {
        guard var run = running[id], var updated = try? transition(run.record, .processStarted(pid: pid, startTime: startTime), at: now) else { return nil }
        updated.supervisor = run.supervisor
        run.record = updated
        running[id] = run
        return (updated, cancelWhenStarted.remove(id) != nil)
    }

    /// The record with the run's process id is written at `due` if the run still runs then.
    mutating func writePID(of id: ExecutionID, at due: UInt64) {
        if running[id] != nil { unwrittenPIDs[id] = due }
    }

    /// When the next process id is to be written.
    var nextPIDWrite: UInt64? { unwrittenPIDs.values.min() }

    /// The records of the runs whose process id is due to be written by `now` (all of
    /// them when `now` is nil: the daemon stops), oldest first.
    mutating func takePIDWrites(dueBy now: UInt64?) -> [ExecutionRecord] {
        let due = unwrittenPIDs.filter { now == nil || $0.value <= now! }.keys.sorted()
        for id in due { unwrittenPIDs[id] = nil }
        return due.compactMap { running[$0]?.record }
    }

    /// A run ended: it leaves the table and frees its slots.
    mutating func finish(_ id: ExecutionID) -> ActiveRun? {
        cancelWhenStarted.remove(id)
        unwrittenPIDs[id] = nil
        guard let run = running.removeValue(forKey: id) else { return nil }
        snapshot.end(id, job: run.definition.id, pool: run.definition.pool)
        queueChanged = true
        return run
    }

    /// A cancel request for `id`. `processUp` says whether the runner knows the run yet;
    /// when it does not, the cancel is kept for the moment its process starts.
    mutating func cancel(_ id: ExecutionID, processUp: () -> Bool) -> CancelTarget {
        if running[id] != nil {
            if !processUp() { cancelWhenStarted.insert(id) }
            return .running
        }
        if let entry = waiting.removeValue(forKey: id), let job = JobID(entry.record.job) {
            snapshot.removeQueued(id, job: job)
            queueChanged = true
            return .waiting(entry)
        }
        return .none
    }

    /// The waiting executions of `job`.
    func waitingIDs(of job: JobID) -> [ExecutionID] {
        waiting.values.filter { $0.record.job == job.rawValue }.map(\.record.id).sorted()
    }

    /// Definitions or limits changed: plan the queue again.
    mutating func queueNeedsPlanning() { queueChanged = true }

    /// The queue's decisions at `now`, or none when nothing changed and no deadline passed.
    /// `definition` is asked only for the jobs with waiting executions: the cost of a turn
    /// does not grow with the number of jobs loaded.
    mutating func drain(now: Date, definition: (JobID) -> JobDefinition?) -> Drain? {
        guard !waiting.isEmpty else { return nil }
        guard queueChanged || (nextQueueDeadline.map { $0 <= now } ?? false) else { return nil }
        queueChanged = false
        var definitions: [JobID: JobDefinition] = [:]
        for entry in waiting.values {
            guard let job = JobID(entry.record.job), definitions[job] == nil else { continue }
            definitions[job] = definition(job)
        }
        let plan = StartPlan(snapshot, definitions: definitions, limits: limits, now: now)
        snapshot = plan.snapshot
        var drain = Drain()
        for skip in plan.skip {
            guard let entry = waiting.removeValue(forKey: skip.id) else { continue }
            drain.skip.append((entry, skip.failure))
        }
        for start in plan.start {
            guard let entry = waiting.removeValue(forKey: start.id), let definition = definitions[start.job] else { continue }
            drain.start.append((entry, definition))
        }
        for (id, reason) in plan.waiting {
            guard let entry = waiting[id], let job = JobID(entry.record.job) else { continue }
            drain.waiting[job, default: [:]][id] = reason
        }
        nextQueueDeadline = waiting.values.compactMap { entry -> Date? in
            guard let job = JobID(entry.record.job), let deadline = definitions[job]?.startingDeadline,
                  entry.record.trigger.kind != .manual else { return nil }
            return entry.record.id.dueAt.addingTimeInterval(Double(deadline.milliseconds) / 1000 + 0.001)
        }.min()
        return drain
    }

    /// The next moment the queue needs planning although nothing changed.
    var queueWake: Date? { waiting.isEmpty ? nil : nextQueueDeadline }

    // MARK: Retries

    /// Remembers a retry owed after a failed attempt.
    mutating func owe(_ retry: OwedRetry) {
        owedRetries[retry.failed.id] = retry
    }

    /// The owed retries due at `now`, earliest first; they are no longer owed.
    mutating func takeDueRetries(now: Date) -> [OwedRetry] {
        let due = owedRetries.values.filter { $0.due <= now }.sorted { ($0.due, $0.failed.id) < ($1.due, $1.failed.id) }
        for retry in due { owedRetries[retry.failed.id] = nil }
        return due
    }

    /// Forgets the retries owed to `job` (its file was removed).
    mutating func dropRetries(of job: JobID) {
        for (failed, retry) in owedRetries where retry.failed.job == job.rawValue { owedRetries[failed] = nil }
    }

    var nextRetryDue: Date? { owedRetries.values.map(\.due).min() }
}
