import CLinux
import Execution
import Foundation
import Glibc
import Scheduling
import StateStore
import SystemCalls

/// The supervisors of the runs going on (SPEC section 9), the one owner of their
/// descriptors: a pidfd each, readable when the supervisor has ended, and, for those this
/// daemon started, the read end of a report pipe on which the supervisor says
/// `started PID` once the command runs. Both are in the daemon's epoll; nothing is polled.
///
/// A pidfd works for a process that is not our child, so a supervisor left by an earlier
/// daemon is followed the same way (re-attached); only our own children are reaped.
///
/// Invariants: every entry has its pidfd in the epoll set until `forget`; an ended
/// supervisor is reported once.
final class RunSupervisors {
    enum Event {
        /// The command runs, with this pid (leader of its own session and group).
        case commandStarted(ExecutionID, pid: Int32)
        /// The supervisor's outcome, said on the report pipe before it writes the file; when
        /// the file cannot be written (a full disk) it waits for `acknowledge` (or for the
        /// file to land) before it exits.
        case outcome(ExecutionID, SupervisorOutcome)
        /// The supervisor is gone: its outcome is written, or it died without one.
        case ended(ExecutionID)
    }

    private struct Entry {
        var pidfd: PidFD
        var report: Int32?
        var pending: [UInt8] = []
        var isChild: Bool
        /// The daemon's end of a gated supervisor's gate, until `openGate` or `abandon`.
        var gate: Int32? = nil
        /// Where it writes its outcome, once it has said that outcome on the report pipe.
        var reportedOutcome: String? = nil
        var outcomePath: String? = nil
    }

    private let loop: EventLoop
    private let launcher: SupervisorLauncher
    private var entries: [ExecutionID: Entry] = [:]
    private var owners: [Int32: ExecutionID] = [:]

    init(loop: EventLoop, launcher: SupervisorLauncher = .locate()) {
        self.loop = loop
        self.launcher = launcher
    }

    var isEmpty: Bool { entries.isEmpty }

    func owns(_ fd: Int32) -> Bool { owners[fd] != nil }

    /// Starts the supervisor of `request` (whose outcome goes to `outcomePath`). A `gated`
    /// one waits, before it does anything, until `openGate` (or exits at `abandon`): it
    /// is started while its run's record is flushed, so that its exec overlaps the flush.
    func launch(_ request: SpawnRequest, id: ExecutionID, outcomePath: String, gated: Bool = false) throws(SpawnFailure) -> SupervisorProcess? {
        // The loop thread is the only one that spawns, and spawns close every other descriptor.
        let report = try Self.pipe(nonblockingRead: true, what: "report pipe")
        var gate: (read: Int32, write: Int32)?
        if gated {
            do { gate = try Self.pipe(nonblockingRead: false, what: "gate") } catch {
                Sys.close(report.read)
                Sys.close(report.write)
                throw error
            }
        }
        let launched: LaunchedSupervisor
        do {
            launched = try launcher.launch(request, outcomePath: outcomePath, reportFD: report.write, gateFD: gate?.read)
        } catch {
            for fd in [report.read, report.write, gate?.read, gate?.write].compactMap({ $0 }) { Sys.close(fd) }
            throw error
        }
        Sys.close(report.write)
        if let gate { Sys.close(gate.read) }
        add(Entry(pidfd: launched.pidfd, report: report.read, isChild: true, gate: gate?.write, outcomePath: outcomePath), for: id)
        return launched.startTime.map { SupervisorProcess(pid: launched.pid, startTime: $0) }
    }

    /// Lets a gated supervisor start its run (its record is durable). A supervisor gone
    /// meanwhile is reported ended, as any other.
    func openGate(_ id: ExecutionID) {
        guard let gate = entries[id]?.gate else { return }
        entries[id]?.gate = nil
        var go = UInt8(ascii: "g")
        // A socket, so that a supervisor gone already is EPIPE, not SIGPIPE.
        _ = send(gate, &go, 1, Int32(MSG_NOSIGNAL))
        Sys.close(gate)
    }

    /// Ends a gated supervisor whose run will not start (its record was not made
    /// durable): it is killed and reaped before anything of the run began.
    func abandon(_ id: ExecutionID) {
        guard let entry = entries[id], let gate = entry.gate else { return }
        Sys.close(gate)
        _ = try? entry.pidfd.signal(SIGKILL)
        var info = siginfo_t()
        while waitid(idtype_t(rawValue: 3), id_t(entry.pidfd.fd), &info, WEXITED) < 0 && errno == EINTR {}
        forget(id)
    }

