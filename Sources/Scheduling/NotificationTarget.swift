/// Where one delivery goes. Only what the job file says: header values are kept as
/// written (`${VAR}` unexpanded) and expanded from the daemon's environment when sent.
package enum NotificationTarget: Hashable, Sendable, Codable {
    case webhook(url: String, headers: [HeaderTemplate])
    case command(argv: [String])
    case mail(addresses: [String])
    /// A healthchecks.io-style ping: `suffix` is `/start`, `/fail` or empty (success).
    case ping(url: String, suffix: String)

    package struct HeaderTemplate: Hashable, Sendable, Codable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The name in the record's `notifications[].target`.
    package var name: String {
        switch self {
        case .webhook: "webhook"
        case .command: "command"
        case .mail: "mail"
        case .ping(_, let suffix): suffix.isEmpty ? "ping" : "ping" + suffix
        }
    }

    /// The URL a ping or webhook goes to.
    package var url: String? {
        switch self {
        case .webhook(let url, _): url
        case .ping(let url, let suffix): Self.join(url, suffix)
        default: nil
        }
    }

    private static func join(_ base: String, _ suffix: String) -> String {
        guard !suffix.isEmpty else { return base }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + suffix
    }
}
