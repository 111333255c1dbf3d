import Foundation

/// The record's `approval` object, for executions of jobs with `approval`; the full
/// request and decision live in `approvals/<execution-id>.json`.
package struct ApprovalSummary: Hashable, Sendable {
    package enum Decision: String, Hashable, Sendable, Codable {
        case pending, approved, rejected, expired
    }

    package var state: Decision
    package var requestedAt: Date
    package var expiresAt: Date?
    package var decidedBy: String?
    package var decidedAt: Date?
    package var comment: String?

    package init(state: Decision, requestedAt: Date, expiresAt: Date?, decidedBy: String? = nil,
                 decidedAt: Date? = nil, comment: String? = nil) {
        self.state = state
        self.requestedAt = requestedAt
        self.expiresAt = expiresAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.comment = comment
    }
}

extension ApprovalSummary: Codable {
    enum CodingKeys: String, CodingKey {
        case state, comment
        case requestedAt = "requested_at", expiresAt = "expires_at"
        case decidedBy = "decided_by", decidedAt = "decided_at"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        state = try c.decode(Decision.self, forKey: .state)
        requestedAt = try c.decodeTimestamp(forKey: .requestedAt)
        expiresAt = try c.decodeTimestampIfPresent(forKey: .expiresAt)
        decidedBy = try c.decodeIfPresent(String.self, forKey: .decidedBy)
        decidedAt = try c.decodeTimestampIfPresent(forKey: .decidedAt)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
        try c.encodeTimestamp(requestedAt, forKey: .requestedAt)
        try c.encodeTimestamp(expiresAt, forKey: .expiresAt)
        try c.encodeOrNull(decidedBy, forKey: .decidedBy)
        try c.encodeTimestamp(decidedAt, forKey: .decidedAt)
        try c.encodeOrNull(comment, forKey: .comment)
    }
}
