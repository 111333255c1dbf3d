import HTTP
import SystemCalls

/// etcd's v3 API through its JSON gateway, on the daemon's `HTTPClient` (no threads, no
/// polling: every answer comes back on the loop). Unary calls go to the current endpoint;
/// when one cannot be reached (or answers 5xx) the next endpoint of the list is tried at
/// once, each failure counting, until every endpoint has failed once; the one that
/// answered becomes current.
///
/// An idempotent call not answered within `hedgeAfter` is also sent to the next endpoint,
/// and again every `hedgeAfter` until `callTimeout` has passed since it was first sent;
/// the first answer wins and the other copies are canceled. A write that a follower
/// forwarded to a leader that died just then is never answered (etcd holds it for its
/// request timeout, 7 s by default, then answers 503), while the same write sent again is
/// committed as soon as a new leader is elected: without the copies, a done mark sent at
/// the wrong instant would keep its job's fleet-wide running key for seconds. The caller
/// says what is idempotent; every such call here is a range, a renewal, a revoke, a put of
/// the same value, or a txn guarded by compares that a second copy fails.
package final class EtcdClient {
    package let endpoints: [String]
    private let http: HTTPClient
    private let monotonicNow: () -> UInt64
    private var current = 0
    /// The bound of one unary call on one endpoint, and of the time copies are sent.
    package var callTimeout: Duration = .seconds(2)
    /// How long an idempotent call waits for an answer before a copy goes to the next endpoint.
    package var hedgeAfter: Duration = .milliseconds(250)
    /// Idempotent calls with a copy still to send, by when.
    private var hedges: [ObjectIdentifier: (call: Call, due: UInt64)] = [:]

    package init(endpoints: [String], http: HTTPClient, monotonicNow: @escaping () -> UInt64 = Sys.monotonicNow) {
        precondition(!endpoints.isEmpty, "at least one etcd endpoint")
        self.endpoints = endpoints
        self.http = http
        self.monotonicNow = monotonicNow
    }

    /// The endpoint calls go to first.
    package var currentEndpoint: String { endpoints[current] }

    /// One unary call and its copies in flight.
    private final class Call {
        let path: String
        let body: [UInt8]
        let idempotent: Bool
        let firstSent: UInt64
        let completion: (Result<[String: Any], EtcdError>) -> Void
        var nextEndpoint: Int
        var failures = 0
        var lastError: EtcdError?
        var sends = 0
        /// Copies sent and not yet answered, by send number.
        var pending: Set<Int> = []
        /// Their requests, once `HTTPClient.start` has returned.
        var requests: [Int: HTTPClient.RequestID] = [:]
        var finished = false

        init(path: String, body: [UInt8], idempotent: Bool, firstSent: UInt64, nextEndpoint: Int,
             completion: @escaping (Result<[String: Any], EtcdError>) -> Void) {
            self.path = path
            self.body = body
            self.idempotent = idempotent
            self.firstSent = firstSent
            self.nextEndpoint = nextEndpoint
            self.completion = completion
        }
    }

    /// POSTs `body` to `path` (`/v3/kv/txn`, ...); `completion` gets the answer's JSON object
    /// or why there is none. `idempotent: false` (a lease grant) sends no copies.
    package func call(_ path: String, body: [UInt8], idempotent: Bool = true,
                      completion: @escaping (Result<[String: Any], EtcdError>) -> Void) {
        let call = Call(path: path, body: body, idempotent: idempotent, firstSent: monotonicNow(), nextEndpoint: current, completion: completion)
        send(call)
    }

    /// The earliest monotonic instant `tick` has a copy to send.
    package var nextWake: UInt64? { hedges.values.map(\.due).min() }

    /// Sends the copies that are due.
    package func tick() {
        let now = monotonicNow()
        for (key, hedge) in hedges where hedge.due <= now {
            hedges[key] = nil
            if !hedge.call.finished { send(hedge.call) }
        }
    }

    private func send(_ call: Call) {
        let index = call.nextEndpoint
        call.nextEndpoint = (index + 1) % endpoints.count
        call.sends += 1
        let copy = call.sends
        call.pending.insert(copy)
        let request = HTTPRequest(method: "POST", url: endpoints[index] + call.path, headers: [("Content-Type", "application/json")],
                                  body: call.body, timeout: callTimeout, connectTimeout: min(callTimeout, .seconds(1)),
                                  maxKeptBodyBytes: 16 << 20)
        let id = http.start(request) { [weak self] response in self?.answered(call, copy: copy, endpoint: index, response) }
        // Unless `start` completed it at once.
        if call.pending.contains(copy) { call.requests[copy] = id }
        guard call.idempotent, !call.finished else { return }
        let due = monotonicNow() + FleetMember.nanoseconds(hedgeAfter)
        if due < call.firstSent + FleetMember.nanoseconds(callTimeout) { hedges[ObjectIdentifier(call)] = (call, due) }
    }

    private func answered(_ call: Call, copy: Int, endpoint index: Int, _ response: HTTPResponse) {
        call.pending.remove(copy)
        call.requests[copy] = nil
        guard !call.finished else { return }
        if let status = response.status, status < 500, response.error == nil {
            finish(call)
            current = index
            return call.completion(EtcdResponses.object(response.body))
        }
        let why = response.error ?? "HTTP \(response.status ?? 0): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
        call.lastError = EtcdError(message: "\(endpoints[index]): \(why)")
        call.failures += 1
        if call.failures < endpoints.count { return send(call) }
        guard call.pending.isEmpty else { return }
        finish(call)
        call.completion(.failure(call.lastError ?? EtcdError(message: "no etcd endpoint answered")))
    }

    /// Ends `call`: no more copies, the ones in flight canceled.
    private func finish(_ call: Call) {
        call.finished = true
        hedges[ObjectIdentifier(call)] = nil
        for id in call.requests.values { http.cancel(id) }
        call.pending.removeAll()
        call.requests.removeAll()
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
