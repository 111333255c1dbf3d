import Cron
import Foundation

/// What makes runs idempotent: `<job>:<kind>:<slot time | content hash | upstream id>`.
/// Each key runs at most once, unless an attempt failed and retries allow another.
package struct OccurrenceKey: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }

    /// A `cron`, `every`, `at` or `reboot` slot: `nightly-backup:cron:2026-11-23T01:30:00.000Z`.
    package static func slot(job: String, kind: TriggerKind, at time: Date) -> OccurrenceKey {
        OccurrenceKey(rawValue: "\(job):\(kind.rawValue):\(Timestamp.format(time))")
    }

    /// A watch change, by the content hash of the changed paths.
    package static func watch(job: String, contentHash: String) -> OccurrenceKey {
        OccurrenceKey(rawValue: "\(job):\(TriggerKind.watch.rawValue):\(contentHash)")
    }

    /// A chain link, by the upstream execution that ended.
    package static func chain(job: String, upstream: ExecutionID) -> OccurrenceKey {
        OccurrenceKey(rawValue: "\(job):\(TriggerKind.after.rawValue):\(upstream.rawValue)")
    }

    /// A manual trigger is never deduplicated: its key names its own execution.
    package static func manual(job: String, execution: ExecutionID) -> OccurrenceKey {
        OccurrenceKey(rawValue: "\(job):\(TriggerKind.manual.rawValue):\(execution.rawValue)")
    }

    /// The job id part (job ids contain no `:`).
    package var job: String { String(rawValue.prefix { $0 != ":" }) }

    package var description: String { rawValue }

    package init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
