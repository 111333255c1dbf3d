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
        /// The supervisor could not write its outcome (a full disk) and handed it over;
        /// it waits for `acknowledge` (or for the file to land) before it exits.
        case outcome(ExecutionID, SupervisorOutcome)
        /// The supervisor is gone: its outcome is written, or it died without one.
        case ended(ExecutionID)
    }

    private struct Entry {
        var pidfd: PidFD
        var report: Int32?
        var pending: [UInt8] = []
        var isChild: Bool
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

    /// Starts the supervisor of `request` (whose outcome goes to `outcomePath`).
    func launch(_ request: SpawnRequest, id: ExecutionID, outcomePath: String) throws(SpawnFailure) -> SupervisorProcess? {
        var fds: [Int32] = [-1, -1]
        // The loop thread is the only one that spawns, and spawns close every other descriptor.
        guard Glibc.pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0,
              fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0 else {
            let code = errno
            throw SpawnFailure(kind: SpawnFailure.other, message: "report pipe: \(String(cString: strerror(code)))", errno: code)
        }
        let pipe = (read: fds[0], write: fds[1])
        let launched: LaunchedSupervisor
        do {
            launched = try launcher.launch(request, outcomePath: outcomePath, reportFD: pipe.write)
        } catch {
            Sys.close(pipe.read)
            Sys.close(pipe.write)
            throw error
        }
        Sys.close(pipe.write)
        add(Entry(pidfd: launched.pidfd, report: pipe.read, isChild: true), for: id)
        return launched.startTime.map { SupervisorProcess(pid: launched.pid, startTime: $0) }
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
            var buffer = [UInt8](repeating: 0, count: 256)
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
                    if let outcome = try? SupervisorOutcome.decode(body, path: "report pipe of \(id)") { events.append(.outcome(id, outcome)) }
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

    /// Closes what is left of an ended supervisor's descriptors.
    func forget(_ id: ExecutionID) {
        guard var entry = entries.removeValue(forKey: id) else { return }
        closeReport(&entry)
        loop.remove(entry.pidfd.fd)
        owners[entry.pidfd.fd] = nil
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
