import BuildInfo
import Foundation

/// `daemon.json`: who holds the lock (a daemon is alive while it holds it).
struct DaemonInfo: Encodable {
    static let version = BuildInfo.version

    var pid: Int32
    var host: String
    var startedAt: Date
    var jobsDirectory: String
    var stateDirectory: String

    enum CodingKeys: String, CodingKey {
        case schema, pid, host, version, startedAt = "started_at", jobsDirectory = "jobs_dir", stateDirectory = "state_dir"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("jobdir.daemon/v1", forKey: .schema)
        try container.encode(pid, forKey: .pid)
        try container.encode(host, forKey: .host)
        try container.encode(Self.version, forKey: .version)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(jobsDirectory, forKey: .jobsDirectory)
        try container.encode(stateDirectory, forKey: .stateDirectory)
    }
}
