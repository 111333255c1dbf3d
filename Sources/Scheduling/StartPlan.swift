import Cron
import Definitions
import Foundation

/// Which waiting executions start now, which are skipped past their starting deadline,
/// and why the others wait. Asked whenever a run ends, an execution is enqueued, or
/// limits or definitions change.
///
/// Rules, in order:
/// 1. A waiting execution whose job has a `starting_deadline` is skipped (`error.kind`
///    `deadline`) when it is more than that late: now − due > deadline, due being the
///    time in its id. Manual triggers are exempt: a person asked for them.
/// 2. The rest start in due order (by execution id) across jobs, first in first out
///    within a job: only the head of a job's queue may start.
/// 3. A job with `overlap` `skip`, `queue` or `replace` runs one at a time: its head
///    starts only when none of its executions runs.
/// 4. A run needs a free slot in its job's pool (if it names one) and under `--max-parallel`.
///    A head blocked by its pool does not hold back other pools' executions.
///
/// Executions of jobs with no definition are left untouched (the daemon cancels them
/// when a job is removed).
package struct StartPlan: Hashable, Sendable {
    package struct Start: Hashable, Sendable {
        package var id: ExecutionID
        package var job: JobID
        /// The pool it counts in while it runs.
        package var pool: String?

        package init(id: ExecutionID, job: JobID, pool: String?) {
            self.id = id
            self.job = job
            self.pool = pool
        }
    }

    package struct Skip: Hashable, Sendable {
        package var id: ExecutionID
        package var job: JobID
        package var failure: ExecutionFailure

        package init(id: ExecutionID, job: JobID, failure: ExecutionFailure) {
            self.id = id
            self.job = job
            self.failure = failure
        }
    }

    /// To start now, in this order.
    package var start: [Start]
    /// To record `skipped`.
    package var skip: [Skip]
    /// Why each execution left waiting waits.
    package var waiting: [ExecutionID: WaitReason]
    /// The snapshot with the starts and skips applied.
    package var snapshot: RunSnapshot

    package init(_ snapshot: RunSnapshot, definitions: [JobID: JobDefinition], limits: RunLimits, now: Date) {
        var state = snapshot
        var skips: [Skip] = []
        var queues: [JobID: [ExecutionID]] = [:]
        for (job, entry) in snapshot.jobs.sorted(by: { $0.key < $1.key }) {
            guard let definition = definitions[job], !entry.queued.isEmpty else { continue }
            var kept: [ExecutionID] = []
            for id in entry.queued {
                if let failure = Self.pastDeadline(id, definition, now: now) {
                    skips.append(Skip(id: id, job: job, failure: failure))
                    state.removeQueued(id, job: job)
                } else {
                    kept.append(id)
                }
            }
            if !kept.isEmpty { queues[job] = kept }
        }

        var starts: [Start] = []
        while true {
            var best: (id: ExecutionID, job: JobID)?
            for (job, queue) in queues {
                guard let head = queue.first, let definition = definitions[job],
                      Self.block(definition, isHead: true, in: state, limits: limits) == nil else { continue }
                if let chosen = best, (chosen.id, chosen.job.rawValue) < (head, job.rawValue) { continue }
                best = (head, job)
            }
            guard let (id, job) = best else { break }
            let pool = definitions[job]?.pool
            state.start(id, job: job, pool: pool)
            queues[job]?.removeFirst()
            starts.append(Start(id: id, job: job, pool: pool))
        }

        var waiting: [ExecutionID: WaitReason] = [:]
        for (job, queue) in queues {
            guard let definition = definitions[job] else { continue }
            // The head of a `replace` job waits for the runs it replaces (they ran before this plan).
            let replacing = definition.overlap == .replace && !snapshot[job].running.isEmpty
            for (index, id) in queue.enumerated() {
                waiting[id] = replacing && index == 0
                    ? .replacing
                    : Self.block(definition, isHead: index == 0, in: state, limits: limits) ?? .overlap
            }
        }
        start = starts
        skip = skips
        self.waiting = waiting
        self.snapshot = state
    }

    /// The deadline skip for `id`, if it is too late to start.
    static func pastDeadline(_ id: ExecutionID, _ definition: JobDefinition, now: Date) -> ExecutionFailure? {
        guard let limit = definition.startingDeadline, id.trigger != .manual,
              !StartingDeadline(limit).allowsStart(of: id.dueAt, at: now) else { return nil }
        return ExecutionFailure(
            kind: "deadline",
            message: "skipped: not started within starting_deadline \(DurationText.format(limit)) of its due time \(Timestamp.format(id.dueAt))")
    }

    /// What keeps a waiting execution of `definition`'s job from starting; nil if nothing does.
    static func block(_ definition: JobDefinition, isHead: Bool, in state: RunSnapshot, limits: RunLimits) -> WaitReason? {
        let running = state[definition.id].running
        if definition.overlap != .allow && (!running.isEmpty || !isHead) { return .overlap }
        if let reason = Admission.capacityBlock(definition, in: state, limits: limits) { return reason }
        return isHead ? nil : .overlap
    }
}
