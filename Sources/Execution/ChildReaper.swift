import Foundation
import Glibc
import Scheduling
import SystemCalls

/// The one place that reaps children. It blocks in `waitid(P_ALL, WNOWAIT)` until some
/// child has ended, then reaps it with `wait4` (for its rusage) only if it is ours: a
/// run leader, or an orphan of one of our process groups adopted as subreaper. Children
/// of other code in the process (such as Foundation's `Process`) are left to their owner.
struct ChildReaper {
    let supervisor: Supervisor
    /// How long an unknown zombie adopted as subreaper may wait for an owner.
    static let orphanGraceNanoseconds: Int64 = 1_000_000_000

    func run() -> Never {
        var unknownSince: [Int32: Int64] = [:]
        var backoffMicroseconds: UInt32 = 500
        while true {
            let pid: pid_t
            do { pid = try Sys.peekEndedChild() } catch {
                // No child at all: sleep until the next spawn.
                if error.code == ECHILD { supervisor.spawned.wait() }
                continue
            }
            if reapIfLeader(pid) {
                backoffMicroseconds = 500
                continue
            }
            let group = ProcessTable.processGroup(of: pid)
            let verdict: Verdict = supervisor.state.withLock { s in
                if s.leaders[pid] != nil { return .leader }
                if let group, s.knownGroups.contains(group) { return .orphan }
                return .unknown
            }
            switch verdict {
            case .leader:
                _ = reapIfLeader(pid)
            case .orphan:
                reapAndDiscard(pid)
                if let group, !ProcessTable.groupExists(group) {
                    supervisor.state.withLock { _ = $0.knownGroups.remove(group) }
                }
            case .unknown:
                let now = Sys.monotonicNanoseconds()
                let since = unknownSince[pid] ?? now
                unknownSince[pid] = since
                if supervisor.adoptsOrphans && now - since > Self.orphanGraceNanoseconds {
                    reapAndDiscard(pid)
                    unknownSince[pid] = nil
                    continue
                }
                // Someone else's child is first in line: make sure ours are not starved
                // behind it (leaders, and orphans of our groups), then give its owner time.
                sweepLeaders()
                sweepOrphans()
                usleep(backoffMicroseconds)
                backoffMicroseconds = min(backoffMicroseconds * 2, 50_000)
                if unknownSince.count > 1024 { unknownSince.removeAll() }
            }
        }
    }

    private enum Verdict { case leader, orphan, unknown }

    /// Reaps `pid` if it is a registered run leader and has ended; hands its status on.
    private func reapIfLeader(_ pid: Int32) -> Bool {
        guard let token = supervisor.state.withLock({ $0.leaders[pid] }) else { return false }
        let reaped: (status: Int32, usage: rusage)?
        do { reaped = try Sys.reap(pid) } catch { return false }
        guard let reaped else { return false }
        let resourceUsage = WaitStatus.resourceUsage(reaped.usage)
        supervisor.state.withLock { s in
            s.leaders[pid] = nil
            s.exits.append((token, reaped.status, resourceUsage))
        }
        supervisor.wake()
        return true
    }

    private func sweepLeaders() {
        let pids = supervisor.state.withLock { Array($0.leaders.keys) }
        for pid in pids { _ = reapIfLeader(pid) }
    }

    /// Reaps every ended orphan of our process groups (`waitid(P_PGID)`), which
    /// `waitid(P_ALL)` would not show while another's zombie is first in line.
    private func sweepOrphans() {
        let groups = supervisor.state.withLock { Array($0.knownGroups) }
        for group in groups {
            while true {
                // Peeked first: a run leader that ended meanwhile keeps its status for its run.
                var info = siginfo_t()
                let peeked = waitid(P_PGID, id_t(group), &info, WEXITED | WNOHANG | WNOWAIT)
                if peeked < 0 && errno == EINTR { continue }
                let pid = info._sifields._sigchld.si_pid
                guard peeked == 0, pid > 0 else { break }
                if supervisor.state.withLock({ $0.leaders[pid] != nil }) {
                    guard reapIfLeader(pid) else { break }
                } else {
                    reapAndDiscard(pid)
                }
            }
            if !ProcessTable.groupExists(group) {
                supervisor.state.withLock { _ = $0.knownGroups.remove(group) }
            }
        }
    }

    private func reapAndDiscard(_ pid: Int32) {
        _ = try? Sys.reap(pid)
    }
}
