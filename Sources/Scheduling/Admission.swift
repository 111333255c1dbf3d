import Definitions

/// What to do with a new occurrence of a job that is ready to run (after any approval).
///
/// The job's `overlap` decides first, then its pool, then `--max-parallel`:
/// - `skip`: skipped (`error.kind` `overlap`) while an earlier occurrence runs or waits
///   to start, so the job never holds more than one live occurrence.
/// - `queue`: waits (`overlap`) behind a running or waiting occurrence; skipped
///   (`overlap`, "queue full") when `max_queued` occurrences already wait.
/// - `replace`: cancels every running and waiting execution of the job; waits
///   (`replacing`) until the canceled runs have ended, or, with none running, goes on
///   to the pool and max-parallel checks.
/// - `allow`: runs beside the job's other runs; waits behind its own earlier waiting
///   occurrences (first in, first out).
/// - A free job then waits (`pool NAME`) when its pool is full, (`max-parallel`) when
///   `--max-parallel` runs are going, and otherwise starts now.
package struct Admission: Hashable, Sendable {
    package enum Action: Hashable, Sendable {
        case start
        /// Record it `queued`; `StartPlan` starts it later.
        case wait(WaitReason)
        /// Record it `skipped` with this error.
        case skip(ExecutionFailure)
    }

    /// Executions of the same job to cancel first (`overlap: replace` only): running
    /// ones are stopped, waiting ones end `canceled`.
    package var cancel: [ExecutionID]
    package var action: Action

    package init(cancel: [ExecutionID] = [], action: Action) {
        self.cancel = cancel
        self.action = action
    }

    /// Decides for a new occurrence of `definition`'s job.
    package static func decide(_ definition: JobDefinition, in snapshot: RunSnapshot, limits: RunLimits) -> Admission {
        let job = snapshot[definition.id]
        let free = Admission(action: capacityBlock(definition, in: snapshot, limits: limits).map(Action.wait) ?? .start)
        switch definition.overlap {
        case .skip:
            if let busy = job.running.first {
                return Admission(action: .skip(ExecutionFailure(
                    kind: "overlap", message: "skipped: \(busy) of `\(definition.id)` is still running (overlap: skip)")))
            }
            if let waiting = job.queued.first {
                return Admission(action: .skip(ExecutionFailure(
                    kind: "overlap", message: "skipped: \(waiting) of `\(definition.id)` is still waiting to start (overlap: skip)")))
            }
            return free
        case .queue:
            if job.running.isEmpty && job.queued.isEmpty { return free }
            if job.queued.count >= definition.maxQueued {
                return Admission(action: .skip(ExecutionFailure(
                    kind: "overlap",
                    message: "skipped: the queue is full, \(job.queued.count) occurrences of `\(definition.id)` already wait (max_queued: \(definition.maxQueued))")))
            }
            return Admission(action: .wait(.overlap))
        case .replace:
            if !job.running.isEmpty {
                return Admission(cancel: job.running + job.queued, action: .wait(.replacing))
            }
            return Admission(cancel: job.queued, action: free.action)
        case .allow:
            if job.queued.isEmpty { return free }
            return Admission(action: .wait(capacityBlock(definition, in: snapshot, limits: limits) ?? .overlap))
        }
    }

    /// The pool or max-parallel limit that keeps a run of `definition` from starting now, if any.
    static func capacityBlock(_ definition: JobDefinition, in snapshot: RunSnapshot, limits: RunLimits) -> WaitReason? {
        if let pool = definition.pool, snapshot.running(inPool: pool) >= limits.size(ofPool: pool) { return .pool(pool) }
        if snapshot.totalRunning >= limits.maxParallel { return .maxParallel }
        return nil
    }
}
