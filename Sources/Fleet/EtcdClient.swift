import HTTP

/// etcd's v3 API through its JSON gateway, on the daemon's `HTTPClient` (no threads, no
/// polling: every answer comes back on the loop). Unary calls go to the current endpoint;
/// when one cannot be reached (or answers 5xx) the next endpoint of the list is tried, each
/// at most once per call, and the one that answered becomes current.
package final class EtcdClient {
    package let endpoints: [String]
    private let http: HTTPClient
    private var current = 0
    /// The bound of one unary call on one endpoint.
    package var callTimeout: Duration = .seconds(2)

    package init(endpoints: [String], http: HTTPClient) {
        precondition(!endpoints.isEmpty, "at least one etcd endpoint")
        self.endpoints = endpoints
        self.http = http
    }

    /// The endpoint calls go to first.
    package var currentEndpoint: String { endpoints[current] }

    /// POSTs `body` to `path` (`/v3/kv/txn`, ...); `completion` gets the answer's JSON object
    /// or why there is none.
    package func call(_ path: String, body: [UInt8], completion: @escaping (Result<[String: Any], EtcdError>) -> Void) {
        attempt(path, body: body, index: current, left: endpoints.count, lastError: nil, completion: completion)
    }

    private func attempt(_ path: String, body: [UInt8], index: Int, left: Int, lastError: EtcdError?,
                         completion: @escaping (Result<[String: Any], EtcdError>) -> Void) {
        guard left > 0 else {
            return completion(.failure(lastError ?? EtcdError(message: "no etcd endpoint answered")))
        }
        let endpoint = endpoints[index]
        let request = HTTPRequest(method: "POST", url: endpoint + path, headers: [("Content-Type", "application/json")], body: body,
                                  timeout: callTimeout, connectTimeout: min(callTimeout, .seconds(1)), maxKeptBodyBytes: 16 << 20)
        http.start(request) { [weak self] response in
            guard let self else { return }
            if let status = response.status, status < 500, response.error == nil {
                self.current = index
                return completion(EtcdResponses.object(response.body))
            }
            let why = response.error ?? "HTTP \(response.status ?? 0): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
            let error = EtcdError(message: "\(endpoint): \(why)")
            self.attempt(path, body: body, index: (index + 1) % self.endpoints.count, left: left - 1, lastError: error, completion: completion)
        }
    }

    /// A long-lived watch on the current endpoint: each message goes to `onMessage` as it
    /// arrives; `onEnd` is called once when the stream has ended (the caller lists again and
    /// watches anew, perhaps on another endpoint). Returns the request, for `cancel`.
    @discardableResult
    package func watch(prefix: String, startRevision: Int64, onMessage: @escaping (EtcdWatchMessage) -> Void,
                       onEnd: @escaping (EtcdError) -> Void) -> HTTPClient.RequestID {
        let endpoint = endpoints[current]
        var lines = LineBuffer()
        let request = HTTPRequest(method: "POST", url: endpoint + "/v3/watch", headers: [("Content-Type", "application/json")],
                                  body: EtcdRequests.watch(prefix: prefix, startRevision: startRevision),
                                  timeout: nil, connectTimeout: .seconds(1))
        return http.start(request, onBody: { chunk in
            for line in lines.append(chunk) { onMessage(EtcdWatchMessage.decode(line)) }
        }, completion: { [weak self] response in
            // The next call starts from another endpoint when this one failed.
            if let self, response.status == nil || response.status! >= 500 { self.current = (self.current + 1) % self.endpoints.count }
            onEnd(EtcdError(message: "\(endpoint): watch ended: \(response.error ?? "HTTP \(response.status ?? 0)")"))
        })
    }

    package func cancel(_ request: HTTPClient.RequestID) { http.cancel(request) }
}
