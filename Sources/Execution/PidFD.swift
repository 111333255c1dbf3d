import Glibc
import SystemCalls

/// A pidfd: a descriptor that names one process for as long as it is open, so a reused
/// pid can never be mistaken for it. It becomes readable (`POLLIN`, also in epoll) when
/// the process ends, for any process that opened it, not only its parent; a pidfd
/// opened after the process ended is readable at once.
package final class PidFD: Sendable {
    package let fd: Int32
    package let pid: Int32

    /// Opens a pidfd on `pid` (close-on-exec). ESRCH if there is no such process.
    package init(pid: Int32) throws(Errno) {
        fd = try Sys.retrying("pidfd_open") { LibcExtras.pidfdOpen(pid) }
        self.pid = pid
    }

    deinit { Sys.close(fd) }

    /// Whether the process has ended (readable now), without waiting.
    package var hasEnded: Bool { (try? wait(milliseconds: 0)) ?? false }

    /// Waits up to `milliseconds` (-1: without bound) for the process to end.
    package func wait(milliseconds: Int32) throws(Errno) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return try Sys.poll(&fds, timeoutMilliseconds: milliseconds) > 0
    }

    /// Sends `signal` to the process; false if it has already ended.
    @discardableResult
    package func signal(_ signal: Int32) throws(Errno) -> Bool {
        do {
            _ = try Sys.retrying("pidfd_send_signal") { LibcExtras.pidfdSendSignal(fd, signal) }
            return true
        } catch where error.code == ESRCH {
            return false
        }
    }

    /// Reaps the process if it is our child and has ended (`waitid(P_PIDFD, WNOHANG)`):
    /// its `wait` status word, or nil if it is still running.
    package func reap() throws(Errno) -> Int32? {
        var info = siginfo_t()
        _ = try Sys.retrying("waitid") { waitid(idtype_t(rawValue: 3), id_t(fd), &info, WEXITED | WNOHANG) }
        let pid = info._sifields._sigchld.si_pid
        guard pid != 0 else { return nil }
        let code = info._sifields._sigchld.si_status
        // CLD_EXITED = 1: an exit code; otherwise the signal that ended it.
        return info.si_code == 1 ? (code & 0xff) << 8 : code & 0x7f
    }
}
