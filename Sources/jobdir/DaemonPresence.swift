import Cron
import Foundation
import Glibc
import StateStore

/// Whether a daemon runs on a state directory: it holds `jobdir.lock` (flock) while it
/// lives. `daemon.json` says which daemon it is, or was.
struct DaemonPresence {
    /// A daemon holds the lock now.
    var isRunning: Bool
    /// `daemon.json` as written by the daemon (pid, host, version, commit, started_at, jobs_dir),
    /// if present; stale when `isRunning` is false.
    var info: [String: Any] { file.object }
    private var file: DaemonFile

    /// Tries a shared lock without blocking: granted means no daemon holds it.
    /// The lock file is never created here.
    init(layout: StateLayout) {
        isRunning = Self.lockIsHeld(layout.lockFile)
        let data = FileManager.default.contents(atPath: layout.daemonFile)
        file = DaemonFile(bytes: data ?? Data())
        isUnreadable = data != nil && !file.isReadable
        // While the state directory refuses writes, the running daemon keeps what
        // daemon.json would say outside it, in a directory of its user (the lock file's
        // owner), read only when that user owns it; a note older than daemon.json is an
        // earlier daemon's.
        if isRunning, let bytes = StateRuntimeFiles.ofDaemon(layout: layout)?.readHealth() {
            let note = DaemonFile(bytes: Data(bytes))
            if note.isReadable, (note.object["started_at"] as? String) ?? "" >= (file.object["started_at"] as? String) ?? "" { file = note }
        }
    }

    /// `daemon.json` exists but is not a JSON object.
    var isUnreadable: Bool

    var pid: Int? { file.pid }
    var host: String? { file.host }
    var startedAt: Date? { file.startedAt }

    /// One line for people: `daemon: running (pid 42 on host, up 3h12m)` or `daemon: not running; ...`.
    func summary(now: Date) -> String {
        guard isRunning else { return "daemon: not running; requests wait until `jobdir run` starts" }
        var details: [String] = []
        if let pid { details.append("pid \(pid)" + (host.map { " on \($0)" } ?? "")) }
        if let startedAt { details.append("up \(TimeText.between(startedAt, now))") }
        var line = "daemon: running" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        if let failure = stateFailure {
            let since = (failure["since"] as? String).flatMap(Timestamp.parse).map { " for \(TimeText.between($0, now))" } ?? ""
            line += "\nstate directory: FAILING\(since), \(failure["owed_writes"] as? Int ?? 0) writes owed, no run starts: "
                + "\(failure["error"] as? String ?? "unknown error")"
        }
        return line
    }

    /// Why the state directory refuses the daemon's writes, when it does.
    var stateFailure: [String: Any]? { isRunning ? info["state_failure"] as? [String: Any] : nil }

    /// The JSON object of `status --json`: `daemon.json`'s keys plus `running`.
    var json: [String: Any] {
        var object = info
        object.removeValue(forKey: "schema")
        object["running"] = isRunning
        return object
    }

    private static func lockIsHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var result: Int32
        repeat { result = flock(fd, LOCK_SH | LOCK_NB) } while result != 0 && errno == EINTR
        if result == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// The notice of a request dropped while no daemon runs.
    static func waitingNotice(for request: String) -> String {
        "no daemon is running on this state directory; \(request) will be acted on when `jobdir run` starts"
    }
}
