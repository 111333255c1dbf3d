import Foundation
import Scheduling

/// What the metrics show: the daemon, the build, and each job's latest result as
/// `results/<job>.json` holds it. The daemon's metrics file and `jobdir metrics` render
/// the same snapshot, so both print the same text for the same state.
package struct MetricsSnapshot: Sendable, Equatable {
    /// Whether a daemon runs on the state directory.
    package var up: Bool
    /// When the running daemon started; nil when none runs.
    package var startedAt: Date?
    package var version: String
    package var commit: String
    /// Every job's result, in any order (rendered sorted by job id).
    package var jobs: [JobResult]
    /// Whether the state directory takes the running daemon's writes, and how many it
    /// owes while it does not; nil when no daemon runs.
    package var stateHealth: (writable: Bool, owedWrites: Int)?

    package init(up: Bool, startedAt: Date?, version: String, commit: String, jobs: [JobResult],
                 stateHealth: (writable: Bool, owedWrites: Int)? = nil) {
        self.up = up
        self.startedAt = startedAt
        self.version = version
        self.commit = commit
        self.jobs = jobs
        self.stateHealth = stateHealth
    }

    package static func == (a: MetricsSnapshot, b: MetricsSnapshot) -> Bool {
        a.up == b.up && a.startedAt == b.startedAt && a.version == b.version && a.commit == b.commit && a.jobs == b.jobs
            && a.stateHealth?.writable == b.stateHealth?.writable && a.stateHealth?.owedWrites == b.stateHealth?.owedWrites
    }
}
