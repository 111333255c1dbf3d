import HTTP

extension EventLoop {
    /// An `HTTPClient` driven by this loop: the sockets libcurl asks for are watched in this
    /// epoll set, and so is the client's timer. The daemon makes one and shares it
    /// (notifications now; other parts that speak HTTP later). Ready descriptors it
    /// `owns(_:)` go to its `handle(_:)`.
    func makeHTTPClient() throws -> HTTPClient {
        let client = try HTTPClient(hooks: HTTPClient.Hooks(
            watch: { [self] fd, readable, writable in try? watch(fd, readable: readable, writable: writable) },
            unwatch: { [self] fd in remove(fd) }))
        try add(client.timerDescriptor)
        return client
    }
}
