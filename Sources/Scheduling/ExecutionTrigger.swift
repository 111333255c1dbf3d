import Foundation

/// The record's `trigger` object: `kind`, `scheduled_for`, and any extra keys the
/// trigger adds (`catchup`, `upstream`, `changed_paths`, ...), written beside them.
package struct ExecutionTrigger: Hashable, Sendable {
    package var kind: TriggerKind
    /// When the occurrence was due; nil for manual triggers (written as `null`).
    package var scheduledFor: Date?
    /// Extra keys; `kind` and `scheduled_for` are not allowed here.
    package var extra: [String: JSONValue]

    package init(kind: TriggerKind, scheduledFor: Date?, extra: [String: JSONValue] = [:]) {
        self.kind = kind
        self.scheduledFor = scheduledFor
        self.extra = extra.filter { $0.key != "kind" && $0.key != "scheduled_for" }
    }
}

extension ExecutionTrigger: Codable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        kind = try c.decode(TriggerKind.self, forKey: AnyKey("kind"))
        scheduledFor = try c.decodeTimestampIfPresent(forKey: AnyKey("scheduled_for"))
        var extra: [String: JSONValue] = [:]
        for key in c.allKeys where key.stringValue != "kind" && key.stringValue != "scheduled_for" {
            extra[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
        }
        self.extra = extra
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(kind, forKey: AnyKey("kind"))
        try c.encodeTimestamp(scheduledFor, forKey: AnyKey("scheduled_for"))
        for (key, value) in extra { try c.encode(value, forKey: AnyKey(key)) }
    }
}