    /// A pair of connected descriptors above the supervisor's fixed numbers (3, 4), both
    /// close-on-exec: a pipe, or for a gate a socket pair (see `openGate`).
    private static func pipe(nonblockingRead: Bool, what: String) throws(SpawnFailure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let made = nonblockingRead ? CLinux.pipe2(&fds, O_CLOEXEC) : socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        guard made == 0 else {
            let code = errno
            throw SpawnFailure(kind: SpawnFailure.other, message: "\(what): \(String(cString: strerror(code)))", errno: code)
        }
        for index in 0..<2 where fds[index] <= 4 {
            let moved = fcntl(fds[index], F_DUPFD_CLOEXEC, 5)
            Sys.close(fds[index])
            fds[index] = moved
        }
        guard fds.allSatisfy({ $0 >= 0 }), !nonblockingRead || fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0 else {
            let code = errno
            for fd in fds where fd >= 0 { Sys.close(fd) }
            throw SpawnFailure(kind: SpawnFailure.other, message: "\(what): \(String(cString: strerror(code)))", errno: code)
        }
        return (fds[0], fds[1])
    }

    /// Follows a supervisor an earlier daemon started; false when it is gone already
    /// (its outcome, if any, is then on disk).
    func reattach(_ supervisor: SupervisorProcess, id: ExecutionID) -> Bool {
        guard ProcessTable.isSameProcess(pid: supervisor.pid, startTime: supervisor.startTime),
              let pidfd = try? PidFD(pid: supervisor.pid) else { return false }
        // The pid could have been reused between the check and the open: check again.
        guard ProcessTable.isSameProcess(pid: supervisor.pid, startTime: supervisor.startTime) else { return false }
        add(Entry(pidfd: pidfd, report: nil, isChild: false), for: id)
        return true
    }

    /// Asks the supervisor to cancel its run (SIGTERM: group TERM, KILL after the grace);
    /// false when this daemon has no supervisor for `id`.
    @discardableResult
    func cancel(_ id: ExecutionID) -> Bool {
        guard let entry = entries[id] else { return false }
        _ = try? entry.pidfd.signal(SIGTERM)
        return true
    }

    /// Tells a supervisor that handed its outcome over that it is recorded: it may exit.
    func acknowledge(_ id: ExecutionID) {
        _ = try? entries[id]?.pidfd.signal(SIGUSR1)
    }

    /// Reads what a ready descriptor says.
    func handle(_ fd: Int32) -> [Event] {
        guard let id = owners[fd], var entry = entries[id] else { return [] }
        if fd == entry.report {
            var events: [Event] = []
            // An outcome (about 600 bytes) in one read.
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { entry.pending += buffer[0..<n]; continue }
                if n < 0 && errno == EINTR { continue }
                if n == 0 || (n < 0 && errno != EAGAIN) { closeReport(&entry) }
                break
            }
            while let newline = entry.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: entry.pending[..<newline], as: UTF8.self)
                if line.hasPrefix("outcome "), let length = Int(line.dropFirst(8)), length > 0 {
                    // `outcome LENGTH\n` and that many bytes of JSON.
                    guard entry.pending.count > newline + length else { break }
                    let body = Array(entry.pending[(newline + 1)...(newline + length)])
                    entry.pending.removeSubrange(...(newline + length))
                    if let outcome = try? SupervisorOutcome.decode(body, path: "report pipe of \(id)") {
                        entry.reportedOutcome = entry.outcomePath
                        events.append(.outcome(id, outcome))
                    }
                    continue
                }
                entry.pending.removeSubrange(...newline)
                if line.hasPrefix("started "), let pid = Int32(line.dropFirst(8)) { events.append(.commandStarted(id, pid: pid)) }
            }
            entries[id] = entry
            return events
        }
        // The pidfd: the supervisor has ended. Our child is reaped; another's is its parent's.
        if entry.isChild { _ = try? entry.pidfd.reap() }
        return [.ended(id)]
    }

    /// Closes what is left of an ended supervisor's descriptors. Returns the path of its
    /// outcome file when it said its outcome on the report pipe (then the file, written
    /// for a daemon that was gone, is the caller's to remove once the run's end is durable).
    @discardableResult
    func forget(_ id: ExecutionID) -> String? {
        guard var entry = entries.removeValue(forKey: id) else { return nil }
        closeReport(&entry)
        loop.remove(entry.pidfd.fd)
        owners[entry.pidfd.fd] = nil
        return entry.reportedOutcome
    }

    /// Supervisors this daemon follows.
    var ids: [ExecutionID] { entries.keys.sorted() }

    private func add(_ entry: Entry, for id: ExecutionID) {
        entries[id] = entry
        for fd in [entry.pidfd.fd] + (entry.report.map { [$0] } ?? []) {
            owners[fd] = id
            try? loop.add(fd)
        }
    }

    private func closeReport(_ entry: inout Entry) {
        guard let fd = entry.report else { return }
        loop.remove(fd)
        owners[fd] = nil
        Sys.close(fd)
        entry.report = nil
    }
}
