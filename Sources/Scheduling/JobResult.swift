import Foundation

/// `results/<job-id>.json`: a job's latest result and current status (SPEC section 4).
package struct JobResult: Codable, Sendable, Equatable {
    package static let schema = "jobdir.result/v1"

    package struct LastExecution: Codable, Sendable, Equatable {
        package var id: String
        package var state: String
        package var finishedAt: Date?
        package var exitCode: Int32?
        /// How long it ran (absent for executions that never started).
        package var durationMilliseconds: Int64?

        package init(id: String, state: String, finishedAt: Date?, exitCode: Int32?, durationMilliseconds: Int64? = nil) {
            self.id = id
            self.state = state
            self.finishedAt = finishedAt
            self.exitCode = exitCode
            self.durationMilliseconds = durationMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case id, state, finishedAt = "finished_at", exitCode = "exit_code", durationMilliseconds = "duration_ms"
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            state = try container.decode(String.self, forKey: .state)
            finishedAt = try container.decodeIfPresent(Date.self, forKey: .finishedAt)
            exitCode = try container.decodeIfPresent(Int32.self, forKey: .exitCode)
            durationMilliseconds = try container.decodeIfPresent(Int64.self, forKey: .durationMilliseconds)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(state, forKey: .state)
            try container.encode(finishedAt, forKey: .finishedAt)
            try container.encode(exitCode, forKey: .exitCode)
            try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        }
    }

    /// Why a queued execution waits.
    package struct Waiting: Codable, Sendable, Equatable {
        package var id: String
        package var reason: String

        package init(id: String, reason: String) {
            self.id = id
            self.reason = reason
        }
    }

    package var job: String
    package var file: String
    package var description: String?
    package var definitionSHA256: String?
    package var loaded: Bool
    package var definitionError: String?
    package var enabled: Bool
    /// Next due time per trigger kind (`cron`, `every`, `at`).
    package var nextDue: [String: Date]
    package var lastExecution: LastExecution?
    /// When the job's latest run started (one still running included).
    package var lastStartedAt: Date?
    package var lastSuccessAt: Date?
    package var consecutiveFailures: Int
    /// Terminal executions counted by state.
    package var counts: [String: Int]
    package var running: [String]
    package var queued: [Waiting]
    package var pendingApprovals: [String]
    package var labels: [String: String]
    /// When `every` slots are anchored: the time the job was first seen.
    package var everyAnchor: Date?
    /// For `watch` jobs: path → SHA-256 of the matched files when last seen, so that
    /// changes made while the daemon was down fire once at start.
    package var watchFiles: [String: String]?
    package var updatedAt: Date

    package init(job: String, file: String, updatedAt: Date) {
        self.job = job
        self.file = file
        description = nil
        definitionSHA256 = nil
        loaded = false
        definitionError = nil
        enabled = true
        nextDue = [:]
        lastExecution = nil
        lastStartedAt = nil
        lastSuccessAt = nil
        consecutiveFailures = 0
        counts = [:]
        running = []
        queued = []
        pendingApprovals = []
        labels = [:]
        everyAnchor = nil
        watchFiles = nil
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case schema, job, file, description, loaded, enabled, counts, running, queued, labels
        case definitionSHA256 = "definition_sha256", definitionError = "definition_error", nextDue = "next_due"
        case lastExecution = "last_execution", lastStartedAt = "last_started_at", lastSuccessAt = "last_success_at", consecutiveFailures = "consecutive_failures"
        case pendingApprovals = "pending_approvals", everyAnchor = "every_anchor", watchFiles = "watch_files", updatedAt = "updated_at"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        job = try container.decode(String.self, forKey: .job)
        file = try container.decode(String.self, forKey: .file)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        definitionSHA256 = try container.decodeIfPresent(String.self, forKey: .definitionSHA256)
        loaded = try container.decode(Bool.self, forKey: .loaded)
        definitionError = try container.decodeIfPresent(String.self, forKey: .definitionError)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        nextDue = try container.decodeIfPresent([String: Date].self, forKey: .nextDue) ?? [:]
        lastExecution = try container.decodeIfPresent(LastExecution.self, forKey: .lastExecution)
        lastStartedAt = try container.decodeIfPresent(Date.self, forKey: .lastStartedAt)
        lastSuccessAt = try container.decodeIfPresent(Date.self, forKey: .lastSuccessAt)
        consecutiveFailures = try container.decodeIfPresent(Int.self, forKey: .consecutiveFailures) ?? 0
        counts = try container.decodeIfPresent([String: Int].self, forKey: .counts) ?? [:]
        running = try container.decodeIfPresent([String].self, forKey: .running) ?? []
        queued = try container.decodeIfPresent([Waiting].self, forKey: .queued) ?? []
        pendingApprovals = try container.decodeIfPresent([String].self, forKey: .pendingApprovals) ?? []
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        everyAnchor = try container.decodeIfPresent(Date.self, forKey: .everyAnchor)
        watchFiles = try container.decodeIfPresent([String: String].self, forKey: .watchFiles)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
    }

    /// Every key is written, absent values as `null`, so `jq` paths always exist.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schema, forKey: .schema)
        try container.encode(job, forKey: .job)
        try container.encode(file, forKey: .file)
        try container.encode(description, forKey: .description)
        try container.encode(definitionSHA256, forKey: .definitionSHA256)
        try container.encode(loaded, forKey: .loaded)
        try container.encode(definitionError, forKey: .definitionError)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(nextDue, forKey: .nextDue)
        try container.encode(lastExecution, forKey: .lastExecution)
        try container.encode(lastStartedAt, forKey: .lastStartedAt)
        try container.encode(lastSuccessAt, forKey: .lastSuccessAt)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(counts, forKey: .counts)
        try container.encode(running, forKey: .running)
        try container.encode(queued, forKey: .queued)
        try container.encode(pendingApprovals, forKey: .pendingApprovals)
        try container.encode(labels, forKey: .labels)
        try container.encode(everyAnchor, forKey: .everyAnchor)
        try container.encode(watchFiles, forKey: .watchFiles)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
