/// What fired an execution. Open set of lowercase words (`cron`, `every`, ...), so a new
/// trigger needs no change here; the known ones are static members.
package struct TriggerKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }

    package static let cron = TriggerKind(rawValue: "cron")
    package static let every = TriggerKind(rawValue: "every")
    package static let at = TriggerKind(rawValue: "at")
    package static let watch = TriggerKind(rawValue: "watch")
    package static let after = TriggerKind(rawValue: "after")
    package static let manual = TriggerKind(rawValue: "manual")
    package static let reboot = TriggerKind(rawValue: "reboot")

    package var description: String { rawValue }

    /// Kinds must be non-empty `[a-z0-9_]`: they appear inside execution ids and occurrence keys.
    package var isWellFormed: Bool {
        !rawValue.isEmpty && rawValue.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }

    package init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
