import Foundation
import Glibc
import SystemCalls

/// Reads facts about processes from /proc and probes process groups; for the runner and
/// for the daemon's recovery (is the recorded run still alive, and is it the same process?).
package enum ProcessTable {
    /// The kernel start time of `pid` in clock ticks since boot (`/proc/PID/stat` field 22);
    /// nil if there is no such process.
    package static func startTime(of pid: Int32) -> UInt64? {
        guard let fields = statFields(pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The process group of `pid` (field 5), also for zombies.
    package static func processGroup(of pid: Int32) -> Int32? {
        guard let fields = statFields(pid), fields.count > 2 else { return nil }
        return Int32(fields[2])
    }

    /// Whether any process (zombies included) is in process group `pgid`.
    package static func groupExists(_ pgid: Int32) -> Bool {
        guard pgid > 1 else { return false }
        return (try? Sys.kill(-pgid, 0)) ?? true
    }

    /// Whether a process of group `pgid` is alive, zombies not counted: an init that
    /// does not reap leaves zombies of orphaned runs behind.
    package static func groupHasLiveMembers(_ pgid: Int32) -> Bool {
        guard groupExists(pgid) else { return false }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let fields = statFields(pid), fields.count > 2 else { continue }
            if Int32(fields[2]) == pgid && fields[0] != "Z" { return true }
        }
        return false
    }

    /// Whether `pid` names a process that is not a zombie.
    package static func isAlive(_ pid: Int32) -> Bool {
        statFields(pid).map { $0.first != "Z" } ?? false
    }

    /// Whether `pid` is alive and is the process that had `startTime`.
    package static func isSameProcess(pid: Int32, startTime: UInt64) -> Bool {
        self.startTime(of: pid) == startTime
    }

    /// Sends `signal` to every process in group `pgid`; false if the group is gone.
    @discardableResult
    package static func signalGroup(_ pgid: Int32, _ signal: Int32) -> Bool {
        guard pgid > 1 else { return false }
        return (try? Sys.kill(-pgid, signal)) ?? false
    }

    /// Ends process group `pgid` as SPEC section 8 asks of recovery: SIGTERM, then
    /// SIGKILL if live members remain after `grace`. Zombies do not count (an init that
    /// does not reap leaves them). The group is not our child, so no event says when it
    /// is gone: this checks every 10 ms, blocking the caller, bounded by `grace` plus 1 s.
    /// Returns whether no live member remains.
    @discardableResult
    package static func terminateGroup(_ pgid: Int32, grace: Duration) -> Bool {
        guard signalGroup(pgid, SIGTERM) else { return true }
        if waitForGroupToEnd(pgid, within: grace) { return true }
        signalGroup(pgid, SIGKILL)
        return waitForGroupToEnd(pgid, within: .seconds(1))
    }

    private static func waitForGroupToEnd(_ pgid: Int32, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        while groupHasLiveMembers(pgid) {
            guard ContinuousClock.now < deadline else { return false }
            nanosleep(&pause, nil)
        }
        return true
    }

    /// Fields 3... of /proc/PID/stat (after the command name in parentheses).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let bytes = try? Sys.readSmallFile("/proc/\(pid)/stat"),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = String(decoding: bytes[(close + 1)...], as: UTF8.self)
        return rest.split(separator: " ", omittingEmptySubsequences: true)
    }
}
