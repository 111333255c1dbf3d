import Foundation
import Glibc
import Scheduling
import SystemCalls

/// The I/O thread: drains every run's output pipe into its log, fires timeouts and
/// kill deadlines (it sleeps in `poll` until the nearest one, never on a periodic
/// tick), and finishes a run once its leader is reaped and its output is closed.
final class IOLoop {
    private let supervisor: Supervisor
    private var runs: [UInt64: ActiveRun] = [:]
    /// SIGKILLs due to process groups, kept even after their run finished.
    private var groupKills: [Int32: Int64] = [:]
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)

    /// How long output may stay open after the process group is gone (a process that
    /// left the session may hold the pipe).
    static let lingerNanoseconds: Int64 = 200_000_000

    init(supervisor: Supervisor) { self.supervisor = supervisor }

    func run() -> Never {
        while true { iterate() }
    }

    private func iterate() {
        let (newRuns, exits, cancels) = supervisor.state.withLock { s in
            defer { s.newRuns.removeAll(); s.exits.removeAll(); s.cancels.removeAll() }
            return (s.newRuns, s.exits, s.cancels)
        }
        var now = Sys.monotonicNanoseconds()
        for setup in newRuns {
            let run = ActiveRun(setup: setup)
            if let timeout = setup.request.timeout { run.timeoutAt = setup.startMonotonic + timeout.nanoseconds }
            runs[setup.token] = run
        }
        for token in cancels {
            if let run = runs[token] { stop(run, .canceled, now: now) }
        }
        for exit in exits {
            guard let run = runs[exit.token] else { continue }
            run.status = (exit.status, exit.usage)
            leaderExited(run, now: now)
        }
        fireDeadlines(now: now)
        finishRuns()

        var fds = [pollfd(fd: supervisor.wakeRead, events: Int16(POLLIN), revents: 0)]
        var polled: [ActiveRun] = []
        for run in runs.values where run.outputFD >= 0 {
            fds.append(pollfd(fd: run.outputFD, events: Int16(POLLIN), revents: 0))
            polled.append(run)
        }
        now = Sys.monotonicNanoseconds()
        var timeout: Int32 = -1
        if let next = nextDeadline() {
            timeout = Int32(clamping: max(0, (next - now + 999_999) / 1_000_000))
        }
        guard (try? Sys.poll(&fds, timeoutMilliseconds: timeout)) != nil else { return }
        if fds[0].revents != 0 { Sys.drain(supervisor.wakeRead) }
        for (index, run) in polled.enumerated() where fds[index + 1].revents != 0 {
            drain(run)
        }
    }

    // MARK: Stopping

    /// SIGTERM to the run's group now, SIGKILL after its grace.
    private func stop(_ run: ActiveRun, _ reason: RunOutcome.StopReason, now: Int64) {
        guard run.status == nil, run.stoppedBy == nil else { return }
        run.stoppedBy = reason
        run.timeoutAt = nil
        terminateGroup(run, now: now)
    }

    private func terminateGroup(_ run: ActiveRun, now: Int64) {
        let pgid = run.setup.process.processGroup
        ProcessTable.signalGroup(pgid, SIGTERM)
        let killAt = groupKills[pgid] ?? (now + run.setup.request.killGrace.nanoseconds)
        groupKills[pgid] = killAt
        run.killAt = killAt
    }

    /// The leader was reaped: end what it left in its group, and bound how long its
    /// output may stay open.
    private func leaderExited(_ run: ActiveRun, now: Int64) {
        run.timeoutAt = nil
        let pgid = run.setup.process.processGroup
        if ProcessTable.groupExists(pgid) {
            if run.stoppedBy == nil { run.terminatedLeftovers = true }
            terminateGroup(run, now: now)
            run.drainUntil = (run.killAt ?? now) + 1_000_000_000
        } else {
            run.drainUntil = now + Self.lingerNanoseconds
        }
    }

    private func fireDeadlines(now: Int64) {
        for run in runs.values {
            if let at = run.timeoutAt, at <= now { stop(run, .timedOut, now: now) }
            if let at = run.drainUntil, at <= now, run.outputFD >= 0 { closeOutput(run) }
        }
        for (pgid, at) in groupKills where at <= now {
            ProcessTable.signalGroup(pgid, SIGKILL)
            groupKills[pgid] = nil
        }
    }

    private func nextDeadline() -> Int64? {
        var next: Int64?
        func consider(_ t: Int64?) { if let t { next = min(next ?? t, t) } }
        for run in runs.values {
            consider(run.timeoutAt)
            if run.outputFD >= 0 { consider(run.drainUntil) }
        }
        for at in groupKills.values { consider(at) }
        return next
    }

    // MARK: Output

    private func drain(_ run: ActiveRun) {
        // A bounded number of reads per wakeup keeps one chatty run from starving others.
        for _ in 0..<16 {
            let n: Int?
            do { n = try Sys.read(run.outputFD, into: buffer) } catch {
                closeOutput(run)
                return
            }
            guard let n else { return }
            if n == 0 {
                closeOutput(run)
                return
            }
            run.capture.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    private func closeOutput(_ run: ActiveRun) {
        guard run.outputFD >= 0 else { return }
        // Take what is already in the pipe before closing it.
        while run.outputFD >= 0, let n = try? Sys.read(run.outputFD, into: buffer), n > 0 {
            run.capture.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        Sys.close(run.outputFD)
        run.outputFD = -1
        finishRuns()
    }

    // MARK: Finishing

    private func finishRuns() {
        for (token, run) in runs where run.status != nil && run.outputFD < 0 {
            runs[token] = nil
            finish(run)
        }
    }

    private func finish(_ run: ActiveRun) {
        let setup = run.setup
        let output = run.capture.finish()
        Sys.close(setup.logFD)
        let end = Sys.monotonicNanoseconds()
        let (status, usage) = run.status!
        let groupGone = !ProcessTable.groupExists(setup.process.processGroup)
        supervisor.state.withLock { s in
            s.liveTokens.remove(setup.token)
            s.tokensByID[setup.request.id]?.remove(setup.token)
            if s.tokensByID[setup.request.id]?.isEmpty == true { s.tokensByID[setup.request.id] = nil }
            if groupGone { s.knownGroups.remove(setup.process.processGroup) }
        }
        let outcome = RunOutcome(
            termination: WaitStatus.termination(status), stoppedBy: run.stoppedBy, process: setup.process,
            startedAt: setup.process.startedAt,
            finishedAt: setup.process.startedAt.addingTimeInterval(Double(end - setup.startMonotonic) / 1e9),
            duration: .nanoseconds(end - setup.startMonotonic), resourceUsage: usage, output: output,
            terminatedLeftovers: run.terminatedLeftovers)
        setup.finish(outcome)
    }
}

/// A run as the I/O thread tracks it.
final class ActiveRun {
    let setup: RunSetup
    let capture: OutputCapture
    var outputFD: Int32
    var status: (Int32, ResourceUsage)?
    var stoppedBy: RunOutcome.StopReason?
    var timeoutAt: Int64?
    var killAt: Int64?
    var drainUntil: Int64?
    var terminatedLeftovers = false

    init(setup: RunSetup) {
        self.setup = setup
        outputFD = setup.outputFD
        capture = OutputCapture(fd: setup.logFD, maxBytes: setup.request.maxOutputBytes)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
