/// `notify`: who is told when an execution ends, and on which outcomes (SPEC section 10).
package struct NotifyPolicy: Sendable, Equatable {
    package enum Event: String, Sendable, CaseIterable, Codable {
        /// The last attempt of an occurrence ended `failed`, `timed_out` or `interrupted`.
        case failure
        /// The first success after one or more failures.
        case recovery
        case success
        /// Every terminal state except `skipped`.
        case always
        case skipped
    }

    package struct Header: Sendable, Equatable {
        package var name: String
        /// As written: `${VAR}` is expanded from the daemon's environment only when sent.
        package var value: String
    }

    /// Default `[failure]`.
    package var on: Set<Event>
    /// An argv given the execution record as JSON on stdin (a string runs as `/bin/sh -c`).
    package var command: [String]?
    /// An `http`/`https` URL the execution record is POSTed to.
    package var webhook: String?
    package var headers: [Header]
    /// Addresses for `sendmail -t`.
    package var mail: [String]

    package init(on: Set<Event> = [.failure], command: [String]? = nil, webhook: String? = nil, headers: [Header] = [], mail: [String] = []) {
        self.on = on
        self.command = command
        self.webhook = webhook
        self.headers = headers
        self.mail = mail
    }
}
