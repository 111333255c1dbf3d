import Cron
import Foundation

/// `daemon.json` as the command line reads it back: whatever object the daemon wrote
/// (pid, host, version, started_at, jobs_dir), with the fields it shows picked out.
/// Content that is not a JSON object reads as an empty one, and is unreadable.
package struct DaemonFile {
    package var object: [String: Any]
    /// The content was a JSON object.
    package var isReadable: Bool

    package init(bytes: Data) {
        let parsed = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        object = parsed ?? [:]
        isReadable = parsed != nil
    }

    package var pid: Int? { object["pid"] as? Int }
    package var host: String? { object["host"] as? String }
    package var startedAt: Date? { (object["started_at"] as? String).flatMap(Timestamp.parse) }
}
