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

    package init(up: Bool, startedAt: Date?, version: String, commit: String, jobs: [JobResult]) {
        self.up = up
        self.startedAt = startedAt
        self.version = version
        self.commit = commit
        self.jobs = jobs
    }
}
