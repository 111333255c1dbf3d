import Dispatch
import Foundation
import Glibc
import Scheduling
import Synchronization
import SystemCalls

/// One spawned run as handed from the spawning caller to the I/O thread.
struct RunSetup: Sendable {
    var token: UInt64
    var request: SpawnRequest
    var process: StartedProcess
    var outputFD: Int32
    var logFD: Int32
    var startMonotonic: Int64
    /// Called once, on the I/O thread, with the run's outcome.
    var finish: @Sendable (RunOutcome) -> Void
}

/// State shared by the spawning callers, the reaper thread and the I/O thread.
struct SupervisorState {
    /// Run leaders not yet reaped: pid → run token. Registered under the lock held across
    /// `posix_spawn`, so the reaper never sees one of our children unregistered.
    var leaders: [Int32: UInt64] = [:]
    /// Process groups of our runs that may still have members (their orphans are ours to reap).
    var knownGroups: Set<Int32> = []
    /// Inboxes of the I/O thread.
    var newRuns: [RunSetup] = []
    var exits: [(token: UInt64, status: Int32, usage: ResourceUsage)] = []
    var cancels: [UInt64] = []
    /// Tokens handed out but not spawned yet, and those canceled in that window.
    var pendingTokens: Set<UInt64> = []
    var canceledEarly: Set<UInt64> = []
    var liveTokens: Set<UInt64> = []
    var tokensByID: [String: Set<UInt64>] = [:]
    var nextToken: UInt64 = 1
}

/// The process-wide owner of our children: one reaper thread (the only code that calls
/// `wait4`) and one I/O thread (drains output pipes, fires deadlines, finishes runs).
/// Neither runs on Swift's cooperative pool; both block while there is nothing to do.
final class Supervisor: Sendable {
    static let shared = Supervisor()

    let state = Mutex(SupervisorState())
    /// Signaled after each spawn; the reaper waits on it while it has no children.
    let spawned = DispatchSemaphore(value: 0)
    let wakeRead: Int32
    let wakeWrite: Int32
    /// Whether this process is the subreaper of its orphaned descendants (so the
    /// grandchildren of a run are reaped here, not left as zombies of init).
    let adoptsOrphans: Bool

    private init() {
        let wake: (read: Int32, write: Int32)
        do { wake = try Sys.pipe(nonBlocking: true) } catch { fatalError("jobdir: cannot create the supervisor's wake pipe: \(error)") }
        wakeRead = wake.read
        wakeWrite = wake.write
        adoptsOrphans = LibcExtras.becomeChildSubreaper()
        let reaper = Thread { [self] in ChildReaper(supervisor: self).run() }
        reaper.name = "jobdir-reaper"
        reaper.start()
        let io = Thread { [self] in IOLoop(supervisor: self).run() }
        io.name = "jobdir-io"
        io.start()
    }

    /// Wakes the I/O thread.
    func wake() {
        Sys.poke(wakeWrite)
    }

    func newToken() -> UInt64 {
        state.withLock { s in
            let token = s.nextToken
            s.nextToken += 1
            s.pendingTokens.insert(token)
            return token
        }
    }

    /// Cancels the run of `token` (Task cancellation); before its spawn, it never starts.
    func cancel(token: UInt64) {
        state.withLock { s in
            if s.liveTokens.contains(token) {
                s.cancels.append(token)
            } else if s.pendingTokens.contains(token) {
                s.canceledEarly.insert(token)
            }
        }
        wake()
    }

    /// Cancels every live run whose request id is `id`; false if there is none.
    func cancel(id: String) -> Bool {
        let found = state.withLock { s in
            guard let tokens = s.tokensByID[id], !tokens.isEmpty else { return false }
            s.cancels.append(contentsOf: tokens)
            return true
        }
        if found { wake() }
        return found
    }
}
