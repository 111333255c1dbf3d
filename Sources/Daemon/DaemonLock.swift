import Foundation
import Glibc
import Watching

/// `state/jobdir.lock`, held with flock by the running daemon: one daemon per
/// state directory. The lock file holds the holder's pid, for the refusal message.
final class DaemonLock {
    enum Failure: Error {
        case heldBy(pid: String)
        case system(SystemError)
    }

    private let descriptor: Int32

    init(path: String) throws(Failure) {
        // Locked through a read-only descriptor (the pid is written through another), so
        // the daemon holds nothing open for writing while idle: its filesystem can be
        // remounted read-only under it, and that is then handled like any refused write.
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(SystemError("open", path: path)) }
        // A reader (`jobdir status`) may hold a shared lock for an instant: try for a moment.
        var attempts = 0
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK && attempts < 20 {
            attempts += 1
            nanosleep(&pause, nil)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            if code == EWOULDBLOCK {
                let pid = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw .heldBy(pid: pid.isEmpty ? "unknown" : pid)
            }
            throw .system(SystemError("flock", path: path, code: code))
        }
        descriptor = fd
        let text = Array("\(getpid())\n".utf8)
        let writer = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if writer >= 0 {
            _ = pwrite(writer, text, text.count, 0)
            _ = fsync(writer)
            close(writer)
        }
    }

    deinit { close(descriptor) }
}
