import Foundation

/// `approvals/<execution-id>.json`: an approval request, its decision, the
/// exact commands to decide, and any refused markers (SPEC section 5).
package struct ApprovalFile: Codable, Sendable, Equatable {
    package static let schema = "jobdir.approval/v1"

    /// A marker that was not accepted, and why.
    package struct Refusal: Codable, Sendable, Equatable {
        package var file: String
        package var owner: String
        package var reason: String
        package var at: Date

        package init(file: String, owner: String, reason: String, at: Date) {
            self.file = file
            self.owner = owner
            self.reason = reason
            self.at = at
        }
    }

    package var execution: String
    package var job: String
    package var command: [String]
    package var requestedAt: Date
    package var expiresAt: Date?
    package var approvers: [String]
    /// `pending`, `approved`, `rejected` or `expired`.
    package var state: String
    package var decidedBy: String?
    package var decidedAt: Date?
    package var comment: String?
    /// How to decide: the CLI commands and the marker files.
    package var decide: [String: [String]]
    package var refusals: [Refusal]

    package init(execution: String, job: String, command: [String], requestedAt: Date, expiresAt: Date?, approvers: [String], stateDirectory: String) {
        self.execution = execution
        self.job = job
        self.command = command
        self.requestedAt = requestedAt
        self.expiresAt = expiresAt
        self.approvers = approvers
        state = "pending"
        decidedBy = nil
        decidedAt = nil
        comment = nil
        let marker = stateDirectory + "/approvals/" + execution
        decide = [
            "approve": ["jobdir approve \(execution) --state \(stateDirectory)", "touch \(marker).approve"],
            "reject": ["jobdir reject \(execution) --state \(stateDirectory)", "touch \(marker).reject"],
        ]
        refusals = []
    }

    enum CodingKeys: String, CodingKey {
        case schema, execution, job, command, approvers, state, comment, decide, refusals
        case requestedAt = "requested_at", expiresAt = "expires_at", decidedBy = "decided_by", decidedAt = "decided_at"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        execution = try c.decode(String.self, forKey: .execution)
        job = try c.decode(String.self, forKey: .job)
        command = try c.decodeIfPresent([String].self, forKey: .command) ?? []
        requestedAt = try c.decode(Date.self, forKey: .requestedAt)
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        approvers = try c.decodeIfPresent([String].self, forKey: .approvers) ?? []
        state = try c.decode(String.self, forKey: .state)
        decidedBy = try c.decodeIfPresent(String.self, forKey: .decidedBy)
        decidedAt = try c.decodeIfPresent(Date.self, forKey: .decidedAt)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
        decide = try c.decodeIfPresent([String: [String]].self, forKey: .decide) ?? [:]
        refusals = try c.decodeIfPresent([Refusal].self, forKey: .refusals) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schema, forKey: .schema)
        try c.encode(execution, forKey: .execution)
        try c.encode(job, forKey: .job)
        try c.encode(command, forKey: .command)
        try c.encode(requestedAt, forKey: .requestedAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(approvers, forKey: .approvers)
        try c.encode(state, forKey: .state)
        try c.encode(decidedBy, forKey: .decidedBy)
        try c.encode(decidedAt, forKey: .decidedAt)
        try c.encode(comment, forKey: .comment)
        try c.encode(decide, forKey: .decide)
        try c.encode(refusals, forKey: .refusals)
    }
}
