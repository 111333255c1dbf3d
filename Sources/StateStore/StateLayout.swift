import Scheduling

/// The paths of the state directory (SPEC section 4). Job ids may contain slashes
/// (`reports/weekly`), which become subdirectories.
package struct StateLayout: Hashable, Sendable {
    /// The state directory, as given (absolute or relative to the daemon's cwd).
    package let root: String

    package init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    package var lockFile: String { path("jobdir.lock") }
    package var daemonFile: String { path("daemon.json") }
    package var resultsDirectory: String { path("results") }
    package var executionsDirectory: String { path("executions") }
    package var logsDirectory: String { path("logs") }
    package var approvalsDirectory: String { path("approvals") }
    /// Deliveries not yet done (`PendingNotifications`), one file per execution.
    package var notificationsDirectory: String { path("notifications") }
    package var triggersDirectory: String { path("triggers") }
    package var cancelDirectory: String { path("cancel") }

    /// The directories created at start.
    package var topLevelDirectories: [String] {
        [resultsDirectory, executionsDirectory, logsDirectory, approvalsDirectory, triggersDirectory, cancelDirectory]
    }

    package func resultFile(job: String) -> String { path("results/\(job).json") }
    package func executionsDirectory(job: String) -> String { path("executions/\(job)") }
    package func executionFile(job: String, id: ExecutionID) -> String { path(executionRelativePath(job: job, id: id)) }
    package func executionRelativePath(job: String, id: ExecutionID) -> String { "executions/\(job)/\(id.rawValue).json" }
    package func logsDirectory(job: String) -> String { path("logs/\(job)") }
    package func logFile(job: String, id: ExecutionID) -> String { path(logRelativePath(job: job, id: id)) }
    /// What the record's `output.log` holds: the log path relative to the state directory.
    package func logRelativePath(job: String, id: ExecutionID) -> String { "logs/\(job)/\(id.rawValue).log" }
    /// The outcome a run's supervisor writes next to the record (not `.json`: not a record).
    package func outcomeFile(job: String, id: ExecutionID) -> String { path("executions/\(job)/\(id.rawValue).outcome") }
    package func approvalFile(id: ExecutionID) -> String { path("approvals/\(id.rawValue).json") }
    package func approveMarker(id: ExecutionID) -> String { path("approvals/\(id.rawValue).approve") }
    package func rejectMarker(id: ExecutionID) -> String { path("approvals/\(id.rawValue).reject") }
    package func triggerFile(job: String) -> String { path("triggers/\(job)") }
    package func cancelFile(id: ExecutionID) -> String { path("cancel/\(id.rawValue)") }

    /// `root/relative`.
    package func path(_ relative: String) -> String { root == "/" ? "/" + relative : root + "/" + relative }

    /// Whether `job` can name paths below state/: non-empty segments, none `.` or `..`,
    /// no leading slash. (The parser enforces the stricter SPEC rule.)
    package static func isSafeJobID(_ job: String) -> Bool {
        let segments = job.split(separator: "/", omittingEmptySubsequences: false)
        return !job.isEmpty && segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }
            && !job.utf8.contains(0)
    }
}
