import Foundation

// The record's JSON, written by hand so every optional field appears as an explicit
// `null` (synthesized Codable would omit it) and timestamps use `Timestamp`.

extension ExecutionRecord: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, id, job, occurrence, trigger, attempt, state, command, pid, signal, error, output, approval, host, notifications
        case retryOf = "retry_of"
        case definitionSHA256 = "definition_sha256"
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case durationMilliseconds = "duration_ms"
        case pidStartTime = "pid_start_time"
        case exitCode = "exit_code"
        case resourceUsage = "rusage"
        case supervisor, user
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try c.decode(String.self, forKey: .schema)
        guard schema == ExecutionRecord.schema else {
            throw DecodingError.dataCorruptedError(forKey: .schema, in: c,
                                                   debugDescription: "expected \(ExecutionRecord.schema), found \(schema)")
        }
        try self.init(
            id: try c.decode(ExecutionID.self, forKey: .id),
            job: try c.decode(String.self, forKey: .job),
            occurrence: try c.decode(OccurrenceKey.self, forKey: .occurrence),
            trigger: try c.decode(ExecutionTrigger.self, forKey: .trigger),
            attempt: try c.decode(Int.self, forKey: .attempt),
            retryOf: try c.decodeIfPresent(ExecutionID.self, forKey: .retryOf),
            state: try c.decode(ExecutionState.self, forKey: .state),
            definitionSHA256: try c.decode(String.self, forKey: .definitionSHA256),
            command: try c.decode([String].self, forKey: .command),
            createdAt: try c.decodeTimestamp(forKey: .createdAt),
            startedAt: try c.decodeTimestampIfPresent(forKey: .startedAt),
            finishedAt: try c.decodeTimestampIfPresent(forKey: .finishedAt),
            durationMilliseconds: try c.decodeIfPresent(Int64.self, forKey: .durationMilliseconds),
            pid: try c.decodeIfPresent(Int32.self, forKey: .pid),
            pidStartTime: try c.decodeIfPresent(UInt64.self, forKey: .pidStartTime),
            exitCode: try c.decodeIfPresent(Int32.self, forKey: .exitCode),
            signal: try c.decodeIfPresent(Int32.self, forKey: .signal),
            error: try c.decodeIfPresent(ExecutionFailure.self, forKey: .error),
            output: try c.decodeIfPresent(OutputSummary.self, forKey: .output),
            approval: try c.decodeIfPresent(ApprovalSummary.self, forKey: .approval),
            host: try c.decode(String.self, forKey: .host),
            resourceUsage: try c.decodeIfPresent(ResourceUsage.self, forKey: .resourceUsage)
        )
        supervisor = try c.decodeIfPresent(SupervisorProcess.self, forKey: .supervisor)
        notifications = try c.decodeIfPresent([NotificationAttempt].self, forKey: .notifications) ?? []
        user = try c.decodeIfPresent(RunUser.self, forKey: .user)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ExecutionRecord.schema, forKey: .schema)
        try c.encode(id, forKey: .id)
        try c.encode(job, forKey: .job)
        try c.encode(occurrence, forKey: .occurrence)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(attempt, forKey: .attempt)
        try c.encodeOrNull(retryOf, forKey: .retryOf)
        try c.encode(state, forKey: .state)
        try c.encode(definitionSHA256, forKey: .definitionSHA256)
        try c.encode(command, forKey: .command)
        try c.encodeTimestamp(createdAt, forKey: .createdAt)
        try c.encodeTimestamp(startedAt, forKey: .startedAt)
        try c.encodeTimestamp(finishedAt, forKey: .finishedAt)
        try c.encodeOrNull(durationMilliseconds, forKey: .durationMilliseconds)
        try c.encodeOrNull(pid, forKey: .pid)
        try c.encodeOrNull(pidStartTime, forKey: .pidStartTime)
        try c.encodeOrNull(exitCode, forKey: .exitCode)
        try c.encodeOrNull(signal, forKey: .signal)
        try c.encodeOrNull(error, forKey: .error)
        try c.encodeOrNull(output, forKey: .output)
        try c.encodeOrNull(approval, forKey: .approval)
        try c.encode(host, forKey: .host)
        try c.encodeOrNull(resourceUsage, forKey: .resourceUsage)
        try c.encodeOrNull(supervisor, forKey: .supervisor)
        try c.encode(notifications, forKey: .notifications)
        try c.encodeOrNull(user, forKey: .user)
    }
}
