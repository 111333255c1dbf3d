import CLinux
import Foundation
import Glibc
import HTTP

/// etcd calls for a command-line verb (`jobdir status --fleet`): an `EtcdClient` on an
/// epoll loop of its own, turned until each answer arrives or its deadline passes. Not for
/// the daemon, whose loop is its own.
package final class BlockingEtcd {
    private let epoll: Int32
    private var http: HTTPClient!
    private var client: EtcdClient!

    package init(endpoints: [String]) throws {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw EtcdError(message: "epoll_create1: errno \(errno)") }
        let epoll = self.epoll
        http = try HTTPClient(hooks: HTTPClient.Hooks(
            watch: { fd, readable, writable in
                var event = epoll_event()
                event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
                event.data.fd = fd
                if epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) != 0 { _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
            },
            unwatch: { fd in
                var event = epoll_event()
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
            }))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = http.timerDescriptor
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, http.timerDescriptor, &event)
        client = EtcdClient(endpoints: endpoints, http: http)
    }

    deinit {
        client = nil
        http = nil
        close(epoll)
    }

    /// POSTs `body` to `path` and waits for the answer (each endpoint is tried in turn).
    package func call(_ path: String, body: [UInt8]) -> Result<[String: Any], EtcdError> {
        var answer: Result<[String: Any], EtcdError>?
        client.call(path, body: body) { answer = $0 }
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        let deadline = Date().addingTimeInterval(Double(client.endpoints.count) * 3 + 1)
        while answer == nil && Date() < deadline {
            let count = epoll_wait(epoll, &events, 16, 100)
            for index in 0..<max(0, Int(count)) { http.handle(events[index].data.fd) }
            client.tick()
        }
        return answer ?? .failure(EtcdError(message: "no answer from \(client.endpoints.joined(separator: ","))"))
    }

    /// Every key under `prefix`.
    package func list(prefix: String) -> Result<[EtcdKeyValue], EtcdError> {
        call("/v3/kv/range", body: EtcdRequests.range(prefix: prefix)).map(EtcdResponses.keyValues)
    }

    /// The seconds `lease` has left; nil when it is gone.
    package func timeToLive(lease: Int64) -> Int64? {
        guard case .success(let object) = call("/v3/lease/timetolive", body: EtcdRequests.keepAlive(lease: lease)) else { return nil }
        let ttl = EtcdValue.int64(object, "TTL")
        return ttl > 0 ? ttl : nil
    }
}
