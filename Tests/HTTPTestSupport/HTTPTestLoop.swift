import CLinux
import Foundation
import Glibc
import HTTP

/// A minimal loop: the sockets libcurl asks for, the client's timer, nothing else.
package final class HTTPTestLoop {
    package let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
    package var watched: Set<Int32> = []
    package var client: HTTPClient!

    package init() throws {
        client = try HTTPClient(hooks: HTTPClient.Hooks(
            // Weak: the client may outlive the loop (and unwatch its sockets as it goes).
            watch: { [weak self] fd, readable, writable in
                guard let self else { return }
                var event = epoll_event()
                event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
                event.data.fd = fd
                if epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) != 0 { _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
                watched.insert(fd)
            },
            unwatch: { [weak self] fd in
                guard let self else { return }
                var event = epoll_event()
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
                watched.remove(fd)
            }))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = client.timerDescriptor
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, client.timerDescriptor, &event)
    }

    deinit { close(epoll) }

    /// Turns the loop until `done` holds or `seconds` pass.
    package func run(seconds: Double, until done: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        while !done() && Date() < deadline {
            let count = epoll_wait(epoll, &events, 16, 100)
            for index in 0..<max(0, Int(count)) { client.handle(events[index].data.fd) }
        }
    }

    /// Whether the client's timer is armed.
    package var timerArmed: Bool {
        var spec = itimerspec()
        timerfd_gettime(client.timerDescriptor, &spec)
        return spec.it_value.tv_sec != 0 || spec.it_value.tv_nsec != 0
    }
}
