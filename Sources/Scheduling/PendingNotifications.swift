import Foundation

/// `notifications/<execution-id>.json`: the deliveries of one execution that are not
/// done yet, with the record they tell about, so they survive a restart. Removed once
/// every delivery has succeeded or used up its attempts. Holds no header and no secret
/// (`NotificationTarget`); written 0600, since the record's output tail is in it.
package struct PendingNotifications: Hashable, Sendable, Codable {
    package static let schema = "jobdir.notification/v1"

    package struct Delivery: Hashable, Sendable, Codable {
        package var planned: PlannedDelivery
        /// Attempts made so far.
        package var attempts: Int
        /// When the next attempt is due.
        package var dueAt: Date

        package init(planned: PlannedDelivery, attempts: Int = 0, dueAt: Date) {
            self.planned = planned
            self.attempts = attempts
            self.dueAt = dueAt
        }

        enum CodingKeys: String, CodingKey {
            case planned = "delivery", attempts, dueAt = "due_at"
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            planned = try c.decode(PlannedDelivery.self, forKey: .planned)
            attempts = try c.decode(Int.self, forKey: .attempts)
            dueAt = try c.decodeTimestamp(forKey: .dueAt)
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(planned, forKey: .planned)
            try c.encode(attempts, forKey: .attempts)
            try c.encodeTimestamp(dueAt, forKey: .dueAt)
        }
    }

    /// The terminal record, with the attempts made so far under `notifications`.
    package var record: ExecutionRecord
    package var deliveries: [Delivery]

    package init(record: ExecutionRecord, deliveries: [Delivery]) {
        self.record = record
        self.deliveries = deliveries
    }

    enum CodingKeys: String, CodingKey { case schema, record, deliveries }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let schema = try c.decode(String.self, forKey: .schema)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(forKey: .schema, in: c, debugDescription: "expected \(Self.schema), found \(schema)")
        }
        record = try c.decode(ExecutionRecord.self, forKey: .record)
        deliveries = try c.decode([Delivery].self, forKey: .deliveries)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schema, forKey: .schema)
        try c.encode(record, forKey: .record)
        try c.encode(deliveries, forKey: .deliveries)
    }
}
