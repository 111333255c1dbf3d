import BuildInfo
import Foundation

/// `daemon.json`: who holds the lock (a daemon is alive while it holds it), what it is
/// (version and commit, for `jobdir metrics`), and whether the state directory takes its writes.
struct DaemonInfo: Encodable {
    static let version = BuildInfo.version

    /// Why the state directory refuses writes, since when, and what is owed meanwhile.
    struct StateFailure: Encodable {
        var since: Date
        var error: String
        var owedWrites: Int
        var skippedSlots: Int

        enum CodingKeys: String, CodingKey {
            case since, error, owedWrites = "owed_writes", skippedSlots = "skipped_slots"
        }
    }

    var pid: Int32
    var host: String
    var startedAt: Date
    var jobsDirectory: String
    var stateDirectory: String
    var stateFailure: StateFailure?

    enum CodingKeys: String, CodingKey {
        case schema, pid, host, version, commit, startedAt = "started_at", jobsDirectory = "jobs_dir", stateDirectory = "state_dir"
        case stateWritable = "state_writable", stateFailure = "state_failure"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("jobdir.daemon/v1", forKey: .schema)
        try container.encode(pid, forKey: .pid)
        try container.encode(host, forKey: .host)
        try container.encode(Self.version, forKey: .version)
        try container.encode(BuildInfo.commit, forKey: .commit)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(jobsDirectory, forKey: .jobsDirectory)
        try container.encode(stateDirectory, forKey: .stateDirectory)
        try container.encode(stateFailure == nil, forKey: .stateWritable)
        try container.encode(stateFailure, forKey: .stateFailure)
    }
}
