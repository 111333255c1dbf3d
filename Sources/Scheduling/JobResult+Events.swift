import Definitions
import Foundation

/// How a job's result follows its executions: each change of an execution's state
/// moves its id between the lists and, once terminal, updates the figures.
extension JobResult {
    /// An execution's process is starting: it moves from the waiting list to `running`.
    package mutating func noteStarted(_ execution: String, at startedAt: Date? = nil) {
        queued.removeAll { $0.id == execution }
        if !running.contains(execution) { running.append(execution) }
        if let startedAt { lastStartedAt = startedAt }
    }

    /// An execution counted as starting never got its process (its record was refused).
    package mutating func noteNotStarted(_ execution: String) {
        running.removeAll { $0 == execution }
    }

    /// Lists an execution as waiting, or gives its new reason.
    package mutating func noteWaiting(_ execution: String, reason: String) {
        let entry = Waiting(id: execution, reason: reason)
        if let index = queued.firstIndex(where: { $0.id == execution }) {
            queued[index] = entry
        } else {
            queued.append(entry)
        }
    }

    /// The same for many executions at once; returns whether anything changed.
    package mutating func noteWaiting(_ reasons: [String: String]) -> Bool {
        var changed = false
        for index in queued.indices {
            guard let reason = reasons[queued[index].id], queued[index].reason != reason else { continue }
            queued[index].reason = reason
            changed = true
        }
        let listed = Set(queued.map(\.id))
        for (id, reason) in reasons.sorted(by: { $0.key < $1.key }) where !listed.contains(id) {
            queued.append(Waiting(id: id, reason: reason))
            changed = true
        }
        return changed
    }

    /// An execution no longer waits (its owed retry is due and becomes a new attempt).
    package mutating func noteLeftQueue(_ execution: String) {
        queued.removeAll { $0.id == execution }
    }

    package mutating func noteAwaitingApproval(_ execution: String) {
        pendingApprovals.append(execution)
    }

    package mutating func noteApprovalDecided(_ execution: String) {
        pendingApprovals.removeAll { $0 == execution }
    }

    /// A terminal record: the execution leaves every list and is counted; a success
    /// resets the consecutive failures, a failure, timeout, interruption or expiry adds one.
    package mutating func noteFinished(_ record: ExecutionRecord) {
        let id = record.id.rawValue
        running.removeAll { $0 == id }
        queued.removeAll { $0.id == id }
        pendingApprovals.removeAll { $0 == id }
        counts[record.state.rawValue, default: 0] += 1
        lastExecution = LastExecution(id: id, state: record.state.rawValue, finishedAt: record.finishedAt, exitCode: record.exitCode,
                                      durationMilliseconds: record.durationMilliseconds)
        switch record.state {
        case .succeeded:
            lastSuccessAt = record.finishedAt
            consecutiveFailures = 0
        case .failed, .timedOut, .interrupted, .expired:
            consecutiveFailures += 1
        default:
            break
        }
    }

    /// A valid definition is in force.
    package mutating func noteInstalled(_ definition: JobDefinition, everyAnchor: Date) {
        self.everyAnchor = everyAnchor
        file = definition.file
        description = definition.description
        definitionSHA256 = definition.sha256
        loaded = true
        definitionError = nil
        enabled = definition.enabled
        labels = definition.labels
    }

    /// The job's file is gone.
    package mutating func noteRemoved() {
        loaded = false
        definitionError = nil
        nextDue = [:]
    }
}
