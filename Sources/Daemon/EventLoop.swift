import CLinux
import Glibc
import Watching

/// An epoll set: the daemon's one place of waiting. Everything that can wake
/// it (inotify, timers, signals, finished runs) is a descriptor in this set,
/// so an idle daemon sleeps in `epoll_wait` and wakes for nothing else.
final class EventLoop {
    private let descriptor: Int32

    init() throws(SystemError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SystemError("epoll_create1") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Adds `fd` to the set; its readiness is reported as `fd`.
    func add(_ fd: Int32) throws(SystemError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = fd
        guard epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl") }
    }

    /// Watches `fd` for readability and/or writability, adding it to the set or changing
    /// what it is watched for (for sockets another part manages, like the HTTP client's).
    func watch(_ fd: Int32, readable: Bool, writable: Bool) throws(SystemError) {
        var event = epoll_event()
        event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        if epoll_ctl(descriptor, EPOLL_CTL_MOD, fd, &event) == 0 { return }
        guard errno == ENOENT, epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl") }
    }

    /// Takes `fd` out of the set (before it is closed).
    func remove(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, &event)
    }

    /// Blocks until at least one descriptor is readable; returns the ready ones.
    func wait() -> [Int32] {
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        while true {
            let count = epoll_wait(descriptor, &events, Int32(events.count), -1)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return [] }
            return events[0..<Int(count)].map { $0.data.fd }
        }
    }
}
