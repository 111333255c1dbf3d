/// One HTTP request for `HTTPClient`: plain values, built by whoever sends.
package struct HTTPRequest: Sendable {
    package var method: String
    /// `http://` or `https://` only; other schemes fail without being tried.
    package var url: String
    /// Sent as given; never logged by the client.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// The whole exchange's bound, connect included; nil for long-lived requests (streams).
    package var timeout: Duration?
    /// Bound of the connect phase alone.
    package var connectTimeout: Duration
    /// How much of the response body is kept for the completion when it is not streamed.
    package var maxKeptBodyBytes: Int

    package init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                 timeout: Duration? = .seconds(10), connectTimeout: Duration = .seconds(10), maxKeptBodyBytes: Int = 64 << 10) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxKeptBodyBytes = maxKeptBodyBytes
    }
}

/// How a request ended: an HTTP status (any, 500 included) or a transport error
/// (refused, timed out, bad URL) with libcurl's message.
package struct HTTPResponse: Sendable, Equatable {
    /// Nil when no response was received.
    package var status: Int?
    /// The start of the body, up to the request's `maxKeptBodyBytes` (empty when streamed).
    package var body: [UInt8]
    package var error: String?
    /// Whether the failure was the request's own `timeout`.
    package var timedOut: Bool

    package init(status: Int?, body: [UInt8] = [], error: String? = nil, timedOut: Bool = false) {
        self.status = status
        self.body = body
        self.error = error
        self.timedOut = timedOut
    }

    /// A 2xx answer.
    package var succeeded: Bool { error == nil && (status.map { (200..<300).contains($0) } ?? false) }
}
