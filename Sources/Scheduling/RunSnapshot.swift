import Definitions

/// What runs and waits right now, as the daemon sees it: the input of `Admission`
/// and `StartPlan`. The daemon may keep one and update it with the mutating methods.
package struct RunSnapshot: Hashable, Sendable {
    /// One job's live executions.
    package struct Job: Hashable, Sendable {
        /// Running executions, the earliest started first.
        package var running: [ExecutionID]
        /// Executions waiting to start, first in first out.
        package var queued: [ExecutionID]

        package init(running: [ExecutionID] = [], queued: [ExecutionID] = []) {
            self.running = running
            self.queued = queued
        }
    }

    package var jobs: [JobID: Job]
    /// Running executions per pool (each counted in the pool it started in).
    package var poolRunning: [String: Int]
    /// Running executions of every job.
    package var totalRunning: Int

    package init(jobs: [JobID: Job] = [:], poolRunning: [String: Int] = [:], totalRunning: Int = 0) {
        self.jobs = jobs
        self.poolRunning = poolRunning
        self.totalRunning = totalRunning
    }

    /// The job's live executions (none when it has none).
    package subscript(job: JobID) -> Job { jobs[job] ?? Job() }

    package func running(inPool name: String) -> Int { poolRunning[name] ?? 0 }

    /// Adds a waiting execution at the end of its job's queue.
    package mutating func enqueue(_ id: ExecutionID, job: JobID) {
        jobs[job, default: Job()].queued.append(id)
    }

    /// Moves an execution to running (out of the queue if it waited there), counting it in its pool.
    package mutating func start(_ id: ExecutionID, job: JobID, pool: String?) {
        jobs[job, default: Job()].queued.removeAll { $0 == id }
        jobs[job, default: Job()].running.append(id)
        if let pool { poolRunning[pool, default: 0] += 1 }
        totalRunning += 1
    }

    /// Removes a running execution that ended, freeing its pool slot; `pool` is the pool it started in.
    package mutating func end(_ id: ExecutionID, job: JobID, pool: String?) {
        guard let index = jobs[job]?.running.firstIndex(of: id) else { return }
        jobs[job]?.running.remove(at: index)
        if let pool, let count = poolRunning[pool] { poolRunning[pool] = count > 1 ? count - 1 : nil }
        totalRunning = max(0, totalRunning - 1)
        dropIfIdle(job)
    }

    /// Removes a waiting execution that was skipped or canceled.
    package mutating func removeQueued(_ id: ExecutionID, job: JobID) {
        jobs[job]?.queued.removeAll { $0 == id }
        dropIfIdle(job)
    }

    private mutating func dropIfIdle(_ job: JobID) {
        if let entry = jobs[job], entry.running.isEmpty, entry.queued.isEmpty { jobs[job] = nil }
    }
}
