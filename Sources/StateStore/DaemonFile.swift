import Cron
import Foundation

/// `daemon.json` as the command line reads it back: whatever object the daemon wrote
/// (pid, host, version, started_at, jobs_dir), with the fields it shows picked out.
/// Content that is not a JSON object reads as an empty one.
package struct DaemonFile {
    package var object: [String: Any]

    package init(bytes: Data) {
        object = (try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]) ?? [:]
    }

    package var pid: Int? { object["pid"] as? Int }
    package var host: String? { object["host"] as? String }
    package var startedAt: Date? { (object["started_at"] as? String).flatMap(Timestamp.parse) }
}
